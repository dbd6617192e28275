//! The HR office's registers (DESIGN §18): `revocations.csv` and `renewals.csv` beside the agency folders — every
//! reason code, rows conserved, the ledger (`input` = `revocations` / `renewals`), the stored Parquet, a register
//! loaded once and replaced by a later one, and an unreadable register recorded without stopping the batch.
//!
//! The certificates are the committed fixture drop's (`tests/fixtures/landing`, as of 2025-06-30): accepted among
//! them Y000141000001244000016 (issued 2024-06-01), ZX-2024-0001 (2024-06-02), Y000141000001243000040 (2024-05-06)
//! and ZX-2024-0002 (2024-05-07).

use crate::fixtures::{self, date};
use crate::{file, run, strings};
use skillhouse_ingest::{FileOutcome, Input, Layout, Ledger, LedgerStatus, read_parquet};
use skillhouse_model::RevocationRejectReason as Reason;
use std::collections::BTreeMap;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("list folder") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// One row per reason, in the register's order (line numbers: header = 1). The blank line is not a row.
const REVOCATIONS: &str = "证书编号,撤销日期,撤销原因\n\
    Y000141000001244000016,2024-07-01,弄虚作假\n\
    y000141000001243000040,2024/8/1,\n\
    NOPE-0001,2024-07-01,x\n\
    ZX-2024-0001,2024-05-01,x\n\
    ZX-2024-0002,2025-07-01,x\n\
    Y000141000001244000016,2024-09-01,again\n\
    ,2024-07-01,x\n\
    \n\
    ZX-2024-0001,someday,x\n\
    ZX-2024\u{7}-0001,2024-07-01,x\n";

const RENEWALS: &str = "cert_no,renewed_on,valid_until\n\
    ZX-2024-0002,2025-05-07,2031-05-06\n\
    ZX-2024-0002,2025-05-07,\n\
    ZX-2024-0002,2025-05-08,2025-05-08\n";

fn codes(pairs: &[(Reason, u64)]) -> BTreeMap<&'static str, u64> {
    pairs.iter().map(|(r, n)| (r.code(), *n)).collect()
}

