//! `skillhouse serve`.

use crate::args::ServeArgs;
use crate::exit::Outcome;

pub fn run(_args: ServeArgs) -> anyhow::Result<Outcome> {
    super::unavailable("serve")
}
