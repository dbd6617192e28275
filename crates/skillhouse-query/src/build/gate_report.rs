//! What the release gate found (DESIGN §11): every check's result and the verdict. Plain data, written into the
//! snapshot's manifest and read back by the next build's gate — so it lives apart from both.

use serde::{Deserialize, Serialize};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The candidate passes.
    Pass,
    /// The candidate fails; see `measured` and `detail`.
    Fail,
    /// Not applicable (no previous snapshot to compare with).
    Skipped,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable id (`unique_cert_no`, `certificate_row_change`, …).
    pub id: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Pass, fail or skipped.
    pub status: CheckStatus,
    /// What was measured: offending rows for data tests, a percentage for comparisons.
    pub measured: Option<f64>,
    /// The limit `measured` is held to.
    pub threshold: Option<f64>,
    /// One sentence: what was found.
    pub detail: String,
}

/// Every check's result, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    /// True when no check failed.
    pub passed: bool,
    /// True when a check failed and the candidate was let through by `--force`.
    pub forced: bool,
    /// The snapshot compared against, if any.
    pub previous_snapshot: Option<String>,
    /// Every check, data tests first.
    pub checks: Vec<CheckResult>,
}

impl GateReport {
    /// Whether the candidate may be published: every check passed, or the gate was forced.
    pub fn allows_publish(&self) -> bool {
        self.passed || self.forced
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }
}
