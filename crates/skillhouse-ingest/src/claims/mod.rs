//! Warehouse-wide certificate facts: the certificate numbers already loaded (for `duplicate_cert_no`) and the
//! duplicate claims (DESIGN §6 "同一人员同一职业同一等级不得重复申领"), kept from batch to batch so that a batch
//! reads only what changed.
//!
//! [`CertKeys`] knows, for every certificate file, each row's fingerprints: the certificate number's (128 bits)
//! and its claim group's — person_key, occupation_code and level (64 bits; 0 when the row takes no part in
//! claims). They stay on disk, not in memory: in `index/certificate_keys.bin`, saved at the end of a batch with the
//! SHA-256 of the `duplicate_claims` file it was computed with and the certificate numbers' fingerprints sorted,
//! and for the files a batch adds, in a scratch file until the batch saves. The file is a cache: the
//! certificate files decide. Loading compares its file list with the files on disk (name and size) and reads only
//! files it does not know; a file it knows that has gone (a correction superseded it) takes its rows out. A cache
//! that is missing, damaged, written by a build whose fingerprints differ, or paired with another claims file than
//! the one on disk, is not trusted: the keys are read from the files and the claims recomputed over everything.
//! `duplicate_cert_no` is checked against the sorted fingerprints through [`PrintIndex`].
//!
//! Duplicate claims are recomputed for the claim groups a batch touched (rows added or removed): their members are
//! found by fingerprint and read back from their files, and compared by their real values (earliest issue date,
//! then smallest cert_no counts), so a fingerprint collision costs a little reading, never a wrong flag. Rows of
//! untouched groups are carried over from the previous claims file.

mod cache;
mod flag;
mod keys;

use self::cache::{SavedKeys, count_rows, file_digest, files_on_disk, relative_path};
use self::flag::read_key_rows;
pub(crate) use self::keys::KeyRow;
#[cfg(test)]
pub(crate) use self::keys::{cert_fingerprint, group_fingerprint};
use crate::error::{IngestError, Result};
use crate::prints::{FingerprintSet, PrintIndex, SortedRun, scratch_file};
use crate::warehouse::{Layout, SliceName};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a file's key rows are: in the saved keys file, or in this batch's spill, from a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowsAt {
    Saved(u64),
    Spilled(u64),
}

impl RowsAt {
    /// The position `rows` rows further on.
    fn skip(self, rows: u64) -> Self {
        match self {
            RowsAt::Saved(at) => RowsAt::Saved(at + rows * 24),
            RowsAt::Spilled(at) => RowsAt::Spilled(at + rows * 24),
        }
    }
}

/// One certificate file's entry: its size and where its rows' fingerprints are (never in memory for long).
#[derive(Debug, Clone, Copy)]
struct FileKeys {
    /// Bytes on disk; `None` until the file is written.
    size: Option<u64>,
    n_rows: u64,
    rows: RowsAt,
}

/// Whether the claims file on disk is the one the keys were last computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaimsBase {
    /// It is (its SHA-256, or none for no file): only touched groups need recomputing.
    Matches,
    /// It is not, or nothing says: every group is recomputed.
    Unknown,
}

/// Columns a certificate file is read with for its keys and claims.
const KEY_COLUMNS: [&str; 5] = ["cert_no", "person_key", "occupation_code", "level", "issue_date"];
/// Touched claim groups kept one by one at most; beyond, every group is recomputed.
const TOUCHED_MAX: usize = 1 << 21;
/// Certificate files read back in parallel at a time.
const FILES_IN_FLIGHT: usize = 16;
/// Key rows copied at a time when the keys are saved (1.5 MB).
const COPY_ROWS: usize = 1 << 16;

