//! Warehouse-wide certificate facts: the certificate numbers already loaded (for `duplicate_cert_no`) and the
//! duplicate claims (DESIGN §6 "同一人员同一职业同一等级不得重复申领"), kept from batch to batch so that a batch
//! reads only what changed.
//!
//! [`CertKeys`] holds, for every certificate file, each row's fingerprints: the certificate number's (128 bits)
//! and its claim group's — person_key, occupation_code and level (64 bits; 0 when the row takes no part in
//! claims). It is saved as `index/certificate_keys.bin` at the end of a batch, with the SHA-256 of the
//! `duplicate_claims` file it was computed with, and loaded at the start of the next one. The file is a cache: the
//! certificate files decide. Loading compares it with the files on disk (name and size) and reads only files it
//! does not know; a file it knows that has gone (a correction superseded it) takes its rows out. A cache that is
//! missing, damaged, written by a build whose fingerprints differ, or paired with another claims file than the one
//! on disk, is not trusted: the keys are read from the files and the claims recomputed over everything.
//!
//! Duplicate claims are recomputed for the claim groups a batch touched (rows added or removed): their members are
//! found by fingerprint and read back from their files, and compared by their real values (earliest issue date,
//! then smallest cert_no counts), so a fingerprint collision costs a little reading, never a wrong flag. Rows of
//! untouched groups are carried over from the previous claims file.

use crate::error::{IngestError, Result};
use crate::warehouse::{Layout, SliceName, i64_values, read_parquet, str_values, write_parquet_atomic};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

/// One certificate row's fingerprints: 24 bytes, one per certificate of the warehouse held in memory.
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

/// The rows of one certificate file.
#[derive(Debug, Clone)]
struct FileKeys {
    /// Bytes on disk; `None` until the file is written.
    size: Option<u64>,
    rows: Vec<KeyRow>,
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

/// The fingerprints of every certificate in the warehouse, by file; see the module documentation.
#[derive(Debug)]
pub(crate) struct CertKeys {
    /// By path relative to `certificates/` (`issue_year=2024/A001__2024-05__0123456789ab.parquet`).
    files: HashMap<String, FileKeys>,
    /// Relative paths by slice (agency, month).
    slices: HashMap<(String, String), BTreeSet<String>>,
    /// Every certificate number's fingerprint.
    all: FingerprintSet<u128>,
    /// Claim groups whose members changed since the claims file was computed, while few enough to recompute one
    /// by one; see [`CertKeys::touch`].
    touched: FingerprintSet<u64>,
    /// So many groups changed that every group is recomputed (`touched` is then left empty).
    touched_all: bool,
    base: ClaimsBase,
    /// Whether the files differ from the saved cache.
    changed: bool,
    certificates_dir: PathBuf,
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
    pub(crate) fn load(layout: &Layout) -> Result<(Self, KeysLoad)> {
        let certificates_dir = layout.certificates_dir();
        let on_disk = files_on_disk(layout)?;
        let claims_digest = file_digest(&layout.duplicate_claims_path())?;
        let saved = read_cache(&layout.certificate_keys_path());
        let (mut cached, base) = match saved {
            Some((digest, files)) if digest == claims_digest => (files, ClaimsBase::Matches),
            Some((_, files)) => (files, ClaimsBase::Unknown),
            // Nothing saved: fine for a new warehouse, unknown for one that has data.
            None if on_disk.is_empty() && claims_digest.is_none() => (HashMap::new(), ClaimsBase::Matches),
            None => (HashMap::new(), ClaimsBase::Unknown),
        };
        let mut keys = Self {
            files: HashMap::with_capacity(on_disk.len()),
            slices: HashMap::new(),
            all: FingerprintSet::default(),
            touched: FingerprintSet::default(),
            touched_all: false,
            base,
            changed: false,
            certificates_dir: certificates_dir.clone(),
        };
        let mut load = KeysLoad { trusted: base == ClaimsBase::Matches, ..KeysLoad::default() };
        let mut to_read: Vec<(String, PathBuf, SliceName, u64)> = Vec::new();
        for (relative, path, slice, size) in on_disk {
            match cached.remove(&relative) {
                Some(file) if file.size == Some(size) => {
                    load.cached_files += 1;
                    keys.insert_file(relative, &slice, file, false);
                }
                _ => to_read.push((relative, path, slice, size)),
            }
        }
        // Files the cache knew that are gone: their groups changed.
        for (_, file) in cached {
            load.gone_files += 1;
            keys.touch(file.rows.iter().map(|r| r.group));
        }
        load.read_files = to_read.len();
        keys.changed = load.read_files > 0 || load.gone_files > 0;
        let read: Vec<(String, SliceName, FileKeys)> = to_read
            .into_par_iter()
            .map(|(relative, path, slice, size)| {
                let rows = read_key_rows(&path)?;
                Ok((relative, slice, FileKeys { size: Some(size), rows }))
            })
            .collect::<Result<_>>()?;
        for (relative, slice, file) in read {
            keys.insert_file(relative, &slice, file, true);
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
        let claims = layout.duplicate_claims_path();
        let Some((Some(digest), cached)) = read_cache_with(&layout.certificate_keys_path(), false) else {
            return Ok(false);
        };
        if file_digest(&claims)? != Some(digest) {
            return Ok(false);
        }
        let on_disk = files_on_disk(layout)?;
        Ok(on_disk.len() == cached.len()
            && on_disk.iter().all(|(relative, _, _, size)| cached.get(relative).and_then(|f| f.size) == Some(*size)))
    }

    /// How many certificates the claims file on disk flags.
    pub(crate) fn claims_on_disk(layout: &Layout) -> Result<usize> {
        count_rows(&layout.duplicate_claims_path())
    }

    fn insert_file(&mut self, relative: String, slice: &SliceName, file: FileKeys, touch: bool) {
        self.all.extend(file.rows.iter().map(KeyRow::cert));
        if touch {
            self.touch(file.rows.iter().map(|r| r.group));
        }
        self.slices.entry((slice.agency_id.clone(), slice.period.clone())).or_default().insert(relative.clone());
        self.files.insert(relative, file);
    }

    /// Marks claim groups changed (0, no group, is skipped). Once they are more than an eighth of the certificates —
    /// a first load touches nearly every group — every group will be recomputed, so they are no longer kept one by
    /// one: on a first load of 30M rows the set would take 0.6 GB.
    fn touch(&mut self, groups: impl Iterator<Item = u64>) {
        if self.touched_all {
            return;
        }
        self.touched.extend(groups.filter(|g| *g != 0));
        if self.touched.len() > self.all.len() / 8 {
            self.touched = FingerprintSet::default();
            self.touched_all = true;
        }
    }

    /// Whether a certificate number is in the warehouse (or committed earlier in the batch).
    pub(crate) fn contains(&self, print: u128) -> bool {
        self.all.contains(&print)
    }

    /// Takes out the files of a slice that a correction replaces — every file of the slice but those of the
    /// replacing file (`keep_hash12`), as `SliceFiles::supersede` does on disk.
    pub(crate) fn remove_slice(&mut self, agency_id: &str, period: &str, keep_hash12: &str) {
        let Some(files) = self.slices.get_mut(&(agency_id.to_string(), period.to_string())) else { return };
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
                for row in &file.rows {
                    self.all.remove(&row.cert());
                }
                self.touch(file.rows.iter().map(|r| r.group));
            }
        }
    }

