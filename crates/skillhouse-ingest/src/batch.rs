//! One ingestion batch: files are read and validated in parallel a window at a time, then committed one by one in
//! path order, so that duplicate certificate numbers and corrections never depend on thread timing and memory
//! stays bounded by two windows of files (one being committed, the next being read) rather than the whole input.

use crate::budget::WorkbookBudget;
use crate::claims::{CertKeys, KeyRow, KeysMemory};
use crate::error::{IngestError, Result};
use crate::field::{FIELD_COUNT, Field, HeaderAliases};
use crate::landing::{FileJob, discover};
use crate::ledger::{Ledger, LedgerEntry, LedgerStatus};
use crate::read::{
    Format, RawTable, ReadError, RowCells, XlsxLimits, declared_uncompressed, is_filler_row, read_csv, read_jsonl,
    read_xlsx,
};
use crate::reference::{Occupations, Registry};
use crate::report::{BatchReport, FileOutcome, FileReport, Progress};
use crate::seen::{SeenFiles, WITHDRAWAL_FORMAT};
use crate::validate::{AcceptedRow, RowContext, RowOutcome, masked_row_json, validate_row};
use crate::warehouse::{
    Layout, Lineage, RejectRecord, SliceFiles, SliceName, certificates_frame, read_agencies, rejects_frame, sync_file,
    sync_folder, write_agencies, write_parquet,
};
use chrono::{Datelike, NaiveDate, Utc};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use skillhouse_model::{PseudonymKey, RejectReason};
use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to ingest, where, and against what.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The warehouse folder (created if missing).
    pub warehouse: PathBuf,
    /// Landing folders, agency folders or files.
    pub paths: Vec<PathBuf>,
    /// The pseudonymisation key.
    pub key: PseudonymKey,
    /// Issue dates after this are `issue_date_future`.
    pub as_of: NaiveDate,
    /// Reference data folder (`occupations.csv`, `header_aliases.toml`).
    pub reference_dir: PathBuf,
    /// Header spellings; `None` reads `<reference_dir>/header_aliases.toml`, or the built-in spellings when that
    /// file does not exist.
    pub aliases: Option<HeaderAliases>,
    /// Bounds on workbooks.
    pub xlsx_limits: XlsxLimits,
    /// Threads reading files in parallel; `None` uses one per core.
    pub threads: Option<usize>,
    /// How much of the warehouse's certificate keys the batch holds in memory before spilling to disk.
    pub keys_memory: KeysMemory,
}

impl IngestOptions {
    /// Options with the default header spellings and workbook limits.
    pub fn new(
        warehouse: impl Into<PathBuf>,
        paths: Vec<PathBuf>,
        key: PseudonymKey,
        as_of: NaiveDate,
        reference_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            warehouse: warehouse.into(),
            paths,
            key,
            as_of,
            reference_dir: reference_dir.into(),
            aliases: None,
            xlsx_limits: XlsxLimits::default(),
            threads: None,
            keys_memory: KeysMemory::default(),
        }
    }
}

/// Reference data and settings shared by every file of the batch.
struct Shared<'a> {
    aliases: HeaderAliases,
    occupations: Occupations,
    registry: Registry,
    key: &'a PseudonymKey,
    as_of: NaiveDate,
    limits: XlsxLimits,
    /// Decompressed workbook bytes the readers may hold at once.
    workbooks: WorkbookBudget,
    /// Files of earlier batches.
    earlier: SeenFiles,
}

/// A file after the parallel phase.
enum Prepared {
    Skipped,
    Unreadable {
        encoding: String,
        message: String,
    },
    /// `<YYYY-MM>.withdraw`: the month is withdrawn on purpose.
    Withdrawal,
    Read(Box<ReadFile>),
}

struct ReadFile {
    table: RawTable,
    rows_read: u64,
    /// (frame row index, source row, accepted record), in file order.
    accepted: Vec<(usize, i64, AcceptedRow)>,
    /// The fingerprints of each accepted row, computed here in parallel rather than in the sequential commit.
    keys: Vec<KeyRow>,
    rejects: Vec<RejectRecord>,
}

