//! Warehouses on object storage (`s3://bucket/prefix`, issue 25, `docs/distributed.md`).
//!
//! *Design.* The bucket holds the warehouse in the layout of `docs/warehouse.md`, object for file, so DuckDB, pyarrow
//! or Spark read it there as they read it on disk. A command works on a **working copy** on the local disk: a writer
//! (`ingest`, `rebuild`, `snapshots`, `receipts`) takes the bucket's lock, makes its copy equal to the bucket
//! ([`ObjectWarehouse::pull_all`]), runs the command unchanged on the copy, and sends back what changed
//! ([`ObjectWarehouse::push`]); a reader (`sql`, `serve`) fetches only the published snapshot
//! ([`ObjectWarehouse::pull_published`]).
//!
//! *The publish keeps §11's promise on object storage.* [`ObjectWarehouse::push`] replays the local commit order:
//! first every new or changed file but the ledger and the pointer (new snapshot folders, new data files), then the
//! ledger (ingestion's commit point), then the pointer `CURRENT` — by a **conditional put**: `If-Match` the ETag read
//! when the copy was pulled (`PutMode::Update`), or `If-None-Match: *` for the first publish (`PutMode::Create`) —
//! and only then deletes what the command removed (superseded files, pruned snapshots). A snapshot's objects are
//! all in the bucket before the pointer names it, so a reader that reads `CURRENT` and then the folder sees the old
//! snapshot or the new one, never half of one; a second writer that published in between (a lock broken by hand)
//! makes the put fail and this snapshot stays unpublished. A push cut short leaves the states a crash leaves on
//! disk: new files no ledger names (leftovers), or a saved ledger with superseded files still present.
//!
//! *The lock.* `.lock` in the bucket, created with `If-None-Match: *` and deleted when the command ends; a command
//! killed before that leaves it, and the next writer is refused with the holder's details and how to remove it.
//!
//! *Limits.* The build reads its copy on the local disk: on a Ballista cluster the executors read those paths, so
//! they must run on the machine of the command or see its copy on a shared file system (as for a warehouse on disk);
//! executors reading `s3://` themselves is not done. Whole files are transferred (a changed file is sent again).

use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion, WriteMultipart,
};
use serde::{Deserialize, Serialize};
use skillhouse_model::layout;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are uploaded in parts of this size.
const PART_BYTES: usize = 16 << 20;
/// Transfers in flight at once.
const CONCURRENT_TRANSFERS: usize = 8;
/// The sync record beside a working copy.
const STATE_SUFFIX: &str = "objects.json";

/// Errors of a warehouse on object storage.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// Not `s3://bucket[/prefix]`.
    #[error("warehouse `{0}`: expected s3://BUCKET[/PREFIX]")]
    Url(String),
    /// The object store failed.
    #[error("{action} {location}: {source}")]
    Store {
        /// What was being done.
        action: &'static str,
        /// The object or prefix.
        location: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// The local working copy failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The local path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another command holds the bucket's lock.
    #[error(
        "warehouse {url} is locked by another command ({holder}); if that command is no longer running, delete the \
         object {url}/{lock} and try again"
    )]
    Locked {
        /// The warehouse.
        url: String,
        /// The lock object's content.
        holder: String,
        /// The lock object's name.
        lock: &'static str,
    },
    /// `CURRENT` changed in the bucket since the copy was pulled: another command published.
    #[error(
        "warehouse {0}: CURRENT changed in the bucket while this command ran (another command published); this \
         snapshot's files are in the bucket but it is not published"
    )]
    Conflict(String),
}

impl ObjectError {
    fn store(action: &'static str, location: impl std::fmt::Display, source: object_store::Error) -> Self {
        Self::Store { action, location: location.to_string(), source }
    }

    fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io { action, path: path.to_path_buf(), source }
    }
}

type Result<T> = std::result::Result<T, ObjectError>;

/// `s3://bucket/prefix` → (bucket, prefix without slashes at either end).
fn parse_url(url: &str) -> Result<(String, String)> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| ObjectError::Url(url.to_string()))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(ObjectError::Url(url.to_string()));
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

/// What a file of the working copy was when it was last pulled or pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Synced {
    size: u64,
    e_tag: Option<String>,
    modified_ns: i128,
    inode: u64,
}

/// The sync record of a working copy: relative path → what it was when last in step with the bucket.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncState {
    files: BTreeMap<String, Synced>,
}

/// What [`ObjectWarehouse::pull_all`] saw, for the push after the command.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The bucket's `CURRENT` as pulled (`None`: nothing published).
    current: Option<UpdateVersion>,
}

