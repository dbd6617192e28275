//! A snapshot's base files: the warehouse files it was built from — certificate partition files, rejects, the
//! duplicate-claims list, the ledger, and the training partition files and training rejects (DESIGN §16) —
//! hard-linked (references, not copies) into `snapshots/<id>/` under the same relative paths they have in the
//! warehouse.
//!
//! Why links: ingestion never changes a file in place (it writes a new file and renames it over the old name, and a
//! correction deletes the files of the slice it replaces), so a link keeps exactly the bytes the snapshot was built
//! from for as long as the snapshot exists. A later ingest can neither leak rows into an old snapshot nor pull rows
//! out from under it, retention frees a partition file only when the last snapshot naming it goes, and a night adds
//! one directory entry per file, not a copy of the warehouse. Where the filesystem refuses links, files are copied.
//!
//! Which files: those the ledger says are loaded (`<agency_id>__<period>__<hash12>` of a `loaded` ledger row; a
//! training file's row names its provider in `agency_id`, as its file name does); a file left by an ingest that
//! crashed before its ledger was saved, or a superseded file not yet removed, is not part of any snapshot. A
//! warehouse without a ledger (hand-made fixtures) contributes every file.

use crate::error::{QueryError, Result};
use crate::manifest::FileEntry;
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};
use skillhouse_model::schema::{PARTITION_COLUMN, TRAINING_PARTITION_COLUMN};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Hive-partitioned folders of accepted rows and their partition columns (docs/warehouse.md).
const PARTITIONED_FOLDERS: [(&str, &str); 2] =
    [("certificates", PARTITION_COLUMN), ("training", TRAINING_PARTITION_COLUMN)];

/// Folders of rejected rows, one file per submitted file (`reported_rejects`: the reported figures of DESIGN §17).
const REJECT_FOLDERS: [&str; 3] = ["rejects", "training_rejects", "reported_rejects"];

/// Warehouse-relative path of the ledger.
pub(crate) const LEDGER_FILE: &str = "ledger/ledger.parquet";
/// Warehouse-relative path of the duplicate-claims list.
pub(crate) const DUPLICATE_CLAIMS_FILE: &str = "duplicate_claims/duplicate_claims.parquet";

/// What [`link_base_files`] put into a snapshot.
#[derive(Debug, Default)]
pub(crate) struct LinkedBase {
    /// Every linked file by snapshot-relative path.
    pub files: BTreeMap<String, FileEntry>,
    /// Rows per base table: `certificates`, `certificates/issue_year=YYYY`, `rejects`, `duplicate_claims`, `ledger`,
    /// `training`, `training/end_year=YYYY`, `training_rejects`.
    pub row_counts: BTreeMap<String, u64>,
    /// Files copied because the filesystem refused a hard link.
    pub copied: usize,
    /// Files whose checksum was taken over from the previous snapshot (same file, same inode).
    pub reused: usize,
}

/// Links the warehouse's current base files into `snapshot_dir`. `previous` is the snapshot published before, whose
/// checksums are reused for files it shares (same inode) so a night hashes only its new files.
pub(crate) fn link_base_files(
    warehouse_dir: &Path,
    snapshot_dir: &Path,
    previous: Option<(&Path, &BTreeMap<String, FileEntry>)>,
) -> Result<LinkedBase> {
    let live = live_stems(&warehouse_dir.join(LEDGER_FILE))?;
    let mut relative: Vec<String> = Vec::new();
    for (folder, partition_column) in PARTITIONED_FOLDERS {
        for year_dir in sorted_entries(&warehouse_dir.join(folder))? {
            let Some(year) = year_dir.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
            if !year_dir.is_dir() || !year.starts_with(&format!("{partition_column}=")) {
                continue;
            }
            for file in sorted_entries(&year_dir)? {
                if is_live(&file, live.as_ref()) {
                    relative.push(format!("{folder}/{year}/{}", file_name(&file)));
                }
            }
        }
    }
    for folder in REJECT_FOLDERS {
        for file in sorted_entries(&warehouse_dir.join(folder))? {
            if is_live(&file, live.as_ref()) {
                relative.push(format!("{folder}/{}", file_name(&file)));
            }
        }
    }
    for fixed in [DUPLICATE_CLAIMS_FILE, LEDGER_FILE] {
        if warehouse_dir.join(fixed).is_file() {
            relative.push(fixed.to_string());
        }
    }

    let mut linked = LinkedBase::default();
    // The certificates folder exists in every snapshot, even an empty one: it marks a snapshot that carries its
    // own base files (readers of older snapshots fall back to the warehouse).
    let mut created_dirs: BTreeSet<PathBuf> = BTreeSet::from([snapshot_dir.join("certificates")]);
    std::fs::create_dir_all(snapshot_dir.join("certificates"))
        .map_err(|e| QueryError::io("creating", snapshot_dir.join("certificates"), e))?;
    linked.row_counts.insert("certificates".into(), 0);
    for rel in relative {
        let source = warehouse_dir.join(&rel);
        let target = snapshot_dir.join(&rel);
        let parent = target.parent().ok_or_else(|| QueryError::Internal(format!("{rel} has no parent")))?;
        if created_dirs.insert(parent.to_path_buf()) {
            std::fs::create_dir_all(parent).map_err(|e| QueryError::io("creating", parent, e))?;
        }
        if let Err(link_error) = std::fs::hard_link(&source, &target) {
            tracing::warn!(file = %rel, error = %link_error, "cannot hard-link a base file into the snapshot; copying it");
            std::fs::copy(&source, &target).map_err(|e| QueryError::io("copying", &source, e))?;
            File::open(&target).and_then(|f| f.sync_all()).map_err(|e| QueryError::io("syncing", &target, e))?;
            linked.copied += 1;
        }
        skillhouse_model::fault::point("build.link");
        let reused = previous.and_then(|(dir, files)| {
            let entry = files.get(&rel)?;
            same_file(&dir.join(&rel), &target).then(|| entry.clone())
        });
        let entry = match reused {
            Some(entry) => {
                linked.reused += 1;
                entry
            }
            None => checksum(&target, true)?,
        };
        let rows = entry.rows.unwrap_or_default();
        let table = match rel.split('/').collect::<Vec<_>>().as_slice() {
            [folder @ ("certificates" | "training"), year, _] => {
                *linked.row_counts.entry(format!("{folder}/{year}")).or_default() += rows;
                *folder
            }
            [folder @ ("rejects" | "training_rejects" | "reported_rejects"), _] => *folder,
            [_, "duplicate_claims.parquet"] => "duplicate_claims",
            _ => "ledger",
        };
        *linked.row_counts.entry(table.to_string()).or_default() += rows;
        linked.files.insert(rel, entry);
    }
    for dir in created_dirs.iter().rev() {
        sync_dir(dir)?;
    }
    Ok(linked)
}

