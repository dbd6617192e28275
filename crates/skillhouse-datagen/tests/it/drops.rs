//! Drops generated end to end and checked against their manifests.

use crate::landing;
use skillhouse_datagen::{Config, DatagenError, Manifest, config_of, generate};
use skillhouse_model::{Level, RejectReason, TrainingRejectReason};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                out.insert(path.strip_prefix(root).expect("relative").to_path_buf(), bytes);
            }
        }
    }
    out
}

pub(crate) fn assert_same_tree(a: &Path, b: &Path) {
    // A README next to the committed sample explains it; it is not part of the drop.
    let readme = |mut t: BTreeMap<PathBuf, Vec<u8>>| {
        t.remove(Path::new("README.md"));
        t
    };
    let (ta, tb) = (readme(tree(a)), readme(tree(b)));
    let names_a: Vec<&PathBuf> = ta.keys().collect();
    let names_b: Vec<&PathBuf> = tb.keys().collect();
    assert_eq!(names_a, names_b, "same file names");
    for (name, bytes) in &ta {
        assert!(bytes == &tb[name], "{} differs", name.display());
    }
}

fn small(persons: u64, seed: u64, defect_rate: f64) -> Config {
    Config { persons, seed, defect_rate, ..Config::default() }
}

#[test]
fn same_seed_and_arguments_give_byte_identical_drops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small(1_500, 11, 0.05);
    let first = generate(&config, &dir.path().join("a")).expect("first");
    let second = generate(&config, &dir.path().join("b")).expect("second");
    assert_eq!(first, second);
    assert_same_tree(&dir.path().join("a"), &dir.path().join("b"));
    let other = generate(&small(1_500, 12, 0.05), &dir.path().join("c")).expect("other seed");
    assert_ne!(first.files, other.files, "another seed gives another drop");
}

#[test]
fn manifest_matches_every_file_row_by_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("landing");
    let manifest = generate(&small(3_000, 5, 0.05), &out).expect("generate");
    let outcome = landing::check(&out, &manifest);
    for entry in manifest.files.iter().filter(|f| f.facts.readable) {
        let found = &outcome.files[&entry.path];
        assert_eq!(found.rows, entry.facts.rows, "{}: rows", entry.path);
        assert_eq!(found.accepted, entry.facts.valid_rows, "{}: valid rows", entry.path);
        assert_eq!(found.rejects, entry.facts.defects, "{}: rejects by reason", entry.path);
        assert_eq!(found.duplicate_claims, entry.duplicate_claims, "{}: duplicate claims", entry.path);
    }
    for reason in RejectReason::ALL {
        assert!(manifest.totals.defects.get(reason.code()).is_some_and(|n| *n > 0), "no {} rows", reason.code());
    }
    assert!(manifest.totals.duplicate_claims > 0);
    let sum: u64 = manifest.files.iter().map(|f| f.facts.rows).sum();
    assert_eq!(manifest.totals.rows, sum);
    assert_eq!(manifest.totals.rows, manifest.totals.valid_rows + manifest.totals.defect_rows);
    assert_eq!(outcome.accepted as u64, manifest.totals.valid_rows);
}

#[test]
fn unreadable_files_really_cannot_be_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("landing");
    let manifest = generate(&small(800, 3, 0.02), &out).expect("generate");
    let unreadable: Vec<_> = manifest.files.iter().filter(|f| !f.facts.readable).collect();
    assert_eq!(unreadable.len(), 5);
    for entry in unreadable {
        assert_eq!(entry.facts.rows, 0);
        let bytes = std::fs::read(out.join(&entry.path)).expect("read");
        let why = entry.facts.why.as_deref().expect("why");
        match entry.facts.format.as_str() {
            "xlsx" => {
                let opened: Result<calamine::Xlsx<_>, _> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes));
                assert!(opened.is_err(), "{} opened", entry.path);
            }
            _ if why.starts_with("empty") => assert!(bytes.is_empty()),
            _ if why.starts_with("undecodable") => {
                assert!(std::str::from_utf8(&bytes).is_err());
                assert!(encoding_rs::GB18030.decode_without_bom_handling(&bytes).1, "GB18030 decodes it");
            }
            _ => {
                let text = String::from_utf8(bytes).expect("utf-8");
                let header = text.lines().next().expect("header");
                let known = ["身份证号", "证书编号", "证书类型", "发证日期", "id_number", "cert_no"];
                assert!(header.split(',').all(|h| !known.contains(&h)), "{header}");
            }
        }
    }
}

