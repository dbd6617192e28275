//! Generates a drop without the CLI (and without building the query and ingest engines), for profiling:
//! `cargo run --release -p skillhouse-datagen --example datagen -- OUT PERSONS [SEED] [DEFECT_RATE] [TRAINING]`
//! (TRAINING: training rows per person, default the library's; 0 for a certificate-only drop).

use skillhouse_datagen::{Config, DEFAULT_TRAINING, generate};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).ok_or("usage: datagen OUT PERSONS [SEED] [DEFECT_RATE] [TRAINING]")?;
    let persons: u64 = args.get(2).map_or(Ok(10_000), |s| s.parse())?;
    let seed: u64 = args.get(3).map_or(Ok(42), |s| s.parse())?;
    let defect_rate: f64 = args.get(4).map_or(Ok(0.02), |s| s.parse())?;
    let training: f64 = args.get(5).map_or(Ok(DEFAULT_TRAINING), |s| s.parse())?;
    let started = Instant::now();
    let manifest = generate(&Config { persons, seed, defect_rate, training, ..Config::default() }, out.as_ref())?;
    let seconds = started.elapsed().as_secs_f64();
    let rows = manifest.totals.rows;
    println!("{rows} rows in {} files, {seconds:.2}s, {:.0} rows/s", manifest.totals.files, rows as f64 / seconds);
    if let Some(training) = &manifest.training {
        let t = &training.totals;
        println!("training: {} rows in {} files and {} classes", t.rows, t.files, t.classes);
    }
    Ok(())
}
