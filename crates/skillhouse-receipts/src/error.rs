//! The receipts crate's one error type.

use std::path::PathBuf;

/// Why a receipt could not be read or written. Validation findings are not errors: they are the receipt.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// A file could not be opened, read or written.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Which file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file of the warehouse could not be read.
    #[error("reading {path}")]
    Parquet {
        /// Which file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: skillhouse_query::datafusion::parquet::errors::ParquetError,
    },
    /// A Parquet file does not have the shape docs/warehouse.md gives it.
    #[error("{path}: {message}")]
    Layout {
        /// Which file.
        path: PathBuf,
        /// What is off (a column name, never a cell's contents).
        message: String,
    },
    /// The workbook could not be written.
    #[error("writing the workbook of the receipt of {slice}")]
    Xlsx {
        /// `<agency_id>/<YYYY-MM>`.
        slice: String,
        /// The cause.
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
}

impl ReceiptError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io { action, path: path.to_path_buf(), source }
    }
}

/// The crate's result type.
pub type Result<T, E = ReceiptError> = std::result::Result<T, E>;
