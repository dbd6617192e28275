//! Hot reload: a newly published snapshot is served without restart; a request that took the old snapshot
//! finishes on it; a broken snapshot leaves the served one in place.

use crate::{app_with, fixture, get, get_with, warehouse};
use axum::http::StatusCode;
use skillhouse_server::ReloadOutcome;
use skillhouse_server::{Filters, Format, Resource};
use std::time::Duration;

fn second_rows() -> Vec<fixture::Row> {
    let mut rows = fixture::rows();
    for row in &mut rows {
        if row.0 == "new_skilled" && row.1 == "410100" && row.2 == 2024 {
            row.5 = 700.0;
            row.6 = 700;
        }
    }
    rows
}

#[tokio::test]
async fn a_new_snapshot_is_served_without_restart_and_old_requests_finish_on_theirs() {
    let dir = warehouse();
    let (state, app) = app_with(dir.path(), |_| {}).await;
    let before = get(&app, "/api/v1/indicators/new_skilled?region=410100&year=2024").await;
    assert_eq!(before.header("x-skillhouse-snapshot"), "S1");
    let old_etag = before.header("etag").to_string();

    // A request in flight holds the snapshot it started on (what every handler takes first).
    let in_flight = state.current().expect("S1 loaded");
    fixture::publish(dir.path(), "S2", &second_rows());
    assert_eq!(state.reload().await.expect("reload"), ReloadOutcome::Loaded("S2".into()));
    assert_eq!(state.reload().await.expect("reload"), ReloadOutcome::Unchanged("S2".into()));

    let filters = Filters { region: Some("410100".into()), year: Some(2024), ..Filters::default() };
    let old_body = in_flight.body(&Resource::Values("new_skilled".into()), &filters, Format::Json).expect("body");
    let old: serde_json::Value = serde_json::from_slice(&old_body).expect("json");
    assert_eq!((old["snapshot_id"].clone(), old["data"][0]["value"].clone()), ("S1".into(), 600.0.into()));

    let after =
        get_with(&app, "/api/v1/indicators/new_skilled?region=410100&year=2024", &[("if-none-match", &old_etag)]).await;
    assert_eq!(after.status, StatusCode::OK, "the old ETag no longer matches");
    assert_eq!(after.header("x-skillhouse-snapshot"), "S2");
    let json = after.json();
    assert_eq!((json["snapshot_id"].clone(), json["data"][0]["value"].clone()), ("S2".into(), 700.0.into()));
}

#[tokio::test]
async fn the_reloader_picks_up_a_published_snapshot_and_survives_a_broken_one() {
    let dir = warehouse();
    let (state, app) = app_with(dir.path(), |c| c.poll_interval = Duration::from_millis(50)).await;
    let reloader = state.spawn_reloader();

    // A broken snapshot (no files) is published: S1 keeps serving.
    std::fs::create_dir_all(dir.path().join("snapshots/BROKEN")).expect("mkdir");
    skillhouse_query::publish_snapshot(dir.path(), "BROKEN").expect("publish");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(&app, "/api/v1/snapshot").await.json()["snapshot_id"], "S1");
    assert!(
        String::from_utf8_lossy(&get(&app, "/metrics").await.body).contains("skillhouse_snapshot_load_failures_total")
    );

    fixture::publish(dir.path(), "S2", &second_rows());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = get(&app, "/api/v1/snapshot").await;
        if answer.header("x-skillhouse-snapshot") == "S2" {
            assert_eq!(answer.json()["snapshot_id"], "S2", "header and body name the same snapshot");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "S2 was not picked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reloader.abort();
}
