//! Building a snapshot: linking the warehouse's base files, reading the reference tables, running the models and
//! indicators of `sql/` (the years an unchanged warehouse cannot have changed carried over), the release gate, and the
//! manifest written last — and the rules every file of the build is written by.

pub(crate) mod base;
pub(crate) mod carry;
pub(crate) mod catalog;
pub(crate) mod disclosure;
pub(crate) mod fingerprint;
pub(crate) mod gate;
pub(crate) mod gate_report;
pub(crate) mod manifest;
pub(crate) mod params;
pub(crate) mod snapshot;
pub(crate) mod stock;
pub(crate) mod tables;
pub(crate) mod written;
