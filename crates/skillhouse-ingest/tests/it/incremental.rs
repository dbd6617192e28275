//! Re-ingesting skips; corrections replace their slice; duplicate numbers follow path order, not thread timing.

use crate::fixtures::{self, persons, sl};
use crate::{file, read_all, run, strings};
use skillhouse_ingest::{FileOutcome, Layout, Ledger, LedgerStatus};
use skillhouse_model::RejectReason;
use std::path::{Path, PathBuf};

#[test]
fn the_same_file_twice_is_skipped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    let first = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let second = run(&fixtures::options(&warehouse, vec![landing]));
    assert_eq!(second.files_skipped(), first.files.len());
    assert_eq!((second.files_loaded(), second.rows_read()), (0, 0));
    assert!(!second.is_partly_rejected(), "nothing new was rejected");
    let layout = Layout::new(&warehouse);
    assert_eq!(read_all(&layout.certificates_dir()).height() as u64, first.rows_accepted(), "never double-counted");
    assert_eq!(Ledger::load(&layout).expect("ledger").entries().len(), first.files.len());
}

#[test]
fn a_correction_replaces_its_slice() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    let first = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let layout = Layout::new(&warehouse);
    let before = read_all(&layout.certificates_dir()).height();

    // The corrected May file of A001 keeps its first certificate (same number: not a duplicate of the row it
    // replaces) and one new one; the old file's 22 rows leave.
    let correction_dir = tmp.path().join("corrections/A001");
    std::fs::create_dir_all(&correction_dir).expect("mkdir");
    let p = persons();
    let text = format!(
        "身份证号,证书编号,证书类型,职业编码,等级,发证日期\n\
         {},{},职业技能等级证书,6-31-01-03,三级,2024-05-10\n\
         {},{},职业技能等级证书,6-31-01-03,四级,2024-05-11\n",
        p.p1,
        sl(24, 3, 1),
        p.p2,
        sl(24, 4, 60)
    );
    let corrected = correction_dir.join("2024-05.csv");
    std::fs::write(&corrected, text).expect("write");
    let second = run(&fixtures::options(&warehouse, vec![corrected]));
    let f = file(&second, "A001/2024-05.csv");
    assert_eq!((f.rows_read, f.rows_accepted, f.rows_rejected), (2, 2, 0));
    assert_eq!(f.superseded, vec!["A001/2024-05.csv".to_string()]);
    assert_eq!(second.files_superseded(), 1);

    let certificates = read_all(&layout.certificates_dir());
    let old_accepted = file(&first, "A001/2024-05.csv").rows_accepted as usize;
    assert_eq!(certificates.height(), before - old_accepted + 2);
    let cert_nos = strings(&certificates, "cert_no");
    assert_eq!(cert_nos.iter().filter(|c| c.as_deref() == Some(sl(24, 3, 1).as_str())).count(), 1);
    assert!(!cert_nos.contains(&Some(sl(24, 3, 15))), "the old file's rows left");

    let ledger = Ledger::load(&layout).expect("ledger");
    let slice: Vec<_> = ledger.entries().iter().filter(|e| e.agency_id == "A001" && e.period == "2024-05").collect();
    assert_eq!(slice.len(), 2);
    assert_eq!(slice[0].status, LedgerStatus::Superseded);
    assert_eq!(slice[0].superseded_by.as_deref(), Some(slice[1].content_hash.as_str()));
    assert_eq!(slice[1].status, LedgerStatus::Loaded);
    // The old file's rejects left with it; the repeated claim went too, so no duplicate claim remains.
    let rejects = read_all(&layout.rejects_dir());
    assert!(!strings(&rejects, "source_file").iter().any(|s| s.as_deref() == Some("A001/2024-05.csv")));
    assert_eq!(second.duplicate_claims, 0);
}

