//! Every format, every reason code, row conservation, header aliases, derived columns.

use crate::fixtures::{self, persons, sl};
use crate::{file, read_all, run, strings};
use skillhouse_ingest::{FileOutcome, HeaderAliases, Layout, Ledger, LedgerStatus};
use skillhouse_model::RejectReason;
use std::collections::BTreeMap;

fn reasons(pairs: &[(RejectReason, u64)]) -> BTreeMap<RejectReason, u64> {
    pairs.iter().copied().collect()
}

#[test]
fn every_format_conserves_rows_and_every_reason_appears() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));

    use RejectReason::*;
    let mut a001_05 = reasons(&[
        (MissingField, 1),
        (IdFormat, 1),
        (IdChecksum, 1),
        (UnknownCertType, 1),
        (UnknownLevel, 1),
        (UnknownOccupation, 1),
        (LevelNotOffered, 1),
        (IssueDateInvalid, 1),
        (IssueDateFuture, 1),
        (UnderAge, 1),
        (AgencyMismatch, 1),
        (CertNoFormat, 1),
        (CertNoYearMismatch, 1),
        (CertNoLevelMismatch, 1),
    ]);
    a001_05.insert(DuplicateCertNo, 1);
    let expected = [
        ("A001/2024-05.csv", "utf-8", 22, 7, a001_05),
        ("A001/2024-06.csv", "utf-8-bom", 3, 2, reasons(&[(MissingField, 1)])),
        ("A002/2024-05.csv", "gbk", 3, 2, reasons(&[(DuplicateCertNo, 1)])),
        ("A002/2024-06.xlsx", "binary", 3, 2, reasons(&[(UnderAge, 1)])),
        ("A003/2024-05.jsonl", "utf-8", 3, 2, reasons(&[(UnknownLevel, 1)])),
        ("A404/2024-05.csv", "utf-8", 1, 0, reasons(&[(UnknownAgency, 1)])),
    ];
    assert_eq!(report.files.len(), expected.len());
    for (path, encoding, read, accepted, by_reason) in expected {
        let f = file(&report, path);
        assert_eq!(f.outcome, FileOutcome::Loaded, "{path}");
        assert_eq!(f.encoding, encoding, "{path}");
        assert_eq!((f.rows_read, f.rows_accepted), (read, accepted), "{path}");
        assert_eq!(f.rows_read, f.rows_accepted + f.rows_rejected, "{path}: conservation");
        assert_eq!(f.rejects_by_reason, by_reason, "{path}");
    }
    let all_reasons = report.rejects_by_reason();
    for reason in RejectReason::ALL {
        assert!(all_reasons.contains_key(&reason), "no row produced {reason}");
    }
    assert!(report.is_partly_rejected());

    // What is on disk agrees with the report, and with the ledger.
    let layout = Layout::new(&warehouse);
    let certificates = read_all(&layout.certificates_dir());
    assert_eq!(certificates.height() as u64, report.rows_accepted());
    let rejects = read_all(&layout.rejects_dir());
    assert_eq!(rejects.height() as u64, report.rows_rejected());
    let ledger = Ledger::load(&layout).expect("ledger");
    assert_eq!(ledger.entries().len(), 6);
    for entry in ledger.entries() {
        assert_eq!(entry.status, LedgerStatus::Loaded);
        let (r, a, j) = (entry.rows_read, entry.rows_accepted, entry.rows_rejected);
        assert_eq!(r, Some(a.unwrap_or(0) + j.unwrap_or(0)), "{}", entry.source_file);
        assert_eq!(entry.rejects_by_reason.values().sum::<i64>(), j.unwrap_or(-1));
    }

    // Rows are numbered as a clerk sees them: title = line 1, header = line 2, a blank line 7; sheet rows in XLSX.
    let reject_rows: Vec<(Option<String>, Option<String>, i64)> = {
        let rows = rejects
            .column("source_row")
            .expect("row")
            .i64()
            .expect("i64")
            .iter()
            .map(|v| v.unwrap_or(-1))
            .collect::<Vec<_>>();
        strings(&rejects, "source_file")
            .into_iter()
            .zip(strings(&rejects, "reason"))
            .zip(rows)
            .map(|((f, r), n)| (f, r, n))
            .collect()
    };
    let line_of = |path: &str, reason: RejectReason| {
        reject_rows
            .iter()
            .find(|(f, r, _)| f.as_deref() == Some(path) && r.as_deref() == Some(reason.code()))
            .map(|(_, _, n)| *n)
    };
    assert_eq!(line_of("A001/2024-05.csv", MissingField), Some(10));
    assert_eq!(line_of("A001/2024-05.csv", IdFormat), Some(11));
    assert_eq!(line_of("A001/2024-05.csv", DuplicateCertNo), Some(24));
    assert_eq!(line_of("A002/2024-06.xlsx", UnderAge), Some(7));
    assert_eq!(line_of("A003/2024-05.jsonl", UnknownLevel), Some(3));

    // Duplicate claims: the repeated claim (A001 row 22) is flagged against the first (row 1).
    let claims = read_all(layout.duplicate_claims_path().parent().expect("dir"));
    assert_eq!(strings(&claims, "cert_no"), vec![Some(sl(24, 3, 15))]);
    assert_eq!(strings(&claims, "counted_cert_no"), vec![Some(sl(24, 3, 1))]);
    assert_eq!(report.duplicate_claims, 1);
}

