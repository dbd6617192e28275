//! The nightly rebuild as a library: under the warehouse lock, clear what a crashed run left, ingest the landing
//! folder, build a candidate snapshot (linked base files, models, indicators) and run the release gate on it, then
//! publish it by replacing `WAREHOUSE/CURRENT` — or, when a check fails and the gate is not forced, leave the
//! published snapshot serving and keep the candidate aside as `refused`. Retention last.
//!
//! Every step writes new files and fsyncs them before the one rename that publishes, so a crash at any point
//! leaves the published snapshot intact and serving, and the next run completes the work (`docs/operations.md`).
//!
//! Its callers — `skillhouse rebuild`, `skillhouse demo`, and the server's scheduled rebuild through the job the CLI
//! hands it — take the lock, watch the run through an [`Observer`] (progress bars, log lines), and decide what the
//! typed [`RebuildReport`] means for them (an exit code, a log line). This crate prints nothing and owns no exit
//! code; it depends on ingestion and the query engine, never on the server or the command line.

use serde::Serialize;
use skillhouse_ingest::{
    BatchReport, FileOutcome, IngestError, IngestOptions, Input, InputTotals, NoProgress, Progress,
};
use skillhouse_model::PseudonymKey;
use skillhouse_query::{BuildOptions, BuildParams, GateConfig, GateReport, PruneReport, QueryError, WarehouseLock};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a rebuild stopped before it could report. A refusal by the release gate is not an error: it is a
/// [`RunOutcome::RefusedByGate`] report.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Removing what an interrupted earlier run left failed.
    #[error("clearing interrupted builds")]
    Clean(#[source] QueryError),
    /// Ingesting the landing folder failed (not a rejected row or file: those are in the report).
    #[error("ingesting into {warehouse}")]
    Ingest {
        /// The warehouse.
        warehouse: PathBuf,
        /// The cause.
        #[source]
        source: IngestError,
    },
    /// Reading the published snapshot's id failed.
    #[error("reading the published snapshot")]
    Current(#[source] QueryError),
    /// The bundled SQL catalogue did not load.
    #[error("loading the SQL catalogue")]
    Catalog(#[source] QueryError),
    /// The async runtime the build runs on could not start.
    #[error("starting the runtime")]
    Runtime(#[source] std::io::Error),
    /// Building the candidate snapshot failed.
    #[error("building snapshot {snapshot_id}")]
    Build {
        /// The candidate.
        snapshot_id: String,
        /// The cause.
        #[source]
        source: QueryError,
    },
    /// The build ran no release gate (a bug: the pipeline always asks for one).
    #[error("the build of snapshot {snapshot_id} ran no release gate")]
    NoGate {
        /// The candidate.
        snapshot_id: String,
    },
    /// Replacing `CURRENT` failed; the previous snapshot keeps serving.
    #[error("publishing snapshot {snapshot_id}")]
    Publish {
        /// The candidate.
        snapshot_id: String,
        /// The cause.
        #[source]
        source: QueryError,
    },
    /// Applying retention failed (after publishing).
    #[error("applying retention")]
    Retention(#[source] QueryError),
}

/// Result alias of the pipeline crate.
pub type Result<T, E = PipelineError> = std::result::Result<T, E>;

/// What a rebuild works on.
#[derive(Clone)]
pub struct Settings {
    /// The warehouse.
    pub warehouse: PathBuf,
    /// The landing folder.
    pub landing: PathBuf,
    /// Reference data.
    pub reference: PathBuf,
    /// As-of date; `None` means the local date when the rebuild starts.
    pub as_of: Option<chrono::NaiveDate>,
    /// The pseudonymisation key.
    pub key: PseudonymKey,
    /// Snapshots kept besides the published one.
    pub keep: usize,
    /// Release gate thresholds.
    pub gate: GateConfig,
    /// Recompute every year instead of taking the years nothing changed in over from the published snapshot.
    pub full: bool,
}

/// Watches a run: ingestion's per-file progress, the build's phases, and a line at each step. Every method has a
/// silent default.
pub trait Observer: Sync {
    /// Ingestion's progress.
    fn ingest(&self) -> &dyn Progress {
        &NoProgress
    }

    /// The build moved on: `(phase, done, of)`, e.g. `("models", 2, 5)`.
    fn build(&self, phase: &str, done: usize, of: usize) {
        let _ = (phase, done, of);
    }

    /// A step starts (`ingesting the landing folder`, `publishing`, …).
    fn step(&self, line: &str) {
        let _ = line;
    }
}

/// An observer that shows nothing (the server's scheduled run logs the report instead).
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Published; every row and file was accepted.
    Published,
    /// Published; some rows or files were rejected (see the ledger and the reject report).
    PublishedWithRejects,
    /// The release gate refused the candidate; the previous snapshot keeps serving.
    RefusedByGate,
}

impl RunOutcome {
    /// In words, for a person: `published`, `published with rejects`, `refused by the release gate`.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::PublishedWithRejects => "published with rejects",
            Self::RefusedByGate => "refused by the release gate",
        }
    }

    /// The documented exit code of `skillhouse rebuild` for this outcome (README, docs/operations.md): 0, 3 or 4.
    pub const fn exit_code(self) -> u8 {
        match self {
            Self::Published => 0,
            Self::PublishedWithRejects => 3,
            Self::RefusedByGate => 4,
        }
    }
}

/// What a run did: printed as a summary by the CLI, or as JSON with `--json`.
#[derive(Debug, Serialize)]
pub struct RebuildReport {
    /// How the run ended.
    pub outcome: RunOutcome,
    /// The exit code `skillhouse rebuild` ends with for this outcome.
    pub exit_code: u8,
    /// The warehouse.
    pub warehouse: String,
    /// The as-of date the snapshot was built for.
    pub as_of: String,
    /// The ingestion batch.
    pub batch_id: String,
    /// Certificate files loaded by this run (training files: [`RebuildReport::training`]).
    pub files_loaded: usize,
    /// Certificate files already loaded by an earlier run.
    pub files_skipped: usize,
    /// Certificate files replaced by a correction.
    pub files_superseded: usize,
    /// Certificate files that could not be read at all.
    pub files_unreadable: usize,
    /// The files of either input that could not be read, with why (`training/…` for training files).
    pub unreadable: Vec<UnreadableFile>,
    /// Entries of the landing folder that are not submissions (hidden files, files at the top, …): not in the
    /// ledger, so listed here.
    pub entries_ignored: usize,
    /// Those entries, with why.
    pub ignored: Vec<IgnoredEntry>,
    /// Certificate rows read from the files loaded.
    pub rows_read: u64,
    /// Certificate rows accepted.
    pub rows_accepted: u64,
    /// Certificate rows rejected.
    pub rows_rejected: u64,
    /// Certificate rows rejected per reason code.
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// The training files (DESIGN §16): files loaded, skipped, superseded, unreadable; rows read = accepted +
    /// rejected; rejects per reason code.
    pub training: InputTotals,
    /// Duplicate claims flagged.
    pub duplicate_claims: usize,
    /// Files an interrupted earlier run left, removed before ingesting.
    pub leftovers_removed: usize,
    /// Incomplete snapshot folders of interrupted earlier runs, removed.
    pub incomplete_snapshots_removed: Vec<String>,
    /// The candidate snapshot built by this run.
    pub snapshot_id: String,
    /// The snapshot published before this run.
    pub previous_snapshot: Option<String>,
    /// Whether the candidate was published.
    pub published: bool,
    /// The release gate's checks.
    pub gate: GateReport,
    /// Rows per table of the candidate.
    pub row_counts: BTreeMap<String, u64>,
    /// The first year whose models were recomputed; earlier years were taken over from the previous snapshot.
    pub recomputed_from_year: Option<i32>,
    /// Why from that year (`the as-of year 2026`, `certificate files of 2024 changed`, `no previous snapshot`, …).
    pub recompute_reason: String,
    /// Per-year files (compacted certificates, models) taken over from the previous snapshot.
    pub carried_files: usize,
    /// Retention after the run.
    pub retention: PruneReport,
    /// Wall time per phase (ingest, link, register, dims, compact, models, indicators, gate, summary, manifest,
    /// publish, retention, total).
    pub timings_ms: BTreeMap<String, u64>,
    /// Wall time per table the build wrote (`models/persons`, `indicators/high_skill_share`, …).
    pub table_timings_ms: BTreeMap<String, u64>,
    /// Wall time of ingestion.
    pub ingest_ms: u64,
    /// Wall time of the build.
    pub build_ms: u64,
}

/// An entry of the landing folder that is not a submission.
#[derive(Debug, Serialize)]
pub struct IgnoredEntry {
    /// The entry, relative to the landing folder.
    pub path: String,
    /// Why it is not read.
    pub reason: &'static str,
}

/// A file that could not be read at all.
#[derive(Debug, Serialize)]
pub struct UnreadableFile {
    /// The file, relative to the landing folder.
    pub source_file: String,
    /// Why (where and what, never a cell's contents).
    pub message: String,
}

/// Ingests, builds, gates, publishes and prunes, holding `lock` (the caller took it).
// A large error is fine for a call made once a night; boxing the causes would hide `IngestError` from the CLI's
// downcast that picks the exit code for a broken reference file.
#[allow(clippy::result_large_err)]
pub fn rebuild(settings: &Settings, lock: &WarehouseLock, observer: &dyn Observer) -> Result<RebuildReport> {
    rebuild_on(settings, lock, observer, None)
}

/// [`rebuild`] with the build's SQL run on `engine` (Ballista, issue 25) instead of a local session; ingestion,
/// the gate's decision, publishing and retention are the same.
#[allow(clippy::result_large_err)]
pub fn rebuild_on(
    settings: &Settings,
    lock: &WarehouseLock,
    observer: &dyn Observer,
    engine: Option<&dyn skillhouse_query::SessionProvider>,
) -> Result<RebuildReport> {
    let total = Instant::now();
    skillhouse_model::fault::point("rebuild.locked");
    let warehouse = &settings.warehouse;
    let as_of = settings.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let cleaned = skillhouse_query::clean_incomplete(warehouse, lock).map_err(PipelineError::Clean)?;

    observer.step("ingesting the landing folder");
    let mut options =
        IngestOptions::new(warehouse, vec![settings.landing.clone()], settings.key.clone(), as_of, &settings.reference);
    // Reported figures for these are refused (DESIGN §17): the indicators the build computes.
    let catalog = skillhouse_query::SqlCatalog::bundled().map_err(PipelineError::Catalog)?;
    options.computed_indicators = catalog.indicators.iter().map(|i| i.id().to_string()).collect();
    let batch = skillhouse_ingest::ingest(&options, observer.ingest())
        .map_err(|source| PipelineError::Ingest { warehouse: warehouse.clone(), source })?;

    let previous = skillhouse_query::current_snapshot_id(warehouse).map_err(PipelineError::Current)?;
    let previous_dir = previous.as_ref().map(|id| warehouse.join("snapshots").join(id)).filter(|d| d.is_dir());
    let snapshot_id = unique_snapshot_id(warehouse);
    let snapshot_dir = warehouse.join("snapshots").join(&snapshot_id);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if engine.is_some() {
        // Ballista encodes and decodes plans recursively on these threads; its own binaries give them 32 MiB.
        builder.thread_stack_size(32 << 20);
    }
    let runtime = builder.build().map_err(PipelineError::Runtime)?;
    let report_progress = |phase: &str, done: usize, of: usize| observer.build(phase, done, of);
    let options = BuildOptions {
        previous: previous_dir.as_deref(),
        gate: Some(&settings.gate),
        progress: Some(&report_progress),
        full: settings.full,
        engine,
    };
    let catalog = skillhouse_query::SqlCatalog::bundled().map_err(PipelineError::Catalog)?;
    let built = runtime
        .block_on(skillhouse_query::build_snapshot_with_options(
            warehouse,
            &settings.reference,
            &snapshot_dir,
            &BuildParams::new(as_of),
            &catalog,
            &skillhouse_query::QueryConfig::default(),
            &options,
        ))
        .map_err(|source| PipelineError::Build { snapshot_id: snapshot_id.clone(), source })?;
    let gate = built.manifest.gate.clone().ok_or_else(|| PipelineError::NoGate { snapshot_id: snapshot_id.clone() })?;

    let mut timings_ms = built.phases_ms.clone();
    timings_ms.insert("ingest".into(), millis(batch.duration));
    let published = gate.allows_publish();
    if published {
        observer.step("publishing");
        let clock = Instant::now();
        skillhouse_query::publish_snapshot(warehouse, &snapshot_id)
            .map_err(|source| PipelineError::Publish { snapshot_id: snapshot_id.clone(), source })?;
        timings_ms.insert("publish".into(), millis(clock.elapsed()));
        skillhouse_model::fault::point("rebuild.published");
    } else {
        observer.step("the release gate refused the candidate; the published snapshot keeps serving");
    }
    let clock = Instant::now();
    let retention =
        skillhouse_query::prune_snapshots(warehouse, settings.keep, lock).map_err(PipelineError::Retention)?;
    timings_ms.insert("retention".into(), millis(clock.elapsed()));
    timings_ms.insert("total".into(), millis(total.elapsed()));
    let run = Run { as_of, batch: &batch, built: &built, gate, previous, published, cleaned, retention };
    let mut report = run.report(settings);
    report.timings_ms = timings_ms;
    skillhouse_model::fault::point("rebuild.done");
    Ok(report)
}

/// A snapshot id from the clock, made unique should two runs start within the same second.
fn unique_snapshot_id(warehouse: &Path) -> String {
    let base = skillhouse_query::new_snapshot_id(chrono::Utc::now());
    let taken = |id: &str| warehouse.join("snapshots").join(id).exists();
    if !taken(&base) {
        return base;
    }
    (2u32..).map(|n| format!("{base}-{n}")).find(|id| !taken(id)).unwrap_or(base)
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What each phase of a run produced, assembled into the report.
struct Run<'a> {
    as_of: chrono::NaiveDate,
    batch: &'a BatchReport,
    built: &'a skillhouse_query::BuildReport,
    gate: GateReport,
    previous: Option<String>,
    published: bool,
    cleaned: Vec<String>,
    retention: PruneReport,
}

impl Run<'_> {
    fn report(self, settings: &Settings) -> RebuildReport {
        let Run { as_of, batch, built, gate, previous, published, cleaned, retention } = self;
        let outcome = if !published {
            RunOutcome::RefusedByGate
        } else if batch.is_partly_rejected() {
            RunOutcome::PublishedWithRejects
        } else {
            RunOutcome::Published
        };
        RebuildReport {
            outcome,
            exit_code: outcome.exit_code(),
            warehouse: settings.warehouse.display().to_string(),
            as_of: as_of.to_string(),
            batch_id: batch.batch_id.clone(),
            files_loaded: batch.files_loaded(),
            files_skipped: batch.files_skipped(),
            files_superseded: batch.files_superseded(),
            files_unreadable: batch.files_unreadable(),
            unreadable: batch
                .files
                .iter()
                .filter_map(|f| match &f.outcome {
                    FileOutcome::Unreadable { message } => {
                        Some(UnreadableFile { source_file: f.source_file.clone(), message: message.clone() })
                    }
                    _ => None,
                })
                .collect(),
            entries_ignored: batch.ignored.len(),
            ignored: batch.ignored.iter().map(|e| IgnoredEntry { path: e.path.clone(), reason: e.reason }).collect(),
            rows_read: batch.rows_read(),
            rows_accepted: batch.rows_accepted(),
            rows_rejected: batch.rows_rejected(),
            rejects_by_reason: batch.rejects_by_reason().into_iter().map(|(r, n)| (r.code().to_string(), n)).collect(),
            training: batch.totals(Input::Training),
            duplicate_claims: batch.duplicate_claims,
            leftovers_removed: batch.leftovers_removed,
            incomplete_snapshots_removed: cleaned,
            snapshot_id: built.manifest.snapshot_id.clone(),
            previous_snapshot: previous,
            published,
            gate,
            row_counts: built.manifest.row_counts.clone(),
            recomputed_from_year: built.manifest.recomputed_from_year,
            recompute_reason: built.carry_reason.clone(),
            carried_files: built.carried_files,
            retention,
            timings_ms: BTreeMap::new(),
            table_timings_ms: built.timings_ms.clone(),
            ingest_ms: millis(batch.duration),
            build_ms: built.elapsed_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_serialise_as_their_documented_names_and_codes() {
        let names: Vec<String> = [RunOutcome::Published, RunOutcome::PublishedWithRejects, RunOutcome::RefusedByGate]
            .iter()
            .map(|o| format!("{}:{}", serde_json::to_string(o).unwrap_or_default(), o.exit_code()))
            .collect();
        assert_eq!(names, ["\"published\":0", "\"published_with_rejects\":3", "\"refused_by_gate\":4"]);
    }
}
