//! Certificates over time (DESIGN §18): the HR office's registers at the top of a landing folder —
//! `revocations.csv|.xlsx` (`cert_no, revoked_on, reason`: certificates revoked, 撤销/注销) and
//! `renewals.csv|.xlsx` (`cert_no, renewed_on, valid_until`: renewals, 复审, of certificates with a validity period)
//! — → `revocations/`, `revocation_rejects/`, `renewals/`, `renewal_rejects/` (docs/warehouse.md).
//!
//! A register is the office's whole list, not a month's drop: each file loaded replaces the register as last loaded
//! (the ledger marks the previous file `superseded`), and a file whose bytes were loaded before is skipped. Every
//! row ends accepted or rejected with one [`RevocationRejectReason`] (`validate.rs`), rows read = accepted +
//! rejected in the ledger (`input` = `revocations` or `renewals`, agency_id and period empty: the office is not an
//! agency and a register has no month). A register that cannot be read is recorded `unreadable` with a message,
//! like any submission; the batch goes on.
//!
//! The registers are read after the batch's certificate files are committed, so a register may name certificates
//! the same batch brought. A row naming a certificate the warehouse does not (yet) hold is `unknown_cert_no`; the
//! office sends the register again once the certificate is in (any change to the file makes it new).
//!
//! The as-of rule (`date_future`) is checked here against the ingest's as-of date; the build also ignores any
//! event after its own as-of date (`sql/models/certificate_terms.sql`), so a build as of an earlier day is right.

mod store;
mod validate;

use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::ledger::{Ledger, LedgerStatus};
use crate::pending::ledger_entry;
use crate::reference::registry_rows;
use crate::report::{FileOutcome, FileReport};
use crate::validate::mask_ids_in;
use crate::warehouse::{Layout, Lineage, RejectRecord};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use validate::{RegisterCells, RegisterContext, RegisterKind, Seen, cert_key, validate_register_row};

/// Header spellings of the revocation register, in column order: cert_no, revoked_on, reason.
const REVOCATION_HEADERS: [(&str, &[&str]); 3] = [
    ("cert_no", &["cert_no", "证书编号", "证书号"]),
    ("revoked_on", &["revoked_on", "撤销日期", "注销日期", "撤销时间"]),
    ("reason", &["reason", "撤销原因", "注销原因", "原因"]),
];

/// Header spellings of the renewal register, in column order: cert_no, renewed_on, valid_until.
const RENEWAL_HEADERS: [(&str, &[&str]); 3] = [
    ("cert_no", &["cert_no", "证书编号", "证书号"]),
    ("renewed_on", &["renewed_on", "复审日期", "延期日期", "复审时间"]),
    ("valid_until", &["valid_until", "有效期至", "有效期截止日期"]),
];

/// The ledger input of a register.
pub(crate) const fn input_of(kind: RegisterKind) -> Input {
    match kind {
        RegisterKind::Revocations => Input::Revocations,
        RegisterKind::Renewals => Input::Renewals,
    }
}

/// The register a file at the top of a landing folder is, by its name: `revocations.csv|.xlsx` or
/// `renewals.csv|.xlsx` (any case).
pub(crate) fn register_input(path: &Path) -> Option<Input> {
    let stem = path.file_stem().and_then(|s| s.to_str()).map(str::to_ascii_lowercase)?;
    let ext = path.extension().and_then(|s| s.to_str()).map(str::to_ascii_lowercase)?;
    if !matches!(ext.as_str(), "csv" | "xlsx") {
        return None;
    }
    match stem.as_str() {
        "revocations" => Some(Input::Revocations),
        "renewals" => Some(Input::Renewals),
        _ => None,
    }
}

/// Reads, validates and stores the registers found (`(input, path)`, in path order), adding their ledger rows to
/// `ledger` (the caller saves it). Returns one report per file.
pub(crate) fn ingest_registers(
    layout: &Layout,
    registers: &[(Input, PathBuf)],
    as_of: NaiveDate,
    batch_id: &str,
    ledger: &mut Ledger,
) -> Result<Vec<FileReport>> {
    let mut reports = Vec::with_capacity(registers.len());
    for (input, path) in registers {
        let kind = match input {
            Input::Revocations => RegisterKind::Revocations,
            Input::Renewals => RegisterKind::Renewals,
            Input::Certificates | Input::Training | Input::Reported => {
                return Err(IngestError::Internal("a submission as a register"));
            }
        };
        reports.push(ingest_register(layout, kind, path, as_of, batch_id, ledger)?);
        skillhouse_model::fault::point("ingest.register_written");
    }
    Ok(reports)
}