struct PreparedFile {
    job: FileJob,
    content_hash: String,
    prepared: Prepared,
    elapsed: Duration,
}

/// Runs `f`, turning a panic into [`ReadError::Panic`] so that one bad file never takes the batch down.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            // Kept in the error for tests only (its Display never shows it): a panic message can quote the text
            // being parsed.
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(ReadError::Panic { message })
        }
    }
}

fn read_table(bytes: &[u8], format: Format, shared: &Shared<'_>) -> Result<RawTable, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    match format {
        Format::Csv => read_csv(bytes, &shared.aliases),
        Format::Xlsx => read_xlsx(bytes, &shared.aliases, &shared.limits),
        Format::Jsonl => read_jsonl(bytes, &shared.aliases),
    }
}

fn validate_table(table: RawTable, job: &FileJob, shared: &Shared<'_>) -> Result<ReadFile, ReadError> {
    let ctx = RowContext {
        folder_agency: &job.agency_id,
        registry: &shared.registry,
        occupations: &shared.occupations,
        as_of: shared.as_of,
        key: shared.key,
    };
    let mut accepted = Vec::new();
    let mut rejects = Vec::new();
    let mut rows_read = 0u64;
    let mut index = 0usize;
    table
        .for_each_row(|source_row, cells| {
            let row_index = index;
            index += 1;
            if is_filler_row(cells) {
                return;
            }
            rows_read += 1;
            match validate_row(cells, &ctx) {
                RowOutcome::Accepted(row) => accepted.push((row_index, source_row, *row)),
                RowOutcome::Rejected(r) => rejects.push(RejectRecord {
                    source_row,
                    reason: r.reason,
                    field: r.field.map(Field::code),
                    detail: r.detail,
                    row_json: masked_row_json(cells),
                }),
            }
        })
        .map_err(|cause| ReadError::Csv { cause })?;
    let keys = accepted.iter().map(|(_, _, row)| key_row(row)).collect();
    Ok(ReadFile { table, rows_read, accepted, keys, rejects })
}

/// An accepted row's fingerprints, from the values its certificate row will hold.
fn key_row(row: &AcceptedRow) -> KeyRow {
    KeyRow::of(&row.cert_no, &row.person_key, row.occupation_code.as_deref(), row.level.map(|l| l.code()))
}

fn prepare(job: FileJob, shared: &Shared<'_>) -> PreparedFile {
    let start = Instant::now();
    if let Some(problem) = job.refused {
        // Never opened: a link out of the landing folder may point at anything, a pipe would block the read.
        let prepared =
            Prepared::Unreadable { encoding: String::new(), message: ReadError::Refused { problem }.to_string() };
        return PreparedFile { job, content_hash: String::new(), prepared, elapsed: start.elapsed() };
    }
    let bytes = match std::fs::read(&job.path) {
        Ok(bytes) => bytes,
        Err(cause) => {
            let message = ReadError::Io { cause }.to_string();
            let prepared = Prepared::Unreadable { encoding: String::new(), message };
            return PreparedFile { job, content_hash: String::new(), prepared, elapsed: start.elapsed() };
        }
    };
    let content_hash = hex::encode(Sha256::digest(&bytes));
    let prepared = if shared.earlier.contains(&content_hash, &job.source_file) {
        Prepared::Skipped
    } else if let Some(problem) = job.name_problem {
        Prepared::Unreadable { encoding: String::new(), message: ReadError::BadName { problem }.to_string() }
    } else if job.withdrawal {
        Prepared::Withdrawal
    } else {
        let format = job.format.unwrap_or(Format::Csv);
        let outcome = guarded(|| {
            // Held while the workbook is decompressed, parsed and validated; the cells kept for the commit are a
            // fraction of what parsing needed.
            let _share = (format == Format::Xlsx)
                .then(|| declared_uncompressed(&bytes))
                .flatten()
                .map(|size| shared.workbooks.take(size));
            let table = read_table(&bytes, format, shared)?;
            validate_table(table, &job, shared)
        });
        drop(bytes);
        match outcome {
            Ok(read) => {
                skillhouse_model::fault::point("ingest.file_read");
                Prepared::Read(Box::new(read))
            }
            Err(e) => Prepared::Unreadable { encoding: String::new(), message: e.to_string() },
        }
    };
    PreparedFile { job, content_hash, prepared, elapsed: start.elapsed() }
}

