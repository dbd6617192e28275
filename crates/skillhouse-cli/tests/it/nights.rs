//! Two nights of drops for the nightly-job tests, generated once per test run with the real `skillhouse datagen`
//! (60 persons, 4 agencies plus an unregistered one, 2024–2025: 62 files), and the warehouse after the first night.
//!
//! Night 1 holds the files of periods before 2025-07. Night 2 holds every file, and one of night 1's CSV files comes
//! back corrected (its last line removed): it supersedes the original, so night 2 exercises new files, skipped
//! files and a correction.

use crate::{run, skillhouse, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

/// As-of date of every run (datagen's default: the end of the last year).
pub const AS_OF: &str = "2025-12-31";

/// Gate thresholds that let night 2's growth through (the gate itself is tested on its own).
pub const LENIENT_GATE: [&str; 4] = ["--max-row-growth-pct", "1000", "--max-indicator-change-pct", "1000"];

/// The generated fixture.
pub struct Nights {
    /// The key file.
    pub key: PathBuf,
    /// Landing folder of night 2.
    pub night2: PathBuf,
    /// The warehouse after night 1's rebuild (copy it before use).
    pub base: PathBuf,
    /// The snapshot night 1 published.
    pub base_snapshot: String,
    /// Landing-relative path of the corrected file.
    pub corrected: String,
}

/// The fixture, generated on first use.
pub fn nights() -> &'static Nights {
    static NIGHTS: OnceLock<Nights> = OnceLock::new();
    NIGHTS.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nightly-fixture");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("fixture folder");
        let key = root.join("key.hex");
        std::fs::write(&key, "cd".repeat(32)).expect("key");
        let generated = root.join("generated");
        let output = run(&mut skillhouse(&[
            "datagen",
            "--out",
            utf8(&generated),
            "--persons",
            "60",
            "--agencies",
            "4",
            "--years",
            "2024-2025",
            "--seed",
            "7",
        ]));
        assert!(output.status.success(), "datagen: {}", stderr(&output));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(generated.join("manifest.json")).expect("manifest")).expect("json");
        let files: Vec<&serde_json::Value> = manifest["files"].as_array().expect("files").iter().collect();
        let night1 = root.join("night1");
        let night2 = root.join("night2");
        for (landing, before) in [(&night1, Some("2025-07")), (&night2, None)] {
            std::fs::create_dir_all(landing).expect("landing");
            std::fs::copy(generated.join("agencies.csv"), landing.join("agencies.csv")).expect("registry");
            for file in &files {
                let period = file["period"].as_str().expect("period");
                if before.is_some_and(|b| period >= b) {
                    continue;
                }
                let path = file["path"].as_str().expect("path");
                let target = landing.join(path);
                std::fs::create_dir_all(target.parent().expect("agency folder")).expect("agency folder");
                std::fs::copy(generated.join(path), &target).expect("copy drop");
            }
        }
        // The correction: a readable night-1 CSV file of at least two rows, resubmitted without its last line.
        let corrected = files
            .iter()
            .find(|f| {
                f["readable"] == true
                    && f["format"] == "csv"
                    && f["rows"].as_u64().unwrap_or_default() >= 2
                    && f["period"].as_str().is_some_and(|p| p < "2025-07")
            })
            .and_then(|f| f["path"].as_str())
            .expect("a correctable CSV file")
            .to_string();
        let bytes = std::fs::read(night2.join(&corrected)).expect("read");
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let cut = body.iter().rposition(|b| *b == b'\n').expect("several lines");
        std::fs::write(night2.join(&corrected), &body[..=cut]).expect("write correction");

        let base = root.join("base");
        let first = rebuild(&base, &night1, &key, &[]);
        assert_eq!(first.status.code(), Some(3), "night 1: {}", stderr(&first));
        let base_snapshot = current(&base).expect("night 1 published");
        Nights { key, night2, base, base_snapshot, corrected }
    })
}

/// A path as an argument.
pub fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `skillhouse rebuild --json` of `landing` into `warehouse` as of [`AS_OF`], with extra arguments.
pub fn rebuild(warehouse: &Path, landing: &Path, key: &Path, extra: &[&str]) -> Output {
    rebuild_with(warehouse, landing, key, extra, &[])
}

/// [`rebuild`] with environment variables (`SKILLHOUSE_FAULT_POINT`).
pub fn rebuild_with(warehouse: &Path, landing: &Path, key: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args =
        vec!["rebuild", "--warehouse", utf8(warehouse), "--landing", utf8(landing), "--as-of", AS_OF, "--json"];
    args.extend_from_slice(extra);
    let mut command = skillhouse(&args);
    command.env("SKILLHOUSE_KEY_FILE", key);
    for (name, value) in env {
        command.env(name, value);
    }
    run(&mut command)
}

/// A fresh copy of the warehouse after night 1 (hard links between snapshots and warehouse preserved).
pub fn copy_base(to: &Path) -> PathBuf {
    let target = to.join("warehouse");
    let status =
        std::process::Command::new("cp").args(["-a", utf8(&nights().base), utf8(&target)]).status().expect("cp runs");
    assert!(status.success(), "copying the base warehouse");
    target
}

/// The published snapshot id.
pub fn current(warehouse: &Path) -> Option<String> {
    skillhouse_query::current_snapshot_id(warehouse).expect("CURRENT readable")
}

/// The JSON report of a rebuild.
pub fn report(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("--json prints JSON ({e}): {}\n{}", String::from_utf8_lossy(&output.stdout), stderr(output))
    })
}
