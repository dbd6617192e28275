//! End-to-end tests of the real `skillhouse` binary: arguments, environment variables, exit codes; the nightly job
//! (lock, release gate, snapshots) and the crash test.

mod carry;
mod clients;
mod crash;
#[cfg(feature = "distributed")]
mod distributed;
mod hostile;
mod hostile_queries;
mod nightly;
mod nights;

mod pgwire;
mod privacy;
mod receipts;
mod reported;
mod sql;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn skillhouse(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skillhouse"));
    command.args(args);
    // A developer's own settings must not leak into the tests.
    for (name, _) in std::env::vars() {
        if name.starts_with("SKILLHOUSE_") || name.starts_with("DATAFUSION_") {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the skillhouse binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const SUBCOMMANDS: [&str; 8] = ["demo", "datagen", "ingest", "rebuild", "sql", "serve", "snapshots", "receipts"];

#[test]
fn every_subcommand_has_help() {
    let top = run(&mut skillhouse(&["--help"]));
    assert!(top.status.success());
    let text = String::from_utf8_lossy(&top.stdout);
    for sub in SUBCOMMANDS {
        assert!(text.contains(sub), "top-level help lists {sub}");
        let help = run(&mut skillhouse(&[sub, "--help"]));
        assert!(help.status.success(), "{sub} --help: {}", stderr(&help));
        assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: skillhouse"), "{sub} --help shows usage");
    }
}

#[test]
fn flags_read_skillhouse_environment_variables() {
    // Without --warehouse, clap refuses with its usage exit code 2 ...
    let missing = run(&mut skillhouse(&["snapshots", "list"]));
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("--warehouse"));
    // ... and SKILLHOUSE_WAREHOUSE supplies it, so argument parsing succeeds.
    let dir = tempfile::tempdir().expect("tempdir");
    let from_env = run(skillhouse(&["snapshots", "list"]).env("SKILLHOUSE_WAREHOUSE", dir.path()));
    assert_ne!(from_env.status.code(), Some(2), "{}", stderr(&from_env));
}

#[test]
fn ingesting_commands_refuse_without_a_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path().join("wh");
    let landing = dir.path().join("landing");
    std::fs::create_dir_all(&landing).expect("landing");
    let warehouse_arg = warehouse.to_str().expect("utf-8 path");
    let landing_arg = landing.to_str().expect("utf-8 path");
    for args in [
        vec!["ingest", "--warehouse", warehouse_arg, landing_arg],
        vec!["rebuild", "--warehouse", warehouse_arg, "--landing", landing_arg],
    ] {
        let output = run(&mut skillhouse(&args));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("SKILLHOUSE_KEY_FILE"),
            "{args:?} names the key variable: {}",
            stderr(&output)
        );
        assert!(!warehouse.join("certificates").exists(), "{args:?} wrote nothing");
    }
}

