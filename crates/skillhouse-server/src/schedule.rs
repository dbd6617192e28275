//! The nightly rebuild run by the server itself (`skillhouse serve --rebuild-at HH:MM --landing DIR`).
//!
//! The server knows nothing of ingestion or of how a snapshot is built: the caller (the CLI) hands it a
//! [`ScheduledRebuild`] — a time of day and a job to run. Every day at that local time the job runs on a thread of
//! its own (it is blocking and long: ingest, build, publish, under the warehouse lock, so it never overlaps a
//! `skillhouse rebuild` started from cron), requests go on being answered from the served snapshot meanwhile, and
//! when the job is done the published snapshot is reloaded at once rather than at the next poll.

use crate::rebuild::RebuildResult;
use crate::state::{AppState, ReloadOutcome};
use chrono::{Days, NaiveDateTime, NaiveTime};
use std::sync::Arc;

/// Why the server could not get a result from the job at all.
#[derive(Debug, thiserror::Error)]
enum JobError {
    /// The job's thread ended without sending its result (it panicked).
    #[error("the rebuild job stopped without a result")]
    Stopped,
    /// The job's thread could not be started.
    #[error("cannot start the rebuild thread")]
    Thread(#[source] std::io::Error),
}

/// The first run strictly after `now` at time of day `at`: today if that time is still ahead, else tomorrow.
pub fn next_run(now: NaiveDateTime, at: NaiveTime) -> NaiveDateTime {
    let today = now.date().and_time(at);
    if today > now {
        today
    } else {
        now.date().checked_add_days(Days::new(1)).map_or(today, |tomorrow| tomorrow.and_time(at))
    }
}

/// What one scheduled run did.
#[derive(Debug)]
pub struct RebuildRun {
    /// The job's summary, or why it failed.
    pub result: RebuildResult,
    /// The reload that followed (`None` when it failed; the poller retries).
    pub reload: Option<ReloadOutcome>,
}

/// Runs the configured rebuild job now, off the async runtime, then reloads the published snapshot. Does nothing
/// (`None`) when no rebuild is configured.
pub async fn run_scheduled_rebuild(state: &AppState) -> Option<RebuildRun> {
    let job = Arc::clone(&state.config().rebuild.as_ref()?.job);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    // A plain thread, not the blocking pool: the job starts a runtime of its own for the build.
    let spawned = std::thread::Builder::new().name("scheduled-rebuild".into()).spawn(move || {
        let _ = sender.send(job());
    });
    let result = match spawned {
        Ok(_) => receiver.await.unwrap_or_else(|_| Err(JobError::Stopped.into())),
        Err(e) => Err(JobError::Thread(e).into()),
    };
    match &result {
        Ok(summary) if summary.published => {
            tracing::info!(snapshot = %summary.snapshot_id, detail = %summary.detail, "scheduled rebuild published");
        }
        // Not published (the release gate refused) is an error for the operator reading the server's log.
        Ok(summary) => tracing::error!(
            snapshot = %summary.snapshot_id,
            detail = %summary.detail,
            "scheduled rebuild refused by the release gate; still serving the published snapshot"
        ),
        Err(error) => {
            let error = crate::error::chain(error.as_ref());
            tracing::error!(%error, "scheduled rebuild failed; still serving the published snapshot");
        }
    }
    let reload = match state.reload().await {
        Ok(outcome) => Some(outcome),
        Err(error) => {
            let error = crate::error::chain(&error);
            tracing::error!(%error, "loading the snapshot after the scheduled rebuild failed");
            None
        }
    };
    Some(RebuildRun { result, reload })
}

/// Starts the daily schedule, if one is configured: sleeps until the next run time (local clock), runs, repeats.
pub fn spawn_scheduler(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let at = state.config().rebuild.as_ref()?.at;
    let state = state.clone();
    Some(tokio::spawn(async move {
        loop {
            let now = chrono::Local::now().naive_local();
            let next = next_run(now, at);
            tracing::info!(next_run = %next, "nightly rebuild scheduled");
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            run_scheduled_rebuild(&state).await;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str, time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S").expect("datetime")
    }

    #[test]
    fn the_next_run_is_today_when_still_ahead_else_tomorrow() {
        let two = NaiveTime::from_hms_opt(2, 0, 0).expect("time");
        assert_eq!(next_run(at("2025-06-30", "01:59:30"), two), at("2025-06-30", "02:00:00"));
        // Exactly at the time: the run that is due now has started; the next is tomorrow.
        assert_eq!(next_run(at("2025-06-30", "02:00:00"), two), at("2025-07-01", "02:00:00"));
        assert_eq!(next_run(at("2025-06-30", "23:30:00"), two), at("2025-07-01", "02:00:00"));
        assert_eq!(next_run(at("2025-12-31", "23:00:00"), two), at("2026-01-01", "02:00:00"));
        assert_eq!(next_run(at("2024-02-28", "03:00:00"), two), at("2024-02-29", "02:00:00"));
        let late = NaiveTime::from_hms_opt(23, 59, 0).expect("time");
        assert_eq!(next_run(at("2025-06-30", "00:00:00"), late), at("2025-06-30", "23:59:00"));
    }
}
