//! The query layer of SkillHouse: a DataFusion session over the warehouse and its snapshots, the models and
//! indicators of `sql/`, and the snapshot build.
//!
//! *What it owns.* [`build_snapshot`] reads the warehouse's Parquet (`certificates/issue_year=YYYY/`, `agencies/`,
//! `duplicate_claims/`, `rejects/`, `ledger/` — the layout of `docs/warehouse.md`) and the reference CSVs, runs every
//! model of `sql/models/` (stored as `models/<id>.parquet`) and every indicator of `sql/indicators/` (stored together
//! as `indicator_values.parquet`, with targets, gaps and status joined from `targets`, and the catalogue as
//! `indicators.parquet`), and writes `manifest.json`. [`open_snapshot`] reads `WAREHOUSE/CURRENT` and registers every
//! table of DESIGN §15 for analysts; [`Snapshot::query`] runs read-only SQL; [`format_batches`] renders results.
//!
//! *Analyst SQL* (DESIGN §10), shared by the REPL and the Postgres wire front end: [`guard`] refuses every
//! statement that is not a query (DDL, DML, COPY, engine SETs, files and URLs as tables) before anything runs;
//! [`SqlBounds`] give each statement its own memory pool and a timeout that cancels it ([`run_bounded`]);
//! [`AnalystSession`] puts both over the published snapshot, with the table and column comments of
//! `sql/comments.toml` ([`Comments`]) for `\d`.
//!
//! *Definitions are data.* The SQL is plain DataFusion SQL, one object per file with `-- key: value` headers
//! ([`SqlCatalog`]); it is compiled into the binary by the build script, so adding a file needs no Rust change. The
//! build's parameters ([`BuildParams`]: as-of date, youth bounds, province code) are bound to `$name` placeholders,
//! never spliced into SQL text.
//!
//! *What it must not depend on.* Nothing of polars or of the ingest crate: Parquet files are the only contract with
//! ingestion, and column names come from `skillhouse_model::schema`. No HTTP either — the server calls this crate.

mod analyst;
mod bounds;
mod catalog;
mod comments;
mod config;
mod error;
pub mod guard;
mod output;
mod params;
mod readonly;
mod snapshot;
mod tables;

pub use analyst::{AnalystSession, describe_columns, describe_tables, sql_type_name};
pub use bounds::{
    DEFAULT_STATEMENT_MEMORY_LIMIT, DEFAULT_STATEMENT_TIMEOUT, SqlBounds, YieldAfterFanOut, classify_engine_error,
    format_bytes, format_duration, is_resources_exhausted, parse_bytes, parse_timeout, run_bounded, run_statement,
    statement_context,
};
pub use catalog::{SqlCatalog, SqlFile, SqlKind};
pub use comments::{Comments, TableComments};
pub use config::{DEFAULT_MEMORY_LIMIT, DEFAULT_TARGET_PARTITIONS, QueryConfig, read_only_sql_options};
pub use error::{QueryError, Result};
pub use guard::{Refusal, RefusalCode, StatementKind};
pub use output::{ResultFormat, format_batches};
pub use params::BuildParams;
pub use readonly::ReadOnlyCatalogList;
pub use snapshot::{
    APPROX_TOLERANCE, BuildReport, Manifest, Snapshot, build_snapshot, build_snapshot_with, indicator_values_schema,
    new_snapshot_id, open_snapshot, open_snapshot_with, publish_snapshot, register_snapshot,
};
pub use tables::{CERTIFICATE_FILES_TABLE, REFERENCE_TABLES, certificate_file_schema, register_warehouse};

/// The DataFusion version this crate is built on, re-exported so callers (CLI, server) share one engine.
pub use datafusion;
