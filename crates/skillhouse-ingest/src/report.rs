//! What a batch did, file by file, for the CLI summary, the nightly run report and tests.

use crate::field::Input;
pub use crate::landing::IgnoredEntry;
use skillhouse_model::{RejectReason, ReportedRejectReason, RevocationRejectReason, TrainingRejectReason};
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
    /// Certificates, training or reported figures.
    pub input: Input,
    /// The file as given on disk.
    pub path: PathBuf,
    /// Landing-relative path, `<agency_id>/<file name>` (`training/<provider_id>/<file name>`).
    pub source_file: String,
    /// Agency (folder name); for a training file, its provider.
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
    /// Rejected rows of a certificate file per reason.
    pub rejects_by_reason: BTreeMap<RejectReason, u64>,
    /// Rejected rows of a training file per reason.
    pub training_rejects_by_reason: BTreeMap<TrainingRejectReason, u64>,
    /// Rejected rows of a reported-figures file per reason (DESIGN §17).
    pub reported_rejects_by_reason: BTreeMap<ReportedRejectReason, u64>,
    /// Rejected rows per reason of a revocation or renewal register (DESIGN §18).
    pub register_rejects_by_reason: BTreeMap<RevocationRejectReason, u64>,
    /// Source files of the same agency and month this file replaced.
    pub superseded: Vec<String>,
    /// Wall time spent on the file.
    pub duration: Duration,
}

impl FileReport {
    /// The report of a file of `input` at `path` before any row is read: no agency, period, hash or encoding yet,
    /// no rows, nothing superseded.
    pub(crate) fn unread(
        input: Input,
        path: PathBuf,
        source_file: String,
        format: String,
        outcome: FileOutcome,
    ) -> Self {
        Self {
            input,
            path,
            source_file,
            agency_id: String::new(),
            period: String::new(),
            content_hash: String::new(),
            format,
            encoding: String::new(),
            outcome,
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rejects_by_reason: BTreeMap::new(),
            training_rejects_by_reason: BTreeMap::new(),
            reported_rejects_by_reason: BTreeMap::new(),
            register_rejects_by_reason: BTreeMap::new(),
            superseded: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    /// Rejected rows per reason code, whichever the input.
    pub fn reject_codes(&self) -> BTreeMap<&'static str, u64> {
        let certificates = self.rejects_by_reason.iter().map(|(r, n)| (r.code(), *n));
        certificates
            .chain(self.training_rejects_by_reason.iter().map(|(r, n)| (r.code(), *n)))
            .chain(self.reported_rejects_by_reason.iter().map(|(r, n)| (r.code(), *n)))
            .chain(self.register_rejects_by_reason.iter().map(|(r, n)| (r.code(), *n)))
            .collect()
    }
}

/// What a batch did with the files of one input: the figures of the CLI summary and the rebuild report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct InputTotals {
    /// Files loaded.
    pub files_loaded: usize,
    /// Files skipped as already loaded.
    pub files_skipped: usize,
    /// Earlier files replaced by corrections.
    pub files_superseded: usize,
    /// Files that could not be read.
    pub files_unreadable: usize,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows rejected (`rows_read = rows_accepted + rows_rejected`).
    pub rows_rejected: u64,
    /// Rejected rows per reason code.
    pub rejects_by_reason: BTreeMap<String, u64>,
}

/// The result of one [`crate::ingest`] call.
#[derive(Debug, Clone, Default)]
pub struct BatchReport {
    /// Identifier stamped on every row written.
    pub batch_id: String,
    /// Every file considered, in path order: certificate files, then training files.
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
    fn certificates(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| f.input == Input::Certificates)
    }

    fn count(&self, pred: impl Fn(&FileOutcome) -> bool) -> usize {
        self.certificates().filter(|f| pred(&f.outcome)).count()
    }

    /// Certificate files loaded (training files: [`BatchReport::totals`]).
    pub fn files_loaded(&self) -> usize {
        self.count(|o| *o == FileOutcome::Loaded)
    }

    /// Certificate files skipped as already loaded.
    pub fn files_skipped(&self) -> usize {
        self.count(|o| *o == FileOutcome::Skipped)
    }

    /// Certificate files that could not be read.
    pub fn files_unreadable(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Unreadable { .. }))
    }

    /// Earlier certificate files replaced by corrections in this batch.
    pub fn files_superseded(&self) -> usize {
        self.certificates().map(|f| f.superseded.len()).sum()
    }

    /// Certificate rows read.
    pub fn rows_read(&self) -> u64 {
        self.certificates().map(|f| f.rows_read).sum()
    }

    /// Certificate rows accepted.
    pub fn rows_accepted(&self) -> u64 {
        self.certificates().map(|f| f.rows_accepted).sum()
    }

    /// Certificate rows rejected.
    pub fn rows_rejected(&self) -> u64 {
        self.certificates().map(|f| f.rows_rejected).sum()
    }

    /// Rejected certificate rows per reason, over the batch.
    pub fn rejects_by_reason(&self) -> BTreeMap<RejectReason, u64> {
        let mut out = BTreeMap::new();
        for file in self.certificates() {
            for (reason, n) in &file.rejects_by_reason {
                *out.entry(*reason).or_default() += n;
            }
        }
        out
    }

    /// What the batch did with the files of one input.
    pub fn totals(&self, input: Input) -> InputTotals {
        let mut totals = InputTotals::default();
        for file in self.files.iter().filter(|f| f.input == input) {
            match file.outcome {
                FileOutcome::Loaded => totals.files_loaded += 1,
                FileOutcome::Skipped => totals.files_skipped += 1,
                FileOutcome::Unreadable { .. } => totals.files_unreadable += 1,
            }
            totals.files_superseded += file.superseded.len();
            totals.rows_read += file.rows_read;
            totals.rows_accepted += file.rows_accepted;
            totals.rows_rejected += file.rows_rejected;
            for (code, n) in file.reject_codes() {
                *totals.rejects_by_reason.entry(code.to_string()).or_default() += n;
            }
        }
        totals
    }

    /// Whether any row was rejected or any file unreadable, of either input (the CLI exits 3).
    pub fn is_partly_rejected(&self) -> bool {
        self.files.iter().any(|f| f.rows_rejected > 0 || matches!(f.outcome, FileOutcome::Unreadable { .. }))
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
