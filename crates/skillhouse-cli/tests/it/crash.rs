//! The crash test (DESIGN §11): the nightly rebuild is killed — `std::process::abort()` at a fault point, which
//! like `kill -9` runs no destructor and flushes nothing — at 27 points spread over ingestion (certificates and
//! training), the snapshot build,
//! file writing, publishing and retention. After each crash:
//! - the published snapshot is intact (every file's size and checksum match its manifest) and answers SQL;
//! - the next rebuild succeeds and publishes;
//! - the warehouse then equals the one an uninterrupted night gives — the same ledger rows (file, hash, status, row
//!   counts; training files' too), the same certificate, reject and duplicate-claim counts, the same training and
//!   training-reject files with the same rows, the same indicator values — so nothing was ingested twice or lost;
//!   and no leftover temporary file or incomplete snapshot remains.
//!
//! Each point runs on its own copy of the night-1 warehouse, replaying night 2 (new files, skipped files and a
//! correction); two points run at a time.

use crate::nights::{self, LENIENT_GATE, copy_base, current, nights};
use crate::stderr;
use skillhouse_query::{ResultFormat, format_batches};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::sync::Mutex;

/// `name[:n]`: abort the n-th time the named point is passed. Ordered as a night runs.
const POINTS: [&str; 27] = [
    // Ingestion.
    "ingest.start",
    "ingest.file_read:5",
    "ingest.parquet_tmp:3",
    "ingest.file_committed:40",
    // Ingestion of training files (after the certificate files, in path order).
    "ingest.training_read:2",
    "ingest.training_keys",
    "ingest.training_committed:3",
    "ingest.providers_written",
    "ingest.synced",
    "ingest.ledger_before",
    "ingest.ledger_saved",
    "ingest.superseded_removed",
    "ingest.claims_written",
    // The snapshot build: linking, dimensions, models, indicators, gate, manifest.
    "build.link:10",
    "build.linked",
    "build.carry:2",
    "build.parquet_tmp:4",
    "build.model:2",
    "build.indicator:8",
    "build.gate",
    "build.manifest_tmp",
    "build.manifest",
    // Publishing and retention.
    "publish.before",
    "publish.current_tmp",
    "publish.renamed",
    "rebuild.published",
    "retention.renamed",
];

/// Points after which `CURRENT` names the new snapshot.
const AFTER_PUBLISH: [&str; 3] = ["publish.renamed", "rebuild.published", "retention.renamed"];

/// Arguments of every run: the lenient gate (night 2 grows a lot) and retention down to one older snapshot.
fn run_args() -> Vec<&'static str> {
    let mut args = LENIENT_GATE.to_vec();
    args.extend(["--keep", "1"]);
    args
}

/// What a warehouse's published snapshot says, for comparing a recovered night with an uninterrupted one.
#[derive(Debug, PartialEq, Eq)]
struct State {
    ledger: String,
    counts: String,
    indicators: String,
    /// The warehouse's training, training-reject and provider files with their rows.
    training: Vec<(String, usize)>,
}

/// Every Parquet file under the warehouse's training folders, relative, with its rows.
fn training_files(warehouse: &Path) -> Result<Vec<(String, usize)>, String> {
    let mut out = Vec::new();
    let mut stack: Vec<std::path::PathBuf> =
        ["training", "training_rejects", "providers"].iter().map(|d| warehouse.join(d)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                let rows = skillhouse_ingest::read_parquet(&path, None).map_err(|e| format!("{e:#}"))?.height();
                let relative = path.strip_prefix(warehouse).unwrap_or(&path).display().to_string();
                out.push((relative, rows));
            }
        }
    }
    out.sort();
    Ok(out)
}

const LEDGER_SQL: &str = "SELECT source_file, content_hash, status, rows_read, rows_accepted, rows_rejected, \
    rejects_by_reason, superseded_by FROM ledger ORDER BY source_file, content_hash";
const COUNTS_SQL: &str = "SELECT (SELECT COUNT(*) FROM certificates) AS certificates, \
    (SELECT COUNT(DISTINCT cert_no) FROM certificates) AS distinct_cert_nos, \
    (SELECT COUNT(*) FROM rejects) AS rejects, (SELECT COUNT(*) FROM duplicate_claims) AS duplicate_claims";
const INDICATORS_SQL: &str = "SELECT indicator_id, region_code, year, programme, agency_type, value, numerator, \
    denominator, status FROM indicator_values ORDER BY 1, 2, 3, 4, 5";

fn state(warehouse: &Path) -> Result<State, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let snapshot = skillhouse_query::open_snapshot(warehouse).await.map_err(|e| format!("open: {e}"))?;
        let mut texts = Vec::new();
        for sql in [LEDGER_SQL, COUNTS_SQL, INDICATORS_SQL] {
            let batches = snapshot.query(sql).await.map_err(|e| format!("{sql}: {e}"))?;
            texts.push(format_batches(&batches, ResultFormat::Csv).map_err(|e| e.to_string())?);
        }
        let indicators = texts.pop().unwrap_or_default();
        let counts = texts.pop().unwrap_or_default();
        let ledger = texts.pop().unwrap_or_default();
        Ok(State { ledger, counts, indicators, training: training_files(warehouse)? })
    })
}

/// A complete, publishable snapshot older than any real one, for retention to remove.
fn add_old_snapshot(warehouse: &Path) {
    let dir = warehouse.join("snapshots/20000101T000000Z");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(".readers"), b"").expect("lease file");
    let manifest = skillhouse_query::Manifest { snapshot_id: "20000101T000000Z".into(), ..Default::default() };
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&manifest).expect("json")).expect("manifest");
}

