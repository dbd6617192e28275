//! The physical layout of `docs/warehouse.md`: paths, atomic Parquet writes (zstd, statistics), and the frames
//! of certificates, rejects and agencies.

use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::reference::{Agency, Registry};
use crate::validate::AcceptedRow;
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use skillhouse_model::schema::{CERTIFICATE_COLUMNS, PARTITION_COLUMN, TRAINING_PARTITION_COLUMN};
use skillhouse_model::{AgencyType, layout};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Paths of the warehouse directory.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// A warehouse rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `certificates/`.
    pub fn certificates_dir(&self) -> PathBuf {
        self.root.join(layout::CERTIFICATES_DIR)
    }

    /// `certificates/issue_year=YYYY/`.
    pub fn year_dir(&self, year: i32) -> PathBuf {
        self.certificates_dir().join(format!("{PARTITION_COLUMN}={year}"))
    }

    /// `rejects/`.
    pub fn rejects_dir(&self) -> PathBuf {
        self.root.join(layout::REJECTS_DIR)
    }

    /// `training/`.
    pub fn training_dir(&self) -> PathBuf {
        self.root.join(layout::TRAINING_DIR)
    }

    /// `training/end_year=YYYY/`.
    pub fn training_year_dir(&self, year: i32) -> PathBuf {
        self.training_dir().join(format!("{TRAINING_PARTITION_COLUMN}={year}"))
    }

    /// `training_rejects/`.
    pub fn training_rejects_dir(&self) -> PathBuf {
        self.root.join(layout::TRAINING_REJECTS_DIR)
    }

    /// `reported/reported.parquet`: the reported figures in force (DESIGN §17), one row per key.
    pub fn reported_path(&self) -> PathBuf {
        self.root.join(layout::REPORTED_DIR).join(layout::REPORTED_FILE)
    }

    /// `reported_rejects/`: rejected rows of reported-figures files, one file per submitted file.
    pub fn reported_rejects_dir(&self) -> PathBuf {
        self.root.join(layout::REPORTED_REJECTS_DIR)
    }

    /// `providers/providers.parquet`.
    pub fn providers_path(&self) -> PathBuf {
        self.root.join(layout::PROVIDERS_DIR).join(layout::PROVIDERS_FILE)
    }

    /// The folder of an input's accepted rows (`certificates/`, `training/`), partitioned by year.
    pub fn rows_dir(&self, input: Input) -> PathBuf {
        match input {
            Input::Certificates => self.certificates_dir(),
            Input::Training => self.training_dir(),
            Input::Reported => self.root.join(layout::REPORTED_DIR),
            // The registers keep one file each, not partitioned: see `register_path`.
            Input::Revocations => self.root.join(layout::REVOCATIONS_DIR),
            Input::Renewals => self.root.join(layout::RENEWALS_DIR),
        }
    }

    /// The folder of an input's rejected rows (`rejects/`, `training_rejects/`).
    pub fn rejects_dir_of(&self, input: Input) -> PathBuf {
        match input {
            Input::Certificates => self.rejects_dir(),
            Input::Training => self.training_rejects_dir(),
            Input::Reported => self.reported_rejects_dir(),
            Input::Revocations => self.root.join(layout::REVOCATION_REJECTS_DIR),
            Input::Renewals => self.root.join(layout::RENEWAL_REJECTS_DIR),
        }
    }

    /// The accepted rows of a register as last loaded (`revocations/revocations.parquet`,
    /// `renewals/renewals.parquet`, DESIGN §18); `None` for the submitted inputs.
    pub fn register_path(&self, input: Input) -> Option<PathBuf> {
        match input {
            Input::Revocations => Some(self.rows_dir(input).join(layout::REVOCATIONS_FILE)),
            Input::Renewals => Some(self.rows_dir(input).join(layout::RENEWALS_FILE)),
            Input::Certificates | Input::Training | Input::Reported => None,
        }
    }

    /// The rejected rows of a register as last loaded (`revocation_rejects/revocation_rejects.parquet`, …).
    pub fn register_rejects_path(&self, input: Input) -> Option<PathBuf> {
        match input {
            Input::Revocations => Some(self.rejects_dir_of(input).join(layout::REVOCATION_REJECTS_FILE)),
            Input::Renewals => Some(self.rejects_dir_of(input).join(layout::RENEWAL_REJECTS_FILE)),
            Input::Certificates | Input::Training | Input::Reported => None,
        }
    }

    /// `ledger/ledger.parquet`.
    pub fn ledger_path(&self) -> PathBuf {
        self.root.join(layout::LEDGER_DIR).join(layout::LEDGER_FILE)
    }

    /// `agencies/agencies.parquet`.
    pub fn agencies_path(&self) -> PathBuf {
        self.root.join(layout::AGENCIES_DIR).join(layout::AGENCIES_FILE)
    }

    /// `duplicate_claims/duplicate_claims.parquet`.
    pub fn duplicate_claims_path(&self) -> PathBuf {
        self.root.join(layout::DUPLICATE_CLAIMS_DIR).join(layout::DUPLICATE_CLAIMS_FILE)
    }

    /// `index/certificate_keys.bin`: the certificate fingerprints a batch starts from (a cache; see `claims.rs`).
    pub fn certificate_keys_path(&self) -> PathBuf {
        self.root.join(layout::INDEX_DIR).join(layout::CERTIFICATE_KEYS_FILE)
    }

    /// Every certificate partition file with its slice, sorted by path.
    pub fn certificate_files(&self) -> Result<Vec<(PathBuf, SliceName)>> {
        let mut out = Vec::new();
        let dir = self.certificates_dir();
        if !dir.is_dir() {
            return Ok(out);
        }
        for year in read_dir_sorted(&dir)? {
            if !year.is_dir() {
                continue;
            }
            for file in read_dir_sorted(&year)? {
                if let Some(slice) = SliceName::of_path(&file) {
                    out.push((file, slice));
                }
            }
        }
        Ok(out)
    }

    /// Every file in the folders of an input's row and reject files (`certificates/issue_year=*/` and `rejects/`,
    /// or `training/end_year=*/` and `training_rejects/`).
    pub fn data_files_of(&self, input: Input) -> Result<Vec<PathBuf>> {
        let mut dirs = vec![self.rejects_dir_of(input)];
        let rows_dir = self.rows_dir(input);
        if rows_dir.is_dir() {
            dirs.extend(read_dir_sorted(&rows_dir)?.into_iter().filter(|p| p.is_dir()));
        }
        let mut out = Vec::new();
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            out.extend(read_dir_sorted(dir)?.into_iter().filter(|p| p.is_file()));
        }
        Ok(out)
    }

    /// Every file in the folders of row and reject files, of both inputs.
    pub fn data_files(&self) -> Result<Vec<PathBuf>> {
        let mut out = self.data_files_of(Input::Certificates)?;
        out.extend(self.data_files_of(Input::Training)?);
        Ok(out)
    }

    /// Clears what an interrupted ingest left, before a batch starts: temporary files of unfinished writes, and
    /// certificate and reject files that no `loaded` ledger row names — files of a batch that died before its
    /// ledger was saved (their source files are read again, since the ledger does not list them either), and files
    /// a correction superseded whose removal was cut short. Returns how many files were removed. A warehouse with
    /// data files but no ledger is refused ([`IngestError::MissingLedger`]): nothing would say which files count.
    /// `live` gives, per input, the stems of the files its `loaded` ledger rows name (`Ledger::loaded_stems`).
    pub fn clean_leftovers(&self, live: impl Fn(Input) -> HashSet<String>) -> Result<usize> {
        let by_input = [
            self.data_files_of(Input::Certificates)?,
            self.data_files_of(Input::Training)?,
            self.data_files_of(Input::Reported)?,
        ];
        if !self.ledger_path().is_file() {
            let data = by_input.iter().flatten().filter(|p| SliceName::of_path(p).is_some()).count();
            if data > 0 {
                return Err(IngestError::MissingLedger { path: self.ledger_path(), files: data });
            }
        }
        let mut removed = 0usize;
        let mut candidates: Vec<(PathBuf, bool)> = Vec::new();
        for (input, files) in Input::SLICED.into_iter().zip(by_input) {
            let live = live(input);
            for file in files {
                // A data file counts only while a `loaded` ledger row of its own input names it.
                let orphan = SliceName::of_path(&file).is_some()
                    && file.file_stem().and_then(|s| s.to_str()).is_some_and(|stem| !live.contains(stem));
                candidates.push((file, orphan));
            }
        }
        let registers = [Input::Revocations, Input::Renewals]
            .into_iter()
            .flat_map(|input| [self.register_path(input), self.register_rejects_path(input)])
            .flatten();
        for single in [
            self.ledger_path(),
            self.agencies_path(),
            self.providers_path(),
            self.reported_path(),
            self.duplicate_claims_path(),
            self.certificate_keys_path(),
        ]
        .into_iter()
        .chain(registers)
        {
            if let Some(parent) = single.parent().filter(|p| p.is_dir()) {
                candidates.extend(read_dir_sorted(parent)?.into_iter().map(|p| (p, false)));
            }
        }
        for (file, orphan) in candidates {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let temporary = name.starts_with('.') && name.contains(".tmp-");
            if temporary || orphan {
                std::fs::remove_file(&file).map_err(|e| IngestError::io(&file, e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// `<agency_id>__<YYYY-MM>__<hash12>` of a warehouse file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceName {
    /// Agency.
    pub agency_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// First 12 hex characters of the source file's SHA-256.
    pub hash12: String,
}

impl SliceName {
    /// The file stem.
    pub fn stem(agency_id: &str, period: &str, content_hash: &str) -> String {
        format!("{agency_id}__{period}__{}", &content_hash[..content_hash.len().min(12)])
    }

    /// Parses a `.parquet` path's stem.
    pub fn of_path(path: &Path) -> Option<Self> {
        if path.extension()? != "parquet" {
            return None;
        }
        let stem = path.file_stem()?.to_str()?;
        let mut parts = stem.rsplitn(3, "__");
        let hash12 = parts.next()?.to_string();
        let period = parts.next()?.to_string();
        let agency_id = parts.next()?.to_string();
        Some(Self { agency_id, period, hash12 })
    }
}

/// The warehouse's certificate and reject files by slice. A batch lists the folders once and keeps this up to date
/// as it writes, so finding the files a correction supersedes costs a lookup, not a listing per committed file
/// (which made a batch quadratic in its number of files).
#[derive(Debug, Default)]
pub struct SliceFiles {
    by_slice: HashMap<(String, String), Vec<(String, PathBuf)>>,
}

impl SliceFiles {
    /// Lists the warehouse's data files of an input.
    pub fn load(layout: &Layout, input: Input) -> Result<Self> {
        let mut files = Self::default();
        for path in layout.data_files_of(input)? {
            files.add(path);
        }
        Ok(files)
    }

    /// Records a data file just written; paths that are not slice files are ignored.
    pub fn add(&mut self, path: PathBuf) {
        if let Some(slice) = SliceName::of_path(&path) {
            self.by_slice.entry((slice.agency_id, slice.period)).or_default().push((slice.hash12, path));
        }
    }

    /// Takes out and returns the files of a slice other than those of the file `keep_hash12`: the files a
    /// correction supersedes.
    pub fn supersede(&mut self, agency_id: &str, period: &str, keep_hash12: &str) -> Vec<PathBuf> {
        let Some(files) = self.by_slice.get_mut(&(agency_id.to_string(), period.to_string())) else {
            return Vec::new();
        };
        let (kept, superseded): (Vec<_>, Vec<_>) = files.drain(..).partition(|(hash12, _)| hash12 == keep_hash12);
        *files = kept;
        let mut out: Vec<PathBuf> = superseded.into_iter().map(|(_, path)| path).collect();
        out.sort();
        out
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::io(dir, e))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| IngestError::io(dir, e))?;
    out.sort();
    Ok(out)
}

/// Writes a Parquet file atomically: a temporary file in the same folder, fsync, rename, fsync the folder.
pub fn write_parquet_atomic(path: &Path, frame: &mut DataFrame) -> Result<()> {
    write_parquet(path, frame)?;
    sync_file_and_folder(path)
}

/// Writes a Parquet file under a temporary name and renames it into place, without waiting for the disk; the
/// caller syncs it later with [`sync_file_and_folder`] (in parallel, before the ledger that names it is written).
pub fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<()> {
    let dir = path.parent().ok_or(IngestError::Internal("a warehouse file has no parent folder"))?;
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
        // A new folder (a new issue year) must survive a power cut with the files the ledger will name in it.
        if let Some(parent) = dir.parent()
            && let Ok(d) = File::open(parent)
        {
            let _ = d.sync_all();
        }
    }
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let file = File::create(&tmp).map_err(|e| IngestError::io(&tmp, e))?;
    let mut writer = std::io::BufWriter::new(file);
    ParquetWriter::new(&mut writer)
        // Min/max/null statistics are what readers prune with; distinct counts cost a sketch per column of every
        // small file and no reader uses them.
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .finish(frame)
        .map_err(|e| IngestError::parquet(path, e))?;
    writer.flush().map_err(|e| IngestError::io(&tmp, e))?;
    drop(writer);
    skillhouse_model::fault::point("ingest.parquet_tmp");
    std::fs::rename(&tmp, path).map_err(|e| IngestError::io(path, e))
}

/// Flushes a file and the folder entry naming it to disk.
pub fn sync_file_and_folder(path: &Path) -> Result<()> {
    sync_file(path)?;
    if let Some(dir) = path.parent() {
        sync_folder(dir);
    }
    Ok(())
}

/// Flushes a file's contents to disk.
pub fn sync_file(path: &Path) -> Result<()> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| IngestError::io(path, e))
}