/// What [`ObjectWarehouse::push`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Files uploaded.
    pub uploaded: usize,
    /// Files copied inside the bucket (hard links of files already there).
    pub copied: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Whether `CURRENT` was put.
    pub published: bool,
}

/// A warehouse on object storage and its local working copy.
#[derive(Debug, Clone)]
pub struct ObjectWarehouse {
    store: Arc<dyn ObjectStore>,
    root: ObjectPath,
    url: String,
    copy: PathBuf,
}

impl ObjectWarehouse {
    /// Opens `s3://bucket/prefix` with credentials, region and endpoint from the usual `AWS_*` variables
    /// (`AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP` for a local server); `copy` is the local working copy (created).
    pub fn from_url(url: &str, copy: PathBuf) -> Result<Self> {
        let (bucket, prefix) = parse_url(url)?;
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(&bucket)
            .build()
            .map_err(|e| ObjectError::store("opening", url, e))?;
        Ok(Self::with_store(Arc::new(store), &prefix, url, copy))
    }

    /// A warehouse under `prefix` of any object store (tests use the in-memory one).
    pub fn with_store(store: Arc<dyn ObjectStore>, prefix: &str, url: &str, copy: PathBuf) -> Self {
        Self { store, root: ObjectPath::from(prefix), url: url.trim_end_matches('/').to_string(), copy }
    }

    /// The local working copy the command runs on.
    pub fn copy_dir(&self) -> &Path {
        &self.copy
    }

    fn key(&self, relative: &str) -> ObjectPath {
        let mut key = self.root.clone();
        for part in relative.split('/') {
            key = key.join(part);
        }
        key
    }

    fn relative(&self, key: &ObjectPath) -> Option<String> {
        let parts: Vec<_> = key.prefix_match(&self.root)?.map(|p| p.as_ref().to_string()).collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    fn state_path(&self) -> PathBuf {
        let name = self.copy.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.copy.with_file_name(format!("{name}.{STATE_SUFFIX}"))
    }

    fn load_state(&self) -> Result<SyncState> {
        let path = self.state_path();
        match std::fs::read(&path) {
            // A record that cannot be read only costs downloads: everything is fetched again.
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SyncState::default()),
            Err(e) => Err(ObjectError::io("reading", &path, e)),
        }
    }

    fn save_state(&self, state: &SyncState) -> Result<()> {
        let path = self.state_path();
        let bytes = serde_json::to_vec(state).unwrap_or_default();
        write_atomically(&path, &bytes)
    }

