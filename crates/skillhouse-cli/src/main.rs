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
    withhold_reader_panic_messages();
    pages::settle();
    match cmd::run(cli.command) {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::failure_outcome(&error).into()
        }
    }
}

/// A panic while reading an agency file is caught and the file recorded unreadable, but the default hook first
/// prints the panic message to stderr — the cron log — and a parser's message can quote the text it failed on
/// (slicing a string reports the whole string, ID numbers and names included). For the threads that read agency
/// files (ours and polars') the message is withheld and the place kept; every other panic is reported as before.
fn withhold_reader_panic_messages() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        if reads_agency_files(thread.name()) {
            let place = info.location().map(ToString::to_string).unwrap_or_default();
            eprintln!(
                "thread {} panicked at {place} reading an agency file; its message is not shown (it can quote the \
                 file); the file is recorded unreadable",
                thread.name().unwrap_or_default()
            );
        } else {
            default(info);
        }
    }));
}

/// Whether a thread reads agency files: the ingestion pool's threads and polars' own pool.
fn reads_agency_files(thread: Option<&str>) -> bool {
    thread.is_some_and(|name| name.starts_with(skillhouse_ingest::READER_THREAD_PREFIX) || name.starts_with("polars-"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_threads_are_recognised() {
        assert!(reads_agency_files(Some("ingest-3")));
        assert!(reads_agency_files(Some("polars-0")));
        assert!(!reads_agency_files(Some("main")));
        assert!(!reads_agency_files(Some("tokio-runtime-worker")));
        assert!(!reads_agency_files(None));
    }
}
