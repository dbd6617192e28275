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

use crate::error::{IngestError, Result};
use crate::prints::{PrintIndex, RunWriter, SortedRun, scratch_file};
use crate::warehouse::{Layout, SliceName, i64_values, read_parquet, str_values, write_parquet_atomic};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A 128-bit fingerprint of a certificate number: two SipHash passes with different salts.
pub(crate) fn cert_fingerprint(cert_no: &str) -> u128 {
    let half = |salt: u8| {
        let mut hasher = DefaultHasher::new();
        salt.hash(&mut hasher);
        cert_no.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0x5a)) << 64) | u128::from(half(0xa5))
}

/// A 64-bit fingerprint of a claim group (never 0, which marks a row outside every group).
pub(crate) fn group_fingerprint(person_key: &str, occupation_code: &str, level: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (person_key, occupation_code, level).hash(&mut hasher);
    hasher.finish().max(1)
}

/// Hashes fingerprints by taking their bits: they are uniform already.
#[derive(Default)]
pub(crate) struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 ^= value;
    }

    fn write_u128(&mut self, value: u128) {
        self.0 ^= (value as u64) ^ ((value >> 64) as u64);
    }
}

type FingerprintSet<T> = HashSet<T, BuildHasherDefault<FingerprintHasher>>;

/// One certificate row's fingerprints: 24 bytes, as the keys file and the spill hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRow {
    /// The certificate number's fingerprint in two halves (low, high): a `u128` field is 16-byte aligned and would
    /// pad the row to 32 bytes.
    cert: [u64; 2],
    /// 0 when the row takes no part in claims (no occupation or no level).
    pub(crate) group: u64,
}

impl KeyRow {
    pub(crate) fn new(cert: u128, group: u64) -> Self {
        Self { cert: [cert as u64, (cert >> 64) as u64], group }
    }

    /// The certificate number's fingerprint.
    pub(crate) fn cert(&self) -> u128 {
        u128::from(self.cert[0]) | (u128::from(self.cert[1]) << 64)
    }

    /// The 24 bytes stored: the certificate number's fingerprint, then the group's, little-endian.
    pub(crate) fn to_bytes(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..16].copy_from_slice(&self.cert().to_le_bytes());
        out[16..].copy_from_slice(&self.group.to_le_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        Self::new(
            u128::from_le_bytes(bytes[..16].try_into().unwrap_or_default()),
            u64::from_le_bytes(bytes[16..24].try_into().unwrap_or_default()),
        )
    }

