//! The Postgres wire protocol front end of SkillHouse (DESIGN §10): analysts connect with psql, DBeaver, Superset or
//! Metabase and query the published snapshot read-only, under the same guard and bounds as the REPL.
//!
//! *What it owns.* [`serve`] opens the published snapshot (`WAREHOUSE/CURRENT`) on one DataFusion session, installs
//! datafusion-postgres's `pg_catalog` with what psql's `\dt`/`\d`, DBeaver's navigator and SQLAlchemy's inspector
//! (Superset) also need (`catalog`: SkillHouse's table and column comments as `pg_description`, a few tables and
//! functions), and listens. Catalogue queries DataFusion cannot plan as sent are rewritten first (`compat`). Logins
//! are checked with SCRAM-SHA-256 against the configured [`Users`], behind [`login`]'s gate: a few seconds to log
//! in, `--pg-max-connections` counting logged-in sessions only, failed logins from one address slowed down. Every statement — simple or extended protocol,
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
pub mod login;
pub mod service;
mod sqlstate;
mod users;

pub use error::{PgError, Result};
pub use login::DEFAULT_LOGIN_TIMEOUT;
pub use users::{PgUser, Users, read_users_file};

use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use datafusion_postgres::pgwire::api::auth::DefaultServerParameterProvider;
use datafusion_postgres::pgwire::api::auth::sasl::SASLAuthStartupHandler;
use datafusion_postgres::pgwire::api::auth::sasl::scram::ScramAuth;
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use datafusion_postgres::pgwire::error::PgWireError;
use login::{Gate, GatedStartup, Login};
use service::{CancelStatements, Cancels, GuardedService};
use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::{QueryConfig, SqlBounds};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

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
    /// Logged-in sessions served at once; a login beyond them is refused (`53300`). Connections still logging in
    /// do not count (see [`login`]).
    pub max_connections: usize,
    /// Time a client has from connecting to being logged in; then the connection is closed.
    pub login_timeout: Duration,
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
    let (ctx, snapshot_id) = prepare_session(&config.warehouse, &config.query, config.bounds.memory_limit).await?;
    let gate = Arc::new(Gate::new(config.max_connections, config.login_timeout));
    let factory = Arc::new(Factory::new(ctx, config.users.clone(), config.bounds, gate));
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
        config.bounds.memory_limit,
        snapshot_id,
        config.poll_interval,
    ));
    let outcome = accept_loop(listener, factory).await;
    watcher.abort();
    outcome
}

async fn accept_loop(listener: TcpListener, factory: Arc<Factory>) -> Result<()> {
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
        // Only connections logging in are limited here; a session slot is taken when the login completes.
        let Some(handshake) = factory.gate.start_handshake(peer.ip()) else {
            tracing::warn!(%peer, "Postgres connection refused: too many connections logging in");
            drop(socket);
            continue;
        };
        let login = Arc::new(Login::new(handshake));
        let connection = Connection { shared: Arc::clone(&factory), login: Arc::clone(&login) };
        let timeout = factory.gate.login_timeout();
        tokio::spawn(async move {
            let served = datafusion_postgres::pgwire::tokio::process_socket(socket, None, connection);
            tokio::select! {
                outcome = served => {
                    if let Err(error) = outcome {
                        tracing::debug!(%peer, %error, "Postgres connection ended with an error");
                    }
                }
                // Dropping the connection's future closes the socket.
                () = login.expired(timeout) => tracing::info!(%peer, "Postgres connection closed: no login in time"),
            }
        });
    }
}

/// The session clients query: the published snapshot's tables, `pg_catalog` and our comments. Returns it with the
/// snapshot id.
async fn prepare_session(
    warehouse: &Path,
    query: &QueryConfig,
    memory_limit: usize,
) -> Result<(Arc<SessionContext>, String)> {
    let snapshot = skillhouse_query::open_snapshot_with(warehouse, query).await?;
    let ctx = snapshot.ctx.clone();
    setup_pg_catalog(&ctx, CATALOG_NAME, EmptyContextProvider).map_err(PgError::Catalog)?;
    catalog::install(&ctx).await?;
    // The extended protocol plans at `Parse`, on this session: its functions must be the bounded ones too.
    skillhouse_query::bound_values(&ctx, memory_limit);
    Ok((Arc::new(ctx), snapshot.id))
}

/// Polls `CURRENT`; when another snapshot is published, prepares a session over it and serves it from the next
/// statement on. Statements already running finish on the snapshot they started with (its files stay on disk).
async fn watch_current(
    service: Arc<GuardedService>,
    warehouse: PathBuf,
    query: QueryConfig,
    memory_limit: usize,
    mut serving: String,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let current = match skillhouse_query::current_snapshot_id(&warehouse) {
            Ok(Some(id)) if id != serving => id,
            Ok(_) => continue,
            Err(error) => {
                tracing::warn!(error = %skillhouse_query::error_chain(&error), "reading CURRENT");
                continue;
            }
        };
        match prepare_session(&warehouse, &query, memory_limit).await {
            Ok((ctx, id)) => {
                service.replace_base(ctx);
                tracing::info!(from = %serving, to = %id, "Postgres wire now serves a new snapshot");
                serving = id;
            }
            Err(error) => tracing::warn!(snapshot = %current, error = %error, "cannot serve the new snapshot yet"),
        }
    }
}

/// What every connection shares: the guarded service, the users, cancel requests, the login gate.
struct Factory {
    service: Arc<GuardedService>,
    users: Arc<Users>,
    parameters: Arc<DefaultServerParameterProvider>,
    connections: Arc<ConnectionManager>,
    cancel: Arc<CancelStatements>,
    gate: Arc<Gate>,
}

impl Factory {
    fn new(ctx: Arc<SessionContext>, users: Users, bounds: SqlBounds, gate: Arc<Gate>) -> Self {
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
            gate,
        }
    }
}

/// The handlers of one connection: the shared ones, and a login of its own behind the gate.
struct Connection {
    shared: Arc<Factory>,
    login: Arc<Login>,
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.shared.service)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.shared.service)
    }

    fn startup_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::auth::StartupHandler> {
        // One handler per connection: the SASL exchange keeps its state in it.
        let scram = SASLAuthStartupHandler::new(Arc::clone(&self.shared.parameters))
            .with_scram(ScramAuth::new(Arc::clone(&self.shared.users) as Arc<_>))
            .with_connection_manager(Arc::clone(&self.shared.connections));
        Arc::new(GatedStartup::new(scram, Arc::clone(&self.shared.gate), Arc::clone(&self.login)))
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogErrors)
    }

    fn cancel_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.shared.cancel)
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
