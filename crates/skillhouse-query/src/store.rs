//! The snapshots of a warehouse as a set: listing, verifying checksums, rolling back, retention, and clearing the
//! remains of crashed builds.
//!
//! Everything that changes the set takes a [`WarehouseLock`] argument: only the one ingest/rebuild holding the
//! writer lock may publish or remove snapshots. Retention respects readers: a snapshot whose `.readers` lease a
//! server or SQL session holds is skipped until a later run. It never removes the published snapshot, and removing
//! a snapshot removes only its own directory entries — the warehouse files it linked stay as long as the warehouse
//! or another snapshot links them.

use crate::base::{checksum, sync_dir};
use crate::error::{QueryError, Result};
use crate::lock::{WarehouseLock, try_exclusive};
use crate::manifest::{MANIFEST_FILE, Manifest, read_manifest};
use crate::reader::current_snapshot_id;
use crate::snapshot::publish_snapshot;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Prefix of a snapshot folder being removed (renamed first, so no reader can find it by its id).
const DELETING_PREFIX: &str = ".deleting-";

/// Where a snapshot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotState {
    /// Complete; the release gate passed (or was not run). May be published.
    Ready,
    /// Complete; the gate failed and `--force` let it through.
    Forced,
    /// Complete; the gate failed and it was not published.
    Refused,
    /// No manifest: the remains of a build that crashed or is running.
    Incomplete,
}

/// One snapshot of a warehouse.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    /// Its id (folder name).
    pub id: String,
    /// Its state.
    pub state: SnapshotState,
    /// Whether `CURRENT` names it.
    pub current: bool,
    /// Whether a reader holds a lease on it now.
    pub in_use: bool,
    /// Its manifest (complete snapshots).
    #[serde(skip)]
    pub manifest: Option<Manifest>,
    /// Its folder.
    #[serde(skip)]
    pub dir: PathBuf,
}

impl SnapshotInfo {
    /// Certificates in the snapshot, from its manifest.
    pub fn certificates(&self) -> Option<u64> {
        self.manifest.as_ref().and_then(|m| m.row_counts.get("certificates").copied())
    }

    /// Whether it may be published: complete, and not refused by the gate.
    pub fn publishable(&self) -> bool {
        matches!(self.state, SnapshotState::Ready | SnapshotState::Forced)
    }
}

fn snapshots_dir(warehouse_dir: &Path) -> PathBuf {
    warehouse_dir.join(skillhouse_model::layout::SNAPSHOTS_DIR)
}

/// Every snapshot of the warehouse, newest first.
pub fn list_snapshots(warehouse_dir: &Path) -> Result<Vec<SnapshotInfo>> {
    let dir = snapshots_dir(warehouse_dir);
    let current = current_snapshot_id(warehouse_dir)?;
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(&dir).map_err(|e| QueryError::io("listing", &dir, e))? {
        let path = entry.map_err(|e| QueryError::io("listing", &dir, e))?.path();
        let Some(id) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        if !path.is_dir() || id.starts_with('.') {
            continue;
        }
        let manifest = if path.join(MANIFEST_FILE).is_file() { Some(read_manifest(&path)?) } else { None };
        let state = match manifest.as_ref().map(|m| m.gate.as_ref()) {
            None => SnapshotState::Incomplete,
            Some(Some(gate)) if !gate.passed && gate.forced => SnapshotState::Forced,
            Some(Some(gate)) if !gate.passed => SnapshotState::Refused,
            Some(_) => SnapshotState::Ready,
        };
        // A lease we can take exclusively is free; we drop it at once.
        let in_use = manifest.is_some() && try_exclusive(&path)?.is_none();
        out.push(SnapshotInfo {
            current: current.as_deref() == Some(id.as_str()),
            id,
            state,
            in_use,
            manifest,
            dir: path,
        });
    }
    out.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(out)
}

/// What [`verify_snapshot`] found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The snapshot.
    pub id: String,
    /// Files checked (every file of the manifest).
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// One line per missing or changed file; empty when intact.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when every file is present with its recorded size and checksum.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Re-reads every file a snapshot's manifest lists and compares size and SHA-256.
pub fn verify_snapshot(warehouse_dir: &Path, id: &str) -> Result<VerifyReport> {
    let dir = snapshot_dir(warehouse_dir, id)?;
    let manifest = read_manifest(&dir)?;
    let mut report = VerifyReport { id: id.to_string(), files: 0, bytes: 0, problems: Vec::new() };
    for (relative, expected) in &manifest.files {
        report.files += 1;
        let path = dir.join(relative);
        if !path.is_file() {
            report.problems.push(format!("{relative}: missing"));
            continue;
        }
        let found = checksum(&path, false)?;
        report.bytes += found.bytes;
        // A size of 0 in the manifest means unknown (older manifests recorded the checksum only).
        if expected.bytes != 0 && found.bytes != expected.bytes {
            report.problems.push(format!("{relative}: {} bytes, the manifest says {}", found.bytes, expected.bytes));
        } else if found.sha256 != expected.sha256 {
            report.problems.push(format!("{relative}: checksum differs from the manifest"));
        }
    }
    Ok(report)
}

