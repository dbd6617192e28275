//! Issue 27, "Hostile input" (items 4–9): files a careless or hostile sender hands over. Every entry under the
//! landing folder ends in the ledger or in the report, no message quotes a personal field, and values that look
//! the same are the same.

use crate::fixtures::{self, persons};
use crate::privacy::id_like;
use crate::{file, parquet_files, read_all, run, strings};
use polars::prelude::*;
use skillhouse_ingest::{BatchReport, FileOutcome, IngestOptions, Layout, Ledger, LedgerStatus, NoProgress, ingest};
use skillhouse_model::RejectReason;
use std::path::{Path, PathBuf};

/// A landing folder with the fixture registry and the given files (landing-relative path, bytes).
fn landing_with(tmp: &Path, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let landing = tmp.join("landing");
    std::fs::create_dir_all(&landing).expect("landing");
    std::fs::copy(fixtures::fixtures_dir().join("landing/agencies.csv"), landing.join("agencies.csv"))
        .expect("registry");
    for (path, bytes) in files {
        let target = landing.join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("write");
    }
    landing
}

fn message(report: &BatchReport, source_file: &str) -> String {
    match &file(report, source_file).outcome {
        FileOutcome::Unreadable { message } => message.clone(),
        other => panic!("{source_file}: expected unreadable, got {other:?}"),
    }
}

fn ledger(warehouse: &Path) -> Ledger {
    Ledger::load(&Layout::new(warehouse)).expect("ledger")
}

/// Every text cell of every Parquet file of the warehouse.
pub(crate) fn warehouse_text(warehouse: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for path in parquet_files(warehouse) {
        let frame = skillhouse_ingest::read_parquet(&path, None).expect("parquet");
        for column in frame.columns() {
            let text = column.cast(&DataType::String).expect("as text");
            out.extend(text.str().expect("str").iter().flatten().map(str::to_string));
        }
    }
    out
}

fn csv_row(id: &str, name: &str, cert_no: &str, date: &str) -> String {
    format!("{id},{name},{cert_no},培训合格证书,{date}\n")
}

const HEADER: &str = "身份证号,姓名,证书编号,证书类型,发证日期\n";

#[test]
fn a_stray_quote_is_refused_with_line_and_column_and_no_personal_data() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let ids = [&p.p1, &p.p2, &p.p6, &p.p7];
    let names = ["虚构甲", "虚构乙", "虚构丙", "虚构丁"];
    let mut text = HEADER.to_string();
    for (i, (id, name)) in ids.iter().zip(names).enumerate() {
        // Row 3 (line 4 of the file) has a stray quote opening its name.
        let name = if i == 2 { format!("\"{name}") } else { name.to_string() };
        text.push_str(&csv_row(id, &name, &format!("PX-2024-{i:04}"), "2024-05-01"));
    }
    // Enough rows after it that a parser message quoting the text would carry IDs and names.
    for i in 0..40 {
        text.push_str(&csv_row(&p.p2, "虚构乙", &format!("PX-2024-1{i:03}"), "2024-05-02"));
    }
    let landing = landing_with(tmp.path(), &[("A001/2024-05.csv", text.into_bytes())]);
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));

    let m = message(&report, "A001/2024-05.csv");
    assert!(m.contains("line 4, column 2") && m.contains("姓名"), "says where: {m}");
    let entries = ledger(&warehouse);
    let entry = &entries.entries()[0];
    assert_eq!((entry.status, entry.rows_read), (LedgerStatus::Unreadable, None));
    assert_eq!(entry.message.as_deref(), Some(m.as_str()));
    let mut texts = warehouse_text(&warehouse);
    texts.push(m);
    for text in &texts {
        for id in ids {
            assert!(!text.contains(id.as_str()), "raw ID in {text:?}");
        }
        assert!(id_like(text).is_empty(), "ID-like value in {text:?}");
        for name in names {
            assert!(!text.contains(name), "name {name} in {text:?}");
        }
    }
}

#[test]
fn json_line_errors_say_where_not_what() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    // A JSON line cut in a string holding a name, a workbook whose XML is broken inside a cell.
    let jsonl = format!(
        "{{\"身份证号\":\"{}\",\"证书编号\":\"PX-1\",\"证书类型\":\"training\",\"发证日期\":\"2024-05-01\"}}\n\
         {{\"身份证号\":\"{}\",\"姓名\":\"虚构乙\" \"证书编号\":\"PX-2\"}}\n",
        p.p1, p.p2
    );
    let landing = landing_with(tmp.path(), &[("A003/2024-05.jsonl", jsonl.into_bytes())]);
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    let m = message(&report, "A003/2024-05.jsonl");
    assert!(m.contains("line 2") && m.contains("column"), "{m}");
    assert!(!m.contains(&p.p2) && !m.contains("虚构乙") && id_like(&m).is_empty(), "{m}");
}