/// Flushes a folder's entries (the renames into it) to disk. Not every platform lets a folder be opened for
/// syncing, so this is best effort.
pub fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads a Parquet file, optionally only some columns.
pub fn read_parquet(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    ParquetReader::new(file)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
        .finish()
        .map_err(|e| IngestError::parquet(path, e))
}

/// A String column as owned values.
pub(crate) fn str_values(frame: &DataFrame, path: &Path, name: &'static str) -> Result<Vec<Option<String>>> {
    let err = |source| IngestError::WarehouseColumn { path: path.to_path_buf(), column: name, source };
    let column = frame.column(name).map_err(err)?;
    Ok(column.str().map_err(err)?.iter().map(|v| v.map(str::to_string)).collect())
}

/// An integer column (any integer or temporal type) as i64 values.
pub(crate) fn i64_values(frame: &DataFrame, path: &Path, name: &'static str) -> Result<Vec<Option<i64>>> {
    let err = |source| IngestError::WarehouseColumn { path: path.to_path_buf(), column: name, source };
    let column = frame.column(name).map_err(err)?;
    let column = column.to_physical_repr().cast(&DataType::Int64).map_err(err)?;
    Ok(column.i64().map_err(err)?.iter().collect())
}

const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Days since 1970-01-01 (Arrow Date32).
pub(crate) fn date32(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

/// Inverse of [`date32`].
pub(crate) fn from_date32(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).ok()?.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)
}

