//! Training records (DESIGN §16): `landing/training/<provider_id>/<YYYY-MM>.<ext>` → `training/end_year=YYYY/`,
//! `training_rejects/` and `providers/` (docs/warehouse.md).
//!
//! A training file goes through the batch exactly as a certificate file does — found in path order (after the
//! certificate files), read in parallel by the same readers (every format and encoding, header spellings from the
//! alias file's `[training_fields]`), committed one by one in path order, written with the window, named in the
//! ledger (`input` = `training`), skipped when its bytes were loaded before, replacing its provider's month when
//! it is a correction, recorded unreadable with a message when it cannot be read. What differs is the row:
//! [`validate_training_row`] checks §16's rules in §16's order, and the commit here adds the two rules that need
//! the batch and the warehouse — `duplicate_enrolment` and `voucher_reused` ([`keys`]).

mod keys;
mod store;
mod validate;

pub(crate) use keys::{TrainingKeys, TrainingPrints};
pub(crate) use store::{read_providers, training_frame, write_providers};
pub use validate::{TrainingContext, TrainingOutcome, TrainingRejection, TrainingRow, validate_training_row};

use crate::error::{IngestError, Result};
use crate::field::{Field, Input};
use crate::pending::{Commit, PendingFile, RowLookup};
use crate::read::{RawTable, ReadError};
use crate::reference::Providers;
use crate::report::{FileOutcome, FileReport};
use crate::validate::{ValidatedRows, masked_row_json, validate_rows};
use crate::warehouse::{Layout, RejectRecord, SliceFiles};
use chrono::Datelike;
use skillhouse_model::TrainingRejectReason as Reason;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// A training file after the parallel phase: its rows validated, its accepted rows' fingerprints taken.
pub(crate) struct TrainingRead {
    pub(crate) table: RawTable,
    pub(crate) rows_read: u64,
    /// (frame row index, source row, accepted record), in file order.
    accepted: Vec<(usize, i64, TrainingRow)>,
    prints: Vec<TrainingPrints>,
    rejects: Vec<RejectRecord<Reason>>,
}

/// Validates every row of a training file (in the parallel phase).
pub(crate) fn validate_training_table(table: RawTable, ctx: &TrainingContext<'_>) -> Result<TrainingRead, ReadError> {
    let ValidatedRows { rows_read, accepted, rejects } =
        validate_rows(&table, |cells| match validate_training_row(cells, ctx) {
            TrainingOutcome::Accepted(row) => Ok(*row),
            TrainingOutcome::Rejected(r) => Err((r.reason, r.field, r.detail)),
        })?;
    let prints = accepted
        .iter()
        .map(|(_, _, row)| {
            TrainingPrints::of(ctx.folder_provider, &row.class_id, &row.person_key, row.voucher_no.as_deref())
        })
        .collect();
    Ok(TrainingRead { table, rows_read, accepted, prints, rejects })
}

/// One end year's kept rows of a file (source row, record) with their fingerprints.
type YearRows = (Vec<(i64, TrainingRow)>, Vec<TrainingPrints>);

/// What the batch keeps about training while it commits.
pub(crate) struct TrainingState {
    /// The warehouse's training and training-reject files by slice.
    pub(crate) slice_files: SliceFiles,
    /// The enrolments and vouchers of the warehouse, read when the first training file is committed.
    keys: Option<TrainingKeys>,
    /// The slices of the batch's training files: the ones a correction may replace.
    candidates: HashSet<(String, String)>,
    memory_prints: usize,
}

impl TrainingState {
    /// Lists the warehouse's training files; `candidates` are the batch's training slices.
    pub(crate) fn new(layout: &Layout, candidates: HashSet<(String, String)>, memory_prints: usize) -> Result<Self> {
        Ok(Self { slice_files: SliceFiles::load(layout, Input::Training)?, keys: None, candidates, memory_prints })
    }

    /// The keys (read on first use: a batch without a training file to commit never reads them) and the files.
    pub(crate) fn keys_and_files(&mut self, layout: &Layout) -> Result<(&mut TrainingKeys, &mut SliceFiles)> {
        if self.keys.is_none() {
            let start = std::time::Instant::now();
            let keys = TrainingKeys::load(layout, self.candidates.clone(), self.memory_prints)?;
            tracing::debug!(ms = start.elapsed().as_millis() as u64, "training keys read");
            skillhouse_model::fault::point("ingest.training_keys");
            self.keys = Some(keys);
        }
        let keys = self.keys.as_mut().ok_or(IngestError::Internal("training keys just loaded"))?;
        Ok((keys, &mut self.slice_files))
    }
}