/// Ingests a batch: reads, validates and loads every file of `options.paths` into the warehouse, recording each
/// in the ledger, then recomputes duplicate claims. Bad rows and unreadable files are reported in the returned
/// [`BatchReport`], not as errors; `Err` means the warehouse or reference data could not be read or written.
pub fn ingest(options: &IngestOptions, progress: &dyn Progress) -> Result<BatchReport> {
    // A pool of our own: its size is the caller's to choose, and its threads get stacks deep enough for
    // polars' Parquet and CSV code in unoptimised builds (the default 2 MiB overflowed).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .stack_size(STACK_BYTES)
        .thread_name(|i| format!("{READER_THREAD_PREFIX}{i}"))
        .build()
        .map_err(|_| IngestError::Internal("cannot start the ingestion threads"))?;
    ingest_in_pool(options, progress, &pool)
}

/// Files committed between two intermediate ledger saves.
const LEDGER_SAVE_EVERY: usize = 256;

/// How the names of the threads that read and validate agency files begin (`ingest-0`, …): the CLI's panic hook
/// withholds their panic messages, which can quote the text being parsed.
pub const READER_THREAD_PREFIX: &str = "ingest-";

/// Stack size of the ingestion threads.
const STACK_BYTES: usize = 32 << 20;

fn ingest_in_pool(options: &IngestOptions, progress: &dyn Progress, pool: &rayon::ThreadPool) -> Result<BatchReport> {
    let batch_start = Instant::now();
    skillhouse_model::fault::point("ingest.start");
    let layout = Layout::new(&options.warehouse);
    std::fs::create_dir_all(layout.root()).map_err(|e| IngestError::io(layout.root(), e))?;
    // Crash safety: the ledger is the commit record. Whatever an interrupted batch wrote that its ledger does not
    // name is removed now (and its sources read again below); a new warehouse gets an empty ledger before any data
    // file exists, so every data file is accounted for from the start.
    let ledger = Ledger::load(&layout)?;
    let leftovers_removed = layout.clean_leftovers(&ledger)?;
    if !layout.ledger_path().is_file() {
        ledger.save(&layout)?;
    }
    skillhouse_model::fault::point("ingest.cleaned");
    let aliases = match &options.aliases {
        Some(a) => a.clone(),
        None => {
            let path = options.reference_dir.join("header_aliases.toml");
            if path.is_file() { HeaderAliases::load(&path)? } else { HeaderAliases::builtin() }
        }
    };
    let occupations = Occupations::load(&options.reference_dir.join("occupations.csv"))?;
    let mut discovery = discover(&options.paths)?;
    for entry in &discovery.ignored {
        tracing::warn!(path = %entry.path, reason = entry.reason, "landing entry not read");
    }
    let ignored = std::mem::take(&mut discovery.ignored);
    let mut registry = read_agencies(&layout)?;
    for path in &discovery.registries {
        registry.merge(Registry::load(path)?);
    }
    let batch_id = format!("{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    if discovery.jobs.is_empty() && CertKeys::up_to_date(&layout)? {
        // Nothing to read, and the duplicate claims are those of the files on disk: the keys (24 bytes per
        // certificate in the warehouse) are not loaded. A night's rebuild with an empty landing comes here.
        progress.started(0);
        if !registry.is_empty() {
            write_agencies(&layout, &registry)?;
        }
        return Ok(BatchReport {
            batch_id,
            leftovers_removed,
            ignored,
            duplicate_claims: CertKeys::claims_on_disk(&layout)?,
            duration: batch_start.elapsed(),
            ..BatchReport::default()
        });
    }
    let (index, keys_load) = pool.install(|| CertKeys::load(&layout, options.keys_memory))?;
    tracing::debug!(
        cached_files = keys_load.cached_files,
        read_files = keys_load.read_files,
        gone_files = keys_load.gone_files,
        claims_trusted = keys_load.trusted,
        "certificate keys loaded"
    );
    let shared = Shared {
        aliases,
        occupations,
        registry,
        key: &options.key,
        as_of: options.as_of,
        limits: options.xlsx_limits,
        workbooks: WorkbookBudget::new(options.xlsx_limits.max_batch_uncompressed_bytes),
        earlier: SeenFiles::from_ledger(&ledger),
    };
    let mut report = BatchReport { batch_id: batch_id.clone(), leftovers_removed, ignored, ..BatchReport::default() };
    progress.started(discovery.jobs.len());
    let window = pool.current_num_threads().max(1) * 8;
    let mut saved_at = 0usize;
    let mut state = BatchState {
        ledger,
        index,
        slice_files: SliceFiles::load(&layout)?,
        seen: SeenFiles::default(),
        pending: Vec::new(),
        written: Vec::new(),
        superseded_files: Vec::new(),
    };
    let mut jobs = discovery.jobs.into_iter();
    let prepare_window = |chunk: Vec<FileJob>| -> (Vec<PreparedFile>, Duration) {
        let start = Instant::now();
        let prepared = chunk.into_par_iter().map(|job| prepare(job, &shared)).collect();
        (prepared, start.elapsed())
    };
    let mut phases = Phases { before_files: batch_start.elapsed(), ..Phases::default() };
    let (mut prepared, first) = pool.install(|| prepare_window(jobs.by_ref().take(window).collect()));
    phases.prepare += first;
    while !prepared.is_empty() {
        let next: Vec<FileJob> = jobs.by_ref().take(window).collect();
        // The next window is read and validated while this one is committed and written. Committing is
        // sequential (path order decides duplicates), so without the overlap one core would idle through it.
        let ((committed, commit_time, write_time), (next_prepared, prepare_time)) = pool.install(|| {
            rayon::join(|| commit_window(prepared, &shared, &layout, &batch_id, &mut state), || prepare_window(next))
        });
        phases.commit += commit_time;
        phases.write += write_time;
        phases.prepare += prepare_time;
        for file_report in committed? {
            progress.file_done(&file_report);
            report.files.push(file_report);
            skillhouse_model::fault::point("ingest.file_committed");
        }
        // Saving now and then keeps a long batch's progress on record without rewriting the ledger per file.
        if report.files.len() - saved_at >= LEDGER_SAVE_EVERY {
            let start = Instant::now();
            save_ledger(pool, &layout, &mut state)?;
            phases.save += start.elapsed();
            saved_at = report.files.len();
        }
        prepared = next_prepared;
    }
    let start = Instant::now();
    save_ledger(pool, &layout, &mut state)?;
    phases.save += start.elapsed();
    tracing::debug!(
        files_ms = (batch_start.elapsed() - phases.before_files).as_millis() as u64,
        prepare_ms = phases.prepare.as_millis() as u64,
        commit_ms = phases.commit.as_millis() as u64,
        write_ms = phases.write.as_millis() as u64,
        save_ms = phases.save.as_millis() as u64,
        "files committed (prepare overlaps commit and write)"
    );
    if !shared.registry.is_empty() {
        write_agencies(&layout, &shared.registry)?;
        skillhouse_model::fault::point("ingest.agencies_written");
    }
    report.duplicate_claims = pool.install(|| state.index.update_duplicate_claims(&layout))?;
    report.duration = batch_start.elapsed();
    Ok(report)
}

