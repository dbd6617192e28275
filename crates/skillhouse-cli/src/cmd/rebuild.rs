//! `skillhouse rebuild`: ingest the landing folder, build models and indicators into a new snapshot, publish it.
//!
//! Publishing is the last step: the snapshot folder is complete (its files fsynced by the build) before
//! `WAREHOUSE/CURRENT` is replaced by rename, so a reader sees the old snapshot or the new one, never a mix.

use crate::args::RebuildArgs;
use crate::exit::Outcome;
use anyhow::Context;
use serde::Serialize;
use skillhouse_ingest::{BatchReport, FileOutcome, IngestOptions};
use std::collections::BTreeMap;
use std::path::Path;

pub fn run(args: RebuildArgs) -> anyhow::Result<Outcome> {
    // The key is checked before anything else so a misconfigured cron job fails loudly and writes nothing.
    let key = super::load_key(&args.key)?;
    let reference = super::reference_dir(args.reference)?;
    let as_of = args.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let warehouse = args.warehouse.warehouse;
    let report = rebuild(&warehouse, &args.landing, &reference, as_of, key, !args.json)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(if report.rows_rejected > 0 || report.files_unreadable > 0 { Outcome::PartlyRejected } else { Outcome::Success })
}

/// The machine-readable run report (`--json`).
#[derive(Debug, Serialize)]
pub struct RebuildReport {
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
    pub snapshot_id: String,
    pub published: bool,
    pub row_counts: BTreeMap<String, u64>,
    pub ingest_ms: u64,
    pub build_ms: u64,
}

/// A file that could not be read at all.
#[derive(Debug, Serialize)]
pub struct UnreadableFile {
    pub source_file: String,
    pub message: String,
}

/// Ingests, builds and publishes; shared by `rebuild` and `demo`.
pub fn rebuild(
    warehouse: &Path,
    landing: &Path,
    reference: &Path,
    as_of: chrono::NaiveDate,
    key: skillhouse_model::PseudonymKey,
    show_progress: bool,
) -> anyhow::Result<RebuildReport> {
    std::fs::create_dir_all(warehouse).with_context(|| format!("creating warehouse {}", warehouse.display()))?;
    let options = IngestOptions::new(warehouse, vec![landing.to_path_buf()], key, as_of, reference);
    let batch = super::ingest::run_batch(&options, show_progress)?;

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let snapshot_id = skillhouse_query::new_snapshot_id(chrono::Utc::now());
    let snapshot_dir = warehouse.join("snapshots").join(&snapshot_id);
    let built = runtime
        .block_on(skillhouse_query::build_snapshot(warehouse, reference, as_of, &snapshot_dir))
        .with_context(|| format!("building snapshot {snapshot_id}"))?;
    sync_dir(&warehouse.join("snapshots"))?;
    skillhouse_query::publish_snapshot(warehouse, &snapshot_id).context("publishing the snapshot")?;
    sync_dir(warehouse)?;
    Ok(report(warehouse, as_of, &batch, &built))
}

/// fsyncs a directory so a rename inside it survives a crash.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("syncing directory {}", dir.display()))
}

fn report(
    warehouse: &Path,
    as_of: chrono::NaiveDate,
    batch: &BatchReport,
    built: &skillhouse_query::BuildReport,
) -> RebuildReport {
    RebuildReport {
        warehouse: warehouse.display().to_string(),
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
        snapshot_id: built.manifest.snapshot_id.clone(),
        published: true,
        row_counts: built.manifest.row_counts.clone(),
        ingest_ms: u64::try_from(batch.duration.as_millis()).unwrap_or(u64::MAX),
        build_ms: built.elapsed_ms,
    }
}

fn print_summary(r: &RebuildReport) {
    println!("SkillHouse rebuild — warehouse {} — as of {}", r.warehouse, r.as_of);
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
    println!("  published snapshot {} (ingest {} ms, build {} ms)", r.snapshot_id, r.ingest_ms, r.build_ms);
}
