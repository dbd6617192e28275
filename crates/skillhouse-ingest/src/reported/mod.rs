//! Reported figures (DESIGN §17): `landing/reported/<name>.csv|.xlsx` → `reported/reported.parquet` (the figures in
//! force, one per key) and `reported_rejects/` (docs/warehouse.md), recorded in the ledger (`input` = `reported`).
//!
//! They are read after the batch's certificate and training files, whose years they are checked against. Each file
//! is read once (its bytes, as every input's, are skipped when loaded before), its rows validated in
//! [`ReportedRejectReason`]'s order, and each accepted row replaces the figure of its key — files in name order
//! within a batch, later batches over earlier ones — so the latest report of a key is in force and says who
//! reported it and when. Rows are conserved: read = accepted + rejected, each reject with its reason in
//! `reported_rejects/<name>____<hash12>.parquet`. The data files are written before the ledger naming them, so a
//! crash leaves the files unrecorded and the next ingest reads them again (replacing the same keys with the same
//! figures).

mod read;
mod store;
mod validate;

use crate::batch::IngestOptions;
use crate::error::{IngestError, Result};
use crate::field::Input;
use crate::landing::{FileJob, IgnoredEntry, is_reported_folder};
use crate::ledger::{Ledger, LedgerStatus};
use crate::pending::{empty_report, ledger_entry, unreadable};
use crate::read::{Format, ReadError};
use crate::report::{BatchReport, FileOutcome};
use crate::seen::SeenFiles;
use crate::warehouse::{Layout, Lineage, RejectRecord, SliceName, rejects_frame, sync_file_and_folder, write_parquet};
use chrono::Datelike;
use sha2::{Digest, Sha256};
use skillhouse_model::ReportedRejectReason;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{StoredFigure, read_figures, write_figures};
use validate::{ReportedReference, validate_file};

const HIDDEN: &str = "隐藏文件或Office临时文件，未读取 / hidden file or Office lock file, not read";
const NOT_A_TABLE: &str =
    "reported目录中只读取 .csv 和 .xlsx 文件 / only .csv and .xlsx files are read in the reported folder";
const NOT_A_FILE: &str =
    "reported目录中的子目录和链接未读取 / sub-folders and links in the reported folder are not read";

/// The reported-figures files among the batch's paths, in name order, and the entries of `reported/` not read.
fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<IgnoredEntry>) {
    let mut folders = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            if path.parent().is_some_and(is_reported_folder) {
                files.push(path.clone());
            }
        } else if is_reported_folder(path) {
            folders.push(path.clone());
        } else if path.join("reported").is_dir() {
            folders.push(path.join("reported"));
        }
    }
    let mut ignored = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let shown = format!("reported/{name}");
            let regular = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.file_type().is_file());
            let extension = entry.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            if name.starts_with('.') || name.starts_with("~$") {
                ignored.push(IgnoredEntry { path: shown, reason: HIDDEN });
            } else if !regular {
                ignored.push(IgnoredEntry { path: shown, reason: NOT_A_FILE });
            } else if matches!(extension.as_deref(), Some("csv" | "xlsx")) {
                files.push(entry);
            } else {
                ignored.push(IgnoredEntry { path: shown, reason: NOT_A_TABLE });
            }
        }
    }
    files.sort();
    files.dedup();
    (files, ignored)
}

/// The warehouse's years: from its first certificate or training year (the partition folders) to the as-of year.
fn warehouse_years(layout: &Layout, as_of_year: i32) -> Result<(i32, i32)> {
    let mut first = as_of_year;
    for input in [Input::Certificates, Input::Training] {
        let dir = layout.rows_dir(input);
        if !dir.is_dir() {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| IngestError::io(&dir, e))?;
        for entry in entries.filter_map(std::result::Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let year = name.split_once('=').and_then(|(_, y)| y.parse::<i32>().ok());
            let has_files = std::fs::read_dir(entry.path()).is_ok_and(|mut files| files.next().is_some());
            if let Some(year) = year.filter(|_| has_files) {
                first = first.min(year);
            }
        }
    }
    Ok((first, as_of_year))
}

/// The ledger job of a reported file: `agency_id` holds its name (the file stem), `period` is empty.
fn job_of(path: &Path) -> FileJob {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let file_name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    FileJob {
        input: Input::Reported,
        path: path.to_path_buf(),
        agency_id: name,
        period: String::new(),
        source_file: format!("reported/{file_name}"),
        format: Format::from_extension(&extension),
        extension,
        withdrawal: false,
        name_problem: None,
        refused: None,
    }
}