#[test]
fn a_bad_date_is_a_usage_error() {
    let output = run(&mut skillhouse(&["rebuild", "--warehouse", "w", "--landing", "l", "--as-of", "2025-13-01"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--as-of"));
}

/// The repository's bundled sample drop and its manifest.
fn sample() -> (std::path::PathBuf, serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/sample");
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("sample manifest");
    (dir, serde_json::from_str(&text).expect("manifest is JSON"))
}

/// `skillhouse rebuild --json` with the key from the environment.
fn rebuild_json(warehouse: &std::path::Path, landing: &std::path::Path, as_of: &str, key: &std::path::Path) -> Output {
    let (warehouse, landing) = (warehouse.to_str().expect("utf-8"), landing.to_str().expect("utf-8"));
    run(skillhouse(&["rebuild", "--warehouse", warehouse, "--landing", landing, "--as-of", as_of, "--json"])
        .env("SKILLHOUSE_KEY_FILE", key))
}

/// The bundled sample rebuilt once per test run (as of its manifest date) into the test target's temporary folder,
/// for the tests that only read it (SQL shell, Postgres wire).
fn sample_warehouse() -> &'static Path {
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| {
        let (landing, manifest) = sample();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample-warehouse");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("sample warehouse folder");
        let key = dir.join("key.hex");
        std::fs::write(&key, "cd".repeat(32)).expect("key");
        let warehouse = dir.join("wh");
        let output = rebuild_json(&warehouse, &landing, manifest["as_of"].as_str().expect("as_of"), &key);
        assert_eq!(output.status.code(), Some(3), "sample rebuild: {}", stderr(&output));
        warehouse
    })
}

#[test]
fn rebuild_the_sample_then_query_it() {
    let (landing, manifest) = sample();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "ab".repeat(32)).expect("key");
    let warehouse = dir.path().join("wh");
    let as_of = manifest["as_of"].as_str().expect("as_of");
    let output = rebuild_json(&warehouse, &landing, as_of, &key);
    // The sample carries defects on purpose: exit 3 means "published, some rows or files rejected".
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
    let totals = &manifest["totals"];
    assert_eq!(report["rows_read"], totals["rows"], "every row of the sample was read");
    assert_eq!(report["rows_accepted"], totals["valid_rows"]);
    assert_eq!(report["rows_rejected"], totals["defect_rows"]);
    assert_eq!(report["files_unreadable"], totals["unreadable_files"]);
    assert_eq!(report["rejects_by_reason"], totals["defects"], "rejects per reason equal the injected defects");
    assert_eq!(report["duplicate_claims"], totals["duplicate_claims"]);
    assert_eq!(report["published"], true);
    // The snapshot's summary counts the rejects from the ledger's per-file counts, input by input (issue 22): the
    // certificate defects at the top level, the training defects under `training` — never added together, since
    // reason codes such as `id_checksum` belong to both.
    let snapshot = warehouse.join("snapshots").join(report["snapshot_id"].as_str().expect("snapshot id"));
    let published: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    let defects: BTreeMap<String, u64> = serde_json::from_value(totals["defects"].clone()).expect("defects");
    let training: BTreeMap<String, u64> =
        serde_json::from_value(manifest["training"]["totals"]["defects"].clone()).expect("training defects");
    assert!(!training.is_empty(), "the sample's training carries defects");
    let summary = |value: &serde_json::Value| -> BTreeMap<String, u64> {
        serde_json::from_value(value["rejects_by_reason"].clone()).expect("summary")
    };
    assert_eq!(summary(&published["summary"]), defects, "the snapshot's certificate reject summary");
    assert_eq!(summary(&published["summary"]["training"]), training, "the snapshot's training reject summary");

    // The published snapshot answers SQL from outside: one high_skill_share row per reporting unit and year.
    let regions = "SELECT COUNT(DISTINCT region_code) AS regions FROM indicator_values \
        WHERE indicator_id = 'high_skill_share'";
    assert_eq!(sql_csv(&warehouse, regions).trim(), "regions\n20", "19 reporting units and the province");

    // A second rebuild of the same drops reads nothing again.
    let again = rebuild_json(&warehouse, &landing, as_of, &key);
    let second: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(second["files_loaded"], 0, "{}", stderr(&again));
    assert_eq!(second["rows_read"], 0);
    let written = [report["files_loaded"].as_u64(), report["files_unreadable"].as_u64()];
    assert_eq!(second["files_skipped"].as_u64(), written.iter().copied().sum::<Option<u64>>());
}