    /// Takes the bucket's writer lock (`.lock`, created only if absent).
    pub async fn lock(&self, command: &str) -> Result<RemoteLock> {
        let key = self.key(layout::LOCK_FILE);
        let holder = format!("{command}, pid {} on {}, since {}", std::process::id(), host_name(), chrono_now());
        let options = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match self.store.put_opts(&key, PutPayload::from(holder.clone().into_bytes()), options).await {
            Ok(_) => Ok(RemoteLock { store: Arc::clone(&self.store), key }),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                let holder = match self.store.get(&key).await {
                    Ok(got) => got.bytes().await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
                    Err(_) => String::from("holder unknown"),
                };
                Err(ObjectError::Locked { url: self.url.clone(), holder, lock: layout::LOCK_FILE })
            }
            Err(e) => Err(ObjectError::store("locking", format!("{}/{}", self.url, layout::LOCK_FILE), e)),
        }
    }

    async fn list(&self, under: Option<&str>) -> Result<BTreeMap<String, ObjectMeta>> {
        let prefix = under.map_or_else(|| self.root.clone(), |u| self.key(u));
        let mut listing = self.store.list(Some(&prefix));
        let mut out = BTreeMap::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| ObjectError::store("listing", &self.url, e))?;
            if let Some(relative) = self.relative(&meta.location)
                && relative != layout::LOCK_FILE
            {
                out.insert(relative, meta);
            }
        }
        Ok(out)
    }

    /// Makes the working copy equal to the bucket (but for the lock): fetches what is new or changed, removes what
    /// the bucket no longer has. Call with the lock held.
    pub async fn pull_all(&self) -> Result<Pulled> {
        create_dir(&self.copy)?;
        let remote = self.list(None).await?;
        let mut state = self.load_state()?;
        for (relative, path) in local_files(&self.copy)? {
            if !remote.contains_key(&relative) {
                remove_file(&path)?;
                state.files.remove(&relative);
            }
        }
        remove_empty_dirs(&self.copy)?;
        self.fetch(&remote, &mut state).await?;
        state.files.retain(|relative, _| remote.contains_key(relative));
        self.save_state(&state)?;
        let current = remote
            .get(layout::CURRENT_FILE)
            .map(|meta| UpdateVersion { e_tag: meta.e_tag.clone(), version: meta.version.clone() });
        Ok(Pulled { current })
    }

    /// Fetches the objects of `remote` the copy does not already hold as they are.
    async fn fetch(&self, remote: &BTreeMap<String, ObjectMeta>, state: &mut SyncState) -> Result<usize> {
        let wanted: Vec<(String, ObjectMeta)> = remote
            .iter()
            .filter(|(relative, meta)| !in_step(&self.copy, relative, meta, state.files.get(*relative)))
            .map(|(relative, meta)| (relative.clone(), meta.clone()))
            .collect();
        let count = wanted.len();
        let mut fetches = futures::stream::iter(wanted.into_iter().map(|(relative, meta)| async move {
            let path = self.copy.join(&relative);
            let got =
                self.store.get(&meta.location).await.map_err(|e| ObjectError::store("reading", &meta.location, e))?;
            let bytes = got.bytes().await.map_err(|e| ObjectError::store("reading", &meta.location, e))?;
            if let Some(parent) = path.parent() {
                create_dir(parent)?;
            }
            write_atomically(&path, &bytes)?;
            let synced = synced(&path, meta.e_tag.clone())?;
            Ok::<_, ObjectError>((relative, synced))
        }))
        .buffer_unordered(CONCURRENT_TRANSFERS);
        while let Some(done) = fetches.next().await {
            let (relative, synced) = done?;
            state.files.insert(relative, synced);
        }
        Ok(count)
    }

    /// Fetches the published snapshot (`CURRENT` and its folder) into the copy, then writes the copy's `CURRENT`
    /// (by rename, after the folder is whole); removes the copy's other snapshots the bucket no longer has and no
    /// reader holds. Returns the published id, `None` when nothing is published. Needs no lock.
    pub async fn pull_published(&self) -> Result<Option<String>> {
        create_dir(&self.copy)?;
        let key = self.key(layout::CURRENT_FILE);
        let id = match self.store.get(&key).await {
            Ok(got) => {
                let bytes = got.bytes().await.map_err(|e| ObjectError::store("reading", &key, e))?;
                String::from_utf8_lossy(&bytes).trim().to_string()
            }
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(ObjectError::store("reading", &key, e)),
        };
        let folder = format!("{}/{id}", layout::SNAPSHOTS_DIR);
        let remote = self.list(Some(&folder)).await?;
        let mut state = self.load_state()?;
        self.fetch(&remote, &mut state).await?;
        self.save_state(&state)?;
        write_atomically(&self.copy.join(layout::CURRENT_FILE), format!("{id}\n").as_bytes())?;
        self.drop_unpublished_snapshots(&id).await?;
        Ok(Some(id))
    }

    async fn drop_unpublished_snapshots(&self, current: &str) -> Result<()> {
        let dir = self.copy.join(layout::SNAPSHOTS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        let prefix = self.key(layout::SNAPSHOTS_DIR);
        let listed = self
            .store
            .list_with_delimiter(Some(&prefix))
            .await
            .map_err(|e| ObjectError::store("listing", &prefix, e))?;
        let in_bucket: Vec<String> =
            listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_string)).collect();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == current || in_bucket.contains(&name) {
                continue;
            }
            // A reader's lease (a shared lock on `.readers`) keeps the folder; the next pull tries again.
            let readers = entry.path().join(skillhouse_query::READERS_FILE);
            let free = std::fs::File::open(&readers).map_or(true, |file| file.try_lock().is_ok());
            if free {
                std::fs::remove_dir_all(entry.path()).map_err(|e| ObjectError::io("removing", &entry.path(), e))?;
            }
        }
        Ok(())
    }

    /// Sends what the command changed in the copy back to the bucket, in the commit order of the module's
    /// documentation; the pointer by a conditional put against what `pulled` saw.
    pub async fn push(&self, pulled: &Pulled) -> Result<PushReport> {
        let mut state = self.load_state()?;
        let files = local_files(&self.copy)?;
        let mut report = PushReport::default();
        let mut changed: Vec<(String, PathBuf, u64)> = Vec::new();
        let mut present = Vec::with_capacity(files.len());
        // Files in the bucket as they are here, by inode: a hard link of one is copied inside the bucket, not sent
        // again (the build links the base files into every snapshot).
        let mut by_inode: HashMap<u64, String> = HashMap::new();
        for (relative, path) in files {
            present.push(relative.clone());
            let now = synced(&path, None)?;
            let same = state
                .files
                .get(&relative)
                .is_some_and(|s| s.size == now.size && s.modified_ns == now.modified_ns && s.inode == now.inode);
            if same {
                by_inode.insert(now.inode, relative);
            } else {
                changed.push((relative, path, now.inode));
            }
        }
        let ledger = format!("{}/{}", layout::LEDGER_DIR, layout::LEDGER_FILE);
        let (last, first): (Vec<_>, Vec<_>) =
            changed.into_iter().partition(|(r, _, _)| r == &ledger || r == layout::CURRENT_FILE);
        let mut copies = Vec::new();
        let mut uploads = Vec::new();
        for (relative, path, inode) in first {
            match by_inode.get(&inode) {
                Some(source) => copies.push((relative, path, source.clone())),
                None => {
                    by_inode.insert(inode, relative.clone());
                    uploads.push((relative, path));
                }
            }
        }
        report.uploaded += self.upload_all(uploads, &mut state).await?;
        for (relative, path, source) in copies {
            let (from, to) = (self.key(&source), self.key(&relative));
            self.store.copy(&from, &to).await.map_err(|e| ObjectError::store("copying to", &to, e))?;
            let e_tag = self.store.head(&to).await.ok().and_then(|m| m.e_tag);
            state.files.insert(relative, synced(&path, e_tag)?);
            report.copied += 1;
        }
        self.save_state(&state)?;
        for (relative, path, _) in last.iter().filter(|(r, _, _)| r == &ledger) {
            report.uploaded += self.upload_all(vec![(relative.clone(), path.clone())], &mut state).await?;
        }
        if let Some((relative, path, _)) = last.iter().find(|(r, _, _)| r == layout::CURRENT_FILE) {
            let bytes = std::fs::read(path).map_err(|e| ObjectError::io("reading", path, e))?;
            let mode = pulled.current.clone().map_or(PutMode::Create, PutMode::Update);
            let options = PutOptions { mode, ..PutOptions::default() };
            let key = self.key(relative);
            match self.store.put_opts(&key, PutPayload::from(bytes), options).await {
                Ok(put) => {
                    state.files.insert(relative.clone(), synced(path, put.e_tag)?);
                    report.published = true;
                }
                Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {
                    self.save_state(&state)?;
                    return Err(ObjectError::Conflict(self.url.clone()));
                }
                Err(e) => return Err(ObjectError::store("publishing", &key, e)),
            }
        }
        let gone: Vec<String> =
            state.files.keys().filter(|relative| present.binary_search(relative).is_err()).cloned().collect();
        for relative in gone {
            let key = self.key(&relative);
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(ObjectError::store("deleting", &key, e)),
            }
            state.files.remove(&relative);
            report.deleted += 1;
        }
        self.save_state(&state)?;
        Ok(report)
    }

    async fn upload_all(&self, files: Vec<(String, PathBuf)>, state: &mut SyncState) -> Result<usize> {
        let count = files.len();
        let mut uploads = futures::stream::iter(files.into_iter().map(|(relative, path)| async move {
            let e_tag = self.upload(&relative, &path).await?;
            Ok::<_, ObjectError>((relative, synced(&path, e_tag)?))
        }))
        .buffer_unordered(CONCURRENT_TRANSFERS);
        while let Some(done) = uploads.next().await {
            let (relative, synced) = done?;
            state.files.insert(relative, synced);
        }
        Ok(count)
    }

    async fn upload(&self, relative: &str, path: &Path) -> Result<Option<String>> {
        let key = self.key(relative);
        let mut file = std::fs::File::open(path).map_err(|e| ObjectError::io("opening", path, e))?;
        let size = file.metadata().map_err(|e| ObjectError::io("reading", path, e))?.len();
        if size <= PART_BYTES as u64 {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            file.read_to_end(&mut bytes).map_err(|e| ObjectError::io("reading", path, e))?;
            let put = self
                .store
                .put(&key, PutPayload::from(bytes))
                .await
                .map_err(|e| ObjectError::store("writing", &key, e))?;
            return Ok(put.e_tag);
        }
        let upload = self.store.put_multipart(&key).await.map_err(|e| ObjectError::store("writing", &key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0_u8; PART_BYTES];
        loop {
            let read = file.read(&mut buffer).map_err(|e| ObjectError::io("reading", path, e))?;
            if read == 0 {
                break;
            }
            writer.wait_for_capacity(2).await.map_err(|e| ObjectError::store("writing", &key, e))?;
            writer.write(&buffer[..read]);
        }
        let put = writer.finish().await.map_err(|e| ObjectError::store("writing", &key, e))?;
        Ok(put.e_tag)
    }
}

