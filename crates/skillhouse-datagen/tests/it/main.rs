//! Integration tests of skillhouse-datagen: determinism, the manifest against the files row by row (with an
//! independent reader and DESIGN §6 checker), calibration, and the committed sample being up to date.

mod drops;
mod landing;
