//! One module per subcommand; `run` dispatches.

mod datagen;
mod demo;
mod distributed;
mod ingest;
mod objects;
mod pg;
mod rebuild;
mod receipts;
mod scoreboard;
mod serve;
mod snapshots;
mod sql;
mod sql_input;

use crate::args::{Command, KeyArgs};
use crate::exit::Outcome;
use anyhow::{Context, bail};
use objects::{Access, on_warehouse};
use skillhouse_model::PseudonymKey;
use skillhouse_query::{QueryError, WarehouseLock};
use std::path::{Path, PathBuf};

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Datagen(args) => datagen::run(args),
        Command::Ingest(args) => {
            on_warehouse(args, |a| &mut a.warehouse.warehouse, Access::Write("ingest"), ingest::run)
        }
        Command::Rebuild(args) => {
            on_warehouse(args, |a| &mut a.warehouse.warehouse, Access::Write("rebuild"), rebuild::run)
        }
        Command::Sql(args) => on_warehouse(args, |a| &mut a.warehouse.warehouse, Access::Read, sql::run),
        Command::Serve(args) => {
            if args.rebuild_at.is_some() && objects::is_object_url(&args.warehouse.warehouse) {
                bail!("serve --rebuild-at over object storage: run `skillhouse rebuild` from cron against the bucket");
            }
            let follow = Access::Follow(args.poll_interval);
            on_warehouse(args, |a| &mut a.warehouse.warehouse, follow, serve::run)
        }
        #[cfg(feature = "distributed")]
        Command::Scheduler(args) => distributed::scheduler(args),
        #[cfg(feature = "distributed")]
        Command::Executor(args) => distributed::executor(args),
        Command::Snapshots(args) => {
            on_warehouse(args, |a| &mut a.warehouse.warehouse, Access::Write("snapshots"), snapshots::run)
        }
        Command::Receipts(args) => {
            on_warehouse(args, |a| &mut a.warehouse.warehouse, Access::Write("receipts"), receipts::run)
        }
    }
}

/// Loads the pseudonymisation key; commands that ingest refuse to start without one.
pub fn load_key(args: &KeyArgs) -> anyhow::Result<PseudonymKey> {
    let Some(path) = &args.key_file else {
        bail!(
            "no pseudonymisation key: pass --key-file FILE or set SKILLHOUSE_KEY_FILE \
             (a file of at least 64 hex characters, kept outside the warehouse)"
        );
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading key file {}", path.display()))?;
    PseudonymKey::from_hex(&text).with_context(|| format!("key file {}", path.display()))
}

/// Writes a fresh random key (hex) to `path`, for the demo.
pub fn generate_key_file(path: &Path) -> anyhow::Result<()> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness for a key: {e}"))?;
    std::fs::write(path, hex::encode(bytes)).with_context(|| format!("writing key file {}", path.display()))
}

/// The reference data folder: the flag, else the bundled `datasets/reference` next to the source tree or the
/// current directory.
pub fn reference_dir(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir);
    }
    let candidates =
        [PathBuf::from("datasets/reference"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference")];
    candidates
        .into_iter()
        .find(|p| p.join("regions.csv").is_file())
        .context("cannot find the bundled reference data (datasets/reference); pass --reference DIR")
}

/// Takes the warehouse's writer lock for `command`. When another ingest or rebuild holds it, says who and returns
/// `None`: the caller exits with code 5.
pub fn lock_warehouse(warehouse: &Path, command: &str) -> anyhow::Result<Option<WarehouseLock>> {
    match WarehouseLock::try_acquire(warehouse, command) {
        Ok(lock) => Ok(Some(lock)),
        Err(error @ QueryError::Locked { .. }) => {
            eprintln!("skillhouse {command}: {error}. Nothing was done; run it again once that one has finished.");
            Ok(None)
        }
        Err(error) => Err(anyhow::Error::new(error).context("taking the warehouse lock")),
    }
}