#[test]
fn demo_prints_the_scoreboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(&mut skillhouse(&["demo", "--no-serve", "--dir", dir.path().to_str().expect("utf-8")]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for label in [
        "高技能人才占比 High-skill share",
        "新增青年技师",
        "十个专项",
        "先进制造业",
        "Regions furthest behind",
        "then open http://",
    ] {
        assert!(text.contains(label), "scoreboard shows {label}:\n{text}");
    }
    assert!(dir.path().join("demo-key.hex").is_file(), "the demo keeps its key beside the warehouse");
    assert!(!dir.path().join("warehouse/demo-key.hex").exists());

    // The demo includes training (issue 22): its snapshot serves the province's training 人次 of every year of the
    // sample as the generator's manifest counts them (completed rows of classes ending in the year).
    let (_, manifest) = sample();
    let calibration = manifest["training"]["calibration"].as_array().expect("the sample's training calibration");
    let want: String = calibration.iter().map(|y| format!("{},{}\n", y["year"], y["completed"])).collect();
    assert!(calibration.len() >= 5 && calibration.iter().all(|y| y["completed"].as_u64() > Some(0)), "{want}");
    let statement = "SELECT year, CAST(value AS BIGINT) AS persons FROM indicator_values \
        WHERE indicator_id = 'training_persons' AND region_code = '410000' AND programme IS NULL \
        AND agency_type IS NULL ORDER BY year";
    let answer = sql_csv(&dir.path().join("warehouse"), statement);
    assert_eq!(answer, format!("year,persons\n{want}"), "training 人次 per year");
}

/// `skillhouse sql --format csv -c STATEMENT` on a warehouse, which must succeed: its standard output.
fn sql_csv(warehouse: &Path, statement: &str) -> String {
    let warehouse = warehouse.to_str().expect("utf-8");
    let sql = run(&mut skillhouse(&["sql", "--warehouse", warehouse, "--format", "csv", "-c", statement]));
    assert!(sql.status.success(), "{}", stderr(&sql));
    String::from_utf8_lossy(&sql.stdout).into_owned()
}

/// `skillhouse ingest` and `skillhouse rebuild` report the training files (DESIGN §16) beside the certificate files:
/// night 2's four training files, read in path order (N9001's months, then N9002's), from nothing.
#[test]
fn ingest_and_rebuild_report_training_files_and_rejects() {
    let fixture = nights::nights();
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path().join("wh");
    let output = run(skillhouse(&[
        "ingest",
        "--warehouse",
        nights::utf8(&warehouse),
        "--as-of",
        nights::AS_OF,
        nights::utf8(&fixture.night2),
    ])
    .env("SKILLHOUSE_KEY_FILE", &fixture.key));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    // N9001/2025-03 uses voucher TV3 first, so N9002/2024-05's TV3 is reused; its other row has no valid end date.
    for line in [
        "training: 4 files loaded, 0 skipped (already loaded), 0 superseded, 0 unreadable",
        "training rows (人次): 7 read, 5 accepted, 2 rejected",
    ] {
        assert!(text.contains(line), "ingest prints {line:?}:\n{text}");
    }
    let reasons: Vec<&str> =
        text.lines().skip_while(|l| !l.starts_with("training rejects by reason")).skip(1).take(2).collect();
    assert_eq!(
        reasons.iter().map(|l| l.split_whitespace().collect::<Vec<_>>()).collect::<Vec<_>>(),
        [["date_invalid", "1"], ["voucher_reused", "1"]]
    );

    let again = nights::rebuild(&warehouse, &fixture.night2, &fixture.key, &[]);
    let report = nights::report(&again);
    assert_eq!(report["training"]["files_skipped"], 4, "{}", report["training"]);
    assert_eq!(report["training"]["rows_read"], 0);
    let text = run(skillhouse(&[
        "rebuild",
        "--warehouse",
        nights::utf8(&warehouse),
        "--landing",
        nights::utf8(&fixture.night2),
        "--as-of",
        nights::AS_OF,
    ])
    .env("SKILLHOUSE_KEY_FILE", &fixture.key));
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("training files: 0 loaded, 4 already loaded (skipped), 0 superseded, 0 unreadable"),
        "{shown}\n{}",
        stderr(&text)
    );
    assert!(shown.contains("training rows (人次): 0 read = 0 accepted + 0 rejected"), "{shown}");
}
