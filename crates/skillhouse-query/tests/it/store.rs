//! Snapshots as immutable sets of files: base files linked, not leaked; checksums verified; the release gate;
//! retention that respects readers and the published snapshot.
//!
//! The fixture warehouse (`fixture::write_warehouse`) holds 23 certificates: 9 issued in 2023 (A1 5, A2 3, A3 1) and
//! 14 in 2024 (A1 6, A2 4, A3 3, A4 1), one file per agency and year named `<agency>__<year>-01__fixture00000`.

use crate::{builds, fixture};
use skillhouse_query::datafusion::arrow::array::{Array, Int64Array};
use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::{
    BuildOptions, CheckStatus, GateConfig, GateReport, Manifest, QueryError, SnapshotState, WarehouseLock,
};
use std::path::{Path, PathBuf};

async fn build(warehouse: &Path, id: &str, previous: Option<&str>, gate: Option<&GateConfig>) -> Manifest {
    let reference = fixture::fixtures_dir().join("reference");
    let options = BuildOptions { gate, ..Default::default() };
    builds::build(warehouse, &reference, id, fixture::as_of(), previous, options).await
}

/// Certificates a snapshot folder's session sees.
async fn certificates_in(warehouse: &Path, snapshot: &str) -> i64 {
    let ctx = builds::session(warehouse, snapshot).await;
    let batches = ctx.sql("SELECT COUNT(*) FROM certificates").await.expect("plan").collect().await.expect("run");
    batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("count").value(0)
}

fn certificate_file(warehouse: &Path, agency: &str, year: i32) -> PathBuf {
    warehouse.join(format!("certificates/issue_year={year}/{agency}__{year}-01__fixture00000.parquet"))
}

#[tokio::test]
async fn a_snapshot_holds_the_files_it_was_built_from_and_later_ingests_do_not_leak_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    fixture::write_warehouse(warehouse).await;
    let first = build(warehouse, "s1", None, None).await;
    skillhouse_query::publish_snapshot(warehouse, "s1").expect("publish");

    // The manifest lists every certificate partition file, as a link, with size, checksum and rows.
    let linked: Vec<_> = first.files.iter().filter(|(path, _)| path.starts_with("certificates/")).collect();
    assert_eq!(linked.len(), 7, "A1–A3 in 2023, A1–A4 in 2024: {linked:?}");
    assert!(linked.iter().all(|(_, f)| f.linked && f.bytes > 0 && f.sha256.len() == 64));
    assert_eq!(linked.iter().map(|(_, f)| f.rows.unwrap_or_default()).sum::<u64>(), 23);
    assert_eq!(first.row_counts.get("certificates"), Some(&23));
    assert_eq!(first.row_counts.get("certificates/issue_year=2023"), Some(&9));
    assert_eq!(first.row_counts.get("certificates/issue_year=2024"), Some(&14));
    assert!(first.files.get("dims/regions.parquet").is_some_and(|f| !f.linked));
    let opened = skillhouse_query::open_snapshot(warehouse).await.expect("open");
    assert!(opened.is_leased());

    // A later ingest: a correction removes A1's 2023 file (5 rows) and a new file arrives (a copy of A3's 2024
    // file under another slice, 3 rows).
    std::fs::remove_file(certificate_file(warehouse, "A1", 2023)).expect("remove");
    std::fs::copy(
        certificate_file(warehouse, "A3", 2024),
        warehouse.join("certificates/issue_year=2024/A5__2024-02__fixture00001.parquet"),
    )
    .expect("copy");

    // The session opened before, a fresh session on s1, and s1's verification all still see the original 23.
    let count = opened.query("SELECT COUNT(*) FROM certificates").await.expect("query");
    assert_eq!(count[0].column(0).as_any().downcast_ref::<Int64Array>().expect("count").value(0), 23);
    assert_eq!(certificates_in(warehouse, "s1").await, 23);
    let verified = skillhouse_query::verify_snapshot(warehouse, "s1").expect("verify");
    assert!(verified.is_intact(), "{:?}", verified.problems);
    assert_eq!(verified.files, first.files.len());

    // The next snapshot sees the warehouse as it is now: 23 − 5 + 3.
    let second = build(warehouse, "s2", Some("s1"), None).await;
    assert_eq!(second.row_counts.get("certificates"), Some(&21));
    assert_eq!(certificates_in(warehouse, "s2").await, 21);
    assert_eq!(certificates_in(warehouse, "s1").await, 23, "the older snapshot is unchanged");

    // s2 published: retention keeping none but the published one must still spare s1 while the session lives.
    skillhouse_query::publish_snapshot(warehouse, "s2").expect("publish");
    let lock = WarehouseLock::try_acquire(warehouse, "test").expect("lock");
    let pruned = skillhouse_query::prune_snapshots(warehouse, 0, &lock).expect("prune");
    assert_eq!((pruned.removed.len(), pruned.in_use.clone()), (0, vec!["s1".to_string()]));
    drop(opened);
    let pruned = skillhouse_query::prune_snapshots(warehouse, 0, &lock).expect("prune");
    assert_eq!(pruned.removed, vec!["s1".to_string()]);
    // Removing s1 removed its links only: the warehouse files it shared with s2 are intact.
    assert!(skillhouse_query::verify_snapshot(warehouse, "s2").expect("verify").is_intact());
    assert_eq!(certificates_in(warehouse, "s2").await, 21);
}