#[test]
fn classic_mac_line_ends_are_read_not_lost() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let text = format!(
        "身份证号,证书编号,证书类型,发证日期,备注\r{},PX-2024-0001,培训合格证书,2024-05-01,\r{},PX-2024-0002,培训合格证书,2024-05-02,\r",
        p.p1, p.p2
    );
    let landing = landing_with(tmp.path(), &[("A001/2024-05.csv", text.into_bytes())]);
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    let f = file(&report, "A001/2024-05.csv");
    assert_eq!((f.outcome.clone(), f.rows_read, f.rows_accepted), (FileOutcome::Loaded, 2, 2));
    assert_eq!(read_all(&Layout::new(&warehouse).certificates_dir()).height(), 2);
}

#[cfg(unix)]
#[test]
fn every_entry_is_accounted_for_names_sub_folders_and_special_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let good = |n: u32| format!("{HEADER}{}", csv_row(&p.p1, "虚构甲", &format!("PX-2023-{n:04}"), "2023-05-01"));
    let landing = landing_with(
        tmp.path(),
        &[
            ("A001/2024-05.csv", good(1).into_bytes()),
            ("A001/old/2024-04.csv", good(2).into_bytes()),
            ("A001/old/deeper/2024-03.csv", good(3).into_bytes()),
            ("A001/.DS_Store", b"junk".to_vec()),
            ("A001/~$2024-05.xlsx", b"lock".to_vec()),
            ("stray.csv", good(4).into_bytes()),
        ],
    );
    // A file name and a folder name that are not UTF-8 (Latin-1 bytes, as a Windows share may leave them).
    std::fs::write(landing.join("A001").join(OsStr::from_bytes(b"2024-0\xe9.csv")), good(5)).expect("latin-1 name");
    let latin_folder = landing.join(OsStr::from_bytes(b"A\xe90"));
    std::fs::create_dir_all(&latin_folder).expect("latin-1 folder");
    std::fs::write(latin_folder.join("2024-05.csv"), good(6)).expect("file in it");
    // A named pipe: opening it would block the batch forever.
    let fifo = landing.join("A001/2024-06.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());

    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    assert_eq!(file(&report, "A001/2024-05.csv").rows_accepted, 1);
    assert!(message(&report, "A001/old/2024-04.csv").contains("sub-folder"));
    assert!(message(&report, "A001/old/deeper/2024-03.csv").contains("sub-folder"));
    assert!(message(&report, "A001/2024-0\u{FFFD}.csv").contains("not valid UTF-8"));
    assert!(message(&report, "A\u{FFFD}0/2024-05.csv").contains("folder name is not valid UTF-8"));
    assert!(message(&report, "A001/2024-06.csv").contains("not a regular file"));
    let ignored: Vec<(&str, bool)> =
        report.ignored.iter().map(|e| (e.path.as_str(), e.reason.contains("not read"))).collect();
    assert_eq!(ignored, vec![("A001/.DS_Store", true), ("A001/~$2024-05.xlsx", true), ("stray.csv", true)]);
    let unreadable: Vec<String> = ledger(&warehouse)
        .entries()
        .iter()
        .filter(|e| e.status == LedgerStatus::Unreadable)
        .map(|e| e.source_file.clone())
        .collect();
    assert_eq!(unreadable.len(), 5, "{unreadable:?}");
    assert_eq!(report.files_unreadable(), 5);

    // The next night records nothing twice: the refused pipe and the misplaced files are skipped.
    let again = run(&fixtures::options(&warehouse, vec![landing]));
    assert_eq!(again.files_unreadable(), 0);
    assert_eq!(again.files_skipped(), report.files.len());
    assert_eq!(ledger(&warehouse).entries().len(), 6);
    assert_eq!(again.ignored.len(), 3, "ignored entries are reported every time");
}

