//! `skillhouse rebuild`: the nightly job. Under the warehouse lock: clear what a crashed run left, ingest the landing
//! folder, build a candidate snapshot (linked base files, models, indicators) and run the release gate on it, then
//! publish it by replacing `WAREHOUSE/CURRENT` — or, when a check fails and `--force` is not given, leave the
//! published snapshot serving and keep the candidate aside as `refused`. Retention last.
//!
//! Every step writes new files and fsyncs them before the one rename that publishes, so a crash at any point
//! leaves the published snapshot intact and serving, and the next run completes the work (`docs/operations.md`).

use crate::args::{PublishArgs, RebuildArgs};
use crate::exit::Outcome;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use skillhouse_ingest::{BatchReport, FileOutcome, IngestOptions};
use skillhouse_model::PseudonymKey;
use skillhouse_query::{BuildOptions, BuildParams, CheckStatus, GateConfig, GateReport, PruneReport, WarehouseLock};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

pub fn run(args: RebuildArgs) -> anyhow::Result<Outcome> {
    // The key is checked before anything else so a misconfigured cron job fails loudly and writes nothing.
    let key = super::load_key(&args.key)?;
    let settings = Settings {
        warehouse: args.warehouse.warehouse,
        landing: args.landing,
        reference: super::reference_dir(args.reference)?,
        as_of: args.as_of,
        key,
        keep: args.publish.keep as usize,
        gate: gate_config(&args.publish),
        full: args.full,
    };
    let Some(lock) = super::lock_warehouse(&settings.warehouse, "rebuild")? else {
        if args.json {
            let message = "another ingest or rebuild holds the warehouse lock";
            println!("{}", serde_json::json!({ "outcome": "locked", "exit_code": 5, "message": message }));
        }
        return Ok(Outcome::Locked);
    };
    let report = rebuild(&settings, &lock, !args.json)?;
    drop(lock);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(report.exit_outcome())
}

/// The gate configuration of the command-line flags.
pub fn gate_config(args: &PublishArgs) -> GateConfig {
    GateConfig {
        max_row_drop_pct: args.max_row_drop_pct,
        max_row_growth_pct: args.max_row_growth_pct,
        max_indicator_change_pct: args.max_indicator_change_pct,
        force: args.force,
    }
}

/// What a rebuild works on; shared by `rebuild`, `demo` and the server's scheduled rebuild.
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

/// The run report: printed as a summary, or as JSON with `--json`.
#[derive(Debug, Serialize)]
pub struct RebuildReport {
    /// `published`, `published_with_rejects` or `refused_by_gate`.
    pub outcome: &'static str,
    /// The process exit code this report ends with.
    pub exit_code: u8,
    pub warehouse: String,
    pub as_of: String,
    pub batch_id: String,
    pub files_loaded: usize,
    pub files_skipped: usize,
    pub files_superseded: usize,
    pub files_unreadable: usize,
    pub unreadable: Vec<UnreadableFile>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejects_by_reason: BTreeMap<String, u64>,
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
    pub ingest_ms: u64,
    pub build_ms: u64,
}

impl RebuildReport {
    /// The exit outcome: refused, published with rejects, or published.
    pub fn exit_outcome(&self) -> Outcome {
        if !self.published {
            Outcome::RefusedByGate
        } else if self.rows_rejected > 0 || self.files_unreadable > 0 {
            Outcome::PartlyRejected
        } else {
            Outcome::Success
        }
    }

    /// Sets `outcome` and `exit_code` from what happened.
    fn settle(&mut self) {
        let outcome = self.exit_outcome();
        self.exit_code = outcome.code();
        self.outcome = match outcome {
            Outcome::RefusedByGate => "refused_by_gate",
            Outcome::PartlyRejected => "published_with_rejects",
            _ => "published",
        };
    }
}

/// A file that could not be read at all.
#[derive(Debug, Serialize)]
pub struct UnreadableFile {
    pub source_file: String,
    pub message: String,
}