#[tokio::test]
async fn the_ledger_decides_which_warehouse_files_a_snapshot_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    fixture::write_warehouse(warehouse).await;
    // Only A2's 2023 file is `loaded`; A1's is superseded and the rest (as if left by a crashed ingest) unlisted.
    write_ledger(warehouse, &[("A2", "2023-01", "loaded", 3), ("A1", "2023-01", "superseded", 5)]).await;
    let manifest = build(warehouse, "s1", None, None).await;
    assert_eq!(manifest.row_counts.get("certificates"), Some(&3));
    assert_eq!(certificates_in(warehouse, "s1").await, 3);
    assert!(manifest.files.contains_key("ledger/ledger.parquet"));
    assert_eq!(manifest.summary.certificates.files_by_status.get("loaded"), Some(&1));
    assert_eq!(manifest.summary.certificates.files_by_status.get("superseded"), Some(&1));
    assert_eq!((manifest.summary.certificates.rows_read, manifest.summary.certificates.rows_accepted), (3, 3));
}

async fn write_ledger(warehouse: &Path, rows: &[(&str, &str, &str, i64)]) {
    let ctx = SessionContext::new();
    let values: Vec<String> = rows
        .iter()
        .map(|(agency, period, status, n)| {
            format!(
                "('{agency}/{period}.csv', 'fixture00000{agency}', '{agency}', '{period}', '{status}', \
                 CAST({n} AS BIGINT), CAST({n} AS BIGINT), CAST(0 AS BIGINT), '{{}}')"
            )
        })
        .collect();
    let sql = format!(
        "SELECT column1 AS source_file, column2 AS content_hash, column3 AS agency_id, column4 AS period, \
         column5 AS status, column6 AS rows_read, column7 AS rows_accepted, column8 AS rows_rejected, \
         column9 AS rejects_by_reason FROM (VALUES {})",
        values.join(", ")
    );
    let path = warehouse.join("ledger/ledger.parquet");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let batches = ctx.sql(&sql).await.expect("plan").collect().await.expect("run");
    let file = std::fs::File::create(&path).expect("create");
    let mut writer =
        skillhouse_query::datafusion::parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), None)
            .expect("writer");
    for batch in &batches {
        writer.write(batch).expect("write");
    }
    writer.close().expect("close");
}

#[tokio::test]
async fn verification_finds_changed_and_missing_files_and_rollback_refuses_a_damaged_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    fixture::write_warehouse(warehouse).await;
    build(warehouse, "s1", None, None).await;
    let snapshot = warehouse.join("snapshots/s1");
    let catalogue = snapshot.join("indicators.parquet");
    let mut bytes = std::fs::read(&catalogue).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&catalogue, &bytes).expect("rewrite");
    std::fs::remove_file(snapshot.join("models/persons/2023.parquet")).expect("remove");
    let report = skillhouse_query::verify_snapshot(warehouse, "s1").expect("verify");
    assert_eq!(
        report.problems,
        vec![
            "indicators.parquet: checksum differs from the manifest".to_string(),
            "models/persons/2023.parquet: missing".to_string()
        ]
    );
    let lock = WarehouseLock::try_acquire(warehouse, "test").expect("lock");
    let refused = skillhouse_query::rollback(warehouse, "s1", false, &lock);
    assert!(matches!(refused, Err(QueryError::Integrity { .. })), "{refused:?}");
    assert!(!warehouse.join("CURRENT").exists(), "nothing was published");
    let unknown = skillhouse_query::rollback(warehouse, "nope", false, &lock);
    assert!(matches!(unknown, Err(QueryError::UnknownSnapshot { .. })), "{unknown:?}");
}

fn check<'a>(report: &'a GateReport, id: &str) -> &'a skillhouse_query::CheckResult {
    report.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id} in {report:?}"))
}