/// Reads, validates and loads the reported-figures files among `options.paths`, adding their reports (and the
/// entries of `reported/` not read) to `report`.
pub(crate) fn ingest_reported(options: &IngestOptions, report: &mut BatchReport) -> Result<()> {
    let (files, ignored) = discover(&options.paths);
    for entry in &ignored {
        tracing::warn!(path = %entry.path, reason = entry.reason, "landing entry not read");
    }
    report.ignored.extend(ignored);
    if files.is_empty() {
        return Ok(());
    }
    let layout = Layout::new(&options.warehouse);
    let years = warehouse_years(&layout, options.as_of.year())?;
    let reference =
        ReportedReference::load(&options.reference_dir, &options.computed_indicators, years, options.as_of)?;
    let mut ledger = Ledger::load(&layout)?;
    let earlier = SeenFiles::from_ledger(&ledger);
    let mut figures = read_figures(&layout)?;
    let mut changed = false;
    let mut written: Vec<PathBuf> = Vec::new();
    let mut hashes_this_batch: HashSet<String> = HashSet::new();
    let batch_id = report.batch_id.clone();
    for path in files {
        let start = Instant::now();
        let job = job_of(&path);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(cause) => {
                let message = ReadError::Io { cause }.to_string();
                let elapsed = start.elapsed();
                report.files.push(unreadable(&mut ledger, &job, "", String::new(), message, &batch_id, elapsed));
                continue;
            }
        };
        let content_hash = hex::encode(Sha256::digest(&bytes));
        if earlier.contains(&content_hash, &job.source_file) || !hashes_this_batch.insert(content_hash.clone()) {
            report.files.push(empty_report(&job, &content_hash, FileOutcome::Skipped, start.elapsed()));
            continue;
        }
        let read = crate::prepare::guarded(|| {
            read::read_reported(&bytes, job.format.unwrap_or(Format::Csv), &options.xlsx_limits)
        });
        let table = match read {
            Ok(table) => table,
            Err(e) => {
                let elapsed = start.elapsed();
                let file =
                    unreadable(&mut ledger, &job, &content_hash, String::new(), e.to_string(), &batch_id, elapsed);
                report.files.push(file);
                continue;
            }
        };
        let (accepted, rejects) = validate_file(&table.rows, &reference);
        let mut file = empty_report(&job, &content_hash, FileOutcome::Loaded, start.elapsed());
        file.encoding = table.encoding;
        file.rows_read = table.rows.len() as u64;
        file.rows_accepted = accepted.len() as u64;
        file.rows_rejected = rejects.len() as u64;
        let mut by_reason: BTreeMap<ReportedRejectReason, u64> = BTreeMap::new();
        for reject in &rejects {
            *by_reason.entry(reject.reason).or_default() += 1;
        }
        file.reported_rejects_by_reason = by_reason;
        if file.rows_read != file.rows_accepted + file.rows_rejected {
            return Err(IngestError::Internal("row conservation broken: read ≠ accepted + rejected"));
        }
        if !rejects.is_empty() {
            let stem = SliceName::stem(&job.agency_id, &job.period, &content_hash);
            let target = layout.reported_rejects_dir().join(format!("{stem}.parquet"));
            let lineage = Lineage { source_file: &job.source_file, batch_id: &batch_id, content_hash: &content_hash };
            let coded: Vec<RejectRecord<&'static str>> = rejects.into_iter().map(RejectRecord::coded).collect();
            let mut frame =
                rejects_frame(&coded, &lineage, "", &job.period).map_err(|e| IngestError::parquet(&target, e))?;
            write_parquet(&target, &mut frame)?;
            written.push(target);
        }
        for (source_row, row) in accepted {
            let figure = StoredFigure {
                source_file: job.source_file.clone(),
                source_row,
                batch_id: batch_id.clone(),
                content_hash: content_hash.clone(),
                row,
            };
            figures.insert(figure.row.key(), figure);
            changed = true;
        }
        file.duration = start.elapsed();
        ledger.push(ledger_entry(&file, &batch_id, LedgerStatus::Loaded));
        report.files.push(file);
    }
    if changed {
        write_figures(&layout, &figures)?;
        written.push(layout.reported_path());
    }
    for path in &written {
        sync_file_and_folder(path)?;
    }
    skillhouse_model::fault::point("ingest.reported_written");
    ledger.save(&layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_reads_csv_and_xlsx_and_names_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reported = dir.path().join("reported");
        std::fs::create_dir_all(reported.join("old")).expect("folders");
        for name in ["b.xlsx", "a.csv", "notes.txt", ".~lock"] {
            std::fs::write(reported.join(name), b"x").expect("write");
        }
        let (files, ignored) = discover(&[dir.path().to_path_buf()]);
        let names: Vec<String> =
            files.iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.csv", "b.xlsx"]);
        let mut shown: Vec<&str> = ignored.iter().map(|e| e.path.as_str()).collect();
        shown.sort_unstable();
        assert_eq!(shown, ["reported/.~lock", "reported/notes.txt", "reported/old"]);
        assert_eq!(job_of(&files[0]).source_file, "reported/a.csv");
    }
}