    /// Records a certificate file committed in this batch (written later; its size is taken when it is saved).
    pub(crate) fn add_file(&mut self, path: &Path, rows: Vec<KeyRow>) {
        let Some(slice) = SliceName::of_path(path) else { return };
        let relative = relative_path(&self.certificates_dir, path);
        self.changed = true;
        self.insert_file(relative, &slice, FileKeys { size: None, rows }, true);
    }

    /// Recomputes `duplicate_claims/duplicate_claims.parquet` for the groups that changed (all of them when the
    /// previous file cannot be trusted), then saves the keys with the new file's digest. Among certificates with the
    /// same person_key, occupation_code and level, the earliest issue date, then the smallest cert_no, counts;
    /// every other one is written with the cert_no that counts. Returns how many are flagged.
    pub(crate) fn update_duplicate_claims(&mut self, layout: &Layout) -> Result<usize> {
        let path = layout.duplicate_claims_path();
        let total_rows: usize = self.files.values().map(|f| f.rows.len()).sum();
        // Many touched groups (a first load): recomputing everything is cheaper than sifting.
        let full = self.base == ClaimsBase::Unknown || self.touched_all || self.touched.len() > total_rows / 8;
        if !full && self.touched.is_empty() && path.is_file() {
            if self.changed || !layout.certificate_keys_path().is_file() {
                self.save(layout, file_digest(&path)?)?;
            }
            return count_rows(&path);
        }
        let recompute: FingerprintSet<u64> =
            if full { self.groups_with_several(None) } else { self.groups_with_several(Some(&self.touched)) };
        let mut flagged = self.flag(&recompute)?;
        if !full && path.is_file() {
            flagged.extend(carried_claims(&path, &self.touched)?);
        }
        flagged.sort();
        flagged.dedup();
        let n = flagged.len();
        write_claims(&path, &flagged)?;
        skillhouse_model::fault::point("ingest.claims_written");
        self.base = ClaimsBase::Matches;
        self.touched.clear();
        self.touched_all = false;
        self.save(layout, file_digest(&path)?)?;
        Ok(n)
    }

