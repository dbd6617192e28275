//! What a committed file leaves behind before it is written: its ledger entry and report, and its Parquet files
//! waiting to be built and written at the end of the window (in parallel: only deciding which rows are kept needs
//! path order). Shared by the certificate and training commits.

use crate::error::{IngestError, Result};
use crate::field::{FIELD_COUNT, Field};
use crate::landing::FileJob;
use crate::ledger::{Ledger, LedgerEntry, LedgerStatus};
use crate::read::{RawTable, RowCells};
use crate::reference::Provider;
use crate::report::{FileOutcome, FileReport};
use crate::training::{TrainingRow, training_frame};
use crate::validate::AcceptedRow;
use crate::warehouse::{
    Lineage, RejectRecord, SliceFiles, SliceName, certificates_frame, rejects_frame, write_parquet,
};
use chrono::Utc;
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Records a file that could not be used as unreadable, with its message.
pub(crate) fn unreadable(
    ledger: &mut Ledger,
    job: &FileJob,
    content_hash: &str,
    encoding: String,
    message: String,
    batch_id: &str,
    elapsed: Duration,
) -> FileReport {
    let mut report = empty_report(job, content_hash, FileOutcome::Unreadable { message }, elapsed);
    report.encoding = encoding;
    ledger.push(ledger_entry(&report, batch_id, LedgerStatus::Unreadable));
    report
}

pub(crate) fn empty_report(job: &FileJob, content_hash: &str, outcome: FileOutcome, elapsed: Duration) -> FileReport {
    FileReport {
        agency_id: job.agency_id.clone(),
        period: job.period.clone(),
        content_hash: content_hash.to_string(),
        duration: elapsed,
        ..FileReport::unread(
            job.input,
            job.path.clone(),
            job.source_file.clone(),
            job.format.map_or_else(|| job.extension.clone(), |f| f.label().to_string()),
            outcome,
        )
    }
}

pub(crate) fn ledger_entry(report: &FileReport, batch_id: &str, status: LedgerStatus) -> LedgerEntry {
    let readable = status != LedgerStatus::Unreadable;
    let count = |n: u64| readable.then(|| i64::try_from(n).unwrap_or(i64::MAX));
    LedgerEntry {
        source_file: report.source_file.clone(),
        content_hash: report.content_hash.clone(),
        agency_id: report.agency_id.clone(),
        period: report.period.clone(),
        format: report.format.clone(),
        encoding: report.encoding.clone(),
        batch_id: batch_id.to_string(),
        status,
        rows_read: count(report.rows_read),
        rows_accepted: count(report.rows_accepted),
        rows_rejected: count(report.rows_rejected),
        rejects_by_reason: report
            .reject_codes()
            .into_iter()
            .map(|(code, n)| (code.to_string(), i64::try_from(n).unwrap_or(i64::MAX)))
            .collect(),
        message: match &report.outcome {
            FileOutcome::Unreadable { message } => Some(message.clone()),
            _ => None,
        },
        superseded_by: None,
        ingested_at: Utc::now(),
        duration_ms: i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX),
        input: report.input,
    }
}

/// Lineage columns of a file's rows, owned until its files are built.
#[derive(Debug, Clone)]
pub(crate) struct OwnedLineage {
    pub(crate) source_file: String,
    pub(crate) batch_id: String,
    pub(crate) content_hash: String,
}

impl OwnedLineage {
    pub(crate) fn borrow(&self) -> Lineage<'_> {
        Lineage { source_file: &self.source_file, batch_id: &self.batch_id, content_hash: &self.content_hash }
    }
}