    /// The fingerprints of a certificate as stored: its number, and its claim group (person, occupation, level)
    /// when it has an occupation and a level.
    pub(crate) fn of(cert_no: &str, person_key: &str, occupation: Option<&str>, level: Option<&str>) -> Self {
        let group = match (occupation, level) {
            (Some(occupation), Some(level)) => group_fingerprint(person_key, occupation, level),
            _ => 0,
        };
        Self::new(cert_fingerprint(cert_no), group)
    }
}

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

    /// Recomputes `duplicate_claims/duplicate_claims.parquet` for the groups that changed (all of them when the
    /// previous file cannot be trusted), then saves the keys with the new file's digest. Among certificates with the
    /// same person_key, occupation_code and level, the earliest issue date, then the smallest cert_no, counts;
    /// every other one is written with the cert_no that counts. Returns how many are flagged.
    pub(crate) fn update_duplicate_claims(&mut self, layout: &Layout) -> Result<usize> {
        let path = layout.duplicate_claims_path();
        let total_rows = self.total_rows;
        // Many touched groups (a first load): recomputing everything is cheaper than sifting.
        let full = self.base == ClaimsBase::Unknown || self.touched_all || self.touched.len() as u64 > total_rows / 8;
        if !full && self.touched.is_empty() && path.is_file() {
            if self.changed || !layout.certificate_keys_path().is_file() {
                self.save(layout, file_digest(&path)?)?;
            }
            return count_rows(&path);
        }
        let start = std::time::Instant::now();
        self.flush_spill()?;
        let touched = std::mem::take(&mut self.touched);
        let recompute = self.groups_with_several(if full { None } else { Some(&touched) })?;
        let grouped = start.elapsed();
        let mut flagged = self.flag(&recompute)?;
        if !full && path.is_file() {
            flagged.extend(carried_claims(&path, &touched)?);
        }
        flagged.sort();
        flagged.dedup();
        let n = flagged.len();
        write_claims(&path, &flagged)?;
        skillhouse_model::fault::point("ingest.claims_written");
        let claimed = start.elapsed();
        self.base = ClaimsBase::Matches;
        self.touched_all = false;
        self.save(layout, file_digest(&path)?)?;
        tracing::debug!(
            full,
            groups_with_several = recompute.len(),
            flagged = n,
            group_ms = grouped.as_millis() as u64,
            flag_ms = (claimed - grouped).as_millis() as u64,
            save_ms = (start.elapsed() - claimed).as_millis() as u64,
            "duplicate claims recomputed"
        );
        Ok(n)
    }

    /// Claim groups with at least two rows: among `among` only, or all. The groups are spread over partitions of
    /// [`KeysMemory::claim_groups`] on disk by their value, then each partition is sorted in memory on its own.
    fn groups_with_several(&self, among: Option<&FingerprintSet<u64>>) -> Result<FingerprintSet<u64>> {
        let parts = (self.total_rows / self.partition_rows + 1) as usize;
        let mut outs = Vec::with_capacity(parts);
        for _ in 0..parts {
            let (file, path) = scratch_file(&self.index_dir, "claim_groups")?;
            outs.push((BufWriter::with_capacity(1 << 18, file), path));
        }
        for file in self.files.values() {
            for row in self.read_rows(file)? {
                let g = row.group;
                if g != 0 && among.is_none_or(|a| a.contains(&g)) {
                    let (out, path) = &mut outs[((u128::from(g) * parts as u128) >> 64) as usize];
                    out.write_all(&g.to_le_bytes()).map_err(|e| IngestError::io(path.as_path(), e))?;
                }
            }
        }
        let mut several = FingerprintSet::default();
        for (out, path) in outs {
            let file = out.into_inner().map_err(|e| IngestError::io(&path, e.into_error()))?;
            let len = file.metadata().map_err(|e| IngestError::io(&path, e))?.len();
            let mut bytes = vec![0u8; usize::try_from(len).map_err(|_| IngestError::Internal("partition too big"))?];
            file.read_exact_at(&mut bytes, 0).map_err(|e| IngestError::io(&path, e))?;
            let mut groups: Vec<u64> =
                bytes.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())).collect();
            drop(bytes);
            groups.par_sort_unstable();
            several.extend(groups.chunk_by(|a, b| a == b).filter(|run| run.len() > 1).map(|run| run[0]));
        }
        Ok(several)
    }

    /// Reads back the members of `groups` and flags every one but the first of each real group.
    fn flag(&self, groups: &FingerprintSet<u64>) -> Result<Vec<Flagged>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        // Which files hold members.
        let mut wanted: Vec<PathBuf> = Vec::new();
        for (relative, file) in &self.files {
            if self.read_rows(file)?.iter().any(|r| groups.contains(&r.group)) {
                wanted.push(self.certificates_dir.join(relative));
            }
        }
        // A few files at a time: polars reads on its own thread pool, and a thread of ours waiting for it takes up
        // the next file meanwhile, so an unbounded parallel loop would end up with every file half-read at once.
        let mut claims: Vec<Claim> = Vec::new();
        for chunk in wanted.chunks(FILES_IN_FLIGHT) {
            let per_file: Vec<Vec<Claim>> =
                chunk.par_iter().map(|path| read_claims(path, groups)).collect::<Result<_>>()?;
            claims.extend(per_file.into_iter().flatten());
        }
        claims.par_sort_unstable();
        let mut flagged = Vec::new();
        let mut counted: Option<&Claim> = None;
        for claim in &claims {
            match counted {
                Some(c) if c.same_group(claim) => flagged.push(Flagged {
                    person_key: claim.person_key.clone(),
                    occupation_code: claim.occupation_code.clone(),
                    level: claim.level.clone(),
                    cert_no: claim.cert_no.clone(),
                    counted_cert_no: c.cert_no.clone(),
                }),
                _ => counted = Some(claim),
            }
        }
        Ok(flagged)
    }

    /// Writes `index/certificate_keys.bin` (temporary file, fsync, rename): the files' key rows, copied from where
    /// they are, then the certificate-number set, merged in order. The keys then read from the new file.
    fn save(&mut self, layout: &Layout, claims_digest: Option<[u8; 32]>) -> Result<()> {
        for (relative, file) in &mut self.files {
            if file.size.is_none() {
                let path = self.certificates_dir.join(relative);
                file.size = Some(std::fs::metadata(&path).map_err(|e| IngestError::io(&path, e))?.len());
            }
        }
        self.flush_spill()?;
        let path = layout.certificate_keys_path();
        std::fs::create_dir_all(&self.index_dir).map_err(|e| IngestError::io(&self.index_dir, e))?;
        let tmp = self.index_dir.join(format!(".certificate_keys.bin.tmp-{}", std::process::id()));
        let mut out = Counted {
            out: BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(|e| IngestError::io(&tmp, e))?),
            written: 0,
        };
        let io = |e| IngestError::io(&tmp, e);
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&build_check().to_le_bytes()).map_err(io)?;
        out.write_all(&[u8::from(claims_digest.is_some())]).map_err(io)?;
        out.write_all(&claims_digest.unwrap_or([0; 32])).map_err(io)?;
        out.write_all(&(self.files.len() as u64).to_le_bytes()).map_err(io)?;
        let mut names: Vec<String> = self.files.keys().cloned().collect();
        names.sort();
        let mut moved: Vec<(String, u64)> = Vec::with_capacity(names.len());
        for relative in names {
            let file = self.files[&relative];
            out.write_all(&(relative.len() as u32).to_le_bytes()).map_err(io)?;
            out.write_all(relative.as_bytes()).map_err(io)?;
            out.write_all(&file.size.unwrap_or(0).to_le_bytes()).map_err(io)?;
            out.write_all(&file.n_rows.to_le_bytes()).map_err(io)?;
            moved.push((relative, out.written));
            let mut done = 0;
            while done < file.n_rows {
                let n = (file.n_rows - done).min(COPY_ROWS as u64);
                out.write_all(&self.read_bytes(file.rows.skip(done), n)?).map_err(io)?;
                done += n;
            }
        }
        let prints_at = out.written;
        let mut writer = RunWriter::new(&mut out, &tmp);
        self.prints.write_all(&mut writer)?;
        let (n_prints, fence) = (writer.len, std::mem::take(&mut writer.fence));
        out.write_all(&n_prints.to_le_bytes()).map_err(io)?;
        out.write_all(END).map_err(io)?;
        let file = out.out.into_inner().map_err(|e| IngestError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(|e| IngestError::io(&path, e))?;
        crate::warehouse::sync_folder(&self.index_dir);
        // From now on the rows and the set are read from the new file.
        let saved = Arc::new(File::open(&path).map_err(|e| IngestError::io(&path, e))?);
        for (relative, at) in moved {
            if let Some(file) = self.files.get_mut(&relative) {
                file.rows = RowsAt::Saved(at);
            }
        }
        self.prints.set_base(SortedRun::new(saved.clone(), path.clone(), prints_at, n_prints, fence));
        self.saved = Some((saved, path));
        self.spill = None;
        self.changed = false;
        Ok(())
    }
}