#[test]
fn duplicate_numbers_follow_path_order_and_later_batches() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    // A001 comes before A002: A001's qualification certificate is accepted, A002's copy rejected.
    assert_eq!(file(&report, "A001/2024-05.csv").rejects_by_reason.get(&RejectReason::DuplicateCertNo), Some(&1));
    assert_eq!(file(&report, "A002/2024-05.csv").rejects_by_reason.get(&RejectReason::DuplicateCertNo), Some(&1));
    let layout = Layout::new(&warehouse);
    let certificates = read_all(&layout.certificates_dir());
    let owner: Vec<_> = strings(&certificates, "cert_no")
        .into_iter()
        .zip(strings(&certificates, "agency_id"))
        .filter(|(c, _)| c.as_deref() == Some("2024410000000001"))
        .collect();
    assert_eq!(owner.len(), 1);
    assert_eq!(owner[0].1.as_deref(), Some("A001"));

    // A later batch repeating a number already in the warehouse (other agency, other month) is rejected too.
    let p = persons();
    let later = landing.join("A003/2024-08.csv");
    std::fs::write(
        &later,
        format!("身份证号,证书编号,证书类型,发证日期\n{},PX-2024-0001,培训合格证书,2024-08-01\n", p.p6),
    )
    .expect("write");
    let next = run(&fixtures::options(&warehouse, vec![later]));
    let f = file(&next, "A003/2024-08.csv");
    assert_eq!(f.rejects_by_reason.get(&RejectReason::DuplicateCertNo), Some(&1));

    // The same input in fresh warehouses gives the same outcome, file by file, whatever the thread timing.
    let runs: Vec<_> =
        (0..3).map(|i| run(&fixtures::options(&tmp.path().join(format!("fresh{i}")), vec![landing.clone()]))).collect();
    let outcome = |r: &skillhouse_ingest::BatchReport| -> Vec<_> {
        r.files.iter().map(|f| (f.source_file.clone(), f.rows_accepted, f.rejects_by_reason.clone())).collect()
    };
    assert_eq!(outcome(&runs[0]), outcome(&runs[1]));
    assert_eq!(outcome(&runs[0]), outcome(&runs[2]));
    assert_eq!(file(&runs[0], "A003/2024-08.csv").rejects_by_reason.get(&RejectReason::DuplicateCertNo), Some(&1));
    assert!(matches!(file(&report, "A002/2024-06.xlsx").outcome, FileOutcome::Loaded));
}

#[test]
fn what_an_interrupted_batch_left_is_cleared_before_the_next_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    let first = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let layout = Layout::new(&warehouse);
    let (some_file, _) = layout.certificate_files().expect("files").into_iter().next().expect("a certificate file");
    let year_dir = some_file.parent().expect("year folder").to_path_buf();
    // A batch that died before saving its ledger: a data file no ledger row names, and temporary files of writes
    // that never reached their rename (one certificate file, one ledger).
    std::fs::copy(&some_file, year_dir.join("A999__2024-05__0123456789ab.parquet")).expect("orphan");
    std::fs::write(year_dir.join(".A999__2024-05__0123456789ab.parquet.tmp-4242"), b"half").expect("temp");
    std::fs::write(warehouse.join("ledger/.ledger.parquet.tmp-4242"), b"half").expect("temp");

    let second = run(&fixtures::options(&warehouse, vec![landing]));
    assert_eq!(second.leftovers_removed, 3);
    assert_eq!(second.files_loaded(), 0, "everything in the ledger was skipped");
    assert_eq!(read_all(&layout.certificates_dir()).height() as u64, first.rows_accepted(), "the orphan's rows left");
    assert!(!year_dir.join("A999__2024-05__0123456789ab.parquet").exists());
    assert!(std::fs::read_dir(warehouse.join("ledger")).expect("ledger folder").count() == 1, "only ledger.parquet");
}

#[test]
fn data_files_without_a_ledger_are_refused_rather_than_guessed_at() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let layout = Layout::new(&warehouse);
    let data_files =
        layout.certificate_files().expect("files").len() + crate::parquet_files(&layout.rejects_dir()).len();
    std::fs::remove_file(layout.ledger_path()).expect("remove ledger");
    match skillhouse_ingest::ingest(&fixtures::options(&warehouse, vec![landing]), &skillhouse_ingest::NoProgress) {
        Err(skillhouse_ingest::IngestError::MissingLedger { files, .. }) => assert_eq!(files, data_files),
        other => panic!("expected MissingLedger, got {:?}", other.map(|r| r.files.len())),
    }
    assert_eq!(
        layout.certificate_files().expect("files").len() + crate::parquet_files(&layout.rejects_dir()).len(),
        data_files,
        "nothing was removed"
    );
}

