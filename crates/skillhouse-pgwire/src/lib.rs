//! The Postgres wire protocol front end of SkillHouse (DESIGN §10): analysts connect with psql, DBeaver, Superset or
//! Metabase and query the published snapshot read-only, under the same guard and bounds as the REPL.
//!
//! *What it owns.* [`serve`] opens the published snapshot (`WAREHOUSE/CURRENT`) on one DataFusion session, installs
//! datafusion-postgres's `pg_catalog` with what psql's `\dt`/`\d`, DBeaver's navigator and SQLAlchemy's inspector
//! (Superset) also need (`catalog`: SkillHouse's table and column comments as `pg_description`, a few tables and
//! functions), and listens. Catalogue queries DataFusion cannot plan as sent are rewritten first (`compat`). Logins
//! are checked with SCRAM-SHA-256 against the configured [`Users`]. Every statement — simple or extended protocol,
//! parameters bound by the client — goes through `skillhouse_query::guard` first (as it will run, rewrites
//! included) and runs on its own bounded session ([`service`]). A newly published snapshot is picked up without a
//! restart: the server polls `CURRENT` and prepares a new session over it, which serves the next statements.
//!
//! *What it must not depend on.* No SQL over the warehouse of its own and nothing of HTTP: the query crate owns the
//! session, the guard and the bounds; this crate adapts them to the wire.

mod catalog;
mod compat;
mod descriptions;
mod error;
pub mod service;
mod users;

pub use error::{PgError, Result};
pub use users::{PgUser, Users, read_users_file};

use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use datafusion_postgres::pgwire::api::auth::DefaultServerParameterProvider;
use datafusion_postgres::pgwire::api::auth::sasl::SASLAuthStartupHandler;
use datafusion_postgres::pgwire::api::auth::sasl::scram::ScramAuth;
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use datafusion_postgres::pgwire::error::PgWireError;
use service::{CancelStatements, Cancels, GuardedService};
use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::{QueryConfig, SqlBounds};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The DataFusion catalogue the snapshot's tables and `pg_catalog` live in.
pub const CATALOG_NAME: &str = "datafusion";

/// Name of the database as clients see it: `current_database()` and the row of `pg_database` for our tables
/// (DBeaver looks its connection's database up there). Clients may connect with any database name.
pub const DATABASE_NAME: &str = "skillhouse";

/// Settings of the Postgres wire front end.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// The warehouse whose published snapshot is served.
    pub warehouse: PathBuf,
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Who may connect.
    pub users: Users,
    /// Bounds of every statement.
    pub bounds: SqlBounds,
    /// Connections served at once; more are turned away.
    pub max_connections: usize,
    /// How often `WAREHOUSE/CURRENT` is checked for a newly published snapshot.
    pub poll_interval: Duration,
    /// Engine configuration of the shared session (target partitions, spill folder).
    pub query: QueryConfig,
}

/// Opens the published snapshot and serves it on `config.addr` until the future is dropped.
pub async fn serve(config: PgConfig) -> Result<()> {
    let listener =
        TcpListener::bind(config.addr).await.map_err(|source| PgError::Bind { addr: config.addr, source })?;
    serve_on(listener, config).await
}

/// [`serve`] on an already bound listener (tests bind port 0).
pub async fn serve_on(listener: TcpListener, config: PgConfig) -> Result<()> {
    let (ctx, snapshot_id) = prepare_session(&config.warehouse, &config.query).await?;
    let factory = Arc::new(Factory::new(ctx, config.users.clone(), config.bounds));
    let local = listener.local_addr().map_err(|source| PgError::Bind { addr: config.addr, source })?;
    tracing::info!(
        addr = %local,
        snapshot = %snapshot_id,
        users = config.users.names().collect::<Vec<_>>().join(","),
        "Postgres wire protocol listening"
    );
    let watcher = tokio::spawn(watch_current(
        Arc::clone(&factory.service),
        config.warehouse.clone(),
        config.query.clone(),
        snapshot_id,
        config.poll_interval,
    ));
    let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let outcome = accept_loop(listener, factory, limit).await;
    watcher.abort();
    outcome
}