/// A writer that counts the bytes through it.
struct Counted<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(bytes)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

const MAGIC: &[u8; 8] = b"SKHKEYS2";
const END: &[u8; 8] = b"SKHKEND2";

/// Fingerprints of fixed strings: a build whose hashing differs (another Rust release) does not trust the cache.
fn build_check() -> u128 {
    cert_fingerprint("skillhouse-keys-check") ^ u128::from(group_fingerprint("p", "o", "l"))
}

/// The saved keys file, its file list read (the rows and the set stay on disk, found by offset).
///
/// Layout: magic, build check (16 bytes), whether a claims digest follows (1), the digest (32), the number of
/// files (8); per file in name order its name (length 4, bytes), size (8), number of rows (8) and rows (24 bytes
/// each: the certificate number's fingerprint, 16, then the claim group's, 8); then the certificate-number
/// fingerprints of all rows, sorted (16 each), their number (8) and the end mark.
struct SavedKeys {
    file: File,
    digest: Option<[u8; 32]>,
    files: HashMap<String, FileKeys>,
    prints_at: u64,
    n_prints: u64,
}

impl SavedKeys {
    /// `None` when there is no file or it cannot be trusted (another build, damaged, lengths that do not add up).
    fn open(path: &Path) -> Option<Self> {
        let mut input = CacheInput::open(path)?;
        if input.bytes::<8>()? != *MAGIC || u128::from_le_bytes(input.bytes()?) != build_check() {
            return None;
        }
        let has_digest = input.bytes::<1>()?[0] == 1;
        let digest: [u8; 32] = input.bytes()?;
        let n_files = input.u64()?;
        let mut files = HashMap::with_capacity(usize::try_from(n_files).ok()?.min(1 << 24));
        for _ in 0..n_files {
            let len = u32::from_le_bytes(input.bytes()?);
            let relative = String::from_utf8(input.vec(u64::from(len))?).ok()?;
            let size = input.u64()?;
            let n_rows = input.u64()?;
            let rows = RowsAt::Saved(input.at);
            input.skip(n_rows.checked_mul(24)?)?;
            files.insert(relative, FileKeys { size: Some(size), n_rows, rows });
        }
        let prints_at = input.at;
        let file = input.input.into_inner();
        let mut trailer = [0u8; 16];
        let trailer_at = input.len.checked_sub(16).filter(|at| *at >= prints_at)?;
        file.read_exact_at(&mut trailer, trailer_at).ok()?;
        let n_prints = u64::from_le_bytes(trailer[..8].try_into().ok()?);
        if trailer[8..] != *END || prints_at.checked_add(n_prints.checked_mul(16)?)? != trailer_at {
            return None;
        }
        Some(Self { file, digest: has_digest.then_some(digest), files, prints_at, n_prints })
    }
}

