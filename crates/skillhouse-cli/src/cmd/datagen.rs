//! `skillhouse datagen`.

use crate::args::DatagenArgs;
use crate::exit::Outcome;

pub fn run(_args: DatagenArgs) -> anyhow::Result<Outcome> {
    super::unavailable("datagen")
}
