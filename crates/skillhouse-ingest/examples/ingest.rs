//! The library's `ingest` without the CLI around it, for the benchmark (it builds without the query engine):
//! `cargo run --release -p skillhouse-ingest --example ingest -- WAREHOUSE KEY_FILE AS_OF REFERENCE PATH...`.
//! Prints the same `rows: N read, …` line as `skillhouse ingest`.

use skillhouse_ingest::{IngestOptions, Input, NoProgress, ingest};
use skillhouse_model::PseudonymKey;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [warehouse, key_file, as_of, reference, paths @ ..] = args.as_slice() else {
        return Err("usage: ingest WAREHOUSE KEY_FILE AS_OF REFERENCE PATH...".into());
    };
    let key = PseudonymKey::from_hex(&std::fs::read_to_string(key_file)?)?;
    let as_of = chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d")?;
    let paths = paths.iter().map(PathBuf::from).collect();
    let options = IngestOptions::new(warehouse, paths, key, as_of, reference);
    let report = ingest(&options, &NoProgress)?;
    let seconds = report.duration.as_secs_f64().max(1e-9);
    println!(
        "files: {} loaded, {} skipped, {} unreadable",
        report.files_loaded(),
        report.files_skipped(),
        report.files_unreadable()
    );
    println!(
        "rows: {} read, {} accepted, {} rejected in {seconds:.1}s ({:.0} rows/s); {} duplicate claims flagged",
        report.rows_read(),
        report.rows_accepted(),
        report.rows_rejected(),
        report.rows_read() as f64 / seconds,
        report.duplicate_claims
    );
    let training = report.totals(Input::Training);
    if training.files_loaded + training.files_skipped + training.files_unreadable > 0 {
        println!(
            "training rows: {} read, {} accepted, {} rejected ({:.0} rows/s over the batch)",
            training.rows_read,
            training.rows_accepted,
            training.rows_rejected,
            training.rows_read as f64 / seconds
        );
    }
    Ok(())
}