/// Where a batch's time goes (wall time of each phase; reading a window overlaps committing the previous one).
#[derive(Default)]
struct Phases {
    before_files: Duration,
    prepare: Duration,
    commit: Duration,
    write: Duration,
    save: Duration,
}

/// Commits a window's files one by one in path order, then writes their Parquet files together, in parallel
/// (none counts until the ledger naming it is saved).
fn commit_window(
    prepared: Vec<PreparedFile>,
    shared: &Shared<'_>,
    layout: &Layout,
    batch_id: &str,
    state: &mut BatchState,
) -> (Result<Vec<FileReport>>, Duration, Duration) {
    let start = Instant::now();
    let mut reports = Vec::with_capacity(prepared.len());
    for file in prepared {
        match commit(file, shared, layout, batch_id, state) {
            Ok(report) => reports.push(report),
            Err(e) => return (Err(e), start.elapsed(), Duration::ZERO),
        }
    }
    let committed = start.elapsed();
    let pending = std::mem::take(&mut state.pending);
    let paths = pending
        .into_par_iter()
        .with_max_len(1)
        .map(|(path, file)| file.write(&path).map(|()| path))
        .collect::<Result<Vec<PathBuf>>>();
    let written = start.elapsed() - committed;
    (paths.map(|paths| state.written.extend(paths)).map(|()| reports), committed, written)
}

