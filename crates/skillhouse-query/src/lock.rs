//! Locks on a warehouse: the writer lock (`WAREHOUSE/.lock`, one ingest or rebuild at a time) and readers' leases on
//! the snapshot they opened (`snapshots/<id>/.readers`), which retention respects.
//!
//! Both are advisory `flock` locks taken through `std::fs::File` (`try_lock`, `try_lock_shared`): the kernel
//! releases them when the process dies, however it dies, so a lock left by a crashed or killed rebuild is simply
//! free for the next one — there is no stale-lock heuristic to get wrong. The writer lock's file holds the pid, host,
//! command and start time of its holder, for the message a second rebuild prints.

use crate::error::{QueryError, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Name of the writer lock file in the warehouse directory.
pub const LOCK_FILE: &str = skillhouse_model::layout::LOCK_FILE;

/// Name of the lease file in every snapshot directory.
pub const READERS_FILE: &str = ".readers";

/// The warehouse's writer lock, held until dropped (or until the process dies).
#[derive(Debug)]
pub struct WarehouseLock {
    file: File,
    path: PathBuf,
}

impl WarehouseLock {
    /// Takes the lock without waiting. When another process holds it, fails with [`QueryError::Locked`] naming the
    /// holder. `command` (`rebuild`, `ingest`, …) is recorded for that message.
    pub fn try_acquire(warehouse_dir: &Path, command: &str) -> Result<Self> {
        std::fs::create_dir_all(warehouse_dir).map_err(|e| QueryError::io("creating", warehouse_dir, e))?;
        let path = warehouse_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false) // the holder's details stay readable until the lock is ours
            .open(&path)
            .map_err(|e| QueryError::io("opening", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(QueryError::Locked { path, holder: describe_holder(&holder) });
            }
            Err(TryLockError::Error(e)) => return Err(QueryError::io("locking", &path, e)),
        }
        let text = format!(
            "pid={}\nhost={}\ncommand={command}\nstarted_at={}\n",
            std::process::id(),
            host_name(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0)
            .and_then(|()| file.write_all(text.as_bytes()))
            .map_err(|e| QueryError::io("writing", &path, e))?;
        Ok(Self { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WarehouseLock {
    fn drop(&mut self) {
        // Clear the holder's details so nobody reads them as current; the lock goes with the file handle.
        let _ = self.file.set_len(0);
    }
}

/// `pid=…` lines as one readable phrase.
fn describe_holder(text: &str) -> String {
    let field =
        |key: &str| text.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('='))).map(str::trim);
    match (field("pid"), field("host"), field("command"), field("started_at")) {
        (Some(pid), host, command, started) => format!(
            "{} (pid {pid} on {}, started {})",
            command.unwrap_or("a process"),
            host.unwrap_or("an unknown host"),
            started.unwrap_or("at an unknown time")
        ),
        _ => "another process (it has not recorded its details yet)".to_string(),
    }
}

/// This machine's name, for the lock file; `unknown` where it cannot be read.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// A reader's shared lock on one snapshot directory: while any lease is held, retention does not remove the
/// snapshot. Dropping the last handle releases it.
#[derive(Debug)]
pub struct SnapshotLease {
    _file: File,
}

/// Why a lease could not be taken.
pub(crate) enum LeaseRefused {
    /// The snapshot has no lease file (built before leases existed, or being removed).
    Missing,
    /// Retention holds it exclusively: the snapshot is being removed.
    BeingRemoved,
}

impl SnapshotLease {
    /// Takes a shared lease on a snapshot folder for a reader that reads its files: `None` when the snapshot has no
    /// lease file (built before leases) or is being removed right now (then its files may vanish; re-read
    /// `CURRENT`).
    pub fn acquire(snapshot_dir: &Path) -> Result<Option<Self>> {
        Ok(Self::try_acquire(snapshot_dir)?.ok())
    }

    /// Takes a shared lease on `snapshot_dir` without waiting. The file is opened read-only, so a reader needs no
    /// write access to the warehouse.
    pub(crate) fn try_acquire(snapshot_dir: &Path) -> Result<std::result::Result<Self, LeaseRefused>> {
        let path = snapshot_dir.join(READERS_FILE);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Err(LeaseRefused::Missing)),
            Err(e) => return Err(QueryError::io("opening", &path, e)),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(Ok(Self { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(Err(LeaseRefused::BeingRemoved)),
            Err(TryLockError::Error(e)) => Err(QueryError::io("locking", &path, e)),
        }
    }
}

/// Creates the (empty) lease file of a new snapshot directory.
pub(crate) fn create_readers_file(snapshot_dir: &Path) -> Result<()> {
    let path = snapshot_dir.join(READERS_FILE);
    File::create(&path).map(drop).map_err(|e| QueryError::io("creating", &path, e))
}

/// Takes a snapshot's lease file exclusively, proving no reader holds it: `Some(file)` (keep it while removing
/// the snapshot), or `None` when a reader holds a lease. A snapshot without a lease file has no readers to respect.
pub(crate) fn try_exclusive(snapshot_dir: &Path) -> Result<Option<Option<File>>> {
    let path = snapshot_dir.join(READERS_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(None)),
        Err(e) => return Err(QueryError::io("opening", &path, e)),
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(Some(file))),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(QueryError::io("locking", &path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holders_details_and_a_released_lock_is_free() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = WarehouseLock::try_acquire(dir.path(), "rebuild").expect("free lock");
        match WarehouseLock::try_acquire(dir.path(), "ingest") {
            Err(QueryError::Locked { holder, .. }) => {
                assert!(holder.starts_with("rebuild (pid "), "{holder}");
                assert!(holder.contains(&std::process::id().to_string()), "{holder}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        let again = WarehouseLock::try_acquire(dir.path(), "ingest").expect("released lock is free");
        let text = std::fs::read_to_string(again.path()).expect("lock file");
        assert!(text.contains("command=ingest\n"), "{text}");
    }

    #[test]
    fn leases_block_exclusive_takers_until_released() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(try_exclusive(dir.path()), Ok(Some(None))), "no lease file: nothing to respect");
        create_readers_file(dir.path()).expect("lease file");
        let lease = match SnapshotLease::try_acquire(dir.path()) {
            Ok(Ok(lease)) => lease,
            _ => panic!("a shared lease on a free snapshot"),
        };
        let second = SnapshotLease::try_acquire(dir.path());
        assert!(matches!(second, Ok(Ok(_))), "leases are shared");
        drop(second);
        assert!(matches!(try_exclusive(dir.path()), Ok(None)), "a reader holds it");
        drop(lease);
        let exclusive = try_exclusive(dir.path()).expect("lock").expect("free").expect("file");
        assert!(matches!(SnapshotLease::try_acquire(dir.path()), Ok(Err(LeaseRefused::BeingRemoved))));
        drop(exclusive);
    }

    #[test]
    fn holder_text_is_described() {
        assert_eq!(
            describe_holder("pid=42\nhost=h\ncommand=rebuild\nstarted_at=2025-01-01T00:00:00Z\n"),
            "rebuild (pid 42 on h, started 2025-01-01T00:00:00Z)"
        );
        assert!(describe_holder("").starts_with("another process"));
    }
}