/// The keys file read front to back, every read checked against its length.
struct CacheInput {
    input: std::io::BufReader<File>,
    at: u64,
    len: u64,
}

impl CacheInput {
    fn open(path: &Path) -> Option<Self> {
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        Some(Self { input: std::io::BufReader::with_capacity(1 << 16, file), at: 0, len })
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        self.at = self.at.checked_add(n).filter(|at| *at <= self.len)?;
        Some(())
    }

    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.advance(N as u64)?;
        let mut out = [0u8; N];
        self.input.read_exact(&mut out).ok()?;
        Some(out)
    }

    fn u64(&mut self) -> Option<u64> {
        self.bytes().map(u64::from_le_bytes)
    }

    fn vec(&mut self, n: u64) -> Option<Vec<u8>> {
        self.advance(n)?;
        let mut out = vec![0u8; usize::try_from(n).ok()?];
        self.input.read_exact(&mut out).ok()?;
        Some(out)
    }

    fn skip(&mut self, n: u64) -> Option<()> {
        self.advance(n)?;
        self.input.seek_relative(i64::try_from(n).ok()?).ok()
    }
}

/// The certificate files on disk: path relative to `certificates/`, full path, slice and size in bytes.
fn files_on_disk(layout: &Layout) -> Result<Vec<(String, PathBuf, SliceName, u64)>> {
    let certificates_dir = layout.certificates_dir();
    layout
        .certificate_files()?
        .into_iter()
        .map(|(path, slice)| {
            let size = std::fs::metadata(&path).map_err(|e| IngestError::io(&path, e))?.len();
            Ok((relative_path(&certificates_dir, &path), path, slice, size))
        })
        .collect()
}

fn relative_path(certificates_dir: &Path, path: &Path) -> String {
    path.strip_prefix(certificates_dir).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// SHA-256 of a file, or `None` when it does not exist.
fn file_digest(path: &Path) -> Result<Option<[u8; 32]>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(Sha256::digest(&bytes).into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IngestError::io(path, e)),
    }
}

