//! `skillhouse serve`: the HTTP API over the published snapshot, reloaded when a new one is published.

use crate::args::ServeArgs;
use crate::exit::Outcome;
use anyhow::Context;
use skillhouse_server::{ServerConfig, Tokens};
use std::time::Duration;

/// Serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    if args.rebuild_at.is_some() {
        eprintln!(
            "skillhouse serve: --rebuild-at is not available in this build yet; run `skillhouse rebuild` from cron"
        );
        return Ok(Outcome::Unavailable);
    }
    if args.pg_addr.is_some() {
        eprintln!("skillhouse serve: --pg-addr (Postgres wire) is not available in this build yet");
        return Ok(Outcome::Unavailable);
    }
    let mut config = ServerConfig::new(args.warehouse.warehouse);
    config.suppress_k = args.suppress_k;
    config.cache_control = args.cache_control;
    config.cors_origins = args.cors_origins;
    config.max_concurrency = args.max_concurrency;
    config.body_limit = args.body_limit;
    config.request_timeout = seconds(args.request_timeout, "--request-timeout")?;
    config.poll_interval = seconds(args.poll_interval, "--poll-interval")?;
    let mut tokens = Tokens::from_list(&args.api_tokens);
    if let Some(path) = &args.token_file {
        tokens = tokens.merged(Tokens::from_file(path)?);
    }
    config.tokens = tokens;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the server runtime")?;
    let addr = args.addr;
    runtime.block_on(skillhouse_server::serve(config, addr)).with_context(|| format!("serving on {addr}"))?;
    Ok(Outcome::Success)
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag} must be a positive number of seconds"))
}
