//! The one error type of the query layer.

use std::path::PathBuf;

/// Result alias of the query layer.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;

/// What went wrong while building, opening or querying a snapshot. Every variant says where: which file, table,
/// model or indicator. The cause is kept as the error's `source()`, not repeated in its message, so a printed chain
/// (`{:#}` of anyhow) shows each part once.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Reading or writing a file or folder failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done (`reading`, `writing`, `creating`, …).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Registering a table (warehouse files, reference CSV, snapshot Parquet) failed.
    #[error("registering table `{table}` from {path}")]
    Register {
        /// SQL table name.
        table: String,
        /// Where its data lives.
        path: PathBuf,
        /// The engine's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// A warehouse file does not follow `docs/warehouse.md` (a missing column, a wrong type).
    #[error("{path} does not follow the warehouse layout: {message}")]
    Layout {
        /// The offending file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A `.sql` file's `-- key: value` header is missing a key or malformed.
    #[error("{file} line {line}: {message}")]
    Header {
        /// The SQL file (`models/persons.sql`).
        file: String,
        /// 1-based line number (0 when the whole header is at fault).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Planning or running a model or indicator failed.
    #[error("{kind} `{id}` ({file})")]
    Definition {
        /// `model` or `indicator`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// Its file.
        file: String,
        /// The engine's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// An indicator returned columns that do not match the `indicator_values` contract.
    #[error("indicator `{id}` returns the wrong columns: {message}")]
    IndicatorShape {
        /// The indicator id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The warehouse has no published snapshot (`CURRENT` is missing or empty).
    #[error("no published snapshot in {warehouse}: CURRENT is missing or empty (run `skillhouse rebuild` first)")]
    NoSnapshot {
        /// The warehouse directory.
        warehouse: PathBuf,
    },
    /// The snapshot's manifest is unreadable.
    #[error("snapshot manifest {path}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A statement given to the read-only SQL front end failed (parse, plan, execute, or refused as not read-only).
    #[error("query failed")]
    Sql {
        /// The engine's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// The read-only guard refused an analyst's statement (nothing ran); the refusal carries a stable code.
    #[error(transparent)]
    Refused(#[from] crate::guard::Refusal),
    /// An analyst's statement ran longer than the statement timeout and was cancelled.
    #[error("canceling statement due to statement timeout: it ran longer than {} [bounds.statement_timeout]", crate::bounds::format_duration(*.limit))]
    Timeout {
        /// The timeout that was exceeded.
        limit: std::time::Duration,
    },
    /// An analyst's statement needed more memory than the per-statement limit and could not spill.
    #[error("the statement needs more memory than the per-statement limit of {} [bounds.memory_limit]", crate::bounds::format_bytes(*.limit))]
    MemoryLimit {
        /// The per-statement limit in bytes.
        limit: usize,
        /// The engine's error (which operators held the memory).
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// Writing Parquet, CSV or JSON output failed.
    #[error("encoding {what}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// The cause.
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
    /// Writing a Parquet file failed.
    #[error("writing Parquet {path}")]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },
    /// Any other engine error, with what was being done.
    #[error("{context}")]
    Engine {
        /// What was being done.
        context: String,
        /// The engine's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// Another process holds the warehouse's writer lock (an ingest or rebuild is running).
    #[error("another ingest or rebuild is running on this warehouse: {holder} holds {path}")]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it (command, pid, host, start time), as far as its lock file says.
        holder: String,
    },
    /// No snapshot of that id exists (or it is incomplete).
    #[error("no complete snapshot `{id}` in {warehouse} (see `skillhouse snapshots list`)")]
    UnknownSnapshot {
        /// The warehouse directory.
        warehouse: PathBuf,
        /// The id asked for.
        id: String,
    },
    /// A snapshot's files do not match its manifest.
    #[error("snapshot `{id}` is damaged: {}", problems.join("; "))]
    Integrity {
        /// The snapshot.
        id: String,
        /// One line per missing or changed file.
        problems: Vec<String>,
    },
    /// The release gate refused this snapshot; publishing it needs `--force`.
    #[error("snapshot `{id}` was refused by the release gate; pass --force to publish it anyway")]
    RefusedSnapshot {
        /// The snapshot.
        id: String,
    },
    /// A bug: an invariant of this crate does not hold.
    #[error("internal error (a bug in skillhouse-query): {0}")]
    Internal(String),
}

impl QueryError {
    /// An [`QueryError::Io`] error.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }

    /// An [`QueryError::Engine`] error.
    pub(crate) fn engine(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        Self::Engine { context: context.into(), source }
    }
}

/// An error and its causes on one line, `outer: inner: …`, for a log line or a client's message. Each message is
/// printed once: a cause already quoted by the message above it (an engine's `Context` wrapping) is skipped.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !message.is_empty() && !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}
