//! Two nights of drops for the nightly-job tests, generated once per test run with the real `skillhouse datagen`
//! (60 persons, 4 agencies plus an unregistered one, 2024–2025: 62 files), and the warehouse after the first night.
//!
//! Night 1 holds the files of periods before 2025-07. Night 2 holds every file, and one of night 1's CSV files comes
//! back corrected (its last line removed): it supersedes the original, so night 2 exercises new files, skipped
//! files and a correction.
//!
//! Both nights carry training files too (DESIGN §16, written here by [`write_training`]): night 1 two providers'
//! months, night 2 the same with one of them corrected, and two new months (one rejects a reused voucher).

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
        write_training(&night1, false);
        write_training(&night2, true);
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

/// Provider codes of the training files: unlike any the generator writes.
pub const TRAINING_PROVIDERS: [&str; 2] = ["N9001", "N9002"];

/// The training files of a night (`landing/training/`); see the module documentation.
fn write_training(landing: &Path, night2: bool) {
    let person = |seq: u16| {
        let birth =
            chrono::NaiveDate::from_ymd_opt(1990 + i32::from(seq % 10), 1 + u32::from(seq % 12), 10).expect("date");
        skillhouse_model::IdNumber::from_parts("410105", birth, seq).expect("synthetic id").expose().to_string()
    };
    let header = "身份证号,班级编号,培训类型,职业编码,是否补贴性培训,培训券编号,开班日期,结业日期,总课时,实操课时,满意度,培训结果";
    let csv = |rows: &[(u16, &str, &str, &str, &str)]| -> String {
        let mut text = format!("{header}\n");
        for (seq, class, voucher, end, result) in rows {
            text.push_str(&format!(
                "{},{class},就业技能培训,6-31-01-03,是,{voucher},2024-01-02,{end},80,50,90,{result}\n",
                person(*seq)
            ));
        }
        text
    };
    let training = landing.join("training");
    let files = [
        (
            "providers.csv",
            format!(
                "provider_id,name,provider_type,region_code\n{},虚构培训中心,企业,410100\n{},虚构技工学校,院校,410300\n",
                TRAINING_PROVIDERS[0], TRAINING_PROVIDERS[1]
            ),
        ),
        (
            "N9001/2024-03.csv",
            if night2 {
                csv(&[(801, "K1", "TV1", "2024-03-20", "合格"), (803, "K1", "", "2024-03-20", "未结业")])
            } else {
                csv(&[
                    (801, "K1", "TV1", "2024-03-20", "合格"),
                    (802, "K1", "TV2", "2024-03-20", "不合格"),
                    (802, "K1", "", "2024-03-20", "合格"),
                ])
            },
        ),
        ("N9002/2024-05.csv", csv(&[(804, "M1", "TV3", "2024-05-30", "合格"), (805, "M1", "", "2024-13-01", "合格")])),
    ];
    let later = [
        (
            "N9001/2025-03.csv",
            csv(&[(806, "K2", "TV2", "2025-03-28", "合格"), (807, "K2", "TV3", "2025-03-28", "合格")]),
        ),
        ("N9002/2025-08.csv", csv(&[(808, "M2", "", "2025-08-15", "合格")])),
    ];
    for (path, text) in files.iter().chain(later.iter().filter(|_| night2)) {
        let target = training.join(path);
        std::fs::create_dir_all(target.parent().expect("folder")).expect("training folder");
        std::fs::write(target, text).expect("training file");
    }
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
