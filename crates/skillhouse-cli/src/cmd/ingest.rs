//! `skillhouse ingest`.

use crate::args::IngestArgs;
use crate::exit::Outcome;

pub fn run(_args: IngestArgs) -> anyhow::Result<Outcome> {
    super::unavailable("ingest")
}