/// Ingests, builds, gates, publishes and prunes, holding `lock` (the caller took it: `rebuild`, `demo`, or the
/// server's scheduled run). `show_progress`: bars on a terminal, plain phase lines otherwise.
pub fn rebuild(settings: &Settings, lock: &WarehouseLock, show_progress: bool) -> anyhow::Result<RebuildReport> {
    let total = Instant::now();
    skillhouse_model::fault::point("rebuild.locked");
    let warehouse = &settings.warehouse;
    let as_of = settings.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let say = |line: &str| {
        if show_progress && !std::io::stderr().is_terminal() {
            eprintln!("{line}");
        }
    };
    let cleaned = skillhouse_query::clean_incomplete(warehouse, lock).context("clearing interrupted builds")?;

    say("rebuild: ingesting the landing folder");
    let options =
        IngestOptions::new(warehouse, vec![settings.landing.clone()], settings.key.clone(), as_of, &settings.reference);
    let batch = super::ingest::run_batch(&options, show_progress)?;

    let previous = skillhouse_query::current_snapshot_id(warehouse)?;
    let previous_dir = previous.as_ref().map(|id| warehouse.join("snapshots").join(id)).filter(|d| d.is_dir());
    let snapshot_id = unique_snapshot_id(warehouse);
    let snapshot_dir = warehouse.join("snapshots").join(&snapshot_id);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let progress = BuildProgress::new(show_progress);
    let report_progress = |phase: &str, done: usize, of: usize| progress.update(phase, done, of);
    let options = BuildOptions {
        previous: previous_dir.as_deref(),
        gate: Some(&settings.gate),
        progress: Some(&report_progress),
        full: settings.full,
    };
    let catalog = skillhouse_query::SqlCatalog::bundled()?;
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
        .with_context(|| format!("building snapshot {snapshot_id}"))?;
    progress.finish();
    let gate = built.manifest.gate.clone().context("the build ran no release gate")?;

    let mut timings_ms = built.phases_ms.clone();
    timings_ms.insert("ingest".into(), millis(batch.duration));
    let published = gate.allows_publish();
    if published {
        say("rebuild: publishing");
        let clock = Instant::now();
        skillhouse_query::publish_snapshot(warehouse, &snapshot_id).context("publishing the snapshot")?;
        timings_ms.insert("publish".into(), millis(clock.elapsed()));
        skillhouse_model::fault::point("rebuild.published");
    } else {
        say("rebuild: the release gate refused the candidate; the published snapshot keeps serving");
    }
    let clock = Instant::now();
    let retention = skillhouse_query::prune_snapshots(warehouse, settings.keep, lock).context("applying retention")?;
    timings_ms.insert("retention".into(), millis(clock.elapsed()));
    timings_ms.insert("total".into(), millis(total.elapsed()));
    let mut report = report(settings, as_of, &batch, &built, gate, previous, published, cleaned, retention);
    report.timings_ms = timings_ms;
    report.settle();
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

/// The build's progress: a bar on a terminal, a line per phase otherwise.
struct BuildProgress {
    bar: Option<ProgressBar>,
    plain: bool,
    phase: Mutex<String>,
}

impl BuildProgress {
    fn new(show: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = (show && terminal).then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("build {msg:<12} {bar:30} {pos}/{len} · {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self { bar, plain: show && !terminal, phase: Mutex::new(String::new()) }
    }

    fn update(&self, phase: &str, done: usize, of: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(phase.to_string());
            bar.set_length(of as u64);
            bar.set_position(done as u64);
        } else if self.plain
            && let Ok(mut last) = self.phase.lock()
            && *last != phase
        {
            eprintln!("rebuild: build {phase}");
            *last = phase.to_string();
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[allow(clippy::too_many_arguments)] // reason: one call site assembling the report from each phase's result
fn report(
    settings: &Settings,
    as_of: chrono::NaiveDate,
    batch: &BatchReport,
    built: &skillhouse_query::BuildReport,
    gate: GateReport,
    previous_snapshot: Option<String>,
    published: bool,
    incomplete_snapshots_removed: Vec<String>,
    retention: PruneReport,
) -> RebuildReport {
    RebuildReport {
        outcome: "", // settled by the caller once the report is complete
        exit_code: 0,
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
        rows_read: batch.rows_read(),
        rows_accepted: batch.rows_accepted(),
        rows_rejected: batch.rows_rejected(),
        rejects_by_reason: batch.rejects_by_reason().into_iter().map(|(r, n)| (r.code().to_string(), n)).collect(),
        duplicate_claims: batch.duplicate_claims,
        leftovers_removed: batch.leftovers_removed,
        incomplete_snapshots_removed,
        snapshot_id: built.manifest.snapshot_id.clone(),
        previous_snapshot,
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

fn seconds(ms: Option<&u64>) -> String {
    ms.map_or_else(|| "—".to_string(), |ms| format!("{:.1} s", *ms as f64 / 1000.0))
}

fn print_summary(r: &RebuildReport) {
    println!("SkillHouse rebuild — warehouse {} — as of {}", r.warehouse, r.as_of);
    if r.leftovers_removed > 0 || !r.incomplete_snapshots_removed.is_empty() {
        println!(
            "  recovered from an interrupted run: {} leftover files and {} incomplete snapshots removed",
            r.leftovers_removed,
            r.incomplete_snapshots_removed.len()
        );
    }
    println!(
        "  files: {} loaded, {} already loaded (skipped), {} superseded, {} unreadable",
        r.files_loaded, r.files_skipped, r.files_superseded, r.files_unreadable
    );
    for file in &r.unreadable {
        println!("    unreadable {}: {}", file.source_file, file.message);
    }
    println!("  rows: {} read = {} accepted + {} rejected", r.rows_read, r.rows_accepted, r.rows_rejected);
    for (reason, count) in &r.rejects_by_reason {
        println!("    {reason:<24} {count}");
    }
    println!("  duplicate claims flagged: {}", r.duplicate_claims);
    let counted = |status| r.gate.checks.iter().filter(|c| c.status == status).count();
    let verdict = match (r.gate.passed, r.gate.forced) {
        (true, _) => "passed",
        (false, true) => "FAILED — published anyway (--force)",
        (false, false) => "FAILED — not published",
    };
    println!(
        "  release gate: {verdict} ({} pass, {} fail, {} skipped; compared with {})",
        counted(CheckStatus::Pass),
        counted(CheckStatus::Fail),
        counted(CheckStatus::Skipped),
        r.gate.previous_snapshot.as_deref().unwrap_or("no previous snapshot")
    );
    for check in &r.gate.checks {
        let mark = match check.status {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Skipped => "skip",
        };
        println!("    {mark} {:<26} {}", check.id, check.detail);
    }
    match r.recomputed_from_year {
        Some(year) if r.carried_files > 0 => println!(
            "  models: recomputed from {year} ({}); {} files of earlier years taken over from {}",
            r.recompute_reason,
            r.carried_files,
            r.previous_snapshot.as_deref().unwrap_or("the previous snapshot")
        ),
        _ => println!("  models: every year recomputed ({})", r.recompute_reason),
    }
    let t = &r.timings_ms;
    println!(
        "  timings: ingest {}, link {}, dims {}, models {}, indicators {}, gate {}, publish {}, total {}",
        seconds(t.get("ingest")),
        seconds(t.get("link")),
        seconds(t.get("dims")),
        seconds(t.get("models")),
        seconds(t.get("indicators")),
        seconds(t.get("gate")),
        seconds(t.get("publish")),
        seconds(t.get("total"))
    );
    let certificates = r.row_counts.get("certificates").copied().unwrap_or_default();
    if r.published {
        println!(
            "  published snapshot {} ({certificates} certificates; previous {})",
            r.snapshot_id,
            r.previous_snapshot.as_deref().unwrap_or("none")
        );
    } else {
        println!(
            "  NOT published: candidate {} kept aside as refused; {} keeps serving. Fix the data, or rerun with \
             --force after review.",
            r.snapshot_id,
            r.previous_snapshot.as_deref().unwrap_or("nothing")
        );
    }
    if !r.retention.removed.is_empty() || !r.retention.in_use.is_empty() {
        println!(
            "  retention: removed {}; kept {} still in use by readers",
            if r.retention.removed.is_empty() { "none".to_string() } else { r.retention.removed.join(", ") },
            r.retention.in_use.len()
        );
    }
    println!("  exit {}: {}", r.exit_code, r.outcome.replace('_', " "));
}
