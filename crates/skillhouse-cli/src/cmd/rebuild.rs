//! `skillhouse rebuild`.

use crate::args::RebuildArgs;
use crate::exit::Outcome;

pub fn run(_args: RebuildArgs) -> anyhow::Result<Outcome> {
    super::unavailable("rebuild")
}
