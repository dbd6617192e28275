//! `skillhouse serve`: the HTTP API over the published snapshot, reloaded when a new one is published, and with
//! `--pg-addr` the Postgres wire protocol beside it.

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
    let pg = super::pg::config(&args, seconds(args.poll_interval, "--poll-interval")?)?;
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
    runtime.block_on(async {
        let http = async { skillhouse_server::serve(config, addr).await.with_context(|| format!("serving on {addr}")) };
        match pg {
            None => http.await,
            // The Postgres port runs beside the HTTP API; the server stops when either does (Ctrl-C, SIGTERM).
            Some(pg) => {
                let pg_addr = pg.addr;
                let postgres =
                    async { skillhouse_pgwire::serve(pg).await.with_context(|| format!("Postgres wire on {pg_addr}")) };
                tokio::select! {
                    result = http => result,
                    result = postgres => result,
                }
            }
        }
    })?;
    Ok(Outcome::Success)
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag} must be a positive number of seconds"))
}