pub(crate) fn date_column(name: &str, values: Vec<Option<i32>>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&DataType::Date)
}

/// Lineage of one submitted file, stamped on every row.
#[derive(Debug, Clone)]
pub struct Lineage<'a> {
    /// Landing-relative path.
    pub source_file: &'a str,
    /// Batch.
    pub batch_id: &'a str,
    /// SHA-256 hex of the file.
    pub content_hash: &'a str,
}

/// Builds the certificates frame of one file's accepted rows (already sorted), columns as
/// [`CERTIFICATE_COLUMNS`].
pub fn certificates_frame(
    rows: &[(i64, &AcceptedRow)],
    agency: &Agency,
    lineage: &Lineage<'_>,
) -> PolarsResult<DataFrame> {
    let n = rows.len();
    fn strings<'r>(
        rows: &[(i64, &'r AcceptedRow)],
        f: impl Fn(&'r AcceptedRow) -> Option<&'r str>,
    ) -> Vec<Option<&'r str>> {
        rows.iter().map(|(_, r)| f(r)).collect()
    }
    fn constant(value: &str, n: usize) -> Vec<&str> {
        vec![value; n]
    }
    let mut columns: Vec<Column> = Vec::with_capacity(CERTIFICATE_COLUMNS.len());
    for column in CERTIFICATE_COLUMNS {
        let name = column.name;
        let built = match name {
            "cert_no" => Column::new(name.into(), strings(rows, |r| Some(r.cert_no.as_str()))),
            "cert_type" => Column::new(name.into(), rows.iter().map(|(_, r)| r.cert_type.code()).collect::<Vec<_>>()),
            "level" => {
                Column::new(name.into(), rows.iter().map(|(_, r)| r.level.map(|l| l.code())).collect::<Vec<_>>())
            }
            "level_rank" => Column::new(
                name.into(),
                rows.iter().map(|(_, r)| r.level.map_or(0, |l| l.rank() as i8)).collect::<Vec<i8>>(),
            ),
            "occupation_code" => Column::new(name.into(), strings(rows, |r| r.occupation_code.as_deref())),
            "person_key" => Column::new(name.into(), strings(rows, |r| Some(r.person_key.as_str()))),
            "birth_date" => date_column(name, rows.iter().map(|(_, r)| Some(date32(r.birth_date))).collect())?,
            "gender" => Column::new(name.into(), rows.iter().map(|(_, r)| r.gender.code()).collect::<Vec<_>>()),
            "hukou_region" => Column::new(name.into(), strings(rows, |r| Some(r.hukou_region.as_str()))),
            "agency_id" => Column::new(name.into(), constant(&agency.agency_id, n)),
            "agency_type" => Column::new(name.into(), constant(agency.agency_type.code(), n)),
            "region_code" => Column::new(name.into(), constant(&agency.region_code, n)),
            "issue_date" => date_column(name, rows.iter().map(|(_, r)| Some(date32(r.issue_date))).collect())?,
            "programme" => {
                Column::new(name.into(), rows.iter().map(|(_, r)| r.programme.map(|p| p.code())).collect::<Vec<_>>())
            }
            "is_youth" => Column::new(name.into(), rows.iter().map(|(_, r)| r.is_youth).collect::<Vec<bool>>()),
            "source_file" => Column::new(name.into(), constant(lineage.source_file, n)),
            "source_row" => Column::new(name.into(), rows.iter().map(|(line, _)| *line).collect::<Vec<i64>>()),
            "batch_id" => Column::new(name.into(), constant(lineage.batch_id, n)),
            "content_hash" => Column::new(name.into(), constant(lineage.content_hash, n)),
            _ => polars_bail!(ComputeError: "certificate column {name} has no builder"),
        };
        columns.push(built);
    }
    DataFrame::new(n, columns)
}

/// A stable reject reason code of either input.
pub trait ReasonCode: Copy + Ord {
    /// The code written to the rejects file and the ledger.
    fn code(self) -> &'static str;
}

impl ReasonCode for skillhouse_model::RejectReason {
    fn code(self) -> &'static str {
        skillhouse_model::RejectReason::code(self)
    }
}

