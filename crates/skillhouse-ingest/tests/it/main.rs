//! Integration tests of `skillhouse-ingest`: one binary, one module per concern.

mod fixtures;
mod formats;
mod hostile;
mod incremental;
mod interop;
mod privacy;
mod reported;
mod revocations;
mod sample;
mod training;
mod unreadable;

use polars::prelude::*;
use skillhouse_ingest::{BatchReport, FileReport, IngestOptions, NoProgress, ingest};
use std::path::{Path, PathBuf};

/// Runs a batch that must not fail as a whole.
pub fn run(options: &IngestOptions) -> BatchReport {
    ingest(options, &NoProgress).unwrap_or_else(|e| panic!("ingest failed: {e}"))
}

/// The report of one file, by landing-relative path.
pub fn file<'a>(report: &'a BatchReport, source_file: &str) -> &'a FileReport {
    report.files.iter().find(|f| f.source_file == source_file).unwrap_or_else(|| panic!("no report for {source_file}"))
}

/// Every Parquet file under a folder, sorted.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(parquet_files(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// All rows of every Parquet file under a folder, concatenated (same schema assumed).
pub fn read_all(dir: &Path) -> DataFrame {
    let mut frames =
        parquet_files(dir).into_iter().map(|p| skillhouse_ingest::read_parquet(&p, None).expect("parquet"));
    let mut all = frames.next().unwrap_or_default();
    for frame in frames {
        all.vstack_mut(&frame).expect("vstack");
    }
    all
}

/// A String column's values.
pub fn strings(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    frame.column(name).expect("column").str().expect("str").iter().map(|v| v.map(str::to_string)).collect()
}