/// Files whose name marks an unfinished write or removal, anywhere in the warehouse.
fn leftovers(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(".tmp") || name.starts_with(".deleting-") {
            out.push(path.display().to_string());
        }
        if path.is_dir() {
            leftovers(&path, out);
        }
    }
}

/// Runs one point; returns what went wrong, if anything.
fn crash_and_recover(point: &str, expected: &State) -> Result<(), String> {
    let fixture = nights();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let warehouse = copy_base(dir.path());
    add_old_snapshot(&warehouse);
    let args = run_args();

    let crashed =
        nights::rebuild_with(&warehouse, &fixture.night2, &fixture.key, &args, &[("SKILLHOUSE_FAULT_POINT", point)]);
    if crashed.status.signal() != Some(6) {
        return Err(format!(
            "the rebuild did not abort at the point (status {:?}): {}",
            crashed.status,
            stderr(&crashed)
        ));
    }

    // The published snapshot is intact and answers SQL.
    let published = current(&warehouse).ok_or("nothing is published after the crash")?;
    let name = point.split(':').next().unwrap_or(point);
    if AFTER_PUBLISH.contains(&name) {
        if published == fixture.base_snapshot {
            return Err("the crash came after publishing, yet CURRENT names the old snapshot".into());
        }
    } else if published != fixture.base_snapshot {
        return Err(format!("CURRENT moved to {published} before the publish step"));
    }
    let verified = skillhouse_query::verify_snapshot(&warehouse, &published).map_err(|e| format!("verify: {e}"))?;
    if !verified.is_intact() {
        return Err(format!("the published snapshot is damaged: {:?}", verified.problems));
    }
    let manifest = skillhouse_query::read_manifest(&warehouse.join("snapshots").join(&published))
        .map_err(|e| format!("manifest: {e}"))?;
    let served = state(&warehouse)?;
    let expected_counts = manifest.row_counts.get("certificates").copied().unwrap_or_default();
    if !served.counts.lines().nth(1).is_some_and(|row| row.starts_with(&format!("{expected_counts},"))) {
        return Err(format!("the served snapshot counts {} but its manifest {expected_counts}", served.counts));
    }

    // The next rebuild succeeds, and the warehouse is the one an uninterrupted night gives.
    let recovered = nights::rebuild(&warehouse, &fixture.night2, &fixture.key, &args);
    if !matches!(recovered.status.code(), Some(0 | 3)) {
        return Err(format!("the next rebuild failed ({:?}): {}", recovered.status, stderr(&recovered)));
    }
    let recovered_state = state(&warehouse)?;
    if recovered_state.ledger != expected.ledger {
        return Err(format!("ledger differs:\n{}\nexpected:\n{}", recovered_state.ledger, expected.ledger));
    }
    if recovered_state.counts != expected.counts {
        return Err(format!("counts differ: {} expected {}", recovered_state.counts, expected.counts));
    }
    if recovered_state.training != expected.training {
        return Err(format!("training files differ: {:?} expected {:?}", recovered_state.training, expected.training));
    }
    if recovered_state.indicators != expected.indicators {
        return Err("indicator values differ from an uninterrupted night".into());
    }
    let mut left = Vec::new();
    leftovers(&warehouse, &mut left);
    if !left.is_empty() {
        return Err(format!("leftovers after recovery: {left:?}"));
    }
    let snapshots = skillhouse_query::list_snapshots(&warehouse).map_err(|e| e.to_string())?;
    if snapshots.iter().any(|s| s.state == skillhouse_query::SnapshotState::Incomplete) {
        return Err("an incomplete snapshot remains after recovery".into());
    }
    Ok(())
}

#[test]
fn a_rebuild_killed_at_any_point_leaves_the_published_snapshot_serving_and_the_next_one_completes() {
    let fixture = nights();
    // The uninterrupted night.
    let reference_dir = tempfile::tempdir().expect("tempdir");
    let reference = copy_base(reference_dir.path());
    add_old_snapshot(&reference);
    let output = nights::rebuild(&reference, &fixture.night2, &fixture.key, &run_args());
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let expected = state(&reference).expect("reference state");
    assert!(expected.ledger.contains(&format!("{},", fixture.corrected)), "night 2 corrects a file");
    assert!(expected.ledger.contains(",superseded,"), "the correction superseded the original:\n{}", expected.ledger);
    let night = nights::report(&output);
    assert_eq!(night["training"]["files_loaded"], 3, "night 2's training files: {}", night["training"]);
    assert_eq!(night["training"]["files_superseded"], 1, "a training correction: {}", night["training"]);
    assert!(expected.training.iter().any(|(f, _)| f.starts_with("training_rejects/")), "{:?}", expected.training);
    assert!(expected.ledger.contains("training/N9001/2024-03.csv"), "training files are in the ledger");

    // `CRASH_POINTS=a,b` runs only those points (when debugging one).
    let only: Option<Vec<String>> =
        std::env::var("CRASH_POINTS").ok().map(|v| v.split(',').map(|p| p.trim().to_string()).collect());
    let points: Vec<&str> =
        POINTS.iter().copied().filter(|p| only.as_ref().is_none_or(|o| o.iter().any(|x| x == p))).collect();
    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().expect("queue");
                        *next += 1;
                        *next - 1
                    };
                    let Some(point) = points.get(index) else { break };
                    if let Err(problem) = crash_and_recover(point, &expected) {
                        failures.lock().expect("failures").push(format!("{point}: {problem}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures");
    assert!(
        failures.is_empty(),
        "{} of {} crash points failed:\n{}",
        failures.len(),
        points.len(),
        failures.join("\n\n")
    );
}