/// The fingerprints of every certificate in the warehouse, by file; see the module documentation. What it holds
/// in memory is an entry per file, the certificate-number set's in-memory part, filter (capped at 60 MiB) and
/// fences ([`PrintIndex`]), and the touched claim groups (at most [`TOUCHED_MAX`]).
#[derive(Debug)]
pub(crate) struct CertKeys {
    /// By path relative to `certificates/` (`issue_year=2024/A001__2024-05__0123456789ab.parquet`).
    files: HashMap<String, FileKeys>,
    /// Relative paths by slice (agency, month).
    slices: HashMap<(String, String), BTreeSet<String>>,
    /// Every certificate number's fingerprint.
    prints: PrintIndex,
    /// The keys file the `Saved` rows are read from.
    saved: Option<(Arc<File>, PathBuf)>,
    /// This batch's files' key rows, appended as they are committed.
    spill: Option<Spill>,
    /// Claim groups whose members changed since the claims file was computed, while few enough to recompute one
    /// by one; see [`CertKeys::touch`].
    touched: FingerprintSet<u64>,
    /// So many groups changed that every group is recomputed (`touched` is then left empty).
    touched_all: bool,
    base: ClaimsBase,
    /// Whether the files differ from the saved cache.
    changed: bool,
    certificates_dir: PathBuf,
    index_dir: PathBuf,
    /// See [`KeysMemory::claim_groups`].
    partition_rows: u64,
    /// Rows of `files`.
    total_rows: u64,
}

#[derive(Debug)]
struct Spill {
    out: BufWriter<File>,
    path: PathBuf,
    len: u64,
}

/// How much of the certificate keys a batch holds in memory; the rest waits on disk. The defaults keep a batch's
/// keys under about 100 MB however large the warehouse; smaller values only make it read more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysMemory {
    /// Certificate-number fingerprints held in memory before they are spilled as a sorted run (16 bytes each,
    /// about 24 with their hash table).
    pub prints: usize,
    /// Claim-group fingerprints one partition of the duplicate-claims search sorts in memory (8 bytes each).
    pub claim_groups: u64,
}

impl Default for KeysMemory {
    fn default() -> Self {
        Self { prints: 1_500_000, claim_groups: 1 << 22 }
    }
}

/// How the keys were loaded, for the log.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeysLoad {
    pub(crate) cached_files: usize,
    pub(crate) read_files: usize,
    pub(crate) gone_files: usize,
    pub(crate) trusted: bool,
}

impl CertKeys {
    /// Loads the saved keys and brings them up to date with the certificate files on disk.
    pub(crate) fn load(layout: &Layout, memory: KeysMemory) -> Result<(Self, KeysLoad)> {
        let certificates_dir = layout.certificates_dir();
        let keys_path = layout.certificate_keys_path();
        let index_dir = keys_path.parent().ok_or(IngestError::Internal("the keys file has no folder"))?.to_path_buf();
        let on_disk = files_on_disk(layout)?;
        let claims_digest = file_digest(&layout.duplicate_claims_path())?;
        let saved = SavedKeys::open(&keys_path);
        let base = match &saved {
            Some(saved) if saved.digest == claims_digest => ClaimsBase::Matches,
            Some(_) => ClaimsBase::Unknown,
            // Nothing saved: fine for a new warehouse, unknown for one that has data.
            None if on_disk.is_empty() && claims_digest.is_none() => ClaimsBase::Matches,
            None => ClaimsBase::Unknown,
        };
        let (saved, mut listed, base_prints) = match saved {
            Some(s) => {
                let file = Arc::new(s.file);
                let prints = SortedRun::new(file.clone(), keys_path.clone(), s.prints_at, s.n_prints, Vec::new());
                (Some((file, keys_path.clone())), s.files, Some(prints))
            }
            None => (None, HashMap::new(), None),
        };
        let mut keys = Self {
            files: HashMap::with_capacity(on_disk.len()),
            slices: HashMap::new(),
            prints: PrintIndex::new(&index_dir, base_prints, memory.prints)?,
            partition_rows: memory.claim_groups.max(1),
            total_rows: 0,
            saved,
            spill: None,
            touched: FingerprintSet::default(),
            touched_all: false,
            base,
            changed: false,
            certificates_dir,
            index_dir,
        };
        let mut load = KeysLoad { trusted: base == ClaimsBase::Matches, ..KeysLoad::default() };
        let mut to_read: Vec<(String, PathBuf, SliceName, u64)> = Vec::new();
        for (relative, path, slice, size) in on_disk {
            match listed.remove(&relative) {
                Some(file) if file.size == Some(size) => {
                    load.cached_files += 1;
                    keys.insert_file(relative, &slice, file);
                }
                Some(file) => {
                    // Rewritten under its name since it was saved: its saved rows leave, its rows are read again.
                    keys.take_out(&file)?;
                    to_read.push((relative, path, slice, size));
                }
                None => to_read.push((relative, path, slice, size)),
            }
        }
        // Files the cache knew that are gone: their rows leave the set and their groups changed.
        for (_, file) in listed {
            load.gone_files += 1;
            keys.take_out(&file)?;
        }
        load.read_files = to_read.len();
        keys.changed = load.read_files > 0 || load.gone_files > 0;
        // A few files at a time, so a warehouse read from scratch is never held in memory whole (see `flag`).
        for chunk in to_read.chunks(FILES_IN_FLIGHT) {
            let read: Vec<Vec<KeyRow>> =
                chunk.par_iter().map(|(_, path, _, _)| read_key_rows(path)).collect::<Result<_>>()?;
            for ((relative, _, slice, size), rows) in chunk.iter().zip(read) {
                keys.add_rows(relative.clone(), slice, Some(*size), &rows)?;
            }
        }
        Ok((keys, load))
    }

