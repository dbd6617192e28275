//! `skillhouse rebuild`: the nightly job's edge. The pipeline itself (ingest, build, gate, publish, prune) is the
//! `skillhouse-pipeline` library; this takes the warehouse lock, shows progress, prints the report (or its JSON)
//! and maps the outcome to the documented exit code.

use super::ingest::Reporter;
use crate::args::{PublishArgs, RebuildArgs};
use crate::exit::Outcome;
use indicatif::{ProgressBar, ProgressStyle};
use skillhouse_pipeline::{Observer, RebuildReport, RunOutcome, Settings};
use skillhouse_query::{CheckStatus, GateConfig, WarehouseLock};
use std::io::IsTerminal;
use std::sync::Mutex;

pub fn run(args: RebuildArgs) -> anyhow::Result<Outcome> {
    // The key is checked before anything else so a misconfigured cron job fails loudly and writes nothing.
    let key = super::load_key(&args.key)?;
    let engine = super::distributed::engine(&args.engine)?;
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
    let report = rebuild_on(&settings, &lock, !args.json, super::distributed::provider(&engine))?;
    drop(lock);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(report.outcome.into())
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

impl From<RunOutcome> for Outcome {
    fn from(outcome: RunOutcome) -> Self {
        match outcome {
            RunOutcome::Published => Outcome::Success,
            RunOutcome::PublishedWithRejects => Outcome::PartlyRejected,
            RunOutcome::RefusedByGate => Outcome::RefusedByGate,
        }
    }
}

/// Runs the nightly pipeline (`skillhouse_pipeline::rebuild`) holding `lock`, showing its progress when
/// `show_progress`: bars on a terminal, plain phase lines otherwise. Shared by `rebuild` and `demo`.
pub fn rebuild(settings: &Settings, lock: &WarehouseLock, show_progress: bool) -> anyhow::Result<RebuildReport> {
    rebuild_on(settings, lock, show_progress, None)
}

/// [`rebuild`] with the build's SQL on `engine` (`--engine ballista`).
fn rebuild_on(
    settings: &Settings,
    lock: &WarehouseLock,
    show_progress: bool,
    engine: Option<&dyn skillhouse_query::SessionProvider>,
) -> anyhow::Result<RebuildReport> {
    let report = if show_progress {
        let terminal = std::io::stderr().is_terminal();
        let shown = Shown { ingest: Reporter::new(terminal), build: BuildProgress::new(true), terminal };
        let report = skillhouse_pipeline::rebuild_on(settings, lock, &shown, engine);
        shown.ingest.finish();
        shown.build.finish();
        report
    } else {
        skillhouse_pipeline::rebuild_on(settings, lock, &skillhouse_pipeline::Quiet, engine)
    };
    Ok(report?)
}

/// Progress of a run on standard error: the ingest and build bars on a terminal, step lines otherwise.
struct Shown {
    ingest: Reporter,
    build: BuildProgress,
    terminal: bool,
}

impl Observer for Shown {
    fn ingest(&self) -> &dyn skillhouse_ingest::Progress {
        &self.ingest
    }

    fn build(&self, phase: &str, done: usize, of: usize) {
        self.build.update(phase, done, of);
    }

    fn step(&self, line: &str) {
        if !self.terminal {
            eprintln!("rebuild: {line}");
        }
    }
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
        "  certificate files: {} loaded, {} already loaded (skipped), {} superseded, {} unreadable",
        r.files_loaded, r.files_skipped, r.files_superseded, r.files_unreadable
    );
    let t = &r.training;
    println!(
        "  training files: {} loaded, {} already loaded (skipped), {} superseded, {} unreadable",
        t.files_loaded, t.files_skipped, t.files_superseded, t.files_unreadable
    );
    for file in &r.unreadable {
        println!("    unreadable {}: {}", file.source_file, file.message);
    }
    if r.entries_ignored > 0 {
        println!("  landing entries not read (not submissions): {}", r.entries_ignored);
        for entry in &r.ignored {
            println!("    ignored {}: {}", entry.path, entry.reason);
        }
    }
    println!("  rows: {} read = {} accepted + {} rejected", r.rows_read, r.rows_accepted, r.rows_rejected);
    for (reason, count) in &r.rejects_by_reason {
        println!("    {reason:<24} {count}");
    }
    println!(
        "  training rows (人次): {} read = {} accepted + {} rejected",
        t.rows_read, t.rows_accepted, t.rows_rejected
    );
    for (reason, count) in &t.rejects_by_reason {
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
    println!("  exit {}: {}", r.exit_code, r.outcome.describe());
}
