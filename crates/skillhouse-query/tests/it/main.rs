//! Integration tests of the query layer: the golden `.slt` files over the hand-built fixture, planning of every
//! `.sql` file, the snapshot lifecycle (build, publish, open, read-only SQL), and snapshots as a set (linked base
//! files, verification, the release gate, retention).

mod fixture;
mod golden;
mod plan_sql;
mod snapshot;
mod store;