/// Commits the files written so far: syncs them, saves the ledger naming them (the commit point), and only then
/// removes the files their corrections superseded — so a crash at any moment leaves either the old slice (ledger
/// not saved: the new files are leftovers of the next run) or the new one (ledger saved: the old files are).
fn save_ledger(pool: &rayon::ThreadPool, layout: &Layout, state: &mut BatchState) -> Result<()> {
    sync_all(pool, &mut state.written)?;
    skillhouse_model::fault::point("ingest.synced");
    state.ledger.save(layout)?;
    for file in state.superseded_files.drain(..) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(IngestError::io(&file, e)),
        }
    }
    skillhouse_model::fault::point("ingest.superseded_removed");
    Ok(())
}

/// Syncs written files to disk, in parallel (each sync waits on the disk, not the CPU), then each folder they were
/// renamed into, once.
fn sync_all(pool: &rayon::ThreadPool, written: &mut Vec<PathBuf>) -> Result<()> {
    pool.install(|| written.par_iter().with_max_len(1).map(|p| sync_file(p)).collect::<Result<()>>())?;
    let folders: Vec<&std::path::Path> =
        written.iter().filter_map(|p| p.parent()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    pool.install(|| folders.par_iter().with_max_len(1).for_each(|dir| sync_folder(dir)));
    written.clear();
    Ok(())
}

/// Records a file that could not be used as unreadable, with its message.
fn unreadable(
    ledger: &mut Ledger,
    job: &FileJob,
    content_hash: &str,
    encoding: String,
    message: String,
    batch_id: &str,
    elapsed: Duration,
) -> FileReport {
    let mut report = empty_report(job, content_hash, FileOutcome::Unreadable { message }, elapsed);
    report.encoding = encoding;
    ledger.push(ledger_entry(&report, batch_id, LedgerStatus::Unreadable));
    report
}

fn empty_report(job: &FileJob, content_hash: &str, outcome: FileOutcome, elapsed: Duration) -> FileReport {
    FileReport {
        path: job.path.clone(),
        source_file: job.source_file.clone(),
        agency_id: job.agency_id.clone(),
        period: job.period.clone(),
        content_hash: content_hash.to_string(),
        format: job.format.map_or_else(|| job.extension.clone(), |f| f.label().to_string()),
        encoding: String::new(),
        outcome,
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        rejects_by_reason: BTreeMap::new(),
        superseded: Vec::new(),
        duration: elapsed,
    }
}

fn ledger_entry(report: &FileReport, batch_id: &str, status: LedgerStatus) -> LedgerEntry {
    let readable = status != LedgerStatus::Unreadable;
    let count = |n: u64| readable.then(|| i64::try_from(n).unwrap_or(i64::MAX));
    LedgerEntry {
        source_file: report.source_file.clone(),
        content_hash: report.content_hash.clone(),
        agency_id: report.agency_id.clone(),
        period: report.period.clone(),
        format: report.format.clone(),
        encoding: report.encoding.clone(),
        batch_id: batch_id.to_string(),
        status,
        rows_read: count(report.rows_read),
        rows_accepted: count(report.rows_accepted),
        rows_rejected: count(report.rows_rejected),
        rejects_by_reason: report
            .rejects_by_reason
            .iter()
            .map(|(r, n)| (r.code().to_string(), i64::try_from(*n).unwrap_or(i64::MAX)))
            .collect(),
        message: match &report.outcome {
            FileOutcome::Unreadable { message } => Some(message.clone()),
            _ => None,
        },
        superseded_by: None,
        ingested_at: Utc::now(),
        duration_ms: i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX),
    }
}

