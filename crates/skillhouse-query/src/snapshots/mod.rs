//! Snapshots as a set: reading the published one ([`reader`], the one reader, and [`open`], its SQL session),
//! publishing, listing, verifying, rolling back and pruning them ([`store`]), and the locks that keep one writer and
//! many readers apart ([`lock`]).

pub(crate) mod lock;
pub(crate) mod open;
pub(crate) mod reader;
pub(crate) mod store;