/// A complete snapshot's folder, or [`QueryError::UnknownSnapshot`].
fn snapshot_dir(warehouse_dir: &Path, id: &str) -> Result<PathBuf> {
    let valid = !id.is_empty() && !id.starts_with('.') && !id.contains(['/', '\\']);
    let dir = snapshots_dir(warehouse_dir).join(id);
    if !valid || !dir.join(MANIFEST_FILE).is_file() {
        return Err(QueryError::UnknownSnapshot { warehouse: warehouse_dir.to_path_buf(), id: id.to_string() });
    }
    Ok(dir)
}

/// Publishes an earlier snapshot again, after verifying it. A snapshot the gate refused is published only with
/// `force`. Returns the verification report.
pub fn rollback(warehouse_dir: &Path, id: &str, force: bool, _lock: &WarehouseLock) -> Result<VerifyReport> {
    let dir = snapshot_dir(warehouse_dir, id)?;
    let manifest = read_manifest(&dir)?;
    if manifest.gate.as_ref().is_some_and(|g| !g.passed && !g.forced) && !force {
        return Err(QueryError::RefusedSnapshot { id: id.to_string() });
    }
    let report = verify_snapshot(warehouse_dir, id)?;
    if !report.is_intact() {
        return Err(QueryError::Integrity { id: id.to_string(), problems: report.problems });
    }
    publish_snapshot(warehouse_dir, id)?;
    Ok(report)
}

/// What [`prune_snapshots`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    /// Snapshots removed.
    pub removed: Vec<String>,
    /// Snapshots due for removal but kept because a reader holds them.
    pub in_use: Vec<String>,
}

/// Retention: keeps the published snapshot, the `keep` newest publishable snapshots and the newest refused one
/// (for inspection); removes the others unless a reader holds them, and removes the remains of crashed builds.
pub fn prune_snapshots(warehouse_dir: &Path, keep: usize, lock: &WarehouseLock) -> Result<PruneReport> {
    let mut report = PruneReport { removed: clean_incomplete(warehouse_dir, lock)?, in_use: Vec::new() };
    let mut publishable_kept = 0usize;
    let mut refused_kept = false;
    for info in list_snapshots(warehouse_dir)? {
        let keep_it = if info.current {
            true
        } else if info.publishable() {
            publishable_kept += 1;
            publishable_kept <= keep
        } else if info.state == SnapshotState::Refused {
            !std::mem::replace(&mut refused_kept, true)
        } else {
            false
        };
        if keep_it {
            continue;
        }
        match remove_snapshot(warehouse_dir, &info.id)? {
            true => report.removed.push(info.id),
            false => report.in_use.push(info.id),
        }
    }
    if !report.removed.is_empty() {
        sync_dir(&snapshots_dir(warehouse_dir))?;
    }
    Ok(report)
}

/// Removes a snapshot folder unless a reader holds its lease (then `false`). The folder is first renamed out of
/// reach, under the exclusive lease, so a reader either holds the lease before or finds no snapshot after.
fn remove_snapshot(warehouse_dir: &Path, id: &str) -> Result<bool> {
    let dir = snapshots_dir(warehouse_dir).join(id);
    let Some(exclusive) = try_exclusive(&dir)? else { return Ok(false) };
    let doomed = snapshots_dir(warehouse_dir).join(format!("{DELETING_PREFIX}{id}"));
    std::fs::rename(&dir, &doomed).map_err(|e| QueryError::io("renaming", &dir, e))?;
    skillhouse_model::fault::point("retention.renamed");
    std::fs::remove_dir_all(&doomed).map_err(|e| QueryError::io("removing", &doomed, e))?;
    drop(exclusive);
    Ok(true)
}

/// Removes what crashed builds and retention runs left: snapshot folders without a manifest (no build runs while
/// the lock is held by the caller), half-removed folders, and a temporary `CURRENT`. Returns the snapshot ids
/// removed.
pub fn clean_incomplete(warehouse_dir: &Path, _lock: &WarehouseLock) -> Result<Vec<String>> {
    let dir = snapshots_dir(warehouse_dir);
    let mut removed = Vec::new();
    let current = current_snapshot_id(warehouse_dir)?;
    if dir.is_dir() {
        for entry in std::fs::read_dir(&dir).map_err(|e| QueryError::io("listing", &dir, e))? {
            let path = entry.map_err(|e| QueryError::io("listing", &dir, e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
            if !path.is_dir() || current.as_deref() == Some(name.as_str()) {
                continue;
            }
            if name.starts_with(DELETING_PREFIX) {
                std::fs::remove_dir_all(&path).map_err(|e| QueryError::io("removing", &path, e))?;
            } else if !name.starts_with('.') && !path.join(MANIFEST_FILE).is_file() {
                std::fs::remove_dir_all(&path).map_err(|e| QueryError::io("removing", &path, e))?;
                removed.push(name);
            }
        }
    }
    let temporary = warehouse_dir.join("CURRENT.tmp");
    if temporary.is_file() {
        std::fs::remove_file(&temporary).map_err(|e| QueryError::io("removing", &temporary, e))?;
    }
    removed.sort();
    Ok(removed)
}