/// What the sequential commit phase changes as it goes.
struct BatchState {
    ledger: Ledger,
    /// Certificate fingerprints of the warehouse and of the files committed so far.
    index: CertKeys,
    /// The warehouse's data files by slice, kept up to date as files are written.
    slice_files: SliceFiles,
    /// Contents committed earlier in this batch.
    seen: SeenFiles,
    /// Files committed but not yet written: written in parallel at the end of each window.
    pending: Vec<(PathBuf, PendingFile)>,
    /// Files written but not yet synced; synced in parallel before the ledger naming them is saved.
    written: Vec<PathBuf>,
    /// Files of slices replaced by corrections; removed once the ledger marking them superseded is saved.
    superseded_files: Vec<PathBuf>,
}

/// Commits one prepared file, in path order: duplicate numbers, the slice's replacement, files, ledger.
fn commit(
    file: PreparedFile,
    shared: &Shared<'_>,
    layout: &Layout,
    batch_id: &str,
    state: &mut BatchState,
) -> Result<FileReport> {
    let BatchState { ledger, index, slice_files, seen: batch_seen, pending, written: _, superseded_files } = state;
    let start = Instant::now();
    let PreparedFile { job, content_hash, prepared, elapsed } = file;
    let already_seen = match &prepared {
        Prepared::Unreadable { message, .. } if content_hash.is_empty() => {
            shared.earlier.refused_before(&job.source_file, message)
                || batch_seen.refused_before(&job.source_file, message)
        }
        _ => batch_seen.contains(&content_hash, &job.source_file),
    };
    match &prepared {
        Prepared::Unreadable { message, .. } => batch_seen.record(&content_hash, &job.source_file, true, Some(message)),
        Prepared::Withdrawal => batch_seen.record(&content_hash, &job.source_file, true, None),
        // Recorded below, once it is known whether the file is loaded.
        Prepared::Read(_) | Prepared::Skipped => {}
    }
    let hash12 = &content_hash[..content_hash.len().min(12)];
    let read = match prepared {
        Prepared::Skipped => return Ok(empty_report(&job, &content_hash, FileOutcome::Skipped, elapsed)),
        _ if already_seen => return Ok(empty_report(&job, &content_hash, FileOutcome::Skipped, elapsed)),
        Prepared::Unreadable { encoding, message } => {
            return Ok(unreadable(ledger, &job, &content_hash, encoding, message, batch_id, elapsed));
        }
        Prepared::Withdrawal => {
            // The slice is replaced by nothing: its files go the way a correction's predecessors go.
            index.remove_slice(&job.agency_id, &job.period, hash12)?;
            superseded_files.extend(slice_files.supersede(&job.agency_id, &job.period, hash12));
            let mut report = empty_report(&job, &content_hash, FileOutcome::Loaded, elapsed + start.elapsed());
            report.format = WITHDRAWAL_FORMAT.to_string();
            report.superseded = ledger.supersede(&job.agency_id, &job.period, &content_hash);
            ledger.push(ledger_entry(&report, batch_id, LedgerStatus::Loaded));
            return Ok(report);
        }
        Prepared::Read(read) => read,
    };
    let ReadFile { table, rows_read, accepted, keys, mut rejects } = *read;
    let loaded_rows = ledger.loaded_rows(&job.agency_id, &job.period, &content_hash);
    if rows_read == 0 && loaded_rows > 0 {
        // A header-only file would replace the month with nothing: a plausible slip (an empty export), so the
        // month is kept unless the agency withdraws it explicitly.
        let message = ReadError::EmptyCorrection { period: job.period.clone(), loaded_rows }.to_string();
        batch_seen.record(&content_hash, &job.source_file, true, Some(&message));
        return Ok(unreadable(ledger, &job, &content_hash, table.encoding.to_string(), message, batch_id, elapsed));
    }
    batch_seen.record(&content_hash, &job.source_file, false, None);
    // The slice being replaced no longer counts for duplicates: a correction's numbers are not duplicates of
    // the rows they replace.
    index.remove_slice(&job.agency_id, &job.period, hash12)?;
    let mut seen: HashSet<u128> = HashSet::with_capacity(accepted.len());
    let mut duplicate = vec![false; accepted.len()];
    let mut duplicate_rows: Vec<(usize, i64, &str)> = Vec::new();
    for (i, ((row_index, source_row, row), key)) in accepted.iter().zip(&keys).enumerate() {
        if !seen.insert(key.cert()) || index.contains(key.cert())? {
            duplicate[i] = true;
            duplicate_rows.push((*row_index, *source_row, row.cert_no.as_str()));
        }
    }
    if !duplicate_rows.is_empty() {
        let lookup = RowLookup::new(&table).map_err(|e| IngestError::parquet(&job.path, e))?;
        for (row_index, source_row, cert_no) in duplicate_rows {
            rejects.push(RejectRecord {
                source_row,
                reason: RejectReason::DuplicateCertNo,
                field: Some(Field::CertNo.code()),
                detail: format!("{} ({cert_no})", RejectReason::DuplicateCertNo.explanation()),
                row_json: masked_row_json(&lookup.row(row_index)),
            });
        }
        rejects.sort_by_key(|r| r.source_row);
    }
    // The kept rows by issue year, with their fingerprints; their files are built and written with the window's.
    let mut by_year: BTreeMap<i32, YearRows> = BTreeMap::new();
    for (((_, source_row, row), key), duplicate) in accepted.into_iter().zip(keys).zip(duplicate) {
        if !duplicate {
            let (rows, keys) = by_year.entry(row.issue_date.year()).or_default();
            rows.push((source_row, row));
            keys.push(key);
        }
    }
    let rows_accepted: u64 = by_year.values().map(|(rows, _)| rows.len() as u64).sum();
    let lineage = OwnedLineage {
        source_file: job.source_file.clone(),
        batch_id: batch_id.to_string(),
        content_hash: content_hash.clone(),
    };
    let pending_before = pending.len();
    let stem = SliceName::stem(&job.agency_id, &job.period, &content_hash);
    if !by_year.is_empty() {
        let agency = shared
            .registry
            .get(&job.agency_id)
            .ok_or(IngestError::Internal("accepted rows from an agency missing in the registry"))?;
        for (year, (rows, keys)) in by_year {
            let path = layout.year_dir(year).join(format!("{stem}.parquet"));
            index.add_file(&path, &keys)?;
            pending.push((path, PendingFile::Certificates { rows, agency: agency.clone(), lineage: lineage.clone() }));
        }
    }
    let mut rejects_by_reason: BTreeMap<RejectReason, u64> = BTreeMap::new();
    for reject in &rejects {
        *rejects_by_reason.entry(reject.reason).or_default() += 1;
    }
    let rows_rejected = rejects.len() as u64;
    if !rejects.is_empty() {
        let path = layout.rejects_dir().join(format!("{stem}.parquet"));
        let (agency_id, period) = (job.agency_id.clone(), job.period.clone());
        pending.push((path, PendingFile::Rejects { rejects, lineage, agency_id, period }));
    }
    superseded_files.extend(slice_files.supersede(&job.agency_id, &job.period, hash12));
    for (path, _) in &pending[pending_before..] {
        slice_files.add(path.clone());
    }
    let superseded = ledger.supersede(&job.agency_id, &job.period, &content_hash);
    let mut report = empty_report(&job, &content_hash, FileOutcome::Loaded, elapsed + start.elapsed());
    report.encoding = table.encoding.to_string();
    report.rows_read = rows_read;
    report.rows_accepted = rows_accepted;
    report.rows_rejected = rows_rejected;
    report.rejects_by_reason = rejects_by_reason;
    report.superseded = superseded;
    if report.rows_read != report.rows_accepted + report.rows_rejected {
        return Err(IngestError::Internal("row conservation broken: read ≠ accepted + rejected"));
    }
    ledger.push(ledger_entry(&report, batch_id, LedgerStatus::Loaded));
    Ok(report)
}