#[test]
fn a_new_warehouse_gets_its_ledger_before_any_data_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let warehouse = tmp.path().join("warehouse");
    let empty_landing = tmp.path().join("empty");
    std::fs::create_dir_all(&empty_landing).expect("mkdir");
    run(&fixtures::options(&warehouse, vec![empty_landing]));
    let ledger = Ledger::load(&Layout::new(&warehouse)).expect("ledger");
    assert!(Layout::new(&warehouse).ledger_path().is_file());
    assert!(ledger.entries().is_empty());
}

/// The committed sample drop.
fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/sample")
}

/// A landing folder at `to` with the sample's registry and those of its certificate files `keep` accepts
/// (landing-relative); the sample's `training/` folder is left out.
fn sample_subset(to: &Path, keep: impl Fn(&str) -> bool) -> PathBuf {
    let sample = sample_dir();
    std::fs::create_dir_all(to).expect("mkdir");
    std::fs::copy(sample.join("agencies.csv"), to.join("agencies.csv")).expect("registry");
    let agencies = std::fs::read_dir(&sample).expect("sample").flatten().filter(|e| e.path().is_dir());
    for agency in agencies.filter(|e| e.file_name() != "training") {
        for file in std::fs::read_dir(agency.path()).expect("agency").flatten() {
            let relative = format!("{}/{}", agency.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            if keep(&relative) {
                std::fs::create_dir_all(to.join(agency.file_name())).expect("mkdir");
                std::fs::copy(file.path(), to.join(&relative)).expect("copy");
            }
        }
    }
    to.to_path_buf()
}

fn sample_options(warehouse: &Path, paths: Vec<PathBuf>) -> skillhouse_ingest::IngestOptions {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("datasets/sample/manifest.json")).expect("manifest"))
            .expect("json");
    let as_of =
        chrono::NaiveDate::parse_from_str(manifest["as_of"].as_str().expect("as_of"), "%Y-%m-%d").expect("as_of");
    let key = skillhouse_model::PseudonymKey::from_bytes(&[7; 32]).expect("key");
    skillhouse_ingest::IngestOptions::new(warehouse, paths, key, as_of, root.join("datasets/reference"))
}

/// The claims file as sorted (cert_no, counted_cert_no) pairs.
fn claims(layout: &Layout) -> Vec<(Option<String>, Option<String>)> {
    let frame = skillhouse_ingest::read_parquet(&layout.duplicate_claims_path(), None).expect("claims file");
    let mut pairs: Vec<_> = strings(&frame, "cert_no").into_iter().zip(strings(&frame, "counted_cert_no")).collect();
    pairs.sort();
    pairs
}

