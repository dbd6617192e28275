//! The query layer of SkillHouse: a DataFusion session over the warehouse and its snapshots, the models and
//! indicators of `sql/`, the snapshot build with its release gate, and snapshots as a set (publish, verify, roll
//! back, retention, locks).
//!
//! *What it owns.* [`build_snapshot`] hard-links the warehouse's current base files (`certificates/issue_year=YYYY/`,
//! `rejects/`, `duplicate_claims/`, `ledger/`, and the training records of DESIGN §16, `training/end_year=YYYY/` and
//! `training_rejects/` — the layout of `docs/warehouse.md`, the files the ledger says are loaded) into the snapshot
//! folder, copies the agency and training provider registries into it, reads them and the reference CSVs, runs
//! every model of `sql/models/` (stored as `models/<id>.parquet`, or one file per year under `models/<id>/`, the
//! years an unchanged warehouse cannot have changed taken over from the previous snapshot) and every indicator of
//! `sql/indicators/` (stored together as `indicator_values.parquet`,
//! with targets, gaps, status and reference targets joined from `targets` by `sql/values/indicator_values.sql`, and
//! the catalogue as `indicators.parquet`, whose rows carry each indicator's publishing rules), optionally the
//! release gate ([`GateConfig`]: the data tests of `sql/checks/` and comparisons with the previous snapshot), and
//! writes `manifest.json` last (every file's size, SHA-256 and rows). [`publish_snapshot`] swaps `WAREHOUSE/CURRENT`
//! atomically; [`open_snapshot`] reads it through [`SnapshotFolder`] — the one reader of a snapshot, which the HTTP
//! server and the Postgres front end use too — leases the snapshot ([`SnapshotLease`]) and registers every table of
//! DESIGN §15 from the snapshot's own files, so a later ingest never shows through; [`Snapshot::query`] runs read-only SQL;
//! [`format_batches`] renders results. [`list_snapshots`], [`verify_snapshot`], [`rollback`] and
//! [`prune_snapshots`] manage the set; [`WarehouseLock`] is the one-writer lock they and ingestion share.
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
//! *Where things are.* `build/` builds a snapshot (the SQL catalogue, linking, carrying years over, the models'
//! helpers, the gate, the manifest, the rules files are written by); `snapshots/` manages them (the reader, the SQL
//! session over one, publish, verify, rollback, retention, locks); `analyst/` is analysts' SQL (guard, bounds,
//! bounded values, comments, output). The warehouse's folder names are `skillhouse_model::layout`'s.
//!
//! *What it must not depend on.* Nothing of polars or of the ingest crate: Parquet files are the only contract with
//! ingestion, and column names come from `skillhouse_model::schema`. No HTTP either — the server calls this crate.

mod analyst;
mod build;
mod config;
mod engine;
mod error;
mod snapshots;
mod units;

// The modules keep their short paths (`crate::carry`, …) wherever they live.
pub use analyst::guard;
use analyst::{bounds, comments, output, readonly, session, values};
use build::{
    base, carry, catalog, disclosure, fingerprint, gate, gate_report, manifest, params, snapshot, stock, tables,
    written,
};
use snapshots::{lock, open, reader, store};

pub use bounds::{
    DEFAULT_STATEMENT_MEMORY_LIMIT, DEFAULT_STATEMENT_TIMEOUT, SqlBounds, YieldAfterFanOut, bound_values,
    classify_engine_error, format_bytes, format_duration, is_resources_exhausted, parse_bytes, parse_timeout,
    run_bounded, run_statement, statement_context,
};
pub use catalog::{GATE_COMPARE, SqlCatalog, SqlFile, SqlKind};
pub use comments::{Comments, TableComments};
pub use config::{DEFAULT_MEMORY_LIMIT, DEFAULT_TARGET_PARTITIONS, QueryConfig, read_only_sql_options};
pub use disclosure::Disclosure;
pub use engine::{BuildFunctions, SessionProvider, build_functions, register_build_functions};
pub use error::{QueryError, Result, error_chain};
pub use gate::{DEFAULT_MAX_INDICATOR_CHANGE_PCT, DEFAULT_MAX_ROW_DROP_PCT, DEFAULT_MAX_ROW_GROWTH_PCT, GateConfig};
pub use gate_report::{CheckResult, CheckStatus, GateReport};
pub use guard::{Refusal, RefusalCode, StatementKind};
pub use lock::{LOCK_FILE, READERS_FILE, SnapshotLease, WarehouseLock};
pub use manifest::{FileEntry, InputSummary, MANIFEST_FILE, Manifest, WarehouseSummary, read_manifest};
pub use open::{Snapshot, open_snapshot, open_snapshot_with, register_snapshot};
pub use output::{ResultFormat, csv_plain_cell, csv_text_cell, format_batches};
pub use params::{APPROX_TOLERANCE, BuildParams};
pub use reader::{SnapshotFolder, current_snapshot_id, snapshot_dir};
pub use readonly::ReadOnlyCatalogList;
pub use session::{AnalystSession, describe_columns, describe_tables, sql_type_name};
pub use snapshot::{
    BuildOptions, BuildProgressFn, BuildReport, build_snapshot, build_snapshot_with, build_snapshot_with_options,
    indicator_values_schema, new_snapshot_id,
};
pub use store::{
    PruneReport, SnapshotInfo, SnapshotState, VerifyReport, clean_incomplete, list_snapshots, prune_snapshots,
    publish_snapshot, rollback, verify_snapshot,
};
pub use tables::{CERTIFICATE_FILES_TABLE, REFERENCE_TABLES, certificate_file_schema, register_warehouse};

/// The DataFusion version this crate is built on, re-exported so callers (CLI, server) share one engine.
pub use datafusion;
