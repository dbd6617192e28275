//! The committed sample drop (`datasets/sample`, written by skillhouse-datagen): rejects per reason equal the
//! manifest's injected defects exactly, for the certificate files and for the training files (DESIGN §16) alike.

use crate::run;
use chrono::NaiveDate;
use skillhouse_ingest::{BatchReport, FileOutcome, IngestOptions, Input};
use skillhouse_model::PseudonymKey;
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn sample_rejects_equal_the_manifest() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sample = root.join("datasets/sample");
    let manifest_path = sample.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&manifest_path) else {
        eprintln!("SKIPPED sample_rejects_equal_the_manifest: {} does not exist yet", manifest_path.display());
        return;
    };
    check_drop(&sample, &text, &root.join("datasets/reference"));
}

/// Ingests a datagen drop and compares it with its manifest, file by file and in total.
pub fn check_drop(landing: &Path, manifest_text: &str, reference: &Path) {
    let manifest: serde_json::Value = serde_json::from_str(manifest_text).expect("manifest JSON");
    let as_of = NaiveDate::parse_from_str(manifest["as_of"].as_str().expect("as_of"), "%Y-%m-%d").expect("date");
    let tmp = tempfile::tempdir().expect("tmp");
    let key = PseudonymKey::from_bytes(&[7; 32]).expect("key");
    let options = IngestOptions::new(tmp.path().join("warehouse"), vec![landing.to_path_buf()], key, as_of, reference);
    let report = run(&options);
    let files = manifest["files"].as_array().expect("files");
    let certificate_files = report.files.iter().filter(|f| f.input == Input::Certificates).count();
    assert_eq!(certificate_files, files.len(), "every manifest file was considered");
    check_files(&report, files);
    let totals: BTreeMap<String, u64> = serde_json::from_value(manifest["totals"]["defects"].clone()).expect("totals");
    let have: BTreeMap<String, u64> =
        report.rejects_by_reason().iter().map(|(r, n)| (r.code().to_string(), *n)).collect();
    assert_eq!(have, totals, "rejects per reason over the drop");
    assert_eq!(report.files_unreadable() as u64, manifest["totals"]["unreadable_files"].as_u64().expect("unreadable"));
    assert_eq!(report.duplicate_claims as u64, manifest["totals"]["duplicate_claims"].as_u64().expect("claims"));
    check_training(&report, &manifest["training"]);
}

/// The training part of a drop (`training.files` of the manifest; absent for a drop made with `--training 0`, which
/// must then give no training file): every file's rows and rejects per §16 reason, and the totals per reason.
fn check_training(report: &BatchReport, training: &serde_json::Value) {
    let got = report.totals(Input::Training);
    if training.is_null() {
        assert_eq!(report.files.iter().filter(|f| f.input == Input::Training).count(), 0, "no training in the drop");
        return;
    }
    let files = training["files"].as_array().expect("training.files");
    assert!(!files.is_empty(), "a training drop has files");
    let considered = report.files.iter().filter(|f| f.input == Input::Training).count();
    assert_eq!(considered, files.len(), "every manifest training file was considered");
    check_files(report, files);
    let totals = &training["totals"];
    let want: BTreeMap<String, u64> = serde_json::from_value(totals["defects"].clone()).expect("training defects");
    assert_eq!(got.rejects_by_reason, want, "training rejects per §16 reason over the drop");
    assert_eq!(got.rows_read, totals["rows"].as_u64().expect("training rows"), "training rows read");
    assert_eq!(
        got.rows_accepted,
        totals["valid_rows"].as_u64().expect("training valid rows"),
        "training rows accepted"
    );
    let unreadable = totals["unreadable_files"].as_u64().expect("training unreadable");
    assert_eq!(got.files_unreadable as u64, unreadable, "unreadable training files");
}

/// Each manifest file entry (certificate or training) against the report of that file: unreadable where the
/// manifest says so, else loaded with its rows, accepted rows and rejects per reason code.
fn check_files(report: &BatchReport, files: &[serde_json::Value]) {
    for entry in files {
        let path = entry["path"].as_str().expect("path");
        let got = crate::file(report, path);
        if entry["readable"].as_bool() == Some(false) {
            assert!(
                matches!(got.outcome, FileOutcome::Unreadable { .. }),
                "{path} should be unreadable: {:?}",
                got.outcome
            );
            continue;
        }
        assert_eq!(got.outcome, FileOutcome::Loaded, "{path}");
        assert_eq!(got.rows_read, entry["rows"].as_u64().expect("rows"), "{path}: rows");
        assert_eq!(got.rows_accepted, entry["valid_rows"].as_u64().expect("valid"), "{path}: accepted");
        let want: BTreeMap<String, u64> = serde_json::from_value(entry["defects"].clone()).expect("defects");
        let have: BTreeMap<String, u64> = got.reject_codes().into_iter().map(|(r, n)| (r.to_string(), n)).collect();
        assert_eq!(have, want, "{path}: rejects by reason");
    }
}

/// Any datagen drop named by `SKILLHOUSE_TEST_DROP` (e.g. a larger one made with `skillhouse datagen`).
#[test]
fn drop_named_by_environment_equals_its_manifest() {
    let Some(drop) = std::env::var_os("SKILLHOUSE_TEST_DROP") else {
        eprintln!("SKIPPED drop_named_by_environment_equals_its_manifest: SKILLHOUSE_TEST_DROP not set");
        return;
    };
    let drop = Path::new(&drop);
    let text = std::fs::read_to_string(drop.join("manifest.json")).expect("manifest.json in SKILLHOUSE_TEST_DROP");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    check_drop(drop, &text, &root.join("datasets/reference"));
}