/// One issue year's kept rows of a file (source row, record) with their fingerprints.
type YearRows = (Vec<(i64, AcceptedRow)>, Vec<KeyRow>);

/// Lineage columns of a file's rows, owned until its files are built.
#[derive(Debug, Clone)]
struct OwnedLineage {
    source_file: String,
    batch_id: String,
    content_hash: String,
}

impl OwnedLineage {
    fn borrow(&self) -> Lineage<'_> {
        Lineage { source_file: &self.source_file, batch_id: &self.batch_id, content_hash: &self.content_hash }
    }
}

/// A committed file's rows, built into a Parquet file and written at the end of the window, in parallel: only
/// deciding which rows are kept needs path order.
enum PendingFile {
    /// One issue year's kept rows.
    Certificates {
        rows: Vec<(i64, AcceptedRow)>,
        agency: crate::reference::Agency,
        lineage: OwnedLineage,
    },
    Rejects {
        rejects: Vec<RejectRecord>,
        lineage: OwnedLineage,
        agency_id: String,
        period: String,
    },
}

impl PendingFile {
    /// Sorts the rows (by the columns the indicators filter and group on), builds the frame and writes it.
    fn write(self, path: &std::path::Path) -> Result<()> {
        let mut frame = match self {
            PendingFile::Certificates { mut rows, agency, lineage } => {
                rows.sort_by(|(_, a), (_, b)| {
                    (a.issue_date, a.cert_type.code(), a.level.map_or(0, |l| l.rank()), &a.cert_no).cmp(&(
                        b.issue_date,
                        b.cert_type.code(),
                        b.level.map_or(0, |l| l.rank()),
                        &b.cert_no,
                    ))
                });
                let rows: Vec<(i64, &AcceptedRow)> = rows.iter().map(|(line, row)| (*line, row)).collect();
                certificates_frame(&rows, &agency, &lineage.borrow())
            }
            PendingFile::Rejects { rejects, lineage, agency_id, period } => {
                rejects_frame(&rejects, &lineage.borrow(), &agency_id, &period)
            }
        }
        .map_err(|e| IngestError::parquet(path, e))?;
        write_parquet(path, &mut frame)
    }
}

