//! `--warehouse s3://bucket/prefix` (issue 25, docs/distributed.md): every command runs on a local working copy of
//! the bucket. Writers (`ingest`, `rebuild`, `snapshots`, `receipts`) take the bucket's lock, pull the whole
//! warehouse, run, and push back what changed (the pointer last, by a conditional put); readers (`sql`, `serve`)
//! fetch the published snapshot, and `serve` fetches each newly published one while it runs. The copies live under
//! `SKILLHOUSE_CACHE_DIR` (default `$XDG_CACHE_HOME/skillhouse` or `~/.cache/skillhouse`).

use crate::exit::Outcome;
use std::path::{Path, PathBuf};

/// How a command uses the warehouse.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "distributed"), allow(dead_code))] // reason: read only by the object-storage path
pub enum Access {
    /// Writes (or needs the whole warehouse): lock, pull all, run, push.
    Write(&'static str),
    /// Reads the published snapshot once.
    Read,
    /// Reads the published snapshot and follows new ones every so many seconds while the command runs.
    Follow(f64),
}

/// Runs `run` with `warehouse` pointing at a local folder: itself when it is one, a working copy of the bucket when
/// it is `s3://…`.
pub fn on_warehouse<A>(
    mut args: A,
    warehouse: fn(&mut A) -> &mut PathBuf,
    access: Access,
    run: impl FnOnce(A) -> anyhow::Result<Outcome>,
) -> anyhow::Result<Outcome> {
    let path = warehouse(&mut args);
    if !is_object_url(path) {
        return run(args);
    }
    let url = path.to_string_lossy().into_owned();
    object_storage::run(args, &url, warehouse, access, run)
}

/// Whether a `--warehouse` names object storage.
pub fn is_object_url(warehouse: &Path) -> bool {
    warehouse.to_str().is_some_and(|w| w.starts_with("s3://"))
}

/// The working copy of a bucket's warehouse for one kind of use: `<cache>/s3/<bucket>/<prefix>/<use>`.
#[cfg_attr(not(feature = "distributed"), allow(dead_code))]
fn copy_dir(url: &str, use_: &str) -> PathBuf {
    let cache = std::env::var_os("SKILLHOUSE_CACHE_DIR").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("skillhouse")
    });
    let mut dir = cache.join("s3");
    for part in url.trim_start_matches("s3://").split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..") {
        dir.push(part);
    }
    dir.join(use_)
}

#[cfg(not(feature = "distributed"))]
mod object_storage {
    use super::{Access, Outcome, PathBuf};

    pub fn run<A>(
        _args: A,
        url: &str,
        _warehouse: fn(&mut A) -> &mut PathBuf,
        _access: Access,
        _run: impl FnOnce(A) -> anyhow::Result<Outcome>,
    ) -> anyhow::Result<Outcome> {
        anyhow::bail!(
            "warehouse {url}: object storage needs a binary built with the `distributed` feature \
             (cargo build --release --features skillhouse-cli/distributed; docs/distributed.md)"
        )
    }
}

#[cfg(feature = "distributed")]
mod object_storage {
    use super::{Access, Outcome, PathBuf, copy_dir};
    use anyhow::Context;
    use skillhouse_distributed::objects::ObjectWarehouse;
    use std::time::Duration;

    fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the object-store runtime")
    }

    pub fn run<A>(
        mut args: A,
        url: &str,
        warehouse: fn(&mut A) -> &mut PathBuf,
        access: Access,
        run: impl FnOnce(A) -> anyhow::Result<Outcome>,
    ) -> anyhow::Result<Outcome> {
        let rt = runtime()?;
        match access {
            Access::Write(command) => {
                let objects = ObjectWarehouse::from_url(url, copy_dir(url, "writer"))?;
                let lock = rt.block_on(objects.lock(command))?;
                let result = (|| {
                    let pulled = rt.block_on(objects.pull_all()).with_context(|| format!("pulling {url}"))?;
                    *warehouse(&mut args) = objects.copy_dir().to_path_buf();
                    let outcome = run(args);
                    // What the command left is consistent whatever its outcome (the local commit protocol), so it
                    // is pushed either way; the pointer only moves if the command published.
                    let pushed = rt.block_on(objects.push(&pulled)).with_context(|| format!("pushing to {url}"));
                    match (outcome, pushed) {
                        (Ok(outcome), Ok(report)) => {
                            tracing::info!(
                                uploaded = report.uploaded,
                                copied = report.copied,
                                deleted = report.deleted,
                                published = report.published,
                                "pushed to {url}"
                            );
                            Ok(outcome)
                        }
                        (Err(error), Ok(_)) => Err(error),
                        (Ok(_), Err(error)) => Err(error),
                        (Err(error), Err(push_error)) => Err(error.context(format!("{push_error:#}"))),
                    }
                })();
                if let Err(error) = rt.block_on(lock.release()) {
                    tracing::warn!("{error}");
                }
                result
            }
            Access::Read | Access::Follow(_) => {
                let objects = ObjectWarehouse::from_url(url, copy_dir(url, "reader"))?;
                rt.block_on(objects.pull_published())
                    .with_context(|| format!("fetching the published snapshot of {url}"))?;
                *warehouse(&mut args) = objects.copy_dir().to_path_buf();
                if let Access::Follow(seconds) = access {
                    follow(objects, url.to_string(), Duration::from_secs_f64(seconds.max(1.0)));
                }
                run(args)
            }
        }
    }

    /// Fetches each newly published snapshot into the reader's copy, whose `CURRENT` the server already polls.
    fn follow(objects: ObjectWarehouse, url: String, every: Duration) {
        let spawned = std::thread::Builder::new().name("object-store-follow".into()).spawn(move || {
            let Ok(rt) = runtime() else { return };
            loop {
                std::thread::sleep(every);
                if let Err(error) = rt.block_on(objects.pull_published()) {
                    tracing::warn!("fetching the published snapshot of {url}: {error}");
                }
            }
        });
        if let Err(error) = spawned {
            tracing::warn!("not following {}: {error}", "the bucket");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_copies_live_under_the_cache_by_bucket_and_prefix() {
        let dir = copy_dir("s3://bucket/a/../b/", "writer");
        assert!(dir.ends_with("s3/bucket/a/b/writer"), "{}", dir.display());
    }
}
