//! The sequential phase of a batch: prepared files committed one by one in path order (so duplicates and
//! corrections never depend on thread timing), their Parquet files written a window at a time, and the ledger
//! saved as the commit point.

use crate::certificates::commit_certificates;
use crate::claims::{CertKeys, KeysMemory};
use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::landing::FileJob;
use crate::ledger::{Ledger, LedgerStatus};
use crate::pending::{Commit, PendingFile, empty_report, ledger_entry, unreadable};
use crate::prepare::{Prepared, PreparedFile, Shared};
use crate::read::ReadError;
use crate::report::{FileOutcome, FileReport};
use crate::seen::{SeenFiles, WITHDRAWAL_FORMAT};
use crate::training::{TrainingState, commit_training};
use crate::warehouse::{Layout, SliceFiles, sync_file, sync_folder};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Commits a window's files one by one in path order, then writes their Parquet files together, in parallel
/// (none counts until the ledger naming it is saved).
pub(crate) fn commit_window(
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
pub(crate) fn save_ledger(pool: &rayon::ThreadPool, layout: &Layout, state: &mut BatchState) -> Result<()> {
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
pub(crate) struct BatchState {
    pub(crate) ledger: Ledger,
    /// Certificate fingerprints of the warehouse and of the files committed so far; read when the first
    /// certificate file is committed (a night of training files only never reads them).
    pub(crate) index: Option<CertKeys>,
    pub(crate) keys_memory: KeysMemory,
    /// The warehouse's certificate and reject files by slice, kept up to date as files are written.
    pub(crate) slice_files: SliceFiles,
    /// The training side: its files by slice, its enrolment and voucher keys.
    pub(crate) training: TrainingState,
    /// Contents committed earlier in this batch.
    pub(crate) seen: SeenFiles,
    /// Files committed but not yet written: written in parallel at the end of each window.
    pub(crate) pending: Vec<(PathBuf, PendingFile)>,
    /// Files written but not yet synced; synced in parallel before the ledger naming them is saved.
    pub(crate) written: Vec<PathBuf>,
    /// Files of slices replaced by corrections; removed once the ledger marking them superseded is saved.
    pub(crate) superseded_files: Vec<PathBuf>,
}

/// Loads the certificate keys, logging how.
pub(crate) fn load_cert_keys(layout: &Layout, memory: KeysMemory) -> Result<CertKeys> {
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
    let already_seen = seen_before(&prepared, &job, &content_hash, shared, &mut state.seen);
    let (rows_read, encoding) = match &prepared {
        Prepared::Skipped => return Ok(empty_report(&job, &content_hash, FileOutcome::Skipped, elapsed)),
        _ if already_seen => return Ok(empty_report(&job, &content_hash, FileOutcome::Skipped, elapsed)),
        Prepared::Unreadable { encoding, message } => {
            let (encoding, message) = (encoding.clone(), message.clone());
            return Ok(unreadable(&mut state.ledger, &job, &content_hash, encoding, message, batch_id, elapsed));
        }
        Prepared::Withdrawal => {
            return withdraw(&job, &content_hash, layout, batch_id, state, elapsed + start.elapsed());
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

/// A withdrawal (`<YYYY-MM>.withdraw`): the slice is replaced by nothing — its files go the way a correction's
/// predecessors go, and the ledger marks its loaded files superseded.
fn withdraw(
    job: &FileJob,
    content_hash: &str,
    layout: &Layout,
    batch_id: &str,
    state: &mut BatchState,
    elapsed: Duration,
) -> Result<FileReport> {
    let hash12 = &content_hash[..content_hash.len().min(12)];
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
        // Never a job (see `prepare::read_rows`): nothing to replace.
        Input::Reported => Vec::new(),
        Input::Revocations | Input::Renewals => {
            return Err(IngestError::Internal("a register withdrawn as a submission"));
        }
    };
    state.superseded_files.extend(replaced);
    let mut report = empty_report(job, content_hash, FileOutcome::Loaded, elapsed);
    report.format = WITHDRAWAL_FORMAT.to_string();
    report.superseded = state.ledger.supersede(job.input, &job.agency_id, &job.period, content_hash);
    state.ledger.push(ledger_entry(&report, batch_id, LedgerStatus::Loaded));
    Ok(report)
}

/// Whether this content (or, for a file that could not even be hashed, this refusal) was seen before — in an
/// earlier batch or earlier in this one — and records what is known of it so far: a refusal or a withdrawal now,
/// a file to load once it is known whether it loads.
fn seen_before(
    prepared: &Prepared,
    job: &FileJob,
    content_hash: &str,
    shared: &Shared<'_>,
    seen: &mut SeenFiles,
) -> bool {
    let already_seen = match prepared {
        Prepared::Unreadable { message, .. } if content_hash.is_empty() => {
            shared.earlier.refused_before(&job.source_file, message) || seen.refused_before(&job.source_file, message)
        }
        _ => seen.contains(content_hash, &job.source_file),
    };
    match prepared {
        Prepared::Unreadable { message, .. } => seen.record(content_hash, &job.source_file, true, Some(message)),
        Prepared::Withdrawal => seen.record(content_hash, &job.source_file, true, None),
        // Recorded below, once it is known whether the file is loaded.
        Prepared::Read(_) | Prepared::Training(_) | Prepared::Skipped => {}
    }
    already_seen
}
