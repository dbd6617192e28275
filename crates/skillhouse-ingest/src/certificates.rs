//! The certificate side of a batch's two phases: validating a certificate file's rows (in parallel) and committing
//! it in path order — `duplicate_cert_no` against the warehouse and the files committed before it, its rows queued
//! by issue year (DESIGN §6).

use crate::claims::{CertKeys, KeyRow};
use crate::error::{IngestError, Result};
use crate::field::Field;
use crate::pending::{Commit, PendingFile, RowLookup, empty_report};
use crate::read::{RawTable, ReadError};
use crate::reference::Registry;
use crate::report::{FileOutcome, FileReport};
use crate::validate::{
    AcceptedRow, RowContext, RowOutcome, ValidatedRows, masked_row_json, validate_row, validate_rows,
};
use crate::warehouse::{Layout, RejectRecord};
use chrono::Datelike;
use skillhouse_model::RejectReason;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// A certificate file after the parallel phase.
pub(crate) struct CertificateRead {
    pub(crate) table: RawTable,
    pub(crate) rows_read: u64,
    /// (frame row index, source row, accepted record), in file order.
    accepted: Vec<(usize, i64, AcceptedRow)>,
    /// The fingerprints of each accepted row, computed here in parallel rather than in the sequential commit.
    keys: Vec<KeyRow>,
    rejects: Vec<RejectRecord>,
}

/// Validates every row of a certificate file (in the parallel phase).
pub(crate) fn validate_certificate_table(table: RawTable, ctx: &RowContext<'_>) -> Result<CertificateRead, ReadError> {
    let ValidatedRows { rows_read, accepted, rejects } =
        validate_rows(&table, |cells| match validate_row(cells, ctx) {
            RowOutcome::Accepted(row) => Ok(*row),
            RowOutcome::Rejected(r) => Err((r.reason, r.field, r.detail)),
        })?;
    let keys = accepted.iter().map(|(_, _, row)| key_row(row)).collect();
    Ok(CertificateRead { table, rows_read, accepted, keys, rejects })
}

/// An accepted row's fingerprints, from the values its certificate row will hold.
fn key_row(row: &AcceptedRow) -> KeyRow {
    KeyRow::of(&row.cert_no, &row.person_key, row.occupation_code.as_deref(), row.level.map(|l| l.code()))
}

/// One issue year's kept rows of a file (source row, record) with their fingerprints.
type YearRows = (Vec<(i64, AcceptedRow)>, Vec<KeyRow>);

/// Commits a certificate file in path order: duplicate numbers, the slice's replacement, its files queued.
pub(crate) fn commit_certificates(
    read: CertificateRead,
    registry: &Registry,
    layout: &Layout,
    index: &mut CertKeys,
    commit: Commit<'_>,
    elapsed: Duration,
) -> Result<FileReport> {
    let CertificateRead { table, rows_read, accepted, keys, mut rejects } = read;
    let job = commit.job;
    // The slice being replaced no longer counts for duplicates: a correction's numbers are not duplicates of
    // the rows they replace.
    index.remove_slice(&job.agency_id, &job.period, commit.hash12())?;
    let mut seen: HashSet<u128> = HashSet::with_capacity(accepted.len());
    let mut duplicate = vec![false; accepted.len()];
    let mut duplicate_rows: Vec<(usize, i64, &str)> = Vec::new();
    for (i, ((row_index, source_row, row), key)) in accepted.iter().zip(&keys).enumerate() {
        if !seen.insert(key.cert()) || index.contains(key.cert())? {
            duplicate[i] = true;
            duplicate_rows.push((*row_index, *source_row, row.cert_no.as_str()));
        }
    }
    if !duplicate_rows.is_empty() {
        let lookup = RowLookup::new(&table).map_err(|e| IngestError::parquet(&job.path, e))?;
        for (row_index, source_row, cert_no) in duplicate_rows {
            rejects.push(RejectRecord {
                source_row,
                reason: RejectReason::DuplicateCertNo,
                field: Some(Field::CertNo.code()),
                detail: format!("{} ({cert_no})", RejectReason::DuplicateCertNo.explanation()),
                row_json: masked_row_json(&lookup.row(row_index)),
            });
        }
        rejects.sort_by_key(|r| r.source_row);
    }
    // The kept rows by issue year, with their fingerprints; their files are built and written with the window's.
    let mut by_year: BTreeMap<i32, YearRows> = BTreeMap::new();
    for (((_, source_row, row), key), duplicate) in accepted.into_iter().zip(keys).zip(duplicate) {
        if !duplicate {
            let (rows, keys) = by_year.entry(row.issue_date.year()).or_default();
            rows.push((source_row, row));
            keys.push(key);
        }
    }
    let rows_accepted: u64 = by_year.values().map(|(rows, _)| rows.len() as u64).sum();
    let mut commit = commit;
    let pending_before = commit.pending.len();
    if !by_year.is_empty() {
        let agency = registry
            .get(&job.agency_id)
            .ok_or(IngestError::Internal("accepted rows from an agency missing in the registry"))?;
        let (stem, lineage) = (commit.stem(), commit.lineage());
        for (year, (rows, keys)) in by_year {
            let path = layout.year_dir(year).join(format!("{stem}.parquet"));
            index.add_file(&path, &keys)?;
            let file = PendingFile::Certificates { rows, agency: agency.clone(), lineage: lineage.clone() };
            commit.pending.push((path, file));
        }
    }
    let mut rejects_by_reason: BTreeMap<RejectReason, u64> = BTreeMap::new();
    for reject in &rejects {
        *rejects_by_reason.entry(reject.reason).or_default() += 1;
    }
    let rows_rejected = rejects.len() as u64;
    commit.push_rejects(&layout.rejects_dir(), rejects.into_iter().map(RejectRecord::coded).collect());
    let mut report = empty_report(job, commit.content_hash, FileOutcome::Loaded, elapsed);
    report.encoding = table.encoding.to_string();
    report.rows_read = rows_read;
    report.rows_accepted = rows_accepted;
    report.rows_rejected = rows_rejected;
    report.rejects_by_reason = rejects_by_reason;
    commit.finish(pending_before, report)
}