/// The bucket's writer lock; [`RemoteLock::release`] deletes it.
#[derive(Debug)]
pub struct RemoteLock {
    store: Arc<dyn ObjectStore>,
    key: ObjectPath,
}

impl RemoteLock {
    /// Deletes the lock object.
    pub async fn release(self) -> Result<()> {
        self.store.delete(&self.key).await.map_err(|e| ObjectError::store("unlocking", &self.key, e))
    }
}

/// Whether the copy's file is the object as last synced.
fn in_step(copy: &Path, relative: &str, meta: &ObjectMeta, synced: Option<&Synced>) -> bool {
    let Some(synced) = synced else { return false };
    let Ok(now) = std::fs::metadata(copy.join(relative)) else { return false };
    synced.size == meta.size
        && synced.e_tag == meta.e_tag
        && now.len() == synced.size
        && modified_ns(&now) == synced.modified_ns
        && now.ino() == synced.inode
}

fn synced(path: &Path, e_tag: Option<String>) -> Result<Synced> {
    let meta = std::fs::metadata(path).map_err(|e| ObjectError::io("reading", path, e))?;
    Ok(Synced { size: meta.len(), e_tag, modified_ns: modified_ns(&meta), inode: meta.ino() })
}

fn modified_ns(meta: &std::fs::Metadata) -> i128 {
    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
}

