//! `skillhouse ingest`: a thin edge over `skillhouse_ingest::ingest`, under the warehouse lock — a progress bar on a
//! terminal (a few plain progress lines otherwise, never one per file) and a summary at the end.

use crate::args::IngestArgs;
use crate::exit::Outcome;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use skillhouse_ingest::{BatchReport, FileOutcome, FileReport, IngestOptions, Input, NoProgress, Progress};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn run(args: IngestArgs) -> anyhow::Result<Outcome> {
    let key = super::load_key(&args.key)?;
    let reference_dir = super::reference_dir(args.reference)?;
    let as_of = args.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let Some(_lock) = super::lock_warehouse(&args.warehouse.warehouse, "ingest")? else { return Ok(Outcome::Locked) };
    let mut options = IngestOptions::new(&args.warehouse.warehouse, args.paths, key, as_of, reference_dir);
    // Reported figures for these are refused (DESIGN §17): the indicators the build computes.
    let catalog = skillhouse_query::SqlCatalog::bundled().context("reading the bundled indicator definitions")?;
    options.computed_indicators = catalog.indicators.iter().map(|i| i.id().to_string()).collect();
    let report = run_batch(&options, true)?;
    print_summary(&report, as_of);
    Ok(if report.is_partly_rejected() { Outcome::PartlyRejected } else { Outcome::Success })
}

/// Runs one ingestion batch, with a progress bar on a terminal (log lines otherwise) when `show_progress`;
/// shared by `ingest` and `rebuild`.
pub fn run_batch(options: &IngestOptions, show_progress: bool) -> anyhow::Result<BatchReport> {
    let context = || format!("ingesting into {}", options.warehouse.display());
    if !show_progress {
        return skillhouse_ingest::ingest(options, &NoProgress).with_context(context);
    }
    let progress = Reporter::new(std::io::stderr().is_terminal());
    let report = skillhouse_ingest::ingest(options, &progress).with_context(context);
    progress.finish();
    report
}

/// Progress bar on a terminal; otherwise a line at every tenth of the files, so a cron log stays short however many
/// files a night brings.
pub(crate) struct Reporter {
    bar: Option<ProgressBar>,
    rows: AtomicU64,
    rejects: AtomicU64,
    files: AtomicU64,
    total: AtomicU64,
}

impl Reporter {
    pub(crate) fn new(terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} files · {msg} · {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        let zero = || AtomicU64::new(0);
        Self { bar, rows: zero(), rejects: zero(), files: zero(), total: zero() }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter {
    fn started(&self, files: usize) {
        self.total.store(files as u64, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.set_length(files as u64),
            None => eprintln!("ingest: {files} files to consider"),
        }
    }

    fn file_done(&self, report: &FileReport) {
        let rows = self.rows.fetch_add(report.rows_read, Ordering::Relaxed) + report.rows_read;
        let rejects = self.rejects.fetch_add(report.rows_rejected, Ordering::Relaxed) + report.rows_rejected;
        let done = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed).max(1);
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!("{rows} rows, {rejects} rejected"));
                if let FileOutcome::Unreadable { message } = &report.outcome {
                    bar.println(format!("unreadable: {}: {message}", report.source_file));
                }
            }
            None => {
                // A line when the done share crosses a tenth; unreadable files are listed in the summary.
                if done * 10 / total != (done - 1) * 10 / total {
                    eprintln!("ingest: {done}/{total} files, {rows} rows read, {rejects} rejected");
                }
            }
        }
    }
}

fn print_summary(report: &BatchReport, as_of: chrono::NaiveDate) {
    println!(
        "batch {} (as of {as_of}): {} certificate files loaded, {} skipped (already loaded), {} superseded, {} \
         unreadable",
        report.batch_id,
        report.files_loaded(),
        report.files_skipped(),
        report.files_superseded(),
        report.files_unreadable(),
    );
    let seconds = report.duration.as_secs_f64().max(1e-9);
    println!(
        "rows: {} read, {} accepted, {} rejected in {seconds:.1}s ({:.0} rows/s); {} duplicate claims flagged",
        report.rows_read(),
        report.rows_accepted(),
        report.rows_rejected(),
        report.rows_read() as f64 / seconds,
        report.duplicate_claims,
    );
    let by_reason = report.rejects_by_reason();
    if !by_reason.is_empty() {
        println!("rejects by reason:");
        for (reason, count) in by_reason {
            println!("  {:<24} {count}", reason.code());
        }
    }
    let training = report.totals(Input::Training);
    if training.files_loaded + training.files_skipped + training.files_unreadable > 0 {
        println!(
            "training: {} files loaded, {} skipped (already loaded), {} superseded, {} unreadable",
            training.files_loaded, training.files_skipped, training.files_superseded, training.files_unreadable
        );
        println!(
            "training rows (人次): {} read, {} accepted, {} rejected",
            training.rows_read, training.rows_accepted, training.rows_rejected
        );
        if !training.rejects_by_reason.is_empty() {
            println!("training rejects by reason:");
            for (reason, count) in &training.rejects_by_reason {
                println!("  {reason:<24} {count}");
            }
        }
    }
    // The HR office's registers (DESIGN §18): one line each when one was read.
    for input in [Input::Revocations, Input::Renewals] {
        let register = report.totals(input);
        if register.files_loaded > 0 {
            let reasons: Vec<String> = register.rejects_by_reason.iter().map(|(r, n)| format!("{r} {n}")).collect();
            println!(
                "{} register: {} rows read, {} accepted, {} rejected{}",
                input.code(),
                register.rows_read,
                register.rows_accepted,
                register.rows_rejected,
                if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
            );
        }
    }
    for file in &report.files {
        if let FileOutcome::Unreadable { message } = &file.outcome {
            println!("unreadable {}: {message}", file.source_file);
        }
    }
    if !report.ignored.is_empty() {
        println!("{} entries of the landing folder not read (not submissions):", report.ignored.len());
        for entry in &report.ignored {
            println!("  ignored {}: {}", entry.path, entry.reason);
        }
    }
}
