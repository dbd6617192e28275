//! No raw ID number and no name anywhere in the warehouse (DESIGN §7).

use crate::fixtures::{self, all_raw_ids};
use crate::{parquet_files, run};
use polars::prelude::*;
use skillhouse_model::IdNumber;

const FICTIONAL_NAMES: [&str; 24] = [
    "虚构甲",
    "虚构乙",
    "虚构丙",
    "虚构丁",
    "虚构戊",
    "虚构己",
    "虚构庚",
    "虚构辛",
    "虚构壬",
    "虚构癸",
    "虚构子",
    "虚构丑",
    "虚构寅",
    "虚构卯",
    "虚构辰",
    "虚构巳",
    "虚构午",
    "虚构未",
    "虚构申",
    "虚构酉",
    "虚构戌",
    "虚构员",
    "虚构亥",
    "虚构",
];

/// Runs of 15 or 18 ID characters not inside a longer alphanumeric run that are valid ID numbers.
pub fn id_like(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            let digits = run.bytes().take(17).all(|b| b.is_ascii_digit());
            if (run.len() == 15 || run.len() == 18) && digits && IdNumber::parse(&run).is_ok() {
                out.push(run);
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_scanner_finds_ids() {
    let id = IdNumber::from_parts("410102", fixtures::date(1990, 3, 15), 101).expect("id");
    assert_eq!(id_like(&format!("{{\"id\":\"{}\"}}", id.expose())), vec![id.expose().to_string()]);
    assert!(id_like(&format!("Y{}", id.expose())).is_empty(), "inside a longer number");
    assert!(id_like(&id.masked()).is_empty());
}

#[test]
fn no_raw_id_or_name_in_any_parquet_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    run(&fixtures::options(&warehouse, vec![landing]));
    let raw_ids = all_raw_ids();
    let files = parquet_files(&warehouse);
    assert!(files.len() >= 8, "certificates, rejects, ledger, agencies, duplicate claims: {files:?}");
    let mut cells = 0usize;
    for path in files {
        let frame = skillhouse_ingest::read_parquet(&path, None).expect("parquet");
        for column in frame.columns() {
            let text = column.cast(&DataType::String).expect("as text");
            for value in text.str().expect("str").iter().flatten() {
                cells += 1;
                for id in &raw_ids {
                    assert!(!value.contains(id.as_str()), "{}: raw ID in column {}", path.display(), column.name());
                }
                assert!(id_like(value).is_empty(), "{}: ID-like value in column {}", path.display(), column.name());
                for name in &FICTIONAL_NAMES[..FICTIONAL_NAMES.len() - 1] {
                    assert!(!value.contains(name), "{}: name {name} in column {}", path.display(), column.name());
                }
            }
        }
    }
    assert!(cells > 500, "the scan looked at {cells} cells");
}