#[tokio::test]
async fn the_gate_passes_clean_data_and_measures_what_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    fixture::write_warehouse(warehouse).await;
    let config = GateConfig::default();
    let first = build(warehouse, "s1", None, Some(&config)).await;
    let gate = first.gate.expect("gate ran");
    assert!(gate.passed, "{gate:#?}");
    for id in ["unique_cert_no", "not_null_keys", "accepted_values", "referential_integrity"] {
        assert_eq!(check(&gate, id).status, CheckStatus::Pass, "{id}");
    }
    assert_eq!(check(&gate, "certificate_row_change").status, CheckStatus::Skipped, "no previous snapshot");

    // A1's 2023 file (5 rows) lands twice under another name, and every 2024 file (14 rows) leaves.
    std::fs::copy(
        certificate_file(warehouse, "A1", 2023),
        warehouse.join("certificates/issue_year=2023/A9__2023-02__fixture00001.parquet"),
    )
    .expect("copy");
    for agency in ["A1", "A2", "A3", "A4"] {
        std::fs::remove_file(certificate_file(warehouse, agency, 2024)).expect("remove");
    }
    let second = build(warehouse, "s2", Some("s1"), Some(&config)).await;
    let gate = second.gate.expect("gate ran");
    assert!(!gate.passed && !gate.forced);
    assert_eq!(gate.previous_snapshot.as_deref(), Some("s1"));
    // Five numbers now appear twice.
    assert_eq!(
        (check(&gate, "unique_cert_no").status, check(&gate, "unique_cert_no").measured),
        (CheckStatus::Fail, Some(5.0))
    );
    let emptied = check(&gate, "no_emptied_year");
    assert_eq!((emptied.status, emptied.measured), (CheckStatus::Fail, Some(1.0)));
    assert!(emptied.detail.contains("2024"), "{}", emptied.detail);
    // 23 → 9 + 5 = 14 certificates: −39.13%.
    let rows = check(&gate, "certificate_row_change");
    assert_eq!((rows.status, rows.measured), (CheckStatus::Fail, Some(-39.13)));
    assert_eq!(check(&gate, "accepted_values").status, CheckStatus::Pass);
    let failed: Vec<_> = gate.failures().map(|c| c.id.as_str()).collect();
    assert!(failed.contains(&"headline_indicator_change"), "the 2024 stock collapsed too: {failed:?}");

    let lock = WarehouseLock::try_acquire(warehouse, "test").expect("lock");
    let refused = skillhouse_query::rollback(warehouse, "s2", false, &lock);
    assert!(matches!(refused, Err(QueryError::RefusedSnapshot { .. })), "{refused:?}");
    let states: Vec<_> =
        skillhouse_query::list_snapshots(warehouse).expect("list").into_iter().map(|s| (s.id, s.state)).collect();
    assert_eq!(states, vec![("s2".to_string(), SnapshotState::Refused), ("s1".to_string(), SnapshotState::Ready)]);
}

/// A snapshot folder with just a manifest and a lease file: retention reads nothing else.
fn fake_snapshot(warehouse: &Path, id: &str, gate_passed: Option<bool>) {
    let dir = warehouse.join("snapshots").join(id);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(".readers"), b"").expect("lease file");
    let gate = gate_passed.map(|passed| GateReport { passed, forced: false, previous_snapshot: None, checks: vec![] });
    let manifest = Manifest { snapshot_id: id.to_string(), gate, ..Manifest::default() };
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&manifest).expect("json")).expect("manifest");
}

