//! Integration tests of skillhouse-datagen: determinism, the manifest against the files row by row (with
//! independent readers and checkers of DESIGN §6 and §16), calibration, training linked to certificates, and the
//! committed sample being up to date.

mod drops;
mod landing;
mod training;
mod training_landing;
