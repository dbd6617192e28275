//! `skillhouse datagen`: a thin edge over `skillhouse_datagen::generate`.

use crate::args::DatagenArgs;
use crate::exit::Outcome;
use anyhow::{Context, bail};
use skillhouse_datagen::Config;
use std::time::Instant;

pub fn run(args: DatagenArgs) -> anyhow::Result<Outcome> {
    let (first_year, last_year) = Config::parse_years(&args.years)?;
    let config = Config {
        persons: args.persons,
        seed: args.seed,
        first_year,
        last_year,
        defect_rate: args.defect_rate,
        agencies: args.agencies,
        as_of: args.as_of,
        training: args.training,
    };
    if args.out.exists() {
        let mut entries =
            std::fs::read_dir(&args.out).with_context(|| format!("reading output folder {}", args.out.display()))?;
        if entries.next().is_some() {
            bail!("output folder {} is not empty; datagen writes only into an empty or new folder", args.out.display());
        }
    }
    let started = Instant::now();
    let manifest = skillhouse_datagen::generate(&config, &args.out)
        .with_context(|| format!("generating a drop into {}", args.out.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let t = &manifest.totals;
    println!(
        "wrote {} files ({} unreadable) with {} rows ({} valid, {} repeated claims) for {} persons and {} agencies \
         to {} in {seconds:.1}s ({:.0} rows/s)",
        t.files,
        t.unreadable_files,
        t.rows,
        t.valid_rows,
        t.duplicate_claims,
        t.persons,
        manifest.registry.rows,
        args.out.display(),
        t.rows as f64 / seconds.max(1e-9),
    );
    if t.defect_rows > 0 {
        println!("defect rows by reason ({} in all):", t.defect_rows);
        for (reason, count) in &t.defects {
            println!("  {reason:<24} {count:>9}");
        }
    }
    if let Some(training) = &manifest.training {
        let t = &training.totals;
        println!(
            "training: {} files ({} unreadable) with {} rows ({} valid) in {} classes of {} providers; {} of {} \
             trainees hold a certificate; {} defect rows",
            t.files,
            t.unreadable_files,
            t.rows,
            t.valid_rows,
            t.classes,
            t.providers,
            t.trainees_with_certificates,
            t.trainees,
            t.defect_rows,
        );
    }
    println!("as-of {}; manifest: {}", manifest.as_of, args.out.join("manifest.json").display());
    Ok(Outcome::Success)
}