#[test]
fn retention_keeps_the_newest_the_published_and_those_readers_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    for id in ["s1", "s2", "s3", "s4", "s5"] {
        fake_snapshot(warehouse, id, None);
    }
    fake_snapshot(warehouse, "s6", Some(false)); // refused, newest: kept for inspection
    fake_snapshot(warehouse, "s0", Some(false)); // refused, older: removed
    std::fs::create_dir_all(warehouse.join("snapshots/s7/dims")).expect("crashed build without manifest");
    skillhouse_query::publish_snapshot(warehouse, "s2").expect("publish");
    // A reader holds s1.
    let reader = std::fs::File::open(warehouse.join("snapshots/s1/.readers")).expect("lease file");
    reader.lock_shared().expect("shared lease");

    let lock = WarehouseLock::try_acquire(warehouse, "test").expect("lock");
    let report = skillhouse_query::prune_snapshots(warehouse, 2, &lock).expect("prune");
    // Kept: s5 and s4 (the two newest publishable), s2 (published), s6 (newest refused), s1 (held by a reader).
    assert_eq!(report.removed, vec!["s7".to_string(), "s3".to_string(), "s0".to_string()]);
    assert_eq!(report.in_use, vec!["s1".to_string()]);
    let left: Vec<_> = skillhouse_query::list_snapshots(warehouse).expect("list").into_iter().map(|s| s.id).collect();
    assert_eq!(left, vec!["s6", "s5", "s4", "s2", "s1"]);
    assert!(skillhouse_query::list_snapshots(warehouse).expect("list").iter().any(|s| s.id == "s1" && s.in_use));

    // Once the reader goes, the next run removes s1; the published s2 stays even though it is not among the newest.
    drop(reader);
    let report = skillhouse_query::prune_snapshots(warehouse, 2, &lock).expect("prune");
    assert_eq!(report.removed, vec!["s1".to_string()]);
    let left: Vec<_> = skillhouse_query::list_snapshots(warehouse).expect("list").into_iter().map(|s| s.id).collect();
    assert_eq!(left, vec!["s6", "s5", "s4", "s2"]);
    assert!(
        std::fs::read_dir(warehouse.join("snapshots"))
            .expect("list")
            .all(|e| { !e.expect("entry").file_name().to_string_lossy().starts_with('.') })
    );
}

#[tokio::test]
async fn data_tests_count_each_offending_certificate_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    fixture::write_warehouse(warehouse).await;
    // A1's 2023 file again under new numbers, with an unknown certificate type and an unknown region: 5 rows.
    // (Plain Utf8 strings, as ingestion writes them.)
    let config = skillhouse_query::datafusion::prelude::SessionConfig::new()
        .set_bool("datafusion.execution.parquet.schema_force_view_types", false);
    let ctx = SessionContext::new_with_config(config);
    let source = certificate_file(warehouse, "A1", 2023);
    ctx.register_parquet("source", source.to_str().expect("utf-8"), Default::default()).await.expect("register");
    let batches = ctx
        .sql(
            "SELECT 'Z' || cert_no AS cert_no, 'bogus' AS cert_type, level, level_rank, occupation_code, person_key, \
             birth_date, gender, hukou_region, agency_id, agency_type, '999999' AS region_code, issue_date, programme, \
             is_youth, source_file, source_row, batch_id, content_hash FROM source",
        )
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let target = warehouse.join("certificates/issue_year=2023/A9__2023-03__fixture00002.parquet");
    let file = std::fs::File::create(&target).expect("create");
    let mut writer =
        skillhouse_query::datafusion::parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), None)
            .expect("writer");
    for batch in &batches {
        writer.write(batch).expect("write");
    }
    writer.close().expect("close");

    let manifest = build(warehouse, "s1", None, Some(&GateConfig::default())).await;
    let gate = manifest.gate.expect("gate ran");
    let measured = |id: &str| (check(&gate, id).status, check(&gate, id).measured);
    assert_eq!(measured("accepted_values"), (CheckStatus::Fail, Some(5.0)));
    assert_eq!(measured("referential_integrity"), (CheckStatus::Fail, Some(5.0)));
    assert_eq!(measured("unique_cert_no"), (CheckStatus::Pass, Some(0.0)));
    assert_eq!(measured("not_null_keys"), (CheckStatus::Pass, Some(0.0)));
    assert!(!gate.passed);
}

#[test]
fn manifests_of_older_snapshots_still_read_and_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snapshot = dir.path().join("snapshots/old");
    std::fs::create_dir_all(&snapshot).expect("mkdir");
    std::fs::write(snapshot.join("indicators.parquet"), b"abc").expect("file");
    // SHA-256 of "abc"; before this version `files` mapped a path to its checksum alone.
    let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let text = format!(
        r#"{{"snapshot_id":"old","as_of":"2024-10-01","built_at":"2024-10-01T00:00:00Z","definition_version":"2025.1",
            "row_counts":{{"indicators":16}},"files":{{"indicators.parquet":"{sha}"}}}}"#
    );
    std::fs::write(snapshot.join("manifest.json"), text).expect("manifest");
    let manifest = skillhouse_query::read_manifest(&snapshot).expect("an older manifest reads");
    assert_eq!(manifest.files["indicators.parquet"].sha256, sha);
    assert!(manifest.gate.is_none());
    assert!(skillhouse_query::verify_snapshot(dir.path(), "old").expect("verify").is_intact());
    std::fs::write(snapshot.join("indicators.parquet"), b"abd").expect("change");
    let report = skillhouse_query::verify_snapshot(dir.path(), "old").expect("verify");
    assert_eq!(report.problems, vec!["indicators.parquet: checksum differs from the manifest".to_string()]);
}
