//! The rebuild job the server may run at a time of day ([`ScheduledRebuild`]), and what it reports: plain types,
//! shared by the configuration that holds the job and the scheduler that runs it (`schedule.rs`). The server knows
//! nothing of ingestion or of how a snapshot is built; the caller (the CLI) provides the job.

use chrono::NaiveTime;
use std::sync::Arc;

/// What a finished rebuild job tells the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildSummary {
    /// The snapshot the run built.
    pub snapshot_id: String,
    /// Whether it was published; `false` when the release gate refused it and the served snapshot stays.
    pub published: bool,
    /// One line for the server's log: the outcome, files and rows.
    pub detail: String,
}

/// Why a rebuild job could not finish: the job's own error, with its chain of causes.
pub type RebuildError = Box<dyn std::error::Error + Send + Sync>;

/// What a rebuild job returns.
pub type RebuildResult = std::result::Result<RebuildSummary, RebuildError>;

/// A daily rebuild: when, and what to run.
#[derive(Clone)]
pub struct ScheduledRebuild {
    /// Local time of day of the run.
    pub at: NaiveTime,
    /// The job: blocking; takes the warehouse lock itself.
    pub job: Arc<dyn Fn() -> RebuildResult + Send + Sync>,
}

impl std::fmt::Debug for ScheduledRebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledRebuild").field("at", &self.at).finish_non_exhaustive()
    }
}