fn ingest_register(
    layout: &Layout,
    kind: RegisterKind,
    path: &Path,
    as_of: NaiveDate,
    batch_id: &str,
    ledger: &mut Ledger,
) -> Result<FileReport> {
    let start = Instant::now();
    let input = input_of(kind);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let extension = Path::new(&name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let mut report = FileReport {
        duration: start.elapsed(),
        ..FileReport::unread(input, path.to_path_buf(), name.clone(), extension, FileOutcome::Skipped)
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            report.outcome = FileOutcome::Unreadable {
                message: format!("文件无法读取 / the file cannot be read from disk ({})", e.kind()),
            };
            return Ok(record(ledger, report, batch_id, LedgerStatus::Unreadable, start));
        }
    };
    report.content_hash = hex::encode(Sha256::digest(&bytes));
    let known = ledger.entries().iter().any(|e| {
        e.input == input
            && e.content_hash == report.content_hash
            && (e.status != LedgerStatus::Unreadable || e.source_file == report.source_file)
    });
    if known {
        report.duration = start.elapsed();
        return Ok(report);
    }
    if report.format == "csv" {
        report.encoding =
            crate::decode::decode_text(&bytes).map(|(_, encoding)| encoding.label().to_string()).unwrap_or_default();
    }
    let (headers, no_header) = match kind {
        RegisterKind::Revocations => {
            (&REVOCATION_HEADERS, "没有含证书编号和撤销日期的表头 / no header with cert_no and revoked_on")
        }
        RegisterKind::Renewals => {
            (&RENEWAL_HEADERS, "没有含证书编号和复审日期的表头 / no header with cert_no and renewed_on")
        }
    };
    let rows = match registry_rows(path, headers, &[0, 1], no_header) {
        Ok(rows) => rows,
        Err(IngestError::ReferenceUnreadable { message, .. }) => {
            report.outcome = FileOutcome::Unreadable { message };
            return Ok(record(ledger, report, batch_id, LedgerStatus::Unreadable, start));
        }
        Err(e) => return Err(e),
    };
    // Blank lines are not rows (as in every submission); every other line is read and ends in one place.
    let rows: Vec<(usize, RegisterCells)> = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .map(|(line, [cert_no, date, extra])| (line, RegisterCells { cert_no, date, extra }))
        .collect();
    let wanted: HashSet<String> = rows.iter().filter_map(|(_, c)| cert_key(&c.cert_no).ok().flatten()).collect();
    let issued = store::issue_dates(layout, &wanted)?;
    let ctx = RegisterContext { kind, issued: &issued, as_of };
    let mut seen = Seen::default();
    let (mut accepted, mut rejects) = (Vec::new(), Vec::new());
    for (line, cells) in &rows {
        let source_row = i64::try_from(*line).unwrap_or(i64::MAX);
        match validate_register_row(cells, &ctx, &mut seen) {
            Ok(row) => accepted.push((source_row, row)),
            Err((reason, field, detail)) => {
                *report.register_rejects_by_reason.entry(reason).or_default() += 1;
                rejects.push(RejectRecord {
                    source_row,
                    reason,
                    field: Some(field),
                    detail,
                    row_json: row_json(kind, cells),
                });
            }
        }
    }
    let lineage = Lineage { source_file: &report.source_file, batch_id, content_hash: &report.content_hash };
    store::write_register(layout, kind, &accepted, &rejects, &lineage)?;
    report.rows_read = rows.len() as u64;
    report.rows_accepted = accepted.len() as u64;
    report.rows_rejected = rejects.len() as u64;
    report.outcome = FileOutcome::Loaded;
    report.superseded = ledger.supersede(input, "", "", &report.content_hash);
    Ok(record(ledger, report, batch_id, LedgerStatus::Loaded, start))
}

/// Adds the file's ledger row.
fn record(
    ledger: &mut Ledger,
    mut report: FileReport,
    batch_id: &str,
    status: LedgerStatus,
    start: Instant,
) -> FileReport {
    report.duration = start.elapsed();
    ledger.push(ledger_entry(&report, batch_id, status));
    report
}

/// The row as read, as a JSON object of column → text (a register holds no personal field).
fn row_json(kind: RegisterKind, cells: &RegisterCells) -> String {
    let headers = match kind {
        RegisterKind::Revocations => &REVOCATION_HEADERS,
        RegisterKind::Renewals => &RENEWAL_HEADERS,
    };
    // An ID number typed into any cell (a swapped column, a reason naming the holder) is masked (DESIGN §7).
    let map: BTreeMap<&str, String> = [headers[0].0, headers[1].0, headers[2].0]
        .into_iter()
        .zip([&cells.cert_no, &cells.date, &cells.extra].map(|cell| mask_ids_in(cell)))
        .collect();
    serde_json::to_string(&map).unwrap_or_default()
}
