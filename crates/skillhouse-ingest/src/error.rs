//! The one error type of the crate. `Err` means the batch could not be read, parsed or written as a whole;
//! a bad row is a reject and a bad submitted file is an unreadable ledger entry, never an `Err`.

use std::path::PathBuf;

/// Result alias of the crate.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// Why an ingestion batch could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The header alias file is not valid TOML of the expected shape.
    #[error("header alias file {path}: {source} — nothing was ingested: correct the file and run again")]
    Aliases {
        /// The alias file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: toml::de::Error,
    },
    /// The same header spelling is listed under two fields, which would make a header ambiguous.
    #[error(
        "header alias file {path}: the spelling {spelling:?} is listed under both {first} and {second} — nothing \
         was ingested: keep it under one field and run again"
    )]
    AmbiguousAlias {
        /// The alias file.
        path: PathBuf,
        /// The spelling, after folding.
        spelling: String,
        /// First field listing it.
        first: String,
        /// Second field listing it.
        second: String,
    },
    /// A reference table (occupations, agency registry) has a row that cannot be used. The whole batch stops:
    /// every file's rows are judged against the registry, and files judged against a partial one would be
    /// rejected as `unknown_agency` and never read again (docs/operations.md, "A broken agencies.csv").
    #[error("{path}, row {row}: {problem} — nothing was ingested: correct this row and run again")]
    Reference {
        /// The reference file.
        path: PathBuf,
        /// 1-based row (header = 1).
        row: usize,
        /// What is wrong.
        problem: String,
    },
    /// A reference table could not be read at all.
    #[error("{path}: {message} — nothing was ingested: correct the file and run again")]
    ReferenceUnreadable {
        /// The reference file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    /// polars failed reading or writing a warehouse Parquet file.
    #[error("{path}: {source}")]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A warehouse Parquet file lacks a column or has an unexpected type.
    #[error("{path}: column {column}: {source}")]
    WarehouseColumn {
        /// The Parquet file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The cause.
        #[source]
        source: polars::error::PolarsError,
    },
    /// The warehouse holds certificate or reject files but no ledger, so nothing says which of them count.
    #[error(
        "{path} is missing but the warehouse holds {files} certificate or reject files; restore it from the \
         latest snapshot (snapshots/<id>/ledger/ledger.parquet) before ingesting"
    )]
    MissingLedger {
        /// Where the ledger should be.
        path: PathBuf,
        /// How many data files were found.
        files: usize,
    },
    /// A bug: an invariant of this crate did not hold.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl IngestError {
    /// Whether the batch stopped on a reference file (agency registry, occupations, header aliases) that the
    /// operator must correct; the CLI gives it its own exit code.
    pub fn is_reference(&self) -> bool {
        matches!(
            self,
            Self::Reference { .. }
                | Self::ReferenceUnreadable { .. }
                | Self::Aliases { .. }
                | Self::AmbiguousAlias { .. }
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    pub(crate) fn parquet(path: impl Into<PathBuf>, source: polars::error::PolarsError) -> Self {
        Self::Parquet { path: path.into(), source }
    }
}
