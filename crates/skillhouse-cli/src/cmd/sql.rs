//! `skillhouse sql`.

use crate::args::SqlArgs;
use crate::exit::Outcome;

pub fn run(_args: SqlArgs) -> anyhow::Result<Outcome> {
    super::unavailable("sql")
}
