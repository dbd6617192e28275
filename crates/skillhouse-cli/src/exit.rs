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
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(outcome.code())
    }
}