    /// Claim groups with at least two rows: among `among` only, or all.
    fn groups_with_several(&self, among: Option<&FingerprintSet<u64>>) -> FingerprintSet<u64> {
        let mut groups: Vec<u64> = self
            .files
            .par_iter()
            .flat_map_iter(|(_, f)| f.rows.iter().map(|r| r.group))
            .filter(|g| *g != 0 && among.is_none_or(|a| a.contains(g)))
            .collect();
        groups.par_sort_unstable();
        groups.chunk_by(|a, b| a == b).filter(|run| run.len() > 1).map(|run| run[0]).collect()
    }

    /// Reads back the members of `groups` and flags every one but the first of each real group.
    fn flag(&self, groups: &FingerprintSet<u64>) -> Result<Vec<Flagged>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        // Which rows of which files: by certificate fingerprint.
        let wanted: Vec<(PathBuf, FingerprintSet<u128>)> = self
            .files
            .iter()
            .filter_map(|(relative, f)| {
                let certs: FingerprintSet<u128> =
                    f.rows.iter().filter(|r| groups.contains(&r.group)).map(KeyRow::cert).collect();
                (!certs.is_empty()).then(|| (self.certificates_dir.join(relative), certs))
            })
            .collect();
        let per_file: Vec<Vec<Claim>> =
            wanted.par_iter().map(|(path, certs)| read_claims(path, certs)).collect::<Result<_>>()?;
        let mut claims: Vec<Claim> = per_file.into_iter().flatten().collect();
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

    /// Writes `index/certificate_keys.bin` (temporary file, fsync, rename).
    fn save(&mut self, layout: &Layout, claims_digest: Option<[u8; 32]>) -> Result<()> {
        for (relative, file) in &mut self.files {
            if file.size.is_none() {
                let path = self.certificates_dir.join(relative);
                file.size = Some(std::fs::metadata(&path).map_err(|e| IngestError::io(&path, e))?.len());
            }
        }
        let path = layout.certificate_keys_path();
        let dir = path.parent().ok_or(IngestError::Internal("the keys file has no folder"))?;
        std::fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
        let tmp = dir.join(format!(".certificate_keys.bin.tmp-{}", std::process::id()));
        let mut out = std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(&tmp).map_err(|e| IngestError::io(&tmp, e))?,
        );
        let mut write = |bytes: &[u8]| out.write_all(bytes).map_err(|e| IngestError::io(&tmp, e));
        write(MAGIC)?;
        write(&build_check().to_le_bytes())?;
        write(&[u8::from(claims_digest.is_some())])?;
        write(&claims_digest.unwrap_or([0; 32]))?;
        write(&(self.files.len() as u64).to_le_bytes())?;
        let mut names: Vec<&String> = self.files.keys().collect();
        names.sort();
        for relative in names {
            let file = &self.files[relative];
            write(&(relative.len() as u32).to_le_bytes())?;
            write(relative.as_bytes())?;
            write(&file.size.unwrap_or(0).to_le_bytes())?;
            write(&(file.rows.len() as u64).to_le_bytes())?;
            for row in &file.rows {
                write(&row.cert().to_le_bytes())?;
                write(&row.group.to_le_bytes())?;
            }
        }
        write(END)?;
        let file = out.into_inner().map_err(|e| IngestError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| IngestError::io(&tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(|e| IngestError::io(&path, e))?;
        crate::warehouse::sync_folder(dir);
        Ok(())
    }
}

const MAGIC: &[u8; 8] = b"SKHKEYS1";
const END: &[u8; 8] = b"SKHKEND1";

/// Fingerprints of fixed strings: a build whose hashing differs (another Rust release) does not trust the cache.
fn build_check() -> u128 {
    cert_fingerprint("skillhouse-keys-check") ^ u128::from(group_fingerprint("p", "o", "l"))
}

/// The saved keys with the claims digest they go with, or `None` when there are none or they cannot be trusted.
type Cache = (Option<[u8; 32]>, HashMap<String, FileKeys>);

fn read_cache(path: &Path) -> Option<Cache> {
    read_cache_with(path, true)
}

/// The saved keys as [`read_cache`] reads them, streamed from the file (never held twice); with `rows` false each
/// file's fingerprints are skipped over and its `rows` left empty — enough to compare the cache with the files.
fn read_cache_with(path: &Path, rows: bool) -> Option<Cache> {
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
        let n_bytes = input.u64()?.checked_mul(24)?;
        let rows = if rows {
            let raw = input.vec(n_bytes)?;
            raw.chunks_exact(24)
                .map(|r| {
                    KeyRow::new(
                        u128::from_le_bytes(r[..16].try_into().unwrap_or_default()),
                        u64::from_le_bytes(r[16..].try_into().unwrap_or_default()),
                    )
                })
                .collect()
        } else {
            input.skip(n_bytes)?;
            Vec::new()
        };
        files.insert(relative, FileKeys { size: Some(size), rows });
    }
    if input.bytes::<8>()? != *END || !input.at_end() {
        return None;
    }
    Some((has_digest.then_some(digest), files))
}

