//! One ingestion batch: files are read and validated in parallel a window at a time, then committed one by one in
//! path order, so that duplicate certificate numbers and corrections never depend on thread timing and memory
//! stays bounded by two windows of files (one being committed, the next being read) rather than the whole input.

use crate::budget::WorkbookBudget;
use crate::certificates::{CertificateRead, commit_certificates, validate_certificate_table};
use crate::claims::{CertKeys, KeysMemory};
use crate::error::{IngestError, Result};
use crate::field::{HeaderAliases, Input};
use crate::landing::{FileJob, discover};
use crate::ledger::{Ledger, LedgerStatus};
use crate::pending::{Commit, PendingFile, empty_report, ledger_entry, unreadable};
use crate::read::{Format, RawTable, ReadError, XlsxLimits, declared_uncompressed, read_csv, read_jsonl, read_xlsx};
use crate::reference::{Occupations, Providers, Registry};
use crate::report::{BatchReport, FileOutcome, FileReport, Progress};
use crate::seen::{SeenFiles, WITHDRAWAL_FORMAT};
use crate::training::{
    TrainingContext, TrainingRead, TrainingState, commit_training, read_providers, validate_training_table,
    write_providers,
};
use crate::validate::RowContext;
use crate::warehouse::{Layout, SliceFiles, read_agencies, sync_file, sync_folder, write_agencies};
use chrono::{NaiveDate, Utc};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use skillhouse_model::PseudonymKey;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to ingest, where, and against what.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The warehouse folder (created if missing).
    pub warehouse: PathBuf,
    /// Landing folders, agency or provider folders, `training/` folders, or files.
    pub paths: Vec<PathBuf>,
    /// The pseudonymisation key.
    pub key: PseudonymKey,
    /// Issue dates (certificates) and end dates (training) after this are in the future.
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
    /// The training providers' registry.
    providers: Providers,
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
    Read(Box<CertificateRead>),
    Training(Box<TrainingRead>),
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

fn read_table(bytes: &[u8], format: Format, input: Input, shared: &Shared<'_>) -> Result<RawTable, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    match format {
        Format::Csv => read_csv(bytes, input, &shared.aliases),
        Format::Xlsx => read_xlsx(bytes, input, &shared.aliases, &shared.limits),
        Format::Jsonl => read_jsonl(bytes, input, &shared.aliases),
    }
}

