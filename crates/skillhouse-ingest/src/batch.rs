//! One ingestion batch: files are read and validated in parallel a window at a time, then committed one by one in
//! path order, so that duplicate certificate numbers and corrections never depend on thread timing and memory
//! stays bounded by two windows of files (one being committed, the next being read) rather than the whole input.

use crate::budget::WorkbookBudget;
use crate::claims::{CertKeys, KeysMemory};
use crate::commit::{BatchState, commit_window, load_cert_keys, save_ledger};
use crate::error::{IngestError, Result};
use crate::field::{HeaderAliases, Input};
use crate::landing::{FileJob, discover};
use crate::ledger::Ledger;
use crate::prepare::{PreparedFile, Shared, prepare};
use crate::read::XlsxLimits;
use crate::reference::{Occupations, Providers, Registry};
use crate::report::{BatchReport, FileOutcome, FileReport, Progress};
use crate::seen::SeenFiles;
use crate::training::{TrainingState, read_providers, write_providers};
use crate::warehouse::{Layout, SliceFiles, read_agencies, write_agencies};
use chrono::{NaiveDate, Utc};
use rayon::prelude::*;
use skillhouse_model::PseudonymKey;
use std::collections::HashSet;
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
    /// The ids of the indicators computed from the records (the query layer's `sql/indicators/`): a reported
    /// figure for one of them is `indicator_not_reportable` (DESIGN §17). Targets' indicators that are not
    /// reportable are refused so too, whether or not they are listed here.
    pub computed_indicators: std::collections::BTreeSet<String>,
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
            computed_indicators: std::collections::BTreeSet::new(),
        }
    }
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
    let mut report = ingest_in_pool(options, progress, &pool)?;
    // The reported figures (DESIGN §17) after the submissions: their years are checked against the warehouse's.
    crate::reported::ingest_reported(options, &mut report)?;
    Ok(report)
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
    let (ledger, leftovers_removed) = open_warehouse(&layout)?;
    skillhouse_model::fault::point("ingest.cleaned");
    let (shared, mut discovery) = read_references(options, &layout, &ledger)?;
    let ignored = std::mem::take(&mut discovery.ignored);
    let registers = std::mem::take(&mut discovery.registers);
    let batch_id = format!("{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    let mut report = BatchReport { batch_id, leftovers_removed, ignored, ..BatchReport::default() };
    if discovery.jobs.is_empty() && CertKeys::up_to_date(&layout)? {
        // Nothing to read, and the duplicate claims are those of the files on disk: the keys (24 bytes per
        // certificate in the warehouse) are not loaded. A night's rebuild with an empty landing comes here.
        progress.started(0);
        write_registries(&layout, &shared)?;
        report.duplicate_claims = CertKeys::claims_on_disk(&layout)?;
        let mut ledger = ledger;
        report.files = read_registers(&layout, &registers, options.as_of, &report.batch_id, &mut ledger, progress)?;
        report.duration = batch_start.elapsed();
        return Ok(report);
    }
    let training_slices: HashSet<(String, String)> = discovery
        .jobs
        .iter()
        .filter(|j| j.input == Input::Training)
        .map(|j| (j.agency_id.clone(), j.period.clone()))
        .collect();
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
    progress.started(discovery.jobs.len());
    let before_files = batch_start.elapsed();
    let phases = run_windows(discovery.jobs, &shared, &layout, pool, &mut state, &mut report, progress)?;
    tracing::debug!(
        files_ms = (batch_start.elapsed() - before_files).as_millis() as u64,
        prepare_ms = phases.prepare.as_millis() as u64,
        commit_ms = phases.commit.as_millis() as u64,
        write_ms = phases.write.as_millis() as u64,
        save_ms = phases.save.as_millis() as u64,
        "files committed (prepare overlaps commit and write)"
    );
    write_registries(&layout, &shared)?;
    report.duplicate_claims = match state.index.take() {
        Some(mut index) => pool.install(|| index.update_duplicate_claims(&layout))?,
        // No certificate file was committed: the claims stand unless the keys no longer describe the files.
        None if CertKeys::up_to_date(&layout)? => CertKeys::claims_on_disk(&layout)?,
        None => pool.install(|| load_cert_keys(&layout, options.keys_memory)?.update_duplicate_claims(&layout))?,
    };
    let batch_id = report.batch_id.clone();
    let register_reports = read_registers(&layout, &registers, options.as_of, &batch_id, &mut state.ledger, progress)?;
    report.files.extend(register_reports);
    report.duration = batch_start.elapsed();
    Ok(report)
}