/// The `<agency_id>__<period>__<hash12>` stems of loaded files, or `None` when there is no ledger.
fn live_stems(ledger: &Path) -> Result<Option<HashSet<String>>> {
    if !ledger.is_file() {
        return Ok(None);
    }
    let parquet_error = |source| QueryError::Parquet { path: ledger.to_path_buf(), source };
    let file = File::open(ledger).map_err(|e| QueryError::io("opening", ledger, e))?;
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?.build().map_err(parquet_error)?;
    let mut stems = HashSet::new();
    for batch in reader {
        let batch = batch.map_err(|source| QueryError::Encode { what: ledger.display().to_string(), source })?;
        let column = |name: &str| -> Result<StringArray> {
            let index = batch.schema().index_of(name).map_err(|_| QueryError::Layout {
                path: ledger.to_path_buf(),
                message: format!("the ledger has no `{name}` column"),
            })?;
            let array = cast(batch.column(index), &DataType::Utf8)
                .map_err(|source| QueryError::Encode { what: ledger.display().to_string(), source })?;
            array
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| QueryError::Internal("a column cast to Utf8 is a StringArray".into()))
        };
        let (agency, period, hash, status) =
            (column("agency_id")?, column("period")?, column("content_hash")?, column("status")?);
        for row in 0..batch.num_rows() {
            if status.is_null(row) || status.value(row) != "loaded" || hash.is_null(row) {
                continue;
            }
            let hash = hash.value(row);
            stems.insert(format!("{}__{}__{}", agency.value(row), period.value(row), &hash[..hash.len().min(12)]));
        }
    }
    Ok(Some(stems))
}

fn is_live(file: &Path, live: Option<&HashSet<String>>) -> bool {
    let is_parquet = file.extension().is_some_and(|e| e == "parquet") && file.is_file();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    is_parquet && !stem.starts_with('.') && live.is_none_or(|stems| stems.contains(stem))
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string()
}

pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = std::fs::read_dir(dir)
        .map_err(|e| QueryError::io("listing", dir, e))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| QueryError::io("listing", dir, e))?;
    out.sort();
    Ok(out)
}

/// Whether two paths name the same file (device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Size, SHA-256 and (for Parquet when `rows`) the row count from the footer.
pub(crate) fn checksum(path: &Path, rows: bool) -> Result<FileEntry> {
    let mut file = File::open(path).map_err(|e| QueryError::io("opening", path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(|e| QueryError::io("reading", path, e))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    let rows = if rows && path.extension().is_some_and(|e| e == "parquet") { Some(parquet_rows(path)?) } else { None };
    Ok(FileEntry { bytes, sha256: hex::encode(hasher.finalize()), rows, linked: true })
}

/// Rows of a Parquet file, from its footer.
pub(crate) fn parquet_rows(path: &Path) -> Result<u64> {
    let file = File::open(path).map_err(|e| QueryError::io("opening", path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|source| QueryError::Parquet { path: path.to_path_buf(), source })?;
    Ok(u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or_default())
}

/// fsyncs a directory so the entries created in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| QueryError::io("syncing", dir, e))
}
