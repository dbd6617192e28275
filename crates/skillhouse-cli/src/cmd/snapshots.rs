//! `skillhouse snapshots`.

use crate::args::SnapshotsArgs;
use crate::exit::Outcome;

pub fn run(_args: SnapshotsArgs) -> anyhow::Result<Outcome> {
    super::unavailable("snapshots")
}