#[cfg(unix)]
#[test]
fn links_out_of_the_landing_folder_are_refused_unread() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let good = |n: u32| format!("{HEADER}{}", csv_row(&p.p1, "虚构甲", &format!("PX-2023-{n:04}"), "2023-05-01"));
    let landing = landing_with(tmp.path(), &[("A001/2024-05.csv", good(1).into_bytes())]);
    let outside = tmp.path().join("elsewhere");
    std::fs::create_dir_all(outside.join("A009")).expect("outside");
    std::fs::write(outside.join("2024-07.csv"), good(2)).expect("outside file");
    std::fs::write(outside.join("A009/2024-05.csv"), good(3)).expect("outside folder file");
    symlink("/etc/passwd", landing.join("A001/2024-08.csv")).expect("link to /etc/passwd");
    symlink(outside.join("2024-07.csv"), landing.join("A001/2024-07.csv")).expect("file link");
    symlink(outside.join("A009"), landing.join("A009")).expect("folder link");
    std::fs::create_dir_all(landing.join("A002")).expect("A002");
    // A link that stays inside the landing folder is followed.
    symlink(landing.join("A001/2024-05.csv"), landing.join("A002/2024-05.csv")).expect("inner link");
    symlink(tmp.path().join("missing.csv"), landing.join("A001/2024-09.csv")).expect("broken link");

    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    for refused in ["A001/2024-07.csv", "A001/2024-08.csv", "A009"] {
        assert!(message(&report, refused).contains("out of the landing folder"), "{refused}");
        assert!(file(&report, refused).content_hash.is_empty(), "{refused} was not opened");
    }
    assert!(message(&report, "A001/2024-09.csv").contains("does not exist"));
    assert_eq!(file(&report, "A001/2024-05.csv").rows_accepted, 1);
    assert_eq!(file(&report, "A002/2024-05.csv").outcome, FileOutcome::Skipped, "same bytes as A001's, followed");
    let entries = ledger(&warehouse);
    let refused: Vec<_> = entries.entries().iter().filter(|e| e.status == LedgerStatus::Unreadable).collect();
    assert_eq!(refused.len(), 4);
    assert!(refused.iter().all(|e| e.message.as_deref().is_some_and(|m| !m.is_empty()) && e.rows_read.is_none()));
    let text = warehouse_text(&warehouse).join("\n");
    assert!(!text.contains("root:"), "nothing of /etc/passwd in the warehouse");
}

#[test]
fn a_header_only_correction_keeps_the_month_and_a_withdrawal_removes_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let month = format!(
        "{HEADER}{}{}",
        csv_row(&p.p1, "虚构甲", "PX-2024-0001", "2024-05-01"),
        csv_row(&p.p2, "虚构乙", "PX-2024-0002", "2024-05-02")
    );
    let landing = landing_with(tmp.path(), &[("A001/2024-05.csv", month.into_bytes())]);
    let warehouse = tmp.path().join("warehouse");
    let options = fixtures::options(&warehouse, vec![landing.clone()]);
    run(&options);
    let layout = Layout::new(&warehouse);
    assert_eq!(read_all(&layout.certificates_dir()).height(), 2);

    // An empty export sent as the correction: refused, the month stays.
    std::fs::write(landing.join("A001/2024-05.csv"), HEADER).expect("header only");
    let empty = run(&options);
    let m = message(&empty, "A001/2024-05.csv");
    assert!(m.contains("no data rows") && m.contains("2 certificates") && m.contains("2024-05.withdraw"), "{m}");
    assert_eq!(read_all(&layout.certificates_dir()).height(), 2, "the month is kept");
    assert!(empty.is_partly_rejected());

    // The explicit withdrawal removes it, and is recorded once.
    std::fs::write(landing.join("A001/2024-05.withdraw"), b"").expect("withdrawal");
    let withdrawn = run(&options);
    let w = file(&withdrawn, "A001/2024-05.withdraw");
    assert_eq!((w.outcome.clone(), w.format.as_str(), w.rows_read), (FileOutcome::Loaded, "withdraw", 0));
    assert_eq!(w.superseded, vec!["A001/2024-05.csv".to_string()]);
    assert!(parquet_files(&layout.certificates_dir()).is_empty(), "the month's files left");
    let again = run(&options);
    assert_eq!(again.files_loaded(), 0);
    let entries = ledger(&warehouse);
    let statuses: Vec<_> = entries.entries().iter().map(|e| (e.format.as_str(), e.status)).collect();
    assert_eq!(
        statuses,
        vec![("csv", LedgerStatus::Superseded), ("csv", LedgerStatus::Unreadable), ("withdraw", LedgerStatus::Loaded)]
    );
    // Another agency's withdrawal has the same (empty) bytes: it is its own, not skipped as already seen.
    let other = landing.join("A002");
    std::fs::create_dir_all(&other).expect("A002");
    std::fs::write(other.join("2024-05.withdraw"), b"").expect("withdrawal");
    let second = run(&options);
    assert_eq!(file(&second, "A002/2024-05.withdraw").outcome, FileOutcome::Loaded);

    // A header-only file for a month nothing was loaded for stays what it was: loaded, no rows.
    std::fs::write(landing.join("A001/2024-06.csv"), HEADER).expect("header only");
    let fresh = run(&options);
    assert_eq!(file(&fresh, "A001/2024-06.csv").outcome, FileOutcome::Loaded);
}

