//! A snapshot built and published by `skillhouse-query` itself (the bundled reference data over an empty
//! warehouse) is served: the loader reads what the build really writes.

use crate::{app_with, get};
use axum::http::StatusCode;
use std::path::Path;

#[tokio::test]
async fn a_snapshot_built_by_the_query_layer_is_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference");
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
    let snapshot_dir = dir.path().join("snapshots").join("built");
    skillhouse_query::build_snapshot(dir.path(), &reference, as_of, &snapshot_dir).await.expect("build");
    skillhouse_query::publish_snapshot(dir.path(), "built").expect("publish");

    let (_, app) = app_with(dir.path(), |_| {}).await;
    let catalogue = get(&app, "/api/v1/indicators").await;
    assert_eq!(catalogue.status, StatusCode::OK);
    let entries = catalogue.json()["data"].as_array().cloned().unwrap_or_default();
    assert!(entries.len() >= 16, "every bundled indicator: {}", entries.len());
    let share = entries.iter().find(|e| e["indicator_id"] == "high_skill_share").expect("high_skill_share");
    assert_eq!(share["unit"], "share");
    assert!(share["title_zh"].as_str().is_some_and(|t| !t.is_empty()));

    let regions = get(&app, "/api/v1/regions").await.json();
    assert_eq!(regions["data"].as_array().map(Vec::len), Some(20));
    let programmes = get(&app, "/api/v1/programmes").await.json();
    let two = programmes["data"].as_array().and_then(|d| d.iter().find(|p| p["programme"] == "2.1")).cloned();
    assert_eq!(two.map(|p| p["parent"].clone()), Some(serde_json::json!("2")));
    let values = get(&app, "/api/v1/indicators/new_skilled?region=410100").await;
    assert_eq!(values.status, StatusCode::OK);
    let snapshot = get(&app, "/api/v1/snapshot").await.json();
    assert_eq!(snapshot["snapshot_id"], "built");
    assert_eq!(snapshot["as_of"], "2025-06-30");
}

#[tokio::test]
async fn the_submissions_come_from_the_ledger_the_snapshot_was_built_with() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference");
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
    crate::fixture::write_ledger(dir.path());
    let snapshot_dir = dir.path().join("snapshots").join("built");
    skillhouse_query::build_snapshot(dir.path(), &reference, as_of, &snapshot_dir).await.expect("build");
    skillhouse_query::publish_snapshot(dir.path(), "built").expect("publish");
    // A later ingest rewrites the warehouse's ledger; the published snapshot must not show it.
    std::fs::remove_file(dir.path().join("ledger/ledger.parquet")).expect("remove");

    let (_, app) = app_with(dir.path(), |_| {}).await;
    let json = get(&app, "/api/v1/submissions").await.json();
    let a01 = &json["data"][0];
    assert_eq!(a01["agency_id"], "A01");
    assert_eq!((a01["files"].clone(), a01["files_loaded"].clone()), (2.into(), 1.into()));
    assert_eq!(a01["rows_read"], 12);
    assert!(a01["rows_rejected"].is_null(), "2 rejects are below k: {a01}");

    // With k = 1 nothing is withheld: the build's summary, worked out by hand from `write_ledger`'s three files
    // (A01: one superseded, one loaded with 12 read, 10 accepted, 2 rejected; A02: one unreadable). The superseded
    // file's id_checksum reject is not counted: its rows were replaced.
    let (_, app) = app_with(dir.path(), |c| c.suppress_k = 1).await;
    let json = get(&app, "/api/v1/submissions").await.json();
    let a01 = &json["data"][0];
    let counts = ["files", "files_loaded", "files_superseded", "files_unreadable", "rows_read", "rows_accepted"]
        .map(|column| a01[column].as_i64());
    assert_eq!(counts, [2, 1, 1, 0, 12, 10].map(Some), "{a01}");
    assert_eq!(a01["rows_rejected"], 2);
    assert_eq!(a01["rejected_by_reason"], serde_json::json!({"id_checksum": 1, "under_age": 1}));
    let a02 = &json["data"][1];
    assert_eq!(a02["agency_id"], "A02");
    assert_eq!(
        (a02["files"].as_i64(), a02["files_unreadable"].as_i64(), a02["rows_read"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(a02["rejected_by_reason"], serde_json::json!({}));
}