    /// Whether the saved keys describe exactly the certificate files on disk (names and sizes) and the claims file
    /// (its SHA-256), judged from the cache's file list without reading its fingerprints. When they do, [`load`]
    /// would read no file and [`update_duplicate_claims`] recompute nothing, so a batch with no file to read can
    /// leave the keys on disk.
    ///
    /// [`load`]: CertKeys::load
    /// [`update_duplicate_claims`]: CertKeys::update_duplicate_claims
    pub(crate) fn up_to_date(layout: &Layout) -> Result<bool> {
        let Some(saved) = SavedKeys::open(&layout.certificate_keys_path()) else { return Ok(false) };
        if saved.digest.is_none() || file_digest(&layout.duplicate_claims_path())? != saved.digest {
            return Ok(false);
        }
        let on_disk = files_on_disk(layout)?;
        Ok(on_disk.len() == saved.files.len()
            && on_disk
                .iter()
                .all(|(relative, _, _, size)| saved.files.get(relative).and_then(|f| f.size) == Some(*size)))
    }

    /// How many certificates the claims file on disk flags.
    pub(crate) fn claims_on_disk(layout: &Layout) -> Result<usize> {
        count_rows(&layout.duplicate_claims_path())
    }

    fn insert_file(&mut self, relative: String, slice: &SliceName, file: FileKeys) {
        self.total_rows += file.n_rows;
        self.slices.entry((slice.agency_id.clone(), slice.period.clone())).or_default().insert(relative.clone());
        self.files.insert(relative, file);
    }

    /// Adds a file's rows: to the spill, to the certificate-number set, and to the touched groups.
    fn add_rows(&mut self, relative: String, slice: &SliceName, size: Option<u64>, rows: &[KeyRow]) -> Result<()> {
        let spill = match &mut self.spill {
            Some(spill) => spill,
            None => {
                let (file, path) = scratch_file(&self.index_dir, "certificate_keys.spill")?;
                self.spill.insert(Spill { out: BufWriter::with_capacity(1 << 20, file), path, len: 0 })
            }
        };
        let at = spill.len;
        for row in rows {
            spill.out.write_all(&row.to_bytes()).map_err(|e| IngestError::io(&spill.path, e))?;
        }
        spill.len += rows.len() as u64 * 24;
        for row in rows {
            self.prints.insert(row.cert())?;
        }
        self.touch(rows.iter().map(|r| r.group));
        self.insert_file(relative, slice, FileKeys { size, n_rows: rows.len() as u64, rows: RowsAt::Spilled(at) });
        Ok(())
    }