#[test]
fn every_reason_rows_conserved_ledger_and_parquet() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let landing = tmp.path().join("landing");
    copy_dir(&fixtures::fixtures_dir().join("landing"), &landing);
    std::fs::write(landing.join("revocations.csv"), REVOCATIONS).expect("write revocations");
    std::fs::write(landing.join("renewals.csv"), RENEWALS).expect("write renewals");
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing.clone()]));

    let revocations = file(&report, "revocations.csv");
    assert_eq!(revocations.input, Input::Revocations);
    assert_eq!(revocations.outcome, FileOutcome::Loaded);
    assert_eq!((revocations.rows_read, revocations.rows_accepted, revocations.rows_rejected), (9, 2, 7));
    assert_eq!(
        revocations.reject_codes(),
        codes(&[
            (Reason::MissingField, 1),
            (Reason::DateInvalid, 1),
            (Reason::CertNoFormat, 1),
            (Reason::UnknownCertNo, 1),
            (Reason::DateBeforeIssue, 1),
            (Reason::DateFuture, 1),
            (Reason::DuplicateRevocation, 1),
        ])
    );
    let renewals = file(&report, "renewals.csv");
    assert_eq!(renewals.input, Input::Renewals);
    assert_eq!((renewals.rows_read, renewals.rows_accepted, renewals.rows_rejected), (3, 1, 2));
    assert_eq!(renewals.reject_codes(), codes(&[(Reason::ValidUntilBeforeRenewal, 1), (Reason::DuplicateRenewal, 1)]));
    // The registers do not count among the certificate files.
    assert_eq!(report.files_loaded(), 5);

    // The ledger: one loaded row per register, rows conserved, reasons by code.
    let layout = Layout::new(&warehouse);
    let ledger = Ledger::load(&layout).expect("ledger");
    let entry = ledger.entries().iter().find(|e| e.input == Input::Revocations).expect("revocations in the ledger");
    assert_eq!(entry.status, LedgerStatus::Loaded);
    assert_eq!((entry.agency_id.as_str(), entry.period.as_str(), entry.format.as_str()), ("", "", "csv"));
    assert_eq!(entry.rows_read, Some(9));
    assert_eq!(entry.rows_accepted.zip(entry.rows_rejected).map(|(a, r)| a + r), entry.rows_read);
    assert_eq!(entry.rejects_by_reason.get("unknown_cert_no"), Some(&1));
    assert!(ledger.entries().iter().any(|e| e.input == Input::Renewals && e.rows_read == Some(3)));

    // The accepted rows, in the warehouse's normal form, with their lines.
    let stored = read_parquet(&warehouse.join("revocations/revocations.parquet"), None).expect("revocations parquet");
    assert_eq!(
        strings(&stored, "cert_no"),
        [Some("Y000141000001244000016".to_string()), Some("Y000141000001243000040".to_string())]
    );
    assert_eq!(strings(&stored, "reason"), [Some("弄虚作假".to_string()), None]);
    let revoked_on = stored.column("revoked_on").expect("revoked_on").date().expect("date").physical().clone();
    let days: Vec<Option<i32>> = revoked_on.iter().collect();
    let epoch = date(1970, 1, 1);
    assert_eq!(
        days,
        [Some((date(2024, 7, 1) - epoch).num_days() as i32), Some((date(2024, 8, 1) - epoch).num_days() as i32)]
    );
    let rows: Vec<i64> =
        stored.column("source_row").expect("source_row").i64().expect("i64").into_no_null_iter().collect();
    assert_eq!(rows, [2, 3]);

    // The rejected rows: reason and line of each, rows conserved (2 + 7 = 9).
    let rejects =
        read_parquet(&warehouse.join("revocation_rejects/revocation_rejects.parquet"), None).expect("rejects");
    let reasons: Vec<(i64, String)> = rejects
        .column("source_row")
        .expect("source_row")
        .i64()
        .expect("i64")
        .into_no_null_iter()
        .zip(strings(&rejects, "reason").into_iter().flatten())
        .collect();
    assert_eq!(
        reasons,
        [
            (4, "unknown_cert_no".to_string()),
            (5, "date_before_issue".to_string()),
            (6, "date_future".to_string()),
            (7, "duplicate_revocation".to_string()),
            (8, "missing_field".to_string()),
            (10, "date_invalid".to_string()),
            (11, "cert_no_format".to_string()),
        ]
    );
    assert!(strings(&rejects, "source_file").iter().all(|f| f.as_deref() == Some("revocations.csv")));
    let renewed = read_parquet(&warehouse.join("renewals/renewals.parquet"), None).expect("renewals parquet");
    assert_eq!(renewed.height(), 1);
    assert_eq!(renewed.column("valid_until").expect("valid_until").null_count(), 0);

    // The same registers again: skipped, no new ledger row.
    let again = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    assert_eq!(file(&again, "revocations.csv").outcome, FileOutcome::Skipped);
    assert_eq!(Ledger::load(&layout).expect("ledger").entries().len(), ledger.entries().len());

    // A new register replaces the one last loaded: the old file is superseded, the stored rows are the new ones.
    std::fs::write(landing.join("revocations.csv"), "cert_no,revoked_on,reason\nZX-2024-0001,2024-07-01,fraud\n")
        .expect("rewrite revocations");
    let third = run(&fixtures::options(&warehouse, vec![landing]));
    let replaced = file(&third, "revocations.csv");
    assert_eq!(
        (replaced.outcome.clone(), replaced.rows_accepted, replaced.superseded.len()),
        (FileOutcome::Loaded, 1, 1)
    );
    let ledger = Ledger::load(&layout).expect("ledger");
    let statuses: Vec<LedgerStatus> =
        ledger.entries().iter().filter(|e| e.input == Input::Revocations).map(|e| e.status).collect();
    assert_eq!(statuses, [LedgerStatus::Superseded, LedgerStatus::Loaded]);
    let stored = read_parquet(&warehouse.join("revocations/revocations.parquet"), None).expect("revocations parquet");
    assert_eq!(strings(&stored, "cert_no"), [Some("ZX-2024-0001".to_string())]);
    let rejects =
        read_parquet(&warehouse.join("revocation_rejects/revocation_rejects.parquet"), None).expect("rejects");
    assert_eq!(rejects.height(), 0, "the old register's rejects went with it");
}

