//! The one error type of the crate. `Err` means the batch could not be read, parsed or written as a whole;
//! a bad row is a reject and a bad submitted file is an unreadable ledger entry, never an `Err`.
//!
//! A variant's message says where (which file, row, column) and what to do; its cause is kept as the error's
//! `source()`, never repeated in the message, so that a printed chain (`{:#}` of anyhow, the server's log lines)
//! shows each part once — the rule of `skillhouse-query`'s error type too (issue 30).

use std::path::PathBuf;

/// Result alias of the crate.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// Why an ingestion batch could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file or folder could not be read or written.
    #[error("{path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The header alias file is not valid TOML of the expected shape.
    #[error("header alias file {path} is not valid — nothing was ingested: correct the file and run again")]
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
    /// A reference table (occupations, agency or provider registry) has a row that cannot be used. The whole batch stops:
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
    #[error("{path}")]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A warehouse Parquet file lacks a column or has an unexpected type.
    #[error("{path}: column {column}")]
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
    /// Whether the batch stopped on a reference file (agency or provider registry, occupations, header aliases)
    /// that the operator must correct; the CLI gives it its own exit code.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    /// Issue 30: each part of a printed chain once — a variant's message never repeats its cause's.
    #[test]
    fn a_cause_is_printed_once_in_a_chain() {
        let cause = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "access denied by the test");
        let errors = [
            IngestError::io("/w/ledger/ledger.parquet", cause),
            IngestError::Aliases {
                path: "/r/header_aliases.toml".into(),
                source: toml::from_str::<toml::Value>("x = ").expect_err("invalid TOML"),
            },
            IngestError::parquet("/w/a.parquet", polars::error::PolarsError::NoData("empty file by the test".into())),
        ];
        for error in errors {
            let source = error.source().expect("a cause").to_string();
            let mut chain = error.to_string();
            let mut next = error.source();
            while let Some(cause) = next {
                chain.push_str(&format!(": {cause}"));
                next = cause.source();
            }
            assert_eq!(chain.matches(source.as_str()).count(), 1, "{chain}");
            assert!(!error.to_string().contains(source.as_str()), "{error}");
        }
    }
}
