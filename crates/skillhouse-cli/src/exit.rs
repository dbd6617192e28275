//! Exit codes, documented in the README and `docs/operations.md` for cron and systemd.

use std::process::ExitCode;

/// How a command ended, mapped to a documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0 — done (for `rebuild`: published).
    Success,
    /// 1 — failed; the message says why.
    Failed,
    /// 3 — done, but some files or rows were rejected (see the reject report).
    PartlyRejected,
    /// 4 — the release gate refused to publish; the previous snapshot keeps serving.
    RefusedByGate,
    /// 5 — another ingest or rebuild holds the warehouse lock.
    Locked,
    /// 6 — a reference file (`agencies.csv`, `training/providers.csv`, `occupations.csv`, `header_aliases.toml`) is
    /// broken; nothing was ingested. The message names the file, the row and what to correct.
    BadReference,
}

impl Outcome {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::PartlyRejected => 3,
            Outcome::RefusedByGate => 4,
            Outcome::Locked => 5,
            Outcome::BadReference => 6,
        }
    }
}

/// The exit outcome of a command that failed: a broken reference file has its own code, so that cron's mail and
/// the operator know the fix is in the landing or reference folder, not the warehouse.
pub fn failure_outcome(error: &anyhow::Error) -> Outcome {
    let reference = error
        .chain()
        .any(|cause| cause.downcast_ref::<skillhouse_ingest::IngestError>().is_some_and(|e| e.is_reference()));
    if reference { Outcome::BadReference } else { Outcome::Failed }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(outcome.code())
    }
}
