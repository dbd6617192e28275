//! `skillhouse serve`: the HTTP API over the published snapshot, reloaded when a new one is published; with
//! `--pg-addr` the Postgres wire protocol beside it; with `--rebuild-at HH:MM --landing DIR`, the nightly rebuild
//! too, run by the server under the same warehouse lock as `skillhouse rebuild`.

use crate::args::ServeArgs;
use crate::exit::Outcome;
use anyhow::Context;
use skillhouse_server::{RebuildResult, RebuildSummary, ScheduledRebuild, ServerConfig, Tokens};
use std::sync::Arc;
use std::time::Duration;

/// Serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let pg = super::pg::config(&args, seconds(args.poll_interval, "--poll-interval")?)?;
    let rebuild = args.rebuild_at.map(|at| scheduled_rebuild(&args, at)).transpose()?;
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
    if let Some(path) = &args.api_users {
        config.submitters = skillhouse_server::Submitters::from_file(path)?;
    }
    config.rebuild = rebuild;
    // The Postgres port plans analysts' statements on these threads: give them the stack the guard's depth limit
    // was measured with.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(skillhouse_query::guard::QUERY_THREAD_STACK)
        .enable_all()
        .build()
        .context("starting the server runtime")?;
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

/// The server's nightly rebuild: `skillhouse rebuild` with the serve command's settings, as of the day it runs.
fn scheduled_rebuild(args: &ServeArgs, at: chrono::NaiveTime) -> anyhow::Result<ScheduledRebuild> {
    // Checked now, not at 2 a.m.: a missing key or reference folder stops the server from starting.
    let key = super::load_key(&args.key).context("--rebuild-at needs the pseudonymisation key")?;
    let landing = args.landing.clone().context("--rebuild-at needs --landing")?;
    let settings = skillhouse_pipeline::Settings {
        warehouse: args.warehouse.warehouse.clone(),
        landing,
        reference: super::reference_dir(args.reference.clone())?,
        as_of: None,
        key,
        keep: args.publish.keep as usize,
        gate: super::rebuild::gate_config(&args.publish),
        full: false,
    };
    let job = move || -> RebuildResult {
        let lock = skillhouse_query::WarehouseLock::try_acquire(&settings.warehouse, "serve --rebuild-at")?;
        let report = skillhouse_pipeline::rebuild(&settings, &lock, &skillhouse_pipeline::Quiet)?;
        let detail = format!(
            "{} (exit {}): {} files loaded, {} rows accepted, {} rejected, {} unreadable files",
            report.outcome.describe(),
            report.exit_code,
            report.files_loaded,
            report.rows_accepted,
            report.rows_rejected,
            report.files_unreadable
        );
        Ok(RebuildSummary { snapshot_id: report.snapshot_id, published: report.published, detail })
    };
    Ok(ScheduledRebuild { at, job: Arc::new(job) })
}