/// Reads and validates a file's rows as its input says.
fn read_rows(bytes: &[u8], format: Format, job: &FileJob, shared: &Shared<'_>) -> Result<Prepared, ReadError> {
    let table = read_table(bytes, format, job.input, shared)?;
    match job.input {
        Input::Certificates => {
            let ctx = RowContext {
                folder_agency: &job.agency_id,
                registry: &shared.registry,
                occupations: &shared.occupations,
                as_of: shared.as_of,
                key: shared.key,
            };
            let read = validate_certificate_table(table, &ctx)?;
            skillhouse_model::fault::point("ingest.file_read");
            Ok(Prepared::Read(Box::new(read)))
        }
        Input::Training => {
            let ctx = TrainingContext {
                folder_provider: &job.agency_id,
                providers: &shared.providers,
                occupations: &shared.occupations,
                as_of: shared.as_of,
                key: shared.key,
            };
            let read = validate_training_table(table, &ctx)?;
            skillhouse_model::fault::point("ingest.training_read");
            Ok(Prepared::Training(Box::new(read)))
        }
        // Never a job: discovery hands the registers to `revocations.rs`.
        Input::Revocations | Input::Renewals => {
            Err(ReadError::Refused { problem: "a register is not a submission (read by revocations.rs)" })
        }
    }
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
            read_rows(&bytes, format, &job, shared)
        });
        drop(bytes);
        outcome.unwrap_or_else(|e| Prepared::Unreadable { encoding: String::new(), message: e.to_string() })
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
    // Both registries are read before any file: a broken one stops the batch (docs/operations.md, "A broken
    // agencies.csv"), since files judged against a partial registry would be rejected and never read again.
    let mut registry = read_agencies(&layout)?;
    for path in &discovery.registries {
        registry.merge(Registry::load(path)?);
    }
    let mut providers = read_providers(&layout)?;
    for path in &discovery.provider_registries {
        providers.merge(Providers::load(path)?);
    }
    let batch_id = format!("{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    let registers = std::mem::take(&mut discovery.registers);
    if discovery.jobs.is_empty() && CertKeys::up_to_date(&layout)? {
        // Nothing to read, and the duplicate claims are those of the files on disk: the keys (24 bytes per
        // certificate in the warehouse) are not loaded. A night's rebuild with an empty landing comes here.
        progress.started(0);
        if !registry.is_empty() {
            write_agencies(&layout, &registry)?;
        }
        if !providers.is_empty() {
            write_providers(&layout, &providers)?;
        }
        let mut ledger = ledger;
        let files = read_registers(&layout, &registers, options.as_of, &batch_id, &mut ledger, progress)?;
        return Ok(BatchReport {
            batch_id,
            files,
            leftovers_removed,
            ignored,
            duplicate_claims: CertKeys::claims_on_disk(&layout)?,
            duration: batch_start.elapsed(),
        });
    }
    let training_slices: HashSet<(String, String)> = discovery
        .jobs
        .iter()
        .filter(|j| j.input == Input::Training)
        .map(|j| (j.agency_id.clone(), j.period.clone()))
        .collect();
    let shared = Shared {
        aliases,
        occupations,
        registry,
        providers,
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
        index: None,
        keys_memory: options.keys_memory,
        slice_files: SliceFiles::load(&layout, Input::Certificates)?,
        training: TrainingState::new(&layout, training_slices, options.keys_memory.prints)?,
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
            let input = file_report.input;
            progress.file_done(&file_report);
            report.files.push(file_report);
            skillhouse_model::fault::point("ingest.file_committed");
            if input == Input::Training {
                skillhouse_model::fault::point("ingest.training_committed");
            }
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
    if !shared.providers.is_empty() {
        write_providers(&layout, &shared.providers)?;
        skillhouse_model::fault::point("ingest.providers_written");
    }
    report.duplicate_claims = match state.index.take() {
        Some(mut index) => pool.install(|| index.update_duplicate_claims(&layout))?,
        // No certificate file was committed: the claims stand unless the keys no longer describe the files.
        None if CertKeys::up_to_date(&layout)? => CertKeys::claims_on_disk(&layout)?,
        None => pool.install(|| load_cert_keys(&layout, options.keys_memory)?.update_duplicate_claims(&layout))?,
    };
    let register_reports = read_registers(&layout, &registers, options.as_of, &batch_id, &mut state.ledger, progress)?;
    report.files.extend(register_reports);
    report.duration = batch_start.elapsed();
    Ok(report)
}

/// Reads the HR office's registers (DESIGN §18) after the batch's submissions, so they may name certificates the
/// batch brought, and saves the ledger when one was loaded or found unreadable.
fn read_registers(
    layout: &Layout,
    registers: &[(Input, PathBuf)],
    as_of: NaiveDate,
    batch_id: &str,
    ledger: &mut Ledger,
    progress: &dyn Progress,
) -> Result<Vec<FileReport>> {
    if registers.is_empty() {
        return Ok(Vec::new());
    }
    let reports = crate::revocations::ingest_registers(layout, registers, as_of, batch_id, ledger)?;
    if reports.iter().any(|r| r.outcome != FileOutcome::Skipped) {
        ledger.save(layout)?;
    }
    for report in &reports {
        progress.file_done(report);
    }
    Ok(reports)
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

/// What the sequential commit phase changes as it goes.
struct BatchState {
    ledger: Ledger,
    /// Certificate fingerprints of the warehouse and of the files committed so far; read when the first
    /// certificate file is committed (a night of training files only never reads them).
    index: Option<CertKeys>,
    keys_memory: KeysMemory,
    /// The warehouse's certificate and reject files by slice, kept up to date as files are written.
    slice_files: SliceFiles,
    /// The training side: its files by slice, its enrolment and voucher keys.
    training: TrainingState,
    /// Contents committed earlier in this batch.
    seen: SeenFiles,
    /// Files committed but not yet written: written in parallel at the end of each window.
    pending: Vec<(PathBuf, PendingFile)>,
    /// Files written but not yet synced; synced in parallel before the ledger naming them is saved.
    written: Vec<PathBuf>,
    /// Files of slices replaced by corrections; removed once the ledger marking them superseded is saved.
    superseded_files: Vec<PathBuf>,
}

/// Loads the certificate keys, logging how.
fn load_cert_keys(layout: &Layout, memory: KeysMemory) -> Result<CertKeys> {
    let (index, keys_load) = CertKeys::load(layout, memory)?;
    tracing::debug!(
        cached_files = keys_load.cached_files,
        read_files = keys_load.read_files,
        gone_files = keys_load.gone_files,
        claims_trusted = keys_load.trusted,
        "certificate keys loaded"
    );
    Ok(index)
}

/// The certificate keys, read on first use.
fn cert_keys<'a>(index: &'a mut Option<CertKeys>, layout: &Layout, memory: KeysMemory) -> Result<&'a mut CertKeys> {
    if index.is_none() {
        *index = Some(load_cert_keys(layout, memory)?);
    }
    index.as_mut().ok_or(IngestError::Internal("certificate keys just loaded"))
}