async fn accept_loop(listener: TcpListener, factory: Arc<Factory>, limit: Arc<Semaphore>) -> Result<()> {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: keep serving the connections we have.
                tracing::warn!(%error, "accepting a Postgres connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
            tracing::warn!(%peer, "Postgres connection refused: too many connections");
            drop(socket);
            continue;
        };
        let factory = Arc::clone(&factory);
        tokio::spawn(async move {
            if let Err(error) = datafusion_postgres::pgwire::tokio::process_socket(socket, None, factory).await {
                tracing::debug!(%peer, %error, "Postgres connection ended with an error");
            }
            drop(permit);
        });
    }
}

/// The session clients query: the published snapshot's tables, `pg_catalog` and our comments. Returns it with the
/// snapshot id.
async fn prepare_session(warehouse: &Path, query: &QueryConfig) -> Result<(Arc<SessionContext>, String)> {
    let snapshot = skillhouse_query::open_snapshot_with(warehouse, query).await?;
    let ctx = snapshot.ctx.clone();
    setup_pg_catalog(&ctx, CATALOG_NAME, EmptyContextProvider).map_err(PgError::Catalog)?;
    catalog::install(&ctx).await?;
    Ok((Arc::new(ctx), snapshot.id))
}

/// Polls `CURRENT`; when another snapshot is published, prepares a session over it and serves it from the next
/// statement on. Statements already running finish on the snapshot they started with (its files stay on disk).
async fn watch_current(
    service: Arc<GuardedService>,
    warehouse: PathBuf,
    query: QueryConfig,
    mut serving: String,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let current = match std::fs::read_to_string(warehouse.join("CURRENT")) {
            Ok(text) => text.trim().to_string(),
            Err(error) => {
                tracing::warn!(%error, "reading CURRENT");
                continue;
            }
        };
        if current.is_empty() || current == serving {
            continue;
        }
        match prepare_session(&warehouse, &query).await {
            Ok((ctx, id)) => {
                service.replace_base(ctx);
                tracing::info!(from = %serving, to = %id, "Postgres wire now serves a new snapshot");
                serving = id;
            }
            Err(error) => tracing::warn!(snapshot = %current, error = %error, "cannot serve the new snapshot yet"),
        }
    }
}

/// The handlers of every connection: the guarded service, SCRAM logins, cancel requests.
struct Factory {
    service: Arc<GuardedService>,
    users: Arc<Users>,
    parameters: Arc<DefaultServerParameterProvider>,
    connections: Arc<ConnectionManager>,
    cancel: Arc<CancelStatements>,
}

impl Factory {
    fn new(ctx: Arc<SessionContext>, users: Users, bounds: SqlBounds) -> Self {
        let mut parameters = DefaultServerParameterProvider::default();
        // Clients show and respect these: nobody is a superuser, every transaction is read-only.
        parameters.is_superuser = false;
        parameters.default_transaction_read_only = true;
        let connections = Arc::new(ConnectionManager::new());
        let cancels = Arc::new(Cancels::default());
        Self {
            service: Arc::new(GuardedService::new(ctx, bounds, Arc::clone(&cancels))),
            users: Arc::new(users),
            parameters: Arc::new(parameters),
            cancel: Arc::new(CancelStatements { cancels, connections: Arc::clone(&connections) }),
            connections,
        }
    }
}

impl PgWireServerHandlers for Factory {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.service)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.service)
    }

    fn startup_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::auth::StartupHandler> {
        // One handler per connection: the SASL exchange keeps its state in it.
        Arc::new(
            SASLAuthStartupHandler::new(Arc::clone(&self.parameters))
                .with_scram(ScramAuth::new(Arc::clone(&self.users) as Arc<_>))
                .with_connection_manager(Arc::clone(&self.connections)),
        )
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogErrors)
    }

    fn cancel_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

struct LogErrors;

impl ErrorHandler for LogErrors {
    fn on_error<C: ClientInfo>(&self, client: &C, error: &mut PgWireError) {
        let user = client.metadata().get("user").map(String::as_str).unwrap_or("");
        // SCRAM leaves the user name out of its exchange (libpq sends it at startup), so pgwire's message would
        // say `for user ""`; name the user the client logged in as.
        if let PgWireError::InvalidPassword(name) = error
            && name.is_empty()
        {
            *name = user.to_string();
        }
        tracing::info!(user, peer = %client.socket_addr(), %error, "Postgres error sent to the client");
    }
}
