//! The keys cache, `index/certificate_keys.bin`: its format, how it is saved and read back, and the certificate
//! files it is checked against.

use super::keys::{cert_fingerprint, group_fingerprint};
use super::{COPY_ROWS, CertKeys, FileKeys, RowsAt};
use crate::error::{IngestError, Result};
use crate::prints::{RunWriter, SortedRun};
use crate::warehouse::{Layout, SliceName, read_parquet};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl CertKeys {
    /// they are, then the certificate-number set, merged in order. The keys then read from the new file.
    pub(super) fn save(&mut self, layout: &Layout, claims_digest: Option<[u8; 32]>) -> Result<()> {
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
pub(super) struct SavedKeys {
    pub(super) file: File,
    pub(super) digest: Option<[u8; 32]>,
    pub(super) files: HashMap<String, FileKeys>,
    pub(super) prints_at: u64,
    pub(super) n_prints: u64,
}

impl SavedKeys {
    /// `None` when there is no file or it cannot be trusted (another build, damaged, lengths that do not add up).
    pub(super) fn open(path: &Path) -> Option<Self> {
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
pub(super) fn files_on_disk(layout: &Layout) -> Result<Vec<(String, PathBuf, SliceName, u64)>> {
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

pub(super) fn relative_path(certificates_dir: &Path, path: &Path) -> String {
    path.strip_prefix(certificates_dir).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// SHA-256 of a file, or `None` when it does not exist.
pub(super) fn file_digest(path: &Path) -> Result<Option<[u8; 32]>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(Sha256::digest(&bytes).into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IngestError::io(path, e)),
    }
}

pub(super) fn count_rows(path: &Path) -> Result<usize> {
    Ok(read_parquet(path, Some(&["cert_no"]))?.height())
}
