//! The serving edge of SkillHouse: the HTTP JSON API leaders' dashboards poll (DESIGN §10), and the built-in
//! dashboard page at `/` ([`dashboard`]: static files embedded in the binary, every number read from the API).
//!
//! *What it serves.* The published snapshot (`WAREHOUSE/CURRENT`), held in memory: the indicator catalogue, every
//! indicator's values (filterable by region, year, programme and agency type, each with target, gap and status),
//! regions, programmes, targets, the snapshot's metadata and a per-agency ledger summary, under `/api/v1`; plus
//! `/healthz`, `/readyz`, `/metrics` (Prometheus) and `/api/v1/openapi.json` (OpenAPI 3.1). JSON by default; CSV
//! and the Arrow IPC stream format on `?format=` or `Accept`. See [`ROUTES`].
//!
//! *How.* [`load`] reads a snapshot's small Parquet tables and manifest directly (no SQL here: every number was
//! computed by `skillhouse-query` when the snapshot was built); [`suppress`] withholds small cells with
//! complementary suppression (DESIGN §7); [`published::Published`] precomputes every unfiltered answer in every
//! format with a strong ETag (snapshot id + definition version + k + resource + filters + format), so a poll is a
//! hash-map lookup and a matching `If-None-Match` is a 304 before any rendering. [`state::AppState`] holds the
//! served snapshot behind an atomic pointer: [`state::AppState::spawn_reloader`] polls `CURRENT`, loads a new
//! snapshot completely in the background and swaps it in; a request answers from the snapshot it started on, and
//! every answer names it in `X-SkillHouse-Snapshot`. With a [`ScheduledRebuild`] configured ([`schedule`]), the
//! server also runs the nightly rebuild itself at a time of day — a job the caller provides, so this crate stays
//! free of ingestion — and reloads as soon as it has published.
//!
//! *Receipts.* An agency's or training provider's receipt (回执, `skillhouse_receipts`) for one month's file, as XLSX
//! or CSV, read from the served snapshot's ledger and reject file when asked — to that submitter's own token only
//! ([`access`]): a receipt lists the rows of one agency's file (IDs masked), never an aggregate.
//!
//! *Hardening.* One guard around every route ([`guard`]): body-size limit, a global concurrency limit that sheds
//! with 503 at once (probes exempt), optional bearer tokens compared in constant time (dashboard tokens for the
//! aggregates, submitter tokens for receipts), a request timeout, metrics.
//! CORS is off unless origins are configured. Errors are JSON `{"error": "<stable_code>", "message": "…"}` from one
//! exhaustive match ([`error::ApiError::status_and_code`]); internal details are logged, never returned.
//!
//! *What it must not do.* Hold SQL, return a raw ID number, name, or any count below k of a breakdown.

mod access;
mod config;
mod dashboard;
mod error;
mod guard;
mod load;
mod metrics;
mod monthly;
mod openapi;
mod paths;
mod progress;
mod protocol;
mod published;
mod rebuild;
mod receipts;
mod routes;
mod schedule;
mod small_counts;
mod state;
mod suppress;
mod table;

pub use access::{Access, MIN_TOKEN_LENGTH, Submitter, Submitters};
pub use config::{ServerConfig, Tokens};
pub use dashboard::{ASSETS, CONTENT_SECURITY_POLICY};
pub use error::{ApiError, Result, ServerError, chain as error_chain};
pub use load::ValueRow;
pub use paths::{DEFINITION_HEADER, ROUTES, SNAPSHOT_HEADER};
pub use progress::PROGRESS_COLUMNS;
pub use published::{Filters, Format, Published, Resource};
pub use rebuild::{RebuildError, RebuildResult, RebuildSummary, ScheduledRebuild};
pub use routes::router;
pub use schedule::{RebuildRun, next_run, run_scheduled_rebuild};
pub use state::{AppState, ReloadOutcome};
pub use table::{Cell, ColumnType, Table};

use std::future::Future;
use std::net::SocketAddr;

/// Binds `addr` and serves until Ctrl-C (or SIGTERM), then drains in-flight requests.
pub async fn serve(config: ServerConfig, addr: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Serve { addr: addr.to_string(), source })?;
    let state = AppState::new(config)?;
    serve_on(listener, state, shutdown_signal()).await
}

/// Serves on a bound listener until `shutdown` completes: loads the published snapshot (if any; until then
/// `/readyz` answers 503), starts the reloader, and answers requests.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr = listener.local_addr().map_or_else(|_| "?".to_string(), |a| a.to_string());
    match state.reload().await {
        Ok(outcome) => tracing::info!(?outcome, %addr, "listening"),
        Err(error) => {
            let error = error::chain(&error);
            tracing::error!(%error, %addr, "listening, but the published snapshot did not load; not ready");
        }
    }
    let reloader = state.spawn_reloader();
    let scheduler = schedule::spawn_scheduler(&state);
    let result = axum::serve(protocol::JsonErrorListener(listener), router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ServerError::Serve { addr, source });
    reloader.abort();
    if let Some(scheduler) = scheduler {
        scheduler.abort();
    }
    result
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
