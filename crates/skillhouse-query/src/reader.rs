//! The one reader of a published snapshot: `CURRENT`, the snapshot's folder, its lease and its manifest, and where
//! each of its files lies — the new layout, where a snapshot carries the base files it was built with, and the
//! legacy one, where it reads them from the warehouse. The SQL session ([`crate::open_snapshot`]), the HTTP server's
//! loader and the Postgres front end's watcher all read a snapshot through [`SnapshotFolder`], so the rules for
//! finding one live here only.

use crate::error::{QueryError, Result};
use crate::lock::{LeaseRefused, SnapshotLease};
use crate::manifest::{Manifest, read_manifest};
use skillhouse_model::layout;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How often reading `CURRENT` is retried when the snapshot it names is being removed right then (a rollback and a
/// retention run between reading `CURRENT` and taking the lease).
const CURRENT_ATTEMPTS: u32 = 5;

/// A published snapshot's folder, leased while this value (or a clone) lives, with its manifest read.
#[derive(Debug, Clone)]
pub struct SnapshotFolder {
    /// The snapshot id.
    pub id: String,
    /// `WAREHOUSE/snapshots/<id>`.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Where its base files (certificates, rejects, ledger, registries) lie.
    base: PathBuf,
    /// The reader's lease: retention leaves the snapshot alone while any clone lives. `None` for snapshots built
    /// before leases.
    lease: Option<Arc<SnapshotLease>>,
}

/// The published snapshot id (`WAREHOUSE/CURRENT`), or `None` when nothing is published.
pub fn current_snapshot_id(warehouse_dir: &Path) -> Result<Option<String>> {
    let current = warehouse_dir.join(layout::CURRENT_FILE);
    match std::fs::read_to_string(&current) {
        Ok(text) => Ok(Some(text.trim().to_string()).filter(|id| !id.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(QueryError::io("reading", &current, e)),
    }
}

/// `WAREHOUSE/snapshots/<id>`, for an id that names a folder there and nothing else.
pub fn snapshot_dir(warehouse_dir: &Path, id: &str) -> Result<PathBuf> {
    if id.is_empty() || id.contains(['/', '\\']) || id.starts_with('.') {
        return Err(QueryError::Layout {
            path: warehouse_dir.join(layout::CURRENT_FILE),
            message: format!("`{id}` is not a snapshot id"),
        });
    }
    Ok(warehouse_dir.join(layout::SNAPSHOTS_DIR).join(id))
}

impl SnapshotFolder {
    /// Opens the published snapshot (`CURRENT`). Blocking (it may wait 50 ms between attempts): call it off an
    /// async runtime's workers.
    pub fn open_current(warehouse_dir: &Path) -> Result<Self> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let id = current_snapshot_id(warehouse_dir)?
                .ok_or_else(|| QueryError::NoSnapshot { warehouse: warehouse_dir.to_path_buf() })?;
            let dir = snapshot_dir(warehouse_dir, &id)?;
            let lease = match SnapshotLease::try_acquire(&dir)? {
                Ok(lease) => Some(Arc::new(lease)),
                Err(LeaseRefused::Missing) => None,
                Err(LeaseRefused::BeingRemoved) if attempts < CURRENT_ATTEMPTS => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    continue;
                }
                Err(LeaseRefused::BeingRemoved) => None,
            };
            if dir.join(layout::MANIFEST_FILE).is_file() || attempts >= CURRENT_ATTEMPTS {
                return Self::with_lease(warehouse_dir, id, dir, lease);
            }
        }
    }

    /// Opens snapshot `id` of the warehouse, published or not.
    pub fn open(warehouse_dir: &Path, id: &str) -> Result<Self> {
        let dir = snapshot_dir(warehouse_dir, id)?;
        let lease = SnapshotLease::acquire(&dir)?.map(Arc::new);
        Self::with_lease(warehouse_dir, id.to_string(), dir, lease)
    }

    fn with_lease(warehouse_dir: &Path, id: String, dir: PathBuf, lease: Option<Arc<SnapshotLease>>) -> Result<Self> {
        let manifest = read_manifest(&dir)?;
        // A snapshot carries the base files it was built with (docs/warehouse.md); those built before read the
        // warehouse's.
        let base = if dir.join(layout::CERTIFICATES_DIR).is_dir() { dir.clone() } else { warehouse_dir.to_path_buf() };
        Ok(Self { id, dir, manifest, base, lease })
    }

    /// Whether this reader holds a lease on the snapshot (false only for snapshots built before leases).
    pub fn is_leased(&self) -> bool {
        self.lease.is_some()
    }

    /// Where the base files lie: the snapshot's own folder, or the warehouse for a snapshot built before
    /// snapshots carried them.
    pub fn base_dir(&self) -> &Path {
        &self.base
    }

    /// The ledger the snapshot was built with.
    pub fn ledger_file(&self) -> PathBuf {
        self.base.join(layout::LEDGER_DIR).join(layout::LEDGER_FILE)
    }

    /// `indicator_values.parquet`.
    pub fn indicator_values_file(&self) -> PathBuf {
        self.dir.join(layout::INDICATOR_VALUES_FILE)
    }

    /// `indicators.parquet`, the catalogue.
    pub fn indicators_file(&self) -> PathBuf {
        self.dir.join(layout::INDICATORS_FILE)
    }

    /// `dims/<name>.parquet`.
    pub fn dim_file(&self, name: &str) -> PathBuf {
        self.dir.join(layout::DIMS_DIR).join(format!("{name}.parquet"))
    }

    /// `models/<name>.parquet` (a model written as one file).
    pub fn model_file(&self, name: &str) -> PathBuf {
        self.dir.join(layout::MODELS_DIR).join(format!("{name}.parquet"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_leave_the_snapshots_folder_are_refused() {
        let warehouse = Path::new("/w");
        for id in ["", "../x", "a/b", ".hidden", "a\\b"] {
            assert!(snapshot_dir(warehouse, id).is_err(), "{id:?} accepted");
        }
        assert_eq!(
            snapshot_dir(warehouse, "20240101T000000Z").expect("an id"),
            warehouse.join("snapshots/20240101T000000Z")
        );
    }

    #[test]
    fn nothing_published_is_none_and_open_current_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(current_snapshot_id(dir.path()).expect("readable"), None);
        std::fs::write(dir.path().join("CURRENT"), "  \n").expect("write CURRENT");
        assert_eq!(current_snapshot_id(dir.path()).expect("readable"), None);
        assert!(matches!(SnapshotFolder::open_current(dir.path()), Err(QueryError::NoSnapshot { .. })));
    }
}
