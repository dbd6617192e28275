//! `skillhouse` — the one binary of SkillHouse.
//!
//! A thin edge over the library crates: it parses arguments (every flag also reads a `SKILLHOUSE_*` environment
//! variable), sets up logging, calls into `skillhouse-datagen`, `-ingest`, `-query` and `-server`, prints results,
//! and owns the exit codes. It holds no domain logic of its own; errors are `anyhow` chains printed once.

mod args;
mod cmd;
mod exit;
mod pages;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: the build's aggregations and the ingestion's many small frames spend a
/// large share of their time in glibc malloc (perf, BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_logging(cli.verbose);
    pages::settle();
    match cmd::run(cli.command) {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::failure_outcome(&error).into()
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,skillhouse=info",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SKILLHOUSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
