//! The committed sample drop (`datasets/sample`, written by skillhouse-datagen): rejects per reason equal the
//! manifest's injected defects exactly.

use crate::run;
use chrono::NaiveDate;
use skillhouse_ingest::{FileOutcome, IngestOptions};
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
    assert_eq!(report.files.len(), files.len(), "every manifest file was considered");
    for entry in files {
        let path = entry["path"].as_str().expect("path");
        let got = crate::file(&report, path);
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
        let have: BTreeMap<String, u64> =
            got.rejects_by_reason.iter().map(|(r, n)| (r.code().to_string(), *n)).collect();
        assert_eq!(have, want, "{path}: rejects by reason");
    }
    let totals: BTreeMap<String, u64> = serde_json::from_value(manifest["totals"]["defects"].clone()).expect("totals");
    let have: BTreeMap<String, u64> =
        report.rejects_by_reason().iter().map(|(r, n)| (r.code().to_string(), *n)).collect();
    assert_eq!(have, totals, "rejects per reason over the drop");
    assert_eq!(report.files_unreadable() as u64, manifest["totals"]["unreadable_files"].as_u64().expect("unreadable"));
    assert_eq!(report.duplicate_claims as u64, manifest["totals"]["duplicate_claims"].as_u64().expect("claims"));
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