/// Commits one prepared file, in path order: what was seen before is skipped, what cannot be read is recorded so,
/// a withdrawal or a correction replaces its slice, and the rows of a loaded file are committed by its input's
/// rules ([`commit_certificates`], [`commit_training`]).
fn commit(
    file: PreparedFile,
    shared: &Shared<'_>,
    layout: &Layout,
    batch_id: &str,
    state: &mut BatchState,
) -> Result<FileReport> {
    let start = Instant::now();
    let PreparedFile { job, content_hash, prepared, elapsed } = file;
    let already_seen = match &prepared {
        Prepared::Unreadable { message, .. } if content_hash.is_empty() => {
            shared.earlier.refused_before(&job.source_file, message)
                || state.seen.refused_before(&job.source_file, message)
        }
        _ => state.seen.contains(&content_hash, &job.source_file),
    };
    match &prepared {
        Prepared::Unreadable { message, .. } => state.seen.record(&content_hash, &job.source_file, true, Some(message)),
        Prepared::Withdrawal => state.seen.record(&content_hash, &job.source_file, true, None),
        // Recorded below, once it is known whether the file is loaded.
        Prepared::Read(_) | Prepared::Training(_) | Prepared::Skipped => {}
    }
    let hash12 = &content_hash[..content_hash.len().min(12)];
    let (rows_read, encoding) = match &prepared {
        Prepared::Skipped => return Ok(empty_report(&job, &content_hash, FileOutcome::Skipped, elapsed)),
        _ if already_seen => return Ok(empty_report(&job, &content_hash, FileOutcome::Skipped, elapsed)),
        Prepared::Unreadable { encoding, message } => {
            let (encoding, message) = (encoding.clone(), message.clone());
            return Ok(unreadable(&mut state.ledger, &job, &content_hash, encoding, message, batch_id, elapsed));
        }
        Prepared::Withdrawal => {
            // The slice is replaced by nothing: its files go the way a correction's predecessors go.
            let replaced = match job.input {
                Input::Certificates => {
                    cert_keys(&mut state.index, layout, state.keys_memory)?.remove_slice(
                        &job.agency_id,
                        &job.period,
                        hash12,
                    )?;
                    state.slice_files.supersede(&job.agency_id, &job.period, hash12)
                }
                Input::Training => {
                    state.training.keys_and_files(layout)?.0.remove_slice(&job.agency_id, &job.period, hash12)?;
                    state.training.slice_files.supersede(&job.agency_id, &job.period, hash12)
                }
                Input::Revocations | Input::Renewals => {
                    return Err(IngestError::Internal("a register withdrawn as a submission"));
                }
            };
            state.superseded_files.extend(replaced);
            let mut report = empty_report(&job, &content_hash, FileOutcome::Loaded, elapsed + start.elapsed());
            report.format = WITHDRAWAL_FORMAT.to_string();
            report.superseded = state.ledger.supersede(job.input, &job.agency_id, &job.period, &content_hash);
            state.ledger.push(ledger_entry(&report, batch_id, LedgerStatus::Loaded));
            return Ok(report);
        }
        Prepared::Read(read) => (read.rows_read, read.table.encoding),
        Prepared::Training(read) => (read.rows_read, read.table.encoding),
    };
    let loaded_rows = state.ledger.loaded_rows(job.input, &job.agency_id, &job.period, &content_hash);
    if rows_read == 0 && loaded_rows > 0 {
        // A header-only file would replace the month with nothing: a plausible slip (an empty export), so the
        // month is kept unless the agency withdraws it explicitly.
        let message = ReadError::EmptyCorrection { period: job.period.clone(), loaded_rows }.to_string();
        state.seen.record(&content_hash, &job.source_file, true, Some(&message));
        let encoding = encoding.to_string();
        return Ok(unreadable(&mut state.ledger, &job, &content_hash, encoding, message, batch_id, elapsed));
    }
    state.seen.record(&content_hash, &job.source_file, false, None);
    let BatchState { ledger, index, keys_memory, slice_files, training, pending, superseded_files, .. } = state;
    let elapsed = elapsed + start.elapsed();
    let (job, content_hash) = (&job, content_hash.as_str());
    match prepared {
        Prepared::Read(read) => {
            let index = cert_keys(index, layout, *keys_memory)?;
            let commit = Commit { job, content_hash, batch_id, ledger, slice_files, pending, superseded_files };
            commit_certificates(*read, &shared.registry, layout, index, commit, elapsed)
        }
        Prepared::Training(read) => {
            let (keys, slice_files) = training.keys_and_files(layout)?;
            let commit = Commit { job, content_hash, batch_id, ledger, slice_files, pending, superseded_files };
            commit_training(*read, &shared.providers, layout, keys, commit, elapsed)
        }
        _ => Err(IngestError::Internal("a file neither read nor refused")),
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