/// The keys file read front to back, every read checked against its length.
struct CacheInput {
    input: std::io::BufReader<std::fs::File>,
    at: u64,
    len: u64,
}

impl CacheInput {
    fn open(path: &Path) -> Option<Self> {
        let file = std::fs::File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        Some(Self { input: std::io::BufReader::with_capacity(1 << 20, file), at: 0, len })
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

    fn at_end(&self) -> bool {
        self.at == self.len
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

    fn key_row(&self, i: usize) -> Option<KeyRow> {
        // A row without a person or a date takes part in no claim group, as one without occupation or level.
        let grouped = self.date[i].is_some();
        let person = self.person.get(i).filter(|_| grouped);
        Some(KeyRow::of(
            self.cert_no.get(i)?,
            person.unwrap_or(""),
            person.and(self.occupation.get(i)),
            self.level.get(i),
        ))
    }
}

fn read_key_rows(path: &Path) -> Result<Vec<KeyRow>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let columns = KeyColumns::of(&frame, path)?;
    Ok((0..frame.height()).filter_map(|i| columns.key_row(i)).collect())
}

/// The claims of a file's rows whose certificate fingerprint is in `certs`.
fn read_claims(path: &Path, certs: &FingerprintSet<u128>) -> Result<Vec<Claim>> {
    let frame = read_parquet(path, Some(&KEY_COLUMNS))?;
    let columns = KeyColumns::of(&frame, path)?;
    Ok((0..frame.height())
        .filter(|&i| columns.cert_no.get(i).is_some_and(|c| certs.contains(&cert_fingerprint(c))))
        .filter_map(|i| columns.claim(i))
        .collect())
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
    fn a_damaged_or_foreign_cache_is_not_trusted() {
        let dir = tempfile::tempdir().expect("tmp");
        let layout = Layout::new(dir.path());
        let mut keys = CertKeys {
            files: HashMap::new(),
            slices: HashMap::new(),
            all: FingerprintSet::default(),
            touched: FingerprintSet::default(),
            touched_all: false,
            base: ClaimsBase::Matches,
            changed: true,
            certificates_dir: layout.certificates_dir(),
        };
        let rows = vec![KeyRow::new(7 | (5 << 64), 9), KeyRow::new(8, 0)];
        keys.files.insert("issue_year=2024/A__2024-01__0123456789ab.parquet".into(), FileKeys { size: Some(5), rows });
        keys.save(&layout, Some([3; 32])).expect("save");
        let path = layout.certificate_keys_path();
        let (digest, files) = read_cache(&path).expect("a saved cache reads back");
        assert_eq!(digest, Some([3; 32]));
        let read = &files["issue_year=2024/A__2024-01__0123456789ab.parquet"].rows;
        assert_eq!((read[0].cert(), read[0].group), (7 | (5 << 64), 9));
        assert_eq!(read[1], KeyRow::new(8, 0));
        let (digest, listed) = read_cache_with(&path, false).expect("the file list reads back alone");
        assert_eq!(digest, Some([3; 32]));
        let listed = &listed["issue_year=2024/A__2024-01__0123456789ab.parquet"];
        assert_eq!((listed.size, listed.rows.len()), (Some(5), 0));
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 3]).expect("truncate");
        assert!(read_cache(&path).is_none(), "a truncated cache");
        assert!(read_cache_with(&path, false).is_none(), "a truncated cache, rows skipped");
        let mut foreign = bytes.clone();
        foreign[9] ^= 1; // the build check
        std::fs::write(&path, &foreign).expect("write");
        assert!(read_cache(&path).is_none(), "another build's fingerprints");
        let mut longer = bytes;
        longer.push(0);
        std::fs::write(&path, &longer).expect("write");
        assert!(read_cache(&path).is_none(), "bytes after the end");
        assert!(read_cache_with(&path, false).is_none(), "bytes after the end, rows skipped");
    }
}