impl ReasonCode for &'static str {
    fn code(self) -> &'static str {
        self
    }
}

impl ReasonCode for skillhouse_model::ReportedRejectReason {
    fn code(self) -> &'static str {
        skillhouse_model::ReportedRejectReason::code(self)
    }
}

impl ReasonCode for skillhouse_model::TrainingRejectReason {
    fn code(self) -> &'static str {
        skillhouse_model::TrainingRejectReason::code(self)
    }
}

/// One rejected row, ready for the rejects file.
#[derive(Debug, Clone)]
pub struct RejectRecord<R = skillhouse_model::RejectReason> {
    /// Row as a clerk sees it.
    pub source_row: i64,
    /// Reason code.
    pub reason: R,
    /// Field at fault.
    pub field: Option<&'static str>,
    /// Sentence for the clerk.
    pub detail: String,
    /// Masked input row as JSON.
    pub row_json: String,
}

impl<R: ReasonCode> RejectRecord<R> {
    /// The record with its reason as its code.
    pub fn coded(self) -> RejectRecord<&'static str> {
        RejectRecord {
            source_row: self.source_row,
            reason: self.reason.code(),
            field: self.field,
            detail: self.detail,
            row_json: self.row_json,
        }
    }
}

/// Builds the rejects frame of one file (docs/warehouse.md "rejects columns").
pub fn rejects_frame<R: ReasonCode>(
    rejects: &[RejectRecord<R>],
    lineage: &Lineage<'_>,
    agency_id: &str,
    period: &str,
) -> PolarsResult<DataFrame> {
    let n = rejects.len();
    let columns = vec![
        Column::new("batch_id".into(), vec![lineage.batch_id; n]),
        Column::new("source_file".into(), vec![lineage.source_file; n]),
        Column::new("source_row".into(), rejects.iter().map(|r| r.source_row).collect::<Vec<i64>>()),
        Column::new("reason".into(), rejects.iter().map(|r| r.reason.code()).collect::<Vec<_>>()),
        Column::new("field".into(), rejects.iter().map(|r| r.field).collect::<Vec<_>>()),
        Column::new("detail".into(), rejects.iter().map(|r| r.detail.as_str()).collect::<Vec<_>>()),
        Column::new("agency_id".into(), vec![agency_id; n]),
        Column::new("period".into(), vec![period; n]),
        Column::new("row_json".into(), rejects.iter().map(|r| r.row_json.as_str()).collect::<Vec<_>>()),
    ];
    DataFrame::new(n, columns)
}