/// Every file under `dir` but the local lock, as (relative path with `/`, path), sorted.
fn local_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ObjectError::io("listing", &folder, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| ObjectError::io("listing", &folder, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| ObjectError::io("reading", &path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let relative =
                    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                if relative != layout::LOCK_FILE {
                    out.push((relative, path));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn remove_empty_dirs(dir: &Path) -> Result<bool> {
    let mut empty = true;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(ObjectError::io("listing", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| ObjectError::io("listing", dir, e))?;
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) && remove_empty_dirs(&path)? {
            std::fs::remove_dir(&path).map_err(|e| ObjectError::io("removing", &path, e))?;
        } else {
            empty = false;
        }
    }
    Ok(empty)
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| ObjectError::io("creating", dir, e))
}

fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ObjectError::io("removing", path, e)),
    }
}

/// Writes a file by a temporary beside it and a rename, so a reader sees the old content or the new.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.part"));
    std::fs::write(&temporary, bytes).map_err(|e| ObjectError::io("writing", &temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| ObjectError::io("renaming", &temporary, e))
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| String::from("?"))
}

fn chrono_now() -> String {
    let seconds =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    format!("unix time {seconds}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
    }

    fn warehouse(store: &Arc<InMemory>, copy: &Path) -> ObjectWarehouse {
        let store: Arc<dyn ObjectStore> = Arc::clone(store) as Arc<dyn ObjectStore>;
        ObjectWarehouse::with_store(store, "wh", "s3://bucket/wh", copy.to_path_buf())
    }

    fn write(dir: &Path, relative: &str, text: &str) {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    async fn object(store: &InMemory, key: &str) -> Option<String> {
        match store.get(&ObjectPath::from(key)).await {
            Ok(got) => Some(String::from_utf8_lossy(&got.bytes().await.expect("bytes")).into_owned()),
            Err(_) => None,
        }
    }

    #[test]
    fn urls_name_a_bucket_and_a_prefix() {
        assert_eq!(parse_url("s3://b/some/prefix/").expect("url"), ("b".into(), "some/prefix".into()));
        assert_eq!(parse_url("s3://b").expect("url"), ("b".into(), String::new()));
        assert!(parse_url("s3:///x").is_err());
    }

    #[test]
    fn a_push_publishes_the_pointer_last_and_a_stale_writer_cannot_publish() {
        runtime().block_on(async {
            let store = Arc::new(InMemory::new());
            let dir = tempfile::tempdir().expect("tempdir");
            let first = warehouse(&store, &dir.path().join("a"));
            let lock = first.lock("rebuild").await.expect("lock");
            assert!(matches!(first.lock("ingest").await, Err(ObjectError::Locked { .. })), "one writer at a time");
            let pulled = first.pull_all().await.expect("pull of an empty bucket");
            write(first.copy_dir(), "snapshots/s1/models/x.parquet", "x1");
            write(first.copy_dir(), "ledger/ledger.parquet", "ledger1");
            write(first.copy_dir(), "CURRENT", "s1\n");
            write(first.copy_dir(), ".lock", "local lock, never sent");
            let report = first.push(&pulled).await.expect("first publish");
            assert!(report.published);
            assert_eq!(report.uploaded, 2, "the snapshot's file and the ledger (the pointer is put apart)");
            assert_eq!(object(&store, "wh/CURRENT").await.as_deref(), Some("s1\n"));
            assert_eq!(object(&store, "wh/snapshots/s1/models/x.parquet").await.as_deref(), Some("x1"));
            assert_eq!(object(&store, "wh/.lock").await.map(|t| t.starts_with("rebuild")), Some(true));
            lock.release().await.expect("unlock");
            assert_eq!(object(&store, "wh/.lock").await, None);

            // A second copy pulls s1; meanwhile the first publishes s2; the second's publish of s3 is refused.
            let second = warehouse(&store, &dir.path().join("b"));
            let pulled_second = second.pull_all().await.expect("pull");
            assert_eq!(std::fs::read_to_string(second.copy_dir().join("CURRENT")).expect("CURRENT"), "s1\n");
            let pulled_first = first.pull_all().await.expect("pull");
            write(first.copy_dir(), "snapshots/s2/models/x.parquet", "x2");
            write(first.copy_dir(), "CURRENT", "s2\n");
            assert!(first.push(&pulled_first).await.expect("publish s2").published);
            write(second.copy_dir(), "snapshots/s3/models/x.parquet", "x3");
            write(second.copy_dir(), "CURRENT", "s3\n");
            assert!(matches!(second.push(&pulled_second).await, Err(ObjectError::Conflict(_))));
            assert_eq!(object(&store, "wh/CURRENT").await.as_deref(), Some("s2\n"), "the stale writer lost");
        });
    }

    #[test]
    fn removed_files_are_deleted_after_the_pointer_and_hard_links_are_copied_in_the_bucket() {
        runtime().block_on(async {
            let store = Arc::new(InMemory::new());
            let dir = tempfile::tempdir().expect("tempdir");
            let wh = warehouse(&store, &dir.path().join("a"));
            let pulled = wh.pull_all().await.expect("pull");
            write(wh.copy_dir(), "certificates/year=2024/a.parquet", "old");
            write(wh.copy_dir(), "CURRENT", "s1\n");
            wh.push(&pulled).await.expect("push");

            let pulled = wh.pull_all().await.expect("pull");
            std::fs::remove_file(wh.copy_dir().join("certificates/year=2024/a.parquet")).expect("rm");
            write(wh.copy_dir(), "certificates/year=2024/b.parquet", "new");
            std::fs::create_dir_all(wh.copy_dir().join("snapshots/s2/certificates")).expect("mkdir");
            std::fs::hard_link(
                wh.copy_dir().join("certificates/year=2024/b.parquet"),
                wh.copy_dir().join("snapshots/s2/certificates/b.parquet"),
            )
            .expect("link");
            let report = wh.push(&pulled).await.expect("push");
            assert_eq!((report.deleted, report.published), (1, false), "CURRENT unchanged, one file gone");
            assert_eq!((report.uploaded, report.copied), (1, 1), "the link is copied in the bucket");
            assert_eq!(object(&store, "wh/certificates/year=2024/a.parquet").await, None);
            assert_eq!(object(&store, "wh/snapshots/s2/certificates/b.parquet").await.as_deref(), Some("new"));

            // A fresh copy pulls exactly the bucket; a reader's copy gets only the published snapshot.
            let other = warehouse(&store, &dir.path().join("b"));
            other.pull_all().await.expect("pull");
            let files: Vec<String> =
                local_files(other.copy_dir()).expect("files").into_iter().map(|(r, _)| r).collect();
            assert_eq!(files, ["CURRENT", "certificates/year=2024/b.parquet", "snapshots/s2/certificates/b.parquet"]);
            let reader = warehouse(&store, &dir.path().join("r"));
            assert_eq!(reader.pull_published().await.expect("pull").as_deref(), Some("s1"));
            let files: Vec<String> =
                local_files(reader.copy_dir()).expect("files").into_iter().map(|(r, _)| r).collect();
            assert_eq!(files, ["CURRENT"], "s1 has no files in the bucket; s2 is not published");
        });
    }
}
