//! `skillhouse demo`.

use crate::args::DemoArgs;
use crate::exit::Outcome;

pub fn run(_args: DemoArgs) -> anyhow::Result<Outcome> {
    println!("SkillHouse demo: the pipeline is being built; nothing to show yet.");
    Ok(Outcome::Success)
}