/// Opens the warehouse for a batch. Crash safety: the ledger is the commit record. Whatever an interrupted batch
/// wrote that its ledger does not name is removed now (and its sources read again); a new warehouse gets an empty
/// ledger before any data file exists, so every data file is accounted for from the start. Returns the ledger and
/// how many leftover files were removed.
fn open_warehouse(layout: &Layout) -> Result<(Ledger, usize)> {
    std::fs::create_dir_all(layout.root()).map_err(|e| IngestError::io(layout.root(), e))?;
    let ledger = Ledger::load(layout)?;
    let leftovers_removed = layout.clean_leftovers(|input| ledger.loaded_stems(input))?;
    if !layout.ledger_path().is_file() {
        ledger.save(layout)?;
    }
    Ok((ledger, leftovers_removed))
}

/// Reads what every file is judged against — header spellings, occupations, both registries (the warehouse's,
/// merged with the landing's) — and finds the batch's files. Both registries are read before any file: a broken
/// one stops the batch (docs/operations.md, "A broken agencies.csv"), since files judged against a partial registry
/// would be rejected and never read again.
fn read_references<'a>(
    options: &'a IngestOptions,
    layout: &Layout,
    ledger: &Ledger,
) -> Result<(Shared<'a>, crate::landing::Discovery)> {
    let aliases = match &options.aliases {
        Some(a) => a.clone(),
        None => {
            let path = options.reference_dir.join("header_aliases.toml");
            if path.is_file() { HeaderAliases::load(&path)? } else { HeaderAliases::builtin() }
        }
    };
    let occupations = Occupations::load(&options.reference_dir.join("occupations.csv"))?;
    let discovery = discover(&options.paths)?;
    for entry in &discovery.ignored {
        tracing::warn!(path = %entry.path, reason = entry.reason, "landing entry not read");
    }
    let mut registry = read_agencies(layout)?;
    for path in &discovery.registries {
        registry.merge(Registry::load(path)?);
    }
    let mut providers = read_providers(layout)?;
    for path in &discovery.provider_registries {
        providers.merge(Providers::load(path)?);
    }
    let shared = Shared {
        aliases,
        occupations,
        registry,
        providers,
        key: &options.key,
        as_of: options.as_of,
        limits: options.xlsx_limits,
        workbooks: WorkbookBudget::new(options.xlsx_limits.max_batch_uncompressed_bytes),
        earlier: SeenFiles::from_ledger(ledger),
    };
    Ok((shared, discovery))
}

/// Reads and commits the batch's files a window at a time, saving the ledger now and then and at the end.
fn run_windows(
    jobs: Vec<FileJob>,
    shared: &Shared<'_>,
    layout: &Layout,
    pool: &rayon::ThreadPool,
    state: &mut BatchState,
    report: &mut BatchReport,
    progress: &dyn Progress,
) -> Result<Phases> {
    let window = pool.current_num_threads().max(1) * 8;
    let mut saved_at = 0usize;
    let mut jobs = jobs.into_iter();
    let prepare_window = |chunk: Vec<FileJob>| -> (Vec<PreparedFile>, Duration) {
        let start = Instant::now();
        let prepared = chunk.into_par_iter().map(|job| prepare(job, shared)).collect();
        (prepared, start.elapsed())
    };
    let mut phases = Phases::default();
    let (mut prepared, first) = pool.install(|| prepare_window(jobs.by_ref().take(window).collect()));
    phases.prepare += first;
    let batch_id = report.batch_id.clone();
    while !prepared.is_empty() {
        let next: Vec<FileJob> = jobs.by_ref().take(window).collect();
        // The next window is read and validated while this one is committed and written. Committing is
        // sequential (path order decides duplicates), so without the overlap one core would idle through it.
        let ((committed, commit_time, write_time), (next_prepared, prepare_time)) = pool.install(|| {
            rayon::join(|| commit_window(prepared, shared, layout, &batch_id, state), || prepare_window(next))
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
            save_ledger(pool, layout, state)?;
            phases.save += start.elapsed();
            saved_at = report.files.len();
        }
        prepared = next_prepared;
    }
    let start = Instant::now();
    save_ledger(pool, layout, state)?;
    phases.save += start.elapsed();
    Ok(phases)
}

/// Writes the registries the batch was judged against (the warehouse's merged with the landing's), when there are
/// any.
fn write_registries(layout: &Layout, shared: &Shared<'_>) -> Result<()> {
    if !shared.registry.is_empty() {
        write_agencies(layout, &shared.registry)?;
        skillhouse_model::fault::point("ingest.agencies_written");
    }
    if !shared.providers.is_empty() {
        write_providers(layout, &shared.providers)?;
        skillhouse_model::fault::point("ingest.providers_written");
    }
    Ok(())
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
    prepare: Duration,
    commit: Duration,
    write: Duration,
    save: Duration,
}