#[test]
fn invisible_characters_do_not_make_a_number_distinct() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let number = "PX-2024-0100";
    let line = |cert_no: &str, agency: &str| {
        serde_json::json!({"身份证号": p.p1, "证书编号": cert_no, "证书类型": "training", "发证日期": "2024-05-03",
            "机构代码": agency})
        .to_string()
    };
    let jsonl = [
        line(number, "A003"),
        line(&format!("{number}\u{0}"), "A003"),
        line("PX-20\u{200B}24-0100", "A003"),
        line(&format!("\u{200F}{number}"), "\u{200F}A003"),
        line("ＰＸ－２０２４－０１００", "A003"),
        line("PX-2024\u{0}-0101", "A003"),
        line("PX-2024-0102", "A0\u{1}03"),
    ]
    .join("\n");
    let landing = landing_with(tmp.path(), &[("A003/2024-05.jsonl", jsonl.into_bytes())]);
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    let f = file(&report, "A003/2024-05.jsonl");
    assert_eq!((f.rows_read, f.rows_accepted), (7, 1));
    let expected =
        [(RejectReason::AgencyMismatch, 1), (RejectReason::CertNoFormat, 1), (RejectReason::DuplicateCertNo, 4)];
    assert_eq!(f.rejects_by_reason, expected.into_iter().collect());
    let certificates = read_all(&Layout::new(&warehouse).certificates_dir());
    assert_eq!(strings(&certificates, "cert_no"), vec![Some(number.to_string())]);
    let rejects = read_all(&Layout::new(&warehouse).rejects_dir());
    let details = strings(&rejects, "detail");
    assert!(details.iter().flatten().any(|d| d.contains("U+0000 at character 8")), "{details:?}");
}

#[test]
fn registry_codes_are_keys_in_normal_form_and_a_broken_registry_stops_the_batch() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = persons();
    let good = format!("{HEADER}{}", csv_row(&p.p1, "虚构甲", "PX-2024-0001", "2024-05-01"));
    let landing = landing_with(tmp.path(), &[("A005/2024-05.csv", good.into_bytes())]);
    let registry = "agency_id,name,agency_type,region_code\n\u{200B}A005\u{200F},虚构机构,企业,410100\n";
    std::fs::write(landing.join("agencies.csv"), registry).expect("registry");
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    assert_eq!(file(&report, "A005/2024-05.csv").rows_accepted, 1, "the registry's A005 is the folder's A005");

    std::fs::write(landing.join("agencies.csv"), "agency_id,name,agency_type,region_code\nA006,x,企业,41\n")
        .expect("broken registry");
    std::fs::write(landing.join("A005/2024-06.csv"), HEADER).expect("another file");
    let options: IngestOptions = fixtures::options(&warehouse, vec![landing]);
    let error = ingest(&options, &NoProgress).expect_err("a broken registry stops the batch");
    assert!(error.is_reference());
    let text = error.to_string();
    assert!(text.contains("agencies.csv, row 2") && text.contains("nothing was ingested"), "{text}");
    assert_eq!(ledger(&warehouse).entries().len(), 1, "nothing of the second batch was recorded");
}

#[test]
fn workbooks_over_the_batch_budget_wait_and_all_load() {
    let tmp = tempfile::tempdir().expect("tmp");
    let xlsx = fixtures::xlsx_fixture();
    let landing = landing_with(
        tmp.path(),
        &[("A002/2024-06.xlsx", xlsx.clone()), ("A003/2024-06.xlsx", xlsx.clone()), ("A001/2024-06.xlsx", xlsx)],
    );
    let warehouse = tmp.path().join("warehouse");
    let mut options = fixtures::options(&warehouse, vec![landing]);
    // Room for one workbook at a time.
    options.xlsx_limits.max_batch_uncompressed_bytes = 1;
    options.threads = Some(3);
    let report = run(&options);
    assert_eq!(report.files_loaded(), 1, "identical bytes: loaded once, then skipped");
    assert_eq!(report.files_skipped(), 2);
    assert_eq!(report.rows_read(), 3);
}