fn count_rows(path: &Path) -> Result<usize> {
    Ok(read_parquet(path, Some(&["cert_no"]))?.height())
}

/// The key columns of a certificate frame (as written, or as read back), row by row.
struct KeyColumns {
    cert_no: StringChunked,
    person: StringChunked,
    occupation: StringChunked,
    level: StringChunked,
    date: Vec<Option<i64>>,
}

impl KeyColumns {
    /// The key columns of a frame read back, borrowed from its arrays (no string per row is copied).
    fn of(frame: &DataFrame, path: &Path) -> Result<Self> {
        let text = |name: &'static str| -> Result<StringChunked> {
            let err = |source| IngestError::WarehouseColumn { path: path.to_path_buf(), column: name, source };
            Ok(frame.column(name).map_err(err)?.str().map_err(err)?.rechunk().into_owned())
        };
        Ok(Self {
            cert_no: text("cert_no")?,
            person: text("person_key")?,
            occupation: text("occupation_code")?,
            level: text("level")?,
            date: i64_values(frame, path, "issue_date")?,
        })
    }

    /// Row `i` as a claim, when it takes part in claims.
    fn claim(&self, i: usize) -> Option<Claim> {
        Some(Claim {
            person_key: self.person.get(i)?.to_string(),
            occupation_code: self.occupation.get(i)?.to_string(),
            level: self.level.get(i)?.to_string(),
            issue_date: self.date[i]?,
            cert_no: self.cert_no.get(i)?.to_string(),
        })
    }

    /// Row `i`'s claim group; 0 when it takes part in none (no person, date, occupation or level).
    fn group(&self, i: usize) -> u64 {
        match (self.date[i], self.person.get(i), self.occupation.get(i), self.level.get(i)) {
            (Some(_), Some(person), Some(occupation), Some(level)) => group_fingerprint(person, occupation, level),
            _ => 0,
        }
    }

    fn key_row(&self, i: usize) -> Option<KeyRow> {
        Some(KeyRow::new(cert_fingerprint(self.cert_no.get(i)?), self.group(i)))
    }
}

fn read_key_rows(path: &Path) -> Result<Vec<KeyRow>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let columns = KeyColumns::of(&frame, path)?;
    Ok((0..frame.height()).filter_map(|i| columns.key_row(i)).collect())
}

/// The claims of a file's rows whose claim group is one of `groups` (by fingerprint; a collision only adds a
/// group's members, which are then compared by their values).
fn read_claims(path: &Path, groups: &FingerprintSet<u64>) -> Result<Vec<Claim>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let columns = KeyColumns::of(&frame, path)?;
    Ok((0..frame.height()).filter(|&i| groups.contains(&columns.group(i))).filter_map(|i| columns.claim(i)).collect())
}

/// A certificate taking part in claims; ordered by group, then the order in which certificates count.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Claim {
    person_key: String,
    occupation_code: String,
    level: String,
    issue_date: i64,
    cert_no: String,
}

impl Claim {
    fn same_group(&self, other: &Self) -> bool {
        self.person_key == other.person_key
            && self.occupation_code == other.occupation_code
            && self.level == other.level
    }
}

/// A row of the claims file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Flagged {
    person_key: String,
    occupation_code: String,
    level: String,
    cert_no: String,
    counted_cert_no: String,
}

/// The rows of the previous claims file whose group did not change.
fn carried_claims(path: &Path, touched: &FingerprintSet<u64>) -> Result<Vec<Flagged>> {
    let frame = read_parquet(path, None)?;
    let cert_no = str_values(&frame, path, "cert_no")?;
    let counted = str_values(&frame, path, "counted_cert_no")?;
    let person = str_values(&frame, path, "person_key")?;
    let occupation = str_values(&frame, path, "occupation_code")?;
    let level = str_values(&frame, path, "level")?;
    let mut out = Vec::new();
    for i in 0..frame.height() {
        if let (Some(c), Some(k), Some(p), Some(o), Some(l)) =
            (&cert_no[i], &counted[i], &person[i], &occupation[i], &level[i])
            && !touched.contains(&group_fingerprint(p, o, l))
        {
            out.push(Flagged {
                person_key: p.clone(),
                occupation_code: o.clone(),
                level: l.clone(),
                cert_no: c.clone(),
                counted_cert_no: k.clone(),
            });
        }
    }
    Ok(out)
}