/// A committed file's rows, built into a Parquet file and written at the end of the window, in parallel: only
/// deciding which rows are kept needs path order.
pub(crate) enum PendingFile {
    /// One issue year's kept rows.
    Certificates { rows: Vec<(i64, AcceptedRow)>, agency: crate::reference::Agency, lineage: OwnedLineage },
    /// One end year's kept trainee rows.
    Training { rows: Vec<(i64, TrainingRow)>, provider: Provider, lineage: OwnedLineage },
    /// Rejected rows of either input, by reason code.
    Rejects { rejects: Vec<RejectRecord<&'static str>>, lineage: OwnedLineage, agency_id: String, period: String },
}

impl PendingFile {
    /// Sorts the rows (by the columns the indicators filter and group on), builds the frame and writes it.
    pub(crate) fn write(self, path: &Path) -> Result<()> {
        let mut frame = match self {
            PendingFile::Certificates { mut rows, agency, lineage } => {
                rows.sort_by(|(_, a), (_, b)| {
                    (a.issue_date, a.cert_type.code(), a.level.map_or(0, |l| l.rank()), &a.cert_no).cmp(&(
                        b.issue_date,
                        b.cert_type.code(),
                        b.level.map_or(0, |l| l.rank()),
                        &b.cert_no,
                    ))
                });
                let rows: Vec<(i64, &AcceptedRow)> = rows.iter().map(|(line, row)| (*line, row)).collect();
                certificates_frame(&rows, &agency, &lineage.borrow())
            }
            PendingFile::Training { mut rows, provider, lineage } => {
                // The provider (so its region) is the same on every row: sorted by end date, then class.
                rows.sort_by(|(la, a), (lb, b)| (a.end_date, &a.class_id, la).cmp(&(b.end_date, &b.class_id, lb)));
                training_frame(&rows, &provider, &lineage.borrow())
            }
            PendingFile::Rejects { rejects, lineage, agency_id, period } => {
                rejects_frame(&rejects, &lineage.borrow(), &agency_id, &period)
            }
        }
        .map_err(|e| IngestError::parquet(path, e))?;
        write_parquet(path, &mut frame)
    }
}

/// Random access to a table's rows, for the few rows rejected as duplicates after validation.
pub(crate) struct RowLookup {
    columns: Vec<(usize, StringChunked)>,
}

impl RowLookup {
    pub(crate) fn new(table: &RawTable) -> PolarsResult<Self> {
        let mut columns = Vec::new();
        for field in Field::ALL {
            if let Ok(column) = table.frame.column(field.code()) {
                columns.push((field.index(), column.str()?.rechunk().into_owned()));
            }
        }
        Ok(Self { columns })
    }

    pub(crate) fn row(&self, index: usize) -> RowCells<'_> {
        let mut cells: RowCells<'_> = [None; FIELD_COUNT];
        for (field, column) in &self.columns {
            cells[*field] = column.get(index);
        }
        cells
    }
}

/// A file being committed: what it replaces and records, shared by the certificate and training commits.
pub(crate) struct Commit<'a> {
    pub(crate) job: &'a FileJob,
    pub(crate) content_hash: &'a str,
    pub(crate) batch_id: &'a str,
    pub(crate) ledger: &'a mut Ledger,
    /// The warehouse's data files of the file's input, by slice.
    pub(crate) slice_files: &'a mut SliceFiles,
    pub(crate) pending: &'a mut Vec<(PathBuf, PendingFile)>,
    pub(crate) superseded_files: &'a mut Vec<PathBuf>,
}

impl Commit<'_> {
    /// The first 12 hex characters of the file's SHA-256.
    pub(crate) fn hash12(&self) -> &str {
        &self.content_hash[..self.content_hash.len().min(12)]
    }

    /// `<agency_id>__<YYYY-MM>__<hash12>`: the stem of the file's Parquet files.
    pub(crate) fn stem(&self) -> String {
        SliceName::stem(&self.job.agency_id, &self.job.period, self.content_hash)
    }

    /// The lineage stamped on the file's rows.
    pub(crate) fn lineage(&self) -> OwnedLineage {
        OwnedLineage {
            source_file: self.job.source_file.clone(),
            batch_id: self.batch_id.to_string(),
            content_hash: self.content_hash.to_string(),
        }
    }

    /// Queues the file's rejects (if any) for writing under `dir`.
    pub(crate) fn push_rejects(&mut self, dir: &Path, rejects: Vec<RejectRecord<&'static str>>) {
        if rejects.is_empty() {
            return;
        }
        let path = dir.join(format!("{}.parquet", self.stem()));
        let (agency_id, period) = (self.job.agency_id.clone(), self.job.period.clone());
        self.pending.push((path, PendingFile::Rejects { rejects, lineage: self.lineage(), agency_id, period }));
    }

    /// Finishes a loaded file: the files queued since `pending_before` become its slice's, the slice's earlier
    /// files and ledger rows are superseded, and its ledger entry is recorded (the rows conserved, or a bug).
    pub(crate) fn finish(self, pending_before: usize, mut report: FileReport) -> Result<FileReport> {
        let (job, hash12) = (self.job, &self.content_hash[..self.content_hash.len().min(12)]);
        self.superseded_files.extend(self.slice_files.supersede(&job.agency_id, &job.period, hash12));
        for (path, _) in &self.pending[pending_before..] {
            self.slice_files.add(path.clone());
        }
        report.superseded = self.ledger.supersede(job.input, &job.agency_id, &job.period, self.content_hash);
        if report.rows_read != report.rows_accepted + report.rows_rejected {
            return Err(IngestError::Internal("row conservation broken: read ≠ accepted + rejected"));
        }
        self.ledger.push(ledger_entry(&report, self.batch_id, LedgerStatus::Loaded));
        Ok(report)
    }
}