/// Commits a training file in path order: the slice it corrects leaves the keys, `duplicate_enrolment` and
/// `voucher_reused` are judged row by row in file order against the warehouse and the files committed before it,
/// and its files are queued. `keys` has been made ready by the caller.
pub(crate) fn commit_training(
    read: TrainingRead,
    providers: &Providers,
    layout: &Layout,
    keys: &mut TrainingKeys,
    commit: Commit<'_>,
    elapsed: Duration,
) -> Result<FileReport> {
    let TrainingRead { table, rows_read, accepted, prints, mut rejects } = read;
    let job = commit.job;
    // The slice being replaced no longer counts: a correction's rows are not duplicates or reuses of the rows
    // they replace.
    keys.remove_slice(&job.agency_id, &job.period, commit.hash12())?;
    let mut in_file: HashSet<u128> = HashSet::with_capacity(accepted.len() * 2);
    let mut refused: Vec<Option<Reason>> = Vec::with_capacity(accepted.len());
    for row in &prints {
        let reason = if in_file.contains(&row.enrolment) || keys.contains(row.enrolment)? {
            Some(Reason::DuplicateEnrolment)
        } else if let Some(voucher) = row.voucher
            && (in_file.contains(&voucher) || keys.contains(voucher)?)
        {
            Some(Reason::VoucherReused)
        } else {
            // Accepted: from now on its enrolment and voucher are taken.
            in_file.insert(row.enrolment);
            in_file.extend(row.voucher);
            None
        };
        refused.push(reason);
    }
    if refused.iter().any(Option::is_some) {
        let lookup = RowLookup::new(&table).map_err(|e| IngestError::parquet(&job.path, e))?;
        for ((row_index, source_row, row), reason) in accepted.iter().zip(&refused) {
            let Some(reason) = *reason else { continue };
            let (field, what) = match reason {
                Reason::DuplicateEnrolment => (Field::ClassId, row.class_id.as_str()),
                _ => (Field::VoucherNo, row.voucher_no.as_deref().unwrap_or_default()),
            };
            rejects.push(RejectRecord {
                source_row: *source_row,
                reason,
                field: Some(field.code()),
                detail: format!("{} ({what})", reason.explanation()),
                row_json: masked_row_json(&lookup.row(*row_index)),
            });
        }
        rejects.sort_by_key(|r| r.source_row);
    }
    let mut by_year: BTreeMap<i32, YearRows> = BTreeMap::new();
    for (((_, source_row, row), print), reason) in accepted.into_iter().zip(prints).zip(refused) {
        if reason.is_none() {
            let (rows, prints) = by_year.entry(row.end_date.year()).or_default();
            rows.push((source_row, row));
            prints.push(print);
        }
    }
    let rows_accepted: u64 = by_year.values().map(|(rows, _)| rows.len() as u64).sum();
    let mut commit = commit;
    let pending_before = commit.pending.len();
    if !by_year.is_empty() {
        let provider = providers
            .get(&job.agency_id)
            .ok_or(IngestError::Internal("accepted rows from a provider missing in the registry"))?;
        let (stem, lineage) = (commit.stem(), commit.lineage());
        let mut kept = Vec::new();
        for (year, (rows, prints)) in by_year {
            let path = layout.training_year_dir(year).join(format!("{stem}.parquet"));
            kept.extend(prints);
            let file = PendingFile::Training { rows, provider: provider.clone(), lineage: lineage.clone() };
            commit.pending.push((path, file));
        }
        keys.add(&job.agency_id, &job.period, commit.hash12(), &kept)?;
    }
    let mut rejects_by_reason: BTreeMap<Reason, u64> = BTreeMap::new();
    for reject in &rejects {
        *rejects_by_reason.entry(reject.reason).or_default() += 1;
    }
    let rows_rejected = rejects.len() as u64;
    let coded = rejects.into_iter().map(RejectRecord::coded).collect();
    commit.push_rejects(&layout.training_rejects_dir(), coded);
    let mut report = crate::pending::empty_report(job, commit.content_hash, FileOutcome::Loaded, elapsed);
    report.encoding = table.encoding.to_string();
    report.rows_read = rows_read;
    report.rows_accepted = rows_accepted;
    report.rows_rejected = rows_rejected;
    report.training_rejects_by_reason = rejects_by_reason;
    commit.finish(pending_before, report)
}