#[test]
fn derived_columns_and_partitions() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    run(&fixtures::options(&warehouse, vec![landing]));
    let layout = Layout::new(&warehouse);
    let year_2024 = layout.year_dir(2024);
    assert!(year_2024.is_dir(), "Hive partition issue_year=2024");
    let certificates = read_all(&layout.certificates_dir());
    let cert_nos = strings(&certificates, "cert_no");
    let at = cert_nos.iter().position(|c| c.as_deref() == Some(sl(24, 3, 1).as_str())).expect("first certificate");
    let p = persons();
    let key = fixtures::key();
    let expected_key = key.person_key(&skillhouse_model::IdNumber::parse(&p.p1).expect("id"));
    let get = |name: &str| strings(&certificates, name)[at].clone();
    assert_eq!(get("person_key"), Some(expected_key));
    assert_eq!(get("hukou_region").as_deref(), Some("410102"));
    assert_eq!(get("gender").as_deref(), Some("M"));
    assert_eq!(get("region_code").as_deref(), Some("410100"));
    assert_eq!(get("agency_type").as_deref(), Some("enterprise"));
    assert_eq!(get("level").as_deref(), Some("l3"));
    assert_eq!(get("programme").as_deref(), Some("1"));
    assert_eq!(get("source_file").as_deref(), Some("A001/2024-05.csv"));
    let youth = certificates.column("is_youth").expect("col").bool().expect("bool").get(at);
    assert_eq!(youth, Some(true));
    // The 15-digit legacy ID and the lower-case x give the same person_key as their 18-character forms.
    let legacy = skillhouse_model::IdNumber::parse(&p.legacy15).expect("legacy");
    let keys = strings(&certificates, "person_key");
    assert_eq!(
        keys.iter().filter(|k| k.as_deref() == Some(key.person_key(&legacy).as_str())).count(),
        2,
        "CSV + XLSX numeric cell"
    );
    let upper_x = skillhouse_model::IdNumber::parse(&p.lower_x).expect("x");
    assert_eq!(
        keys.iter().filter(|k| k.as_deref() == Some(key.person_key(&upper_x).as_str())).count(),
        2,
        "CSV + JSONL"
    );
    // Column order is the schema's.
    let names: Vec<String> = certificates.get_column_names().iter().map(|s| s.to_string()).collect();
    let schema: Vec<&str> = skillhouse_model::schema::CERTIFICATE_COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, schema);
}

#[test]
fn header_spellings_come_from_the_alias_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let p = persons();
    let text = format!("持证人证件号,证书编号,证书类型,发证日期\n{},PX-2024-0100,培训合格证书,2024-07-01\n", p.p2);
    std::fs::write(landing.join("A003/2024-07.csv"), text).expect("write");
    let file_path = landing.join("A003/2024-07.csv");
    let with_file = run(&fixtures::options(&tmp.path().join("w1"), vec![file_path.clone()]));
    let f = file(&with_file, "A003/2024-07.csv");
    assert_eq!((f.outcome.clone(), f.rows_accepted), (FileOutcome::Loaded, 1));
    // With only the built-in spellings the header lacks the ID column: unreadable, with the column named.
    let mut builtin = fixtures::options(&tmp.path().join("w2"), vec![file_path]);
    builtin.aliases = Some(HeaderAliases::builtin());
    let report = run(&builtin);
    match &file(&report, "A003/2024-07.csv").outcome {
        FileOutcome::Unreadable { message } => assert!(message.contains("身份证号 (id_number)"), "{message}"),
        other => panic!("expected unreadable, got {other:?}"),
    }
}

#[test]
fn the_bundled_alias_file_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference/header_aliases.toml");
    if !path.is_file() {
        eprintln!("SKIPPED: {} not present", path.display());
        return;
    }
    let aliases = HeaderAliases::load(&path).expect("bundled aliases");
    for (header, field) in [("公民身份号码", "id_number"), ("证书种类", "cert_type"), ("颁证日期", "issue_date")]
    {
        assert_eq!(aliases.field_of(header).map(|f| f.code()), Some(field), "{header}");
    }
}