/// Duplicate claims kept from batch to batch (only the groups a batch touches are recomputed) equal those of one
/// batch over everything, and a keys cache that is missing, stale or paired with another claims file is caught.
#[test]
fn claims_carried_between_batches_equal_one_batch() {
    let tmp = tempfile::tempdir().expect("tmp");
    // The sample's manifest says 19 repeated claims; one batch over the whole drop finds them.
    let whole = tmp.path().join("whole");
    let one = run(&sample_options(&whole, vec![sample_dir()]));
    assert_eq!(one.duplicate_claims, 19);
    let expected = claims(&Layout::new(&whole));
    assert_eq!(expected.len(), 19);
    // The file holding the certificate that counts for some repeated claim in another file: without it, that
    // other certificate counts; once it comes in a later batch of its own, the group must be redone and every
    // other group carried over.
    let certificates = read_all(&Layout::new(&whole).certificates_dir());
    let source_of: std::collections::HashMap<_, _> =
        strings(&certificates, "cert_no").into_iter().zip(strings(&certificates, "source_file")).collect();
    let late = expected
        .iter()
        .find_map(|(flagged, counted)| {
            let (f, c) = (source_of[flagged].clone(), source_of[counted].clone());
            (f != c).then_some(c)
        })
        .flatten()
        .expect("a repeated claim across two files");
    let first = sample_subset(&tmp.path().join("first"), |f| f != late);
    let second = sample_subset(&tmp.path().join("second"), |f| f == late);

    let warehouse = tmp.path().join("warehouse");
    let layout = Layout::new(&warehouse);
    let a = run(&sample_options(&warehouse, vec![first]));
    let certificate_files = one.files.iter().filter(|f| f.input == skillhouse_ingest::Input::Certificates).count();
    assert_eq!(a.files.len() + 1, certificate_files, "every certificate file of the sample but {late}");
    let keys_after_first = std::fs::read(layout.certificate_keys_path()).expect("keys saved");
    let claims_after_first = std::fs::read(layout.duplicate_claims_path()).expect("claims saved");
    let b = run(&sample_options(&warehouse, vec![second.clone()]));
    assert_eq!(b.files.len(), 1, "{late} alone");
    assert_ne!(
        claims_after_first,
        std::fs::read(layout.duplicate_claims_path()).expect("claims"),
        "{late} changed them"
    );
    assert_eq!(b.duplicate_claims, 19);
    assert_eq!(claims(&layout), expected, "carried over + recomputed = one batch");

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let again = |why: &str| {
        let report = run(&sample_options(&warehouse, vec![empty.clone()]));
        assert_eq!(report.duplicate_claims, 19, "{why}");
        assert_eq!(claims(&layout), expected, "{why}");
    };
    again("nothing new");
    // A batch that died after its ledger was saved, before claims and keys: both are the first batch's; the keys
    // learn the second half's files from disk and recompute their groups.
    std::fs::write(layout.certificate_keys_path(), &keys_after_first).expect("restore keys");
    std::fs::write(layout.duplicate_claims_path(), &claims_after_first).expect("restore claims");
    again("keys and claims one batch behind");
    // Keys one batch behind a current claims file: not the pair they were saved with, so everything is recomputed.
    std::fs::write(layout.certificate_keys_path(), &keys_after_first).expect("restore keys");
    again("keys behind the claims file");
    std::fs::remove_file(layout.certificate_keys_path()).expect("rm keys");
    again("no keys");
    std::fs::write(layout.certificate_keys_path(), b"not a keys file").expect("garbage");
    again("damaged keys");
    std::fs::remove_file(layout.duplicate_claims_path()).expect("rm claims");
    again("no claims file");
}

/// Keys spilled to disk at every turn — a few dozen certificate numbers held in memory, claim groups sorted fifty
/// at a time — give what the batch holding them all gives: the same certificates, duplicate numbers and claims,
/// in one batch and in two (split between agencies, so path order is the same).
#[test]
fn keys_spilled_to_disk_change_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let whole = tmp.path().join("whole");
    let one = run(&sample_options(&whole, vec![sample_dir()]));
    let tiny = skillhouse_ingest::KeysMemory { prints: 37, claim_groups: 50 };
    let outcome = |warehouse: &Path, reports: &[skillhouse_ingest::BatchReport]| {
        let layout = Layout::new(warehouse);
        let mut cert_nos = strings(&read_all(&layout.certificates_dir()), "cert_no");
        cert_nos.sort();
        let duplicates: u64 = reports
            .iter()
            .flat_map(|r| &r.files)
            .filter_map(|f| f.rejects_by_reason.get(&RejectReason::DuplicateCertNo))
            .sum();
        (cert_nos, duplicates, claims(&layout))
    };
    let expected = outcome(&whole, std::slice::from_ref(&one));
    assert_eq!(expected.1, 7, "the sample's duplicate numbers");
    assert_eq!(expected.2.len(), 19, "the sample's repeated claims");

    let spilled = tmp.path().join("spilled");
    let mut options = sample_options(&spilled, vec![sample_dir()]);
    options.keys_memory = tiny;
    let report = run(&options);
    assert_eq!(report.duplicate_claims, 19);
    let same = |got: (Vec<Option<String>>, u64, Vec<_>), why: &str| {
        assert!(got.0 == expected.0, "{why}: other certificate numbers ({} against {})", got.0.len(), expected.0.len());
        assert_eq!((got.1, got.2), (expected.1, expected.2.clone()), "{why}: duplicate numbers and claims");
    };
    same(outcome(&spilled, &[report]), "one batch");

    let first = sample_subset(&tmp.path().join("first"), |f| f < "A10006");
    let second = sample_subset(&tmp.path().join("second"), |f| f >= "A10006");
    let split = tmp.path().join("split");
    let mut reports = Vec::new();
    for landing in [first, second] {
        let mut options = sample_options(&split, vec![landing]);
        options.keys_memory = tiny;
        reports.push(run(&options));
    }
    assert_eq!(reports[1].duplicate_claims, 19);
    same(outcome(&split, &reports), "two batches");
}
