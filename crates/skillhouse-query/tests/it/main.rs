//! Integration tests of the query layer: the golden `.slt` files over the hand-built fixture, planning of every
//! `.sql` file, and the snapshot lifecycle (build, publish, open, read-only SQL).

mod fixture;
mod golden;
mod plan_sql;
mod snapshot;
