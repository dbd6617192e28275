//! Integration tests of the query layer (the golden `.slt` files are the `golden` test target): planning of every
//! `.sql` file, the snapshot lifecycle (build, publish, open, read-only SQL), snapshots as a set (linked base
//! files, verification, the release gate, retention), the analyst's bounded, read-only session, and the training
//! records of DESIGN §16 beside the certificates, and the seed targets DESIGN §17 computes from the records.

mod analyst;
mod builds;
mod fixture;
mod plan_sql;
mod revocations;
mod snapshot;
mod store;
mod targets;
mod training;
