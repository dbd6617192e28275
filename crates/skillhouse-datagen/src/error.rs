//! The error type of the generator. Generating never fails on data (defects are data); it fails on IO, on an
//! output folder that is not empty, on arguments out of range, or on a broken compiled-in reference table.

use std::path::PathBuf;

/// Why a drop could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum DatagenError {
    /// Arguments out of range (persons, years, defect rate, agencies, as-of date).
    #[error("invalid argument {argument}: {problem}")]
    InvalidArgument {
        /// The argument at fault.
        argument: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The output folder exists and is not empty; the generator never mixes its files with others.
    #[error("output folder {path} is not empty")]
    OutputNotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// Reading or writing a file or folder failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done (`writing`, `creating folder`, …).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The XLSX writer refused a workbook.
    #[error("building workbook {path}")]
    Xlsx {
        /// Landing-relative path of the workbook.
        path: String,
        /// The writer's error.
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// Text that GBK cannot encode (a bug in the generator's vocabulary).
    #[error("{path}: text not encodable in GBK")]
    Gbk {
        /// Landing-relative path of the file.
        path: String,
    },
    /// Serialising the manifest failed.
    #[error("serialising the manifest")]
    Manifest(#[source] serde_json::Error),
    /// The compiled-in reference table is malformed.
    #[error("reference table {table}, line {line}: {problem}")]
    Reference {
        /// Table file name.
        table: &'static str,
        /// 1-based line (0 for the whole table).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A generator invariant broke (a bug, never bad input).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias of the crate.
pub type Result<T, E = DatagenError> = std::result::Result<T, E>;