fn write_claims(path: &Path, flagged: &[Flagged]) -> Result<()> {
    let n = flagged.len();
    let column =
        |name: &str, f: fn(&Flagged) -> &str| Column::new(name.into(), flagged.iter().map(f).collect::<Vec<_>>());
    let mut frame = DataFrame::new(
        n,
        vec![
            column("cert_no", |c| &c.cert_no),
            column("counted_cert_no", |c| &c.counted_cert_no),
            column("person_key", |c| &c.person_key),
            column("occupation_code", |c| &c.occupation_code),
            column("level", |c| &c.level),
        ],
    )
    .map_err(|e| IngestError::parquet(path, e))?;
    write_parquet_atomic(path, &mut frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_and_repeat() {
        assert_eq!(cert_fingerprint("Y1"), cert_fingerprint("Y1"));
        assert_ne!(cert_fingerprint("Y1"), cert_fingerprint("Y2"));
        assert_eq!(group_fingerprint("p", "o", "l3"), group_fingerprint("p", "o", "l3"));
        assert_ne!(group_fingerprint("p", "o", "l3"), group_fingerprint("p", "o", "l4"));
        // The parts are delimited: moving characters between them changes the group.
        assert_ne!(group_fingerprint("pa", "b", "l3"), group_fingerprint("p", "ab", "l3"));
    }

    #[test]
    fn a_key_row_is_24_bytes_and_keeps_all_128_bits() {
        assert_eq!(std::mem::size_of::<KeyRow>(), 24);
        let print = cert_fingerprint("Y1");
        assert_eq!(KeyRow::new(print, 3).cert(), print);
        assert_eq!(KeyRow::new(u128::MAX - 1, 0).cert(), u128::MAX - 1);
    }

    #[test]
    fn saved_keys_read_back_and_a_damaged_or_foreign_file_is_not_trusted() {
        let dir = tempfile::tempdir().expect("tmp");
        let layout = Layout::new(dir.path());
        let (mut keys, _) = CertKeys::load(&layout, KeysMemory::default()).expect("an empty warehouse");
        let relative = "issue_year=2024/A__2024-01__0123456789ab.parquet";
        let slice = SliceName::of_path(Path::new(relative)).expect("a slice name");
        let rows = vec![KeyRow::new(7 | (5 << 64), 9), KeyRow::new(8, 0)];
        keys.add_rows(relative.into(), &slice, Some(5), &rows).expect("add");
        keys.save(&layout, Some([3; 32])).expect("save");
        let path = layout.certificate_keys_path();
        let saved = SavedKeys::open(&path).expect("a saved cache reads back");
        assert_eq!(saved.digest, Some([3; 32]));
        assert_eq!((saved.files[relative].size, saved.files[relative].n_rows, saved.n_prints), (Some(5), 2, 2));
        // After saving, the keys read their rows and numbers from the saved file.
        assert_eq!(keys.read_rows(&keys.files[relative]).expect("rows"), rows);
        assert!(keys.contains(7 | (5 << 64)).expect("lookup") && keys.contains(8).expect("lookup"));
        assert!(!keys.contains(9).expect("lookup") && !keys.contains(7).expect("lookup"));
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 3]).expect("truncate");
        assert!(SavedKeys::open(&path).is_none(), "a truncated cache");
        std::fs::write(&path, &bytes[..bytes.len() - 24]).expect("truncate");
        assert!(SavedKeys::open(&path).is_none(), "a cache cut by a whole fingerprint and more");
        let mut foreign = bytes.clone();
        foreign[9] ^= 1; // the build check
        std::fs::write(&path, &foreign).expect("write");
        assert!(SavedKeys::open(&path).is_none(), "another build's fingerprints");
        let mut longer = bytes;
        longer.push(0);
        std::fs::write(&path, &longer).expect("write");
        assert!(SavedKeys::open(&path).is_none(), "bytes after the end");
    }
}