/// Writes `agencies/agencies.parquet`.
pub fn write_agencies(layout: &Layout, registry: &Registry) -> Result<()> {
    let path = layout.agencies_path();
    let agencies: Vec<&Agency> = registry.iter().collect();
    let n = agencies.len();
    let build = || -> PolarsResult<DataFrame> {
        DataFrame::new(
            n,
            vec![
                Column::new("agency_id".into(), agencies.iter().map(|a| a.agency_id.as_str()).collect::<Vec<_>>()),
                Column::new("name".into(), agencies.iter().map(|a| a.name.as_str()).collect::<Vec<_>>()),
                Column::new("agency_type".into(), agencies.iter().map(|a| a.agency_type.code()).collect::<Vec<_>>()),
                Column::new("region_code".into(), agencies.iter().map(|a| a.region_code.as_str()).collect::<Vec<_>>()),
                date_column("registered_on", agencies.iter().map(|a| a.registered_on.map(date32)).collect())?,
                date_column("deregistered_on", agencies.iter().map(|a| a.deregistered_on.map(date32)).collect())?,
            ],
        )
    };
    let mut frame = build().map_err(|e| IngestError::parquet(&path, e))?;
    write_parquet_atomic(&path, &mut frame)
}

/// Reads `agencies/agencies.parquet`, or an empty registry when there is none yet.
pub fn read_agencies(layout: &Layout) -> Result<Registry> {
    let path = layout.agencies_path();
    if !path.is_file() {
        return Ok(Registry::default());
    }
    let frame = read_parquet(&path, None)?;
    let ids = str_values(&frame, &path, "agency_id")?;
    let names = str_values(&frame, &path, "name")?;
    let types = str_values(&frame, &path, "agency_type")?;
    let regions = str_values(&frame, &path, "region_code")?;
    let registered = i64_values(&frame, &path, "registered_on")?;
    // A registry written before agencies could leave (DESIGN §18) has no `deregistered_on`: none has left.
    let deregistered = match frame.column("deregistered_on") {
        Ok(_) => i64_values(&frame, &path, "deregistered_on")?,
        Err(_) => vec![None; frame.height()],
    };
    let mut agencies = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
        let (Some(agency_id), Some(agency_type), Some(region_code)) =
            (ids[i].clone(), types[i].as_deref().and_then(AgencyType::parse), regions[i].clone())
        else {
            continue;
        };
        agencies.push(Agency {
            agency_id,
            name: names[i].clone().unwrap_or_default(),
            agency_type,
            region_code,
            registered_on: registered[i].and_then(from_date32),
            deregistered_on: deregistered[i].and_then(from_date32),
        });
    }
    Ok(Registry::from_agencies(agencies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_names_round_trip() {
        let stem = SliceName::stem("A__B", "2024-05", "0123456789abcdef");
        assert_eq!(stem, "A__B__2024-05__0123456789ab");
        let parsed = SliceName::of_path(Path::new(&format!("x/{stem}.parquet"))).expect("slice");
        assert_eq!(parsed.agency_id, "A__B");
        assert_eq!(parsed.period, "2024-05");
        assert_eq!(parsed.hash12, "0123456789ab");
    }

    #[test]
    fn date32_round_trips() {
        let d = NaiveDate::from_ymd_opt(2024, 5, 1).expect("date");
        assert_eq!(date32(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")), 0);
        assert_eq!(from_date32(i64::from(date32(d))), Some(d));
    }
}