#[test]
fn a_register_without_its_header_is_unreadable_and_the_batch_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let landing = tmp.path().join("landing");
    copy_dir(&fixtures::fixtures_dir().join("landing"), &landing);
    std::fs::write(landing.join("revocations.csv"), "a,b,c\n1,2,3\n").expect("write revocations");
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    let register = file(&report, "revocations.csv");
    assert!(matches!(&register.outcome, FileOutcome::Unreadable { message } if message.contains("revoked_on")));
    assert_eq!(report.files_loaded(), 5, "the certificate files are loaded all the same");
    let ledger = Ledger::load(&Layout::new(&warehouse)).expect("ledger");
    let entry = ledger.entries().iter().find(|e| e.input == Input::Revocations).expect("recorded");
    assert_eq!((entry.status, entry.rows_read), (LedgerStatus::Unreadable, None));
    assert!(!warehouse.join("revocations/revocations.parquet").exists());
}

/// Issue 27 for the registers: an ID number typed into a register — in the number's column, in the reason, inside
/// text — reaches no warehouse file unmasked, and a register linked out of the landing folder is refused unread.
#[cfg(unix)]
#[test]
fn ids_typed_into_a_register_are_masked_and_a_linked_register_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let landing = tmp.path().join("landing");
    copy_dir(&fixtures::fixtures_dir().join("landing"), &landing);
    let id = fixtures::persons().p1;
    let register = format!(
        "证书编号,撤销日期,撤销原因\n\
         Y000141000001244000016,2024-07-01,持证人{id}材料造假\n\
         {id},2024-07-01,x\n\
         ZX-2024-0001,2024-07-01,{id}\n"
    );
    std::fs::write(landing.join("revocations.csv"), register).expect("write revocations");
    let outside = tmp.path().join("elsewhere.csv");
    std::fs::write(&outside, format!("cert_no,renewed_on,valid_until\nZX-2024-0002,2025-05-07,2031-05-06 {id}\n"))
        .expect("write outside");
    std::os::unix::fs::symlink(&outside, landing.join("renewals.csv")).expect("link");
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));

    let revocations = file(&report, "revocations.csv");
    assert_eq!((revocations.rows_read, revocations.rows_accepted, revocations.rows_rejected), (3, 2, 1));
    assert_eq!(revocations.reject_codes(), codes(&[(Reason::UnknownCertNo, 1)]));
    let masked = format!("{}***********{}", &id[..6], &id[17..]);
    let stored = read_parquet(&warehouse.join("revocations/revocations.parquet"), None).expect("revocations parquet");
    assert_eq!(strings(&stored, "reason"), [Some(format!("持证人{masked}材料造假")), Some(masked.clone())]);
    let rejects =
        read_parquet(&warehouse.join("revocation_rejects/revocation_rejects.parquet"), None).expect("rejects");
    assert_eq!(rejects.height(), 1);
    let row_json: String = strings(&rejects, "row_json").into_iter().flatten().collect();
    assert!(row_json.contains(&masked), "{row_json}");

    match &file(&report, "renewals.csv").outcome {
        FileOutcome::Unreadable { message } => assert!(message.contains("out of the landing folder"), "{message}"),
        other => panic!("a register linked out of the landing folder: {other:?}"),
    }
    // No cell of the warehouse's Parquet, and no other file of it, holds the ID number or the linked file's text.
    let mut texts = crate::hostile::warehouse_text(&warehouse);
    for path in walk(&warehouse).into_iter().filter(|p| p.extension().is_none_or(|e| e != "parquet")) {
        texts.push(String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned());
    }
    for text in texts {
        assert!(!text.contains(&id), "the ID number in the warehouse: {text}");
        assert!(!text.contains("2031-05-06"), "the linked register's content in the warehouse: {text}");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}
