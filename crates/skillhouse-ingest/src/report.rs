//! What a batch did, file by file, for the CLI summary, the nightly run report and tests.

pub use crate::landing::IgnoredEntry;
use skillhouse_model::RejectReason;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// What happened to one submitted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Read and validated; its accepted rows are in the warehouse (possibly none).
    Loaded,
    /// Its bytes were already in the ledger (or earlier in this batch); nothing was done.
    Skipped,
    /// It could not be read at all; recorded in the ledger with this message.
    Unreadable {
        /// Why, in words a clerk can act on.
        message: String,
    },
}

/// One submitted file's result.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file as given on disk.
    pub path: PathBuf,
    /// Landing-relative path, `<agency_id>/<file name>`.
    pub source_file: String,
    /// Agency (folder name).
    pub agency_id: String,
    /// `YYYY-MM` (file name).
    pub period: String,
    /// SHA-256 hex of the bytes (empty if the file could not be read from disk).
    pub content_hash: String,
    /// `csv`, `xlsx`, `jsonl` (or the extension found).
    pub format: String,
    /// Text encoding label, `binary` for workbooks, empty when never decoded.
    pub encoding: String,
    /// What happened.
    pub outcome: FileOutcome,
    /// Data rows read (title, blank and notes rows are not rows).
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows rejected; `rows_read = rows_accepted + rows_rejected`.
    pub rows_rejected: u64,
    /// Rejected rows per reason.
    pub rejects_by_reason: BTreeMap<RejectReason, u64>,
    /// Source files of the same agency and month this file replaced.
    pub superseded: Vec<String>,
    /// Wall time spent on the file.
    pub duration: Duration,
}

/// The result of one [`crate::ingest`] call.
#[derive(Debug, Clone, Default)]
pub struct BatchReport {
    /// Identifier stamped on every row written.
    pub batch_id: String,
    /// Every file considered, in path order.
    pub files: Vec<FileReport>,
    /// Certificates flagged duplicate_claim across the whole warehouse after this batch.
    pub duplicate_claims: usize,
    /// Entries of the landing folder that are not submissions (hidden and Office lock files, files at the top,
    /// folder loops): not in the ledger, listed here so that nothing under the landing folder goes unmentioned.
    pub ignored: Vec<IgnoredEntry>,
    /// Files an interrupted earlier ingest left (temporary files, files its ledger never named), removed before
    /// this batch started.
    pub leftovers_removed: usize,
    /// Wall time of the batch.
    pub duration: Duration,
}

impl BatchReport {
    fn count(&self, pred: impl Fn(&FileOutcome) -> bool) -> usize {
        self.files.iter().filter(|f| pred(&f.outcome)).count()
    }

    /// Files loaded.
    pub fn files_loaded(&self) -> usize {
        self.count(|o| *o == FileOutcome::Loaded)
    }

    /// Files skipped as already loaded.
    pub fn files_skipped(&self) -> usize {
        self.count(|o| *o == FileOutcome::Skipped)
    }

    /// Files that could not be read.
    pub fn files_unreadable(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Unreadable { .. }))
    }

    /// Earlier files replaced by corrections in this batch.
    pub fn files_superseded(&self) -> usize {
        self.files.iter().map(|f| f.superseded.len()).sum()
    }

    /// Data rows read.
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }

    /// Rows accepted.
    pub fn rows_accepted(&self) -> u64 {
        self.files.iter().map(|f| f.rows_accepted).sum()
    }

    /// Rows rejected.
    pub fn rows_rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rows_rejected).sum()
    }

    /// Rejected rows per reason, over the batch.
    pub fn rejects_by_reason(&self) -> BTreeMap<RejectReason, u64> {
        let mut out = BTreeMap::new();
        for file in &self.files {
            for (reason, n) in &file.rejects_by_reason {
                *out.entry(*reason).or_default() += n;
            }
        }
        out
    }

    /// Whether any row was rejected or any file unreadable (the CLI exits 3).
    pub fn is_partly_rejected(&self) -> bool {
        self.rows_rejected() > 0 || self.files_unreadable() > 0
    }
}

/// Receives progress as files finish, in path order. Implementations must be cheap; they run on the batch's
/// thread.
pub trait Progress {
    /// The batch found `files` files to consider.
    fn started(&self, files: usize) {
        let _ = files;
    }

    /// One file is done.
    fn file_done(&self, report: &FileReport) {
        let _ = report;
    }
}

/// Progress that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