    /// Takes a file's rows out of the certificate-number set, and marks their groups changed.
    fn take_out(&mut self, file: &FileKeys) -> Result<()> {
        self.flush_spill()?;
        let rows = self.read_rows(file)?;
        for row in &rows {
            self.prints.remove(row.cert());
        }
        self.touch(rows.iter().map(|r| r.group));
        Ok(())
    }

    fn flush_spill(&mut self) -> Result<()> {
        if let Some(spill) = &mut self.spill {
            spill.out.flush().map_err(|e| IngestError::io(&spill.path, e))?;
        }
        Ok(())
    }

    /// A file's key rows, read from the saved keys or the spill (flushed first: see [`flush_spill`]).
    ///
    /// [`flush_spill`]: CertKeys::flush_spill
    fn read_rows(&self, file: &FileKeys) -> Result<Vec<KeyRow>> {
        Ok(self.read_bytes(file.rows, file.n_rows)?.chunks_exact(24).map(KeyRow::from_bytes).collect())
    }

    /// `n_rows` key rows' bytes from `at`, as stored.
    fn read_bytes(&self, at: RowsAt, n_rows: u64) -> Result<Vec<u8>> {
        let (source, path, at) = match (at, &self.saved, &self.spill) {
            (RowsAt::Saved(at), Some((saved, path)), _) => (saved.as_ref(), path, at),
            (RowsAt::Spilled(at), _, Some(spill)) => (spill.out.get_ref(), &spill.path, at),
            _ => return Err(IngestError::Internal("key rows without the file that holds them")),
        };
        let len = usize::try_from(n_rows * 24).map_err(|_| IngestError::Internal("too many key rows"))?;
        let mut bytes = vec![0u8; len];
        source.read_exact_at(&mut bytes, at).map_err(|e| IngestError::io(path, e))?;
        Ok(bytes)
    }

    /// Marks claim groups changed (0, no group, is skipped). Once they are more than an eighth of the certificates
    /// — a first load touches nearly every group — or more than [`TOUCHED_MAX`], every group will be recomputed, so
    /// they are no longer kept one by one.
    fn touch(&mut self, groups: impl Iterator<Item = u64>) {
        if self.touched_all {
            return;
        }
        self.touched.extend(groups.filter(|g| *g != 0));
        if self.touched.len() > (self.total_rows / 8).min(TOUCHED_MAX as u64) as usize {
            self.touched = FingerprintSet::default();
            self.touched_all = true;
        }
    }

    /// Whether a certificate number is in the warehouse (or committed earlier in the batch).
    pub(crate) fn contains(&self, print: u128) -> Result<bool> {
        self.prints.contains(print)
    }

    /// Takes out the files of a slice that a correction replaces — every file of the slice but those of the
    /// replacing file (`keep_hash12`), as `SliceFiles::supersede` does on disk.
    pub(crate) fn remove_slice(&mut self, agency_id: &str, period: &str, keep_hash12: &str) -> Result<()> {
        let Some(files) = self.slices.get_mut(&(agency_id.to_string(), period.to_string())) else { return Ok(()) };
        let gone: Vec<String> = files
            .iter()
            .filter(|relative| SliceName::of_path(Path::new(relative.as_str())).is_none_or(|s| s.hash12 != keep_hash12))
            .cloned()
            .collect();
        for relative in &gone {
            files.remove(relative);
        }
        for relative in gone {
            self.changed = true;
            if let Some(file) = self.files.remove(&relative) {
                self.total_rows -= file.n_rows;
                self.take_out(&file)?;
            }
        }
        Ok(())
    }

    /// Records a certificate file committed in this batch (written later; its size is taken when it is saved).
    pub(crate) fn add_file(&mut self, path: &Path, rows: &[KeyRow]) -> Result<()> {
        let Some(slice) = SliceName::of_path(path) else { return Ok(()) };
        let relative = relative_path(&self.certificates_dir, path);
        self.changed = true;
        self.add_rows(relative, &slice, None, rows)
    }
}

#[cfg(test)]
mod tests;
