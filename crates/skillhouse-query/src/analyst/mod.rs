//! Analysts' SQL (DESIGN §10), shared by the REPL and the Postgres wire front end: the guard that refuses every
//! statement that is not a query, the per-statement bounds (memory, time, the size of values), the read-only
//! catalogue, the session over the published snapshot with its comments, and rendering results.

pub(crate) mod bounds;
pub(crate) mod comments;
pub mod guard;
pub(crate) mod output;
pub(crate) mod readonly;
pub(crate) mod session;
pub(crate) mod values;
