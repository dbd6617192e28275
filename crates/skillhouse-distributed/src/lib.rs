//! The SkillHouse build on Apache DataFusion Ballista (issue 25, `docs/distributed.md`).
//!
//! *What it owns.* [`Ballista`], a [`skillhouse_query::SessionProvider`] whose sessions run their queries on Ballista —
//! a scheduler and an executor inside the process (standalone) or a cluster's scheduler (`df://HOST:PORT`); the
//! build and analysts' SQL register the same tables and run the same SQL on it. [`run_scheduler`] and
//! [`run_executor`] are the cluster's processes (`skillhouse scheduler`, `skillhouse executor`), which know
//! SkillHouse's functions and [`SkillhouseLogicalCodec`] (in-memory tables across the wire).
//!
//! *What is distributed.* The queries: scans, joins, aggregations, the persons aggregate. The build's driver — the
//! links into the snapshot folder, writing each result as Parquet, the manifest, the publish — stays in the command
//! that runs the build; results stream back to it. Executors read the snapshot's files by their paths, so on more
//! than one machine they must see the warehouse at the same path (a shared file system).
//!
//! *Object storage.* [`objects`]: warehouses at `s3://bucket/prefix`, worked on through a local copy, published by a
//! conditional put of `CURRENT`.
//!
//! Everything sits behind the `engine` feature, off by default, so the default build never compiles Ballista.

#[cfg(feature = "engine")]
mod cluster;
#[cfg(feature = "engine")]
mod codec;
#[cfg(feature = "engine")]
mod engine;
#[cfg(feature = "engine")]
mod leaves;
#[cfg(feature = "engine")]
pub mod objects;
#[cfg(feature = "engine")]
mod sql;

#[cfg(feature = "engine")]
pub use cluster::{
    EXECUTOR_TIMEOUT_SECONDS, ExecutorOptions, HEARTBEAT_SECONDS, parse_scheduler_address, run_executor, run_scheduler,
};
#[cfg(feature = "engine")]
pub use codec::SkillhouseLogicalCodec;
#[cfg(feature = "engine")]
pub use engine::{Ballista, Target, ballista_config, client_state, server_state};
#[cfg(feature = "engine")]
pub use leaves::LeavesAsMemoryScans;
#[cfg(feature = "engine")]
pub use sql::run_statements;

/// Errors of the distributed engine.
#[cfg(feature = "engine")]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scheduler address that is not `df://HOST:PORT`.
    #[error("scheduler address `{0}`: {1}")]
    SchedulerUrl(String, String),
    /// An executor's port leaves no room for its gRPC port (the next one).
    #[error("port {0}: the executor's gRPC port is the next one, and there is none")]
    Port(u16),
    /// Ballista failed.
    #[error("{0}: {1}")]
    Ballista(&'static str, String),
    /// The query layer failed.
    #[error(transparent)]
    Query(#[from] skillhouse_query::QueryError),
}
