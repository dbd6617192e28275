//! Fault injection for the crash tests: named points in ingestion, the snapshot build and publishing where a test
//! can make the process die as a `kill -9` would, to prove that a crash anywhere leaves the warehouse consistent.
//!
//! `SKILLHOUSE_FAULT_POINT=name[:n[:action]]` arms one point: the `n`-th time (default 1) the process passes
//! `name`, it performs `action` — `abort` (default: `std::process::abort()`, no destructors, no flushing, like
//! SIGKILL) or `pause` (sleep forever, so a test can observe the process holding its locks and then kill it).
//!
//! This is the one place the model crate reads its environment: the variable is read once, on the first point
//! passed; without it every point costs one atomic load. Unset in production, it does nothing.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that arms a fault point.
pub const FAULT_POINT_VAR: &str = "SKILLHOUSE_FAULT_POINT";

/// What an armed point does when reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// `std::process::abort()`.
    Abort,
    /// Sleep forever.
    Pause,
}

/// A parsed `SKILLHOUSE_FAULT_POINT` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// The point's name.
    pub name: String,
    /// Which pass triggers it (1-based).
    pub nth: u64,
    /// What happens then.
    pub action: FaultAction,
}

impl FaultSpec {
    /// Parses `name[:n[:action]]`; `None` when the text is empty or malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split(':');
        let name = parts.next().filter(|n| !n.is_empty())?.to_string();
        let nth = match parts.next() {
            Some(n) => n.parse().ok().filter(|n| *n >= 1)?,
            None => 1,
        };
        let action = match parts.next() {
            None | Some("abort") => FaultAction::Abort,
            Some("pause") => FaultAction::Pause,
            Some(_) => return None,
        };
        parts.next().is_none().then_some(Self { name, nth, action })
    }
}

struct Armed {
    spec: Option<FaultSpec>,
    passes: AtomicU64,
}

fn armed() -> &'static Armed {
    static ARMED: OnceLock<Armed> = OnceLock::new();
    ARMED.get_or_init(|| Armed {
        spec: std::env::var(FAULT_POINT_VAR).ok().as_deref().and_then(FaultSpec::parse),
        passes: AtomicU64::new(0),
    })
}

/// Marks a fault point. Does nothing unless `SKILLHOUSE_FAULT_POINT` names it.
pub fn point(name: &str) {
    let armed = armed();
    let Some(spec) = &armed.spec else { return };
    if spec.name != name {
        return;
    }
    let pass = armed.passes.fetch_add(1, Ordering::SeqCst) + 1;
    if pass != spec.nth {
        return;
    }
    match spec.action {
        FaultAction::Abort => {
            eprintln!("fault injection: aborting at `{name}` (pass {pass})");
            std::process::abort();
        }
        FaultAction::Pause => {
            eprintln!("fault injection: pausing at `{name}` (pass {pass})");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(
            FaultSpec::parse("ingest.ledger_saved"),
            Some(FaultSpec { name: "ingest.ledger_saved".into(), nth: 1, action: FaultAction::Abort })
        );
        assert_eq!(
            FaultSpec::parse("build.model:3:pause"),
            Some(FaultSpec { name: "build.model".into(), nth: 3, action: FaultAction::Pause })
        );
        for bad in ["", ":2", "x:0", "x:two", "x:1:explode", "x:1:abort:more"] {
            assert_eq!(FaultSpec::parse(bad), None, "{bad:?}");
        }
    }
}