/// Random access to a table's rows, for the few rows rejected as duplicates after validation.
struct RowLookup {
    columns: Vec<(usize, StringChunked)>,
}

impl RowLookup {
    fn new(table: &RawTable) -> PolarsResult<Self> {
        let mut columns = Vec::new();
        for field in Field::ALL {
            if let Ok(column) = table.frame.column(field.code()) {
                columns.push((field.index(), column.str()?.rechunk().into_owned()));
            }
        }
        Ok(Self { columns })
    }

    fn row(&self, index: usize) -> RowCells<'_> {
        let mut cells: RowCells<'_> = [None; FIELD_COUNT];
        for (field, column) in &self.columns {
            cells[*field] = column.get(index);
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_unreadable_file() {
        let outcome: Result<(), ReadError> = guarded(|| panic!("boom in a parser"));
        match outcome {
            Err(ReadError::Panic { message }) => assert_eq!(message, "boom in a parser"),
            other => panic!("expected a caught panic, got {other:?}"),
        }
        let formatted: Result<(), ReadError> = guarded(|| panic!("row {}", 7));
        assert!(matches!(formatted, Err(ReadError::Panic { ref message }) if message == "row 7"));
        // A panic message can quote the text being parsed: the ledger's message never carries it.
        let shown = formatted.expect_err("a panic").to_string();
        assert!(!shown.contains("row 7") && shown.contains("internal error"), "{shown}");
    }
}
