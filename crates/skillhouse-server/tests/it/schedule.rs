//! The server's own nightly rebuild (`--rebuild-at`): a triggered run publishes through the job the caller gave,
//! and the server serves the new snapshot at once; a failed run leaves the served snapshot in place.

use crate::{app_with, fixture, get, warehouse};
use skillhouse_server::{RebuildSummary, ReloadOutcome, ScheduledRebuild};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn a_triggered_rebuild_publishes_and_the_server_serves_it_at_once() {
    let dir = warehouse();
    let warehouse_path = dir.path().to_path_buf();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    // Stands in for the CLI's rebuild: publishes snapshot S2 (blocking, on the job's own thread).
    let job = Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        fixture::publish(&warehouse_path, "S2", &fixture::rows());
        Ok(RebuildSummary { snapshot_id: "S2".into(), published: true, detail: "published".into() })
    });
    let at = chrono::NaiveTime::from_hms_opt(2, 0, 0).expect("time");
    let (state, app) = app_with(dir.path(), |c| c.rebuild = Some(ScheduledRebuild { at, job })).await;
    assert_eq!(get(&app, "/api/v1/snapshot").await.json()["snapshot_id"], "S1");

    let run = skillhouse_server::run_scheduled_rebuild(&state).await.expect("a rebuild is configured");
    assert_eq!(run.result.as_ref().ok().map(|s| s.snapshot_id.as_str()), Some("S2"));
    assert_eq!(run.reload, Some(ReloadOutcome::Loaded("S2".into())), "picked up without waiting for a poll");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(get(&app, "/api/v1/snapshot").await.json()["snapshot_id"], "S2");
}

#[tokio::test]
async fn a_failed_rebuild_leaves_the_served_snapshot_in_place() {
    let dir = warehouse();
    let job = Arc::new(|| Err("another ingest or rebuild is running on this warehouse".into()));
    let at = chrono::NaiveTime::from_hms_opt(2, 0, 0).expect("time");
    let (state, app) = app_with(dir.path(), |c| c.rebuild = Some(ScheduledRebuild { at, job })).await;
    let run = skillhouse_server::run_scheduled_rebuild(&state).await.expect("configured");
    assert!(run.result.is_err());
    assert_eq!(run.reload, Some(ReloadOutcome::Unchanged("S1".into())));
    assert_eq!(get(&app, "/api/v1/snapshot").await.json()["snapshot_id"], "S1");
    let (unscheduled, _) = app_with(dir.path(), |_| {}).await;
    assert!(skillhouse_server::run_scheduled_rebuild(&unscheduled).await.is_none(), "nothing configured, nothing run");
}