#[test]
fn new_certificates_at_l3_or_above_are_38_to_50_percent_every_year() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("landing");
    let manifest = generate(&small(12_000, 21, 0.02), &out).expect("generate");
    let outcome = landing::check(&out, &manifest);
    let mut by_year: BTreeMap<i32, (u64, u64)> = BTreeMap::new();
    for (year, level) in &outcome.counted_levels {
        let e = by_year.entry(*year).or_default();
        e.0 += u64::from(*level >= Level::L3);
        e.1 += 1;
    }
    assert_eq!(by_year.len(), 5);
    for (year, (high, all)) in by_year {
        let share = high as f64 / all as f64;
        assert!((0.38..=0.50).contains(&share), "{year}: {share:.3} of {all}");
    }
    let stock: Vec<f64> = manifest.calibration.iter().map(|c| c.high_skill_share).collect();
    assert!(stock[4] > stock[0] + 0.015, "stock share rises: {stock:?}");
    assert!((0.30..=0.40).contains(&stock[4]), "stock share ends near 35%: {stock:?}");
    let tagged = outcome.tagged as f64 / outcome.accepted as f64;
    assert!((0.5..=0.7).contains(&tagged), "programme tags on ~60% of rows: {tagged:.3}");
    for c in &manifest.calibration {
        assert!((0.08..=0.12).contains(&c.competence_and_training_share), "{c:?}");
    }
}

#[test]
fn zero_defect_rate_gives_a_clean_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("landing");
    let manifest = generate(&small(1_000, 9, 0.0), &out).expect("generate");
    assert_eq!(manifest.totals.defect_rows, 0);
    assert_eq!(manifest.totals.unreadable_files, 0);
    assert!(manifest.unregistered_agencies.is_empty());
    let outcome = landing::check(&out, &manifest);
    assert_eq!(outcome.accepted as u64, manifest.totals.rows);
}

#[test]
fn an_earlier_as_of_date_bounds_the_valid_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("landing");
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
    let config = Config { as_of: Some(as_of), ..small(1_500, 4, 0.05) };
    let manifest = generate(&config, &out).expect("generate");
    assert_eq!(manifest.as_of, "2025-06-30");
    let outcome = landing::check(&out, &manifest);
    assert_eq!(outcome.accepted as u64, manifest.totals.valid_rows);
    assert!(manifest.files.iter().all(|f| f.period.as_str() <= "2025-06"
        || f.facts.rows == 0
        || !f.facts.readable
        || f.facts.defects.contains_key("issue_date_future")));
}

#[test]
fn refuses_a_non_empty_output_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("keep.txt"), "x").expect("write");
    match generate(&small(100, 1, 0.0), dir.path()) {
        Err(DatagenError::OutputNotEmpty { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected OutputNotEmpty, got {other:?}"),
    }
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/sample")
}

#[test]
fn committed_sample_is_what_the_generator_produces() {
    let sample = sample_dir();
    let text = std::fs::read_to_string(sample.join("manifest.json")).expect(
        "datasets/sample/manifest.json (regenerate: skillhouse datagen --out datasets/sample --persons 2000 \
         --seed 2025 --defect-rate 0.03 --training 1.2)",
    );
    let manifest: Manifest = serde_json::from_str(&text).expect("manifest");
    let config = config_of(&manifest).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    generate(&config, &dir.path().join("sample")).expect("generate");
    assert_same_tree(&sample, &dir.path().join("sample"));
}

#[test]
fn committed_sample_holds_every_format_and_quirk() {
    let text = std::fs::read_to_string(sample_dir().join("manifest.json")).expect("sample manifest");
    let manifest: Manifest = serde_json::from_str(&text).expect("manifest");
    let readable: Vec<_> = manifest.files.iter().filter(|f| f.facts.readable).collect();
    for encoding in ["utf-8", "utf-8-bom", "gbk", "binary"] {
        assert!(readable.iter().any(|f| f.facts.encoding == encoding), "{encoding}");
    }
    assert!(readable.iter().any(|f| f.facts.format == "jsonl"));
    assert!(
        readable.iter().any(|f| f.facts.has_title_row)
            && readable.iter().any(|f| f.facts.format == "xlsx" && !f.facts.has_title_row)
    );
    assert!(readable.iter().any(|f| f.facts.has_notes_rows));
    assert!(readable.iter().any(|f| f.date_style.contains("date_cells")));
    assert!(readable.iter().any(|f| f.date_style == "serial_numbers"));
    for quirk in ["legacy_id", "lower_x", "full_width", "stray_space"] {
        assert!(readable.iter().any(|f| f.quirks.contains_key(quirk)), "{quirk}");
    }
    for reason in RejectReason::ALL {
        assert!(manifest.totals.defects.contains_key(reason.code()), "{}", reason.code());
    }
    assert!((8..=12).contains(&manifest.registry.rows), "about ten agencies");
    assert!((2_000..=6_000).contains(&manifest.totals.rows), "a few thousand rows");
    // The sample includes training (issue 22): every §16 reason, a few thousand rows at most, and certificate
    // holders among the trainees so that 持证率 is not empty.
    let training = manifest.training.as_ref().expect("the sample includes a training drop (datagen --training)");
    for reason in TrainingRejectReason::ALL {
        assert!(training.totals.defects.contains_key(reason.code()), "training {}", reason.code());
    }
    assert!((300..=5_000).contains(&training.totals.rows), "a few hundred to a few thousand training rows");
    assert!(training.totals.unreadable_files > 0 && training.totals.trainees_with_certificates > 0);
}
