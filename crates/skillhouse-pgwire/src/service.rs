//! The query handlers: datafusion-postgres's, behind the guard and the bounds.
//!
//! Every simple query string and every extended-protocol `Parse` is parsed with datafusion-postgres's own parser
//! and checked by `skillhouse_query::guard` before anything runs: one refused statement refuses the whole string.
//! Each query then runs on a fresh per-statement session (`skillhouse_query::statement_context`: its own memory
//! pool, the catalogue read-only) through a datafusion-postgres `DfSessionService` built for it, and the rows it
//! streams back are wrapped by [`Bounded`], which ends the stream — dropping the engine's work — at the statement
//! timeout or on a cancel request (psql's Ctrl-C).

use crate::compat::{ClientSql, fix_client_sql};
use crate::sqlstate::{classify, query_error, user_error};
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::pgwire::api::cancel::CancelHandler;
use datafusion_postgres::pgwire::api::portal::{Format, Portal};
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::{FieldInfo, QueryResponse, Response};
use datafusion_postgres::pgwire::api::stmt::QueryParser;
use datafusion_postgres::pgwire::api::store::PortalStore;
use datafusion_postgres::pgwire::api::{ClientInfo, ClientPortalStore, ConnectionManager, Type};
use datafusion_postgres::pgwire::error::{PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::PgWireBackendMessage;
use datafusion_postgres::pgwire::messages::cancel::CancelRequest;
use datafusion_postgres::pgwire::messages::data::DataRow;
use datafusion_postgres::pgwire::messages::startup::SecretKey;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::task::AtomicWaker;
use futures::{Sink, Stream, StreamExt};
use skillhouse_query::datafusion::logical_expr::LogicalPlan;
use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::datafusion::sql::sqlparser::ast::Statement;
use skillhouse_query::datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use skillhouse_query::datafusion::sql::sqlparser::parser::Parser as SqlParser;
use skillhouse_query::guard::{self, Refusal};
use skillhouse_query::{SqlBounds, format_duration, statement_context};
use std::collections::HashMap;
use std::fmt::Debug;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Client metadata key under which datafusion-postgres keeps a client's `SET statement_timeout` (milliseconds).
const CLIENT_STATEMENT_TIMEOUT: &str = "statement_timeout_ms";

/// What datafusion-postgres's handlers store per prepared statement.
pub type DfStatement = (String, Option<(Statement, LogicalPlan)>);

/// The guarded, bounded query handlers over one base session (the snapshot's tables and `pg_catalog`).
pub struct GuardedService {
    base: RwLock<Arc<SessionContext>>,
    bounds: SqlBounds,
    hooks: Vec<Arc<dyn QueryHook>>,
    parser: Arc<GuardedParser>,
    cancels: Arc<Cancels>,
}

impl GuardedService {
    /// Handlers over `base`, each statement bounded by `bounds`.
    pub fn new(base: Arc<SessionContext>, bounds: SqlBounds, cancels: Arc<Cancels>) -> Self {
        // Client settings and transaction statements are answered by datafusion-postgres's hooks; the guard has
        // already refused cursors, so its cursor hook is left out.
        let hooks: Vec<Arc<dyn QueryHook>> = vec![Arc::new(SetShowHook), Arc::new(TransactionStatementHook)];
        let parser = Arc::new(GuardedParser {
            inner: RwLock::new(planner(&base, &hooks)),
            sql: PostgresCompatibilityParser::new(),
            client_sql: ClientSql::new(&base),
        });
        Self { base: RwLock::new(base), bounds, hooks, parser, cancels }
    }

    /// Serves another base session (a newly published snapshot) from the next statement on; statements running or
    /// prepared keep the tables they were planned with.
    pub fn replace_base(&self, base: Arc<SessionContext>) {
        *self.parser.inner.write().unwrap_or_else(PoisonError::into_inner) = planner(&base, &self.hooks);
        *self.base.write().unwrap_or_else(PoisonError::into_inner) = base;
    }

    fn base(&self) -> Arc<SessionContext> {
        Arc::clone(&self.base.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// A datafusion-postgres service over a fresh per-statement session, and the bounds it runs under.
    fn statement_service<C: ClientInfo + ?Sized>(&self, client: &C) -> PgWireResult<(DfSessionService, SqlBounds)> {
        let bounds = self.bounds.with_client_timeout(client_timeout(client));
        let ctx = statement_context(&self.base(), &bounds).map_err(|e| query_error(&e))?;
        Ok((DfSessionService::new_with_hooks(Arc::new(ctx), self.hooks.clone()), bounds))
    }
}

/// datafusion-postgres's parser (it plans at `Parse`) over `base`.
fn planner(base: &Arc<SessionContext>, hooks: &[Arc<dyn QueryHook>]) -> Arc<Parser> {
    DfSessionService::new_with_hooks(Arc::clone(base), hooks.to_vec()).query_parser()
}

/// The client's own `SET statement_timeout`, if any.
fn client_timeout<C: ClientInfo + ?Sized>(client: &C) -> Option<Duration> {
    client.metadata().get(CLIENT_STATEMENT_TIMEOUT).and_then(|ms| ms.parse::<u64>().ok()).map(Duration::from_millis)
}

/// A refusal as a Postgres error: SQLSTATE 25006 (read_only_sql_transaction) for what would write, 54000/54001 for
/// too long or too deep a statement ([`skillhouse_query::RefusalCode::sqlstate`]), the message ending in the
/// stable code.
pub fn refusal_error(refusal: &Refusal) -> PgWireError {
    user_error(refusal.code.sqlstate(), refusal.to_string())
}

fn timeout_error(limit: Duration) -> PgWireError {
    user_error(
        "57014",
        format!(
            "canceling statement due to statement timeout: it ran longer than {} [bounds.statement_timeout]",
            format_duration(limit)
        ),
    )
}

fn cancelled_error() -> PgWireError {
    user_error("57014", "canceling statement due to user request".to_owned())
}

/// Runs `work` (planning) within the statement timeout. A cancel request during planning is pgwire's to handle.
async fn bounded_planning<T>(bounds: &SqlBounds, work: impl Future<Output = PgWireResult<T>>) -> PgWireResult<T> {
    let result = match bounds.statement_timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.map_err(|_| timeout_error(limit))?,
        None => work.await,
    };
    result.map_err(|e| classify(e, bounds))
}

fn bound_response(response: Response, bounds: SqlBounds, cancel: &Arc<CancelFlag>) -> Response {
    match response {
        Response::Query(query) => {
            let QueryResponse { command_tag, row_schema, data_rows, .. } = query;
            let mut bounded = QueryResponse::new(row_schema, Bounded::new(data_rows, bounds, Arc::clone(cancel)));
            bounded.set_command_tag(&command_tag);
            Response::Query(bounded)
        }
        other => other,
    }
}

#[async_trait::async_trait]
impl SimpleQueryHandler for GuardedService {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // Parsed and checked by the guard; the statements are dropped (they are shallow: the guard refused deep ones).
        let (query, _statements) = self.parser.prepare(query)?;
        let query = query.as_str();
        let (service, bounds) = self.statement_service(client)?;
        let cancel = self.cancels.start_query(client);
        let responses = bounded_planning(&bounds, SimpleQueryHandler::do_query(&service, client, query)).await?;
        Ok(responses.into_iter().map(|r| bound_response(r, bounds, &cancel)).collect())
    }
}

#[async_trait::async_trait]
impl ExtendedQueryHandler for GuardedService {
    type Statement = DfStatement;
    type QueryParser = GuardedParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.parser)
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // Checked at Parse already; checked again so no path reaches the engine unguarded.
        if let (_, Some((statement, _))) = &portal.statement.statement {
            guard::check_statement(statement).map_err(|refusal| refusal_error(&refusal))?;
        }
        let (service, bounds) = self.statement_service(client)?;
        let cancel = self.cancels.start_query(client);
        let response =
            bounded_planning(&bounds, ExtendedQueryHandler::do_query(&service, client, portal, max_rows)).await?;
        Ok(bound_response(response, bounds, &cancel))
    }
}

/// datafusion-postgres's parser behind the guard (extended protocol `Parse`).
pub struct GuardedParser {
    inner: RwLock<Arc<Parser>>,
    sql: PostgresCompatibilityParser,
    client_sql: ClientSql,
}

impl GuardedParser {
    /// The client's SQL as it will be planned ([`crate::compat`]'s rewrites applied) and its statements as
    /// datafusion-postgres's parser reads them, checked by the guard. Text over the size limit is refused unparsed;
    /// everything that parses or walks the client's syntax trees runs on the guard's parsing stack, and a statement
    /// nested too deep is refused there, before the rewrites walk it: a hostile chain of `a AND b AND …` would
    /// otherwise overflow this thread's stack and abort the server, HTTP API included.
    fn prepare(&self, sql: &str) -> PgWireResult<(String, Vec<Statement>)> {
        guard::check_size(sql).map_err(|refusal| refused(&refusal))?;
        guard::on_parse_stack(sql.len(), || self.prepare_here(sql)).map_err(|e| query_error(&e))?
    }

    fn prepare_here(&self, sql: &str) -> PgWireResult<(String, Vec<Statement>)> {
        let fixed = fix_client_sql(sql);
        // Text that does not parse here goes on to datafusion-postgres's parser, which has its say.
        let rewritten = match SqlParser::parse_sql(&PostgreSqlDialect {}, &fixed) {
            Ok(mut statements) => {
                for statement in &statements {
                    guard::check_depth(statement).map_err(|refusal| refused(&refusal))?;
                }
                self.client_sql.rewrite(&mut statements)
            }
            Err(_) => None,
        };
        if let Some(rewritten) = &rewritten {
            tracing::debug!(sql = %rewritten, "client SQL rewritten");
        }
        let sql = rewritten.unwrap_or_else(|| fixed.into_owned());
        let statements = self.sql.parse(&sql).map_err(|e| user_error("42601", e.to_string()))?;
        guard::check_all(&statements).map_err(|refusal| refused(&refusal))?;
        Ok((sql, statements))
    }
}

/// A refusal as a Postgres error, logged by its code.
fn refused(refusal: &Refusal) -> PgWireError {
    tracing::info!(code = %refusal.code, "refused a statement");
    refusal_error(refusal)
}

#[async_trait::async_trait]
impl QueryParser for GuardedParser {
    type Statement = DfStatement;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let (sql, statements) = self.prepare(sql)?;
        let sql = sql.as_str();
        if statements.len() > 1 {
            return Err(user_error("42601", "cannot insert multiple commands into a prepared statement".to_owned()));
        }
        let inner = Arc::clone(&self.inner.read().unwrap_or_else(PoisonError::into_inner));
        inner.parse_sql(client, sql, types).await
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).get_parameter_types(statement)
    }

    fn get_result_schema(&self, statement: &Self::Statement, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).get_result_schema(statement, format)
    }
}

type RowStream = Pin<Box<dyn Stream<Item = PgWireResult<DataRow>> + Send>>;

/// A row stream that ends with SQLSTATE 57014 at the statement timeout (counted from its first poll) or on a
/// cancel request, dropping the engine's stream — and with it the running work — right away. Engine errors of
/// running out of memory become SQLSTATE 53200.
pub struct Bounded {
    inner: Option<RowStream>,
    bounds: SqlBounds,
    deadline: Option<Instant>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    cancel: Arc<CancelFlag>,
}

impl Bounded {
    fn new(inner: RowStream, bounds: SqlBounds, cancel: Arc<CancelFlag>) -> Self {
        Self { inner: Some(inner), bounds, deadline: None, sleep: None, cancel }
    }

    fn stop(&mut self, error: PgWireError) -> Poll<Option<PgWireResult<DataRow>>> {
        self.inner = None;
        self.sleep = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl Stream for Bounded {
    type Item = PgWireResult<DataRow>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.inner.is_none() {
            return Poll::Ready(None);
        }
        this.cancel.waker.register(cx.waker());
        if this.cancel.cancelled.load(Ordering::Acquire) {
            return this.stop(cancelled_error());
        }
        if let Some(limit) = this.bounds.statement_timeout {
            let deadline = *this.deadline.get_or_insert_with(|| Instant::now() + limit);
            if Instant::now() >= deadline {
                return this.stop(timeout_error(limit));
            }
        }
        let Some(inner) = this.inner.as_mut() else { return Poll::Ready(None) };
        match inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Err(error))) => {
                let error = classify(error, &this.bounds);
                this.inner = None;
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                this.inner = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(row))) => Poll::Ready(Some(Ok(row))),
            Poll::Pending => {
                // Waiting on the engine: make sure we are woken at the deadline.
                if let (Some(limit), Some(deadline)) = (this.bounds.statement_timeout, this.deadline) {
                    let sleep = this.sleep.get_or_insert_with(|| {
                        Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)))
                    });
                    if sleep.as_mut().poll(cx).is_ready() {
                        return this.stop(timeout_error(limit));
                    }
                }
                Poll::Pending
            }
        }
    }
}

/// One connection's cancel flag: set by a cancel request, cleared when the connection's next query starts.
#[derive(Debug, Default)]
pub struct CancelFlag {
    cancelled: AtomicBool,
    waker: AtomicWaker,
}

/// A connection's identity in cancel requests: its process id and secret key.
type ConnectionKey = (i32, Vec<u8>);

/// Cancel requests reach a running statement's row stream through these flags. pgwire's own cancel only covers
/// planning, and most of a statement's work happens while its rows stream out.
#[derive(Debug, Default)]
pub struct Cancels {
    by_connection: Mutex<HashMap<ConnectionKey, Weak<CancelFlag>>>,
}

impl Cancels {
    /// The client's flag, cleared for the query starting now.
    fn start_query<C: ClientInfo + ?Sized>(&self, client: &C) -> Arc<CancelFlag> {
        let flag: Arc<CancelFlag> = client.session_extensions().get_or_insert_with(CancelFlag::default);
        flag.cancelled.store(false, Ordering::Release);
        let (pid, secret) = client.pid_and_secret_key();
        let mut map = self.by_connection.lock().unwrap_or_else(PoisonError::into_inner);
        // Connections that ended left dead entries behind.
        map.retain(|_, weak| weak.strong_count() > 0);
        map.insert((pid, secret.to_bytes().to_vec()), Arc::downgrade(&flag));
        flag
    }

    /// Cancels the running statement of the connection with this key, if any.
    fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let key = (pid, secret.to_bytes().to_vec());
        let flag = {
            let map = self.by_connection.lock().unwrap_or_else(PoisonError::into_inner);
            map.get(&key).and_then(Weak::upgrade)
        };
        match flag {
            Some(flag) => {
                flag.cancelled.store(true, Ordering::Release);
                flag.waker.wake();
                true
            }
            None => false,
        }
    }
}

/// Cancel requests: the streaming phase through [`Cancels`], planning through pgwire's connection manager.
pub struct CancelStatements {
    /// Flags of the running statements.
    pub cancels: Arc<Cancels>,
    /// pgwire's connections (planning-phase cancel).
    pub connections: Arc<ConnectionManager>,
}

#[async_trait::async_trait]
impl CancelHandler for CancelStatements {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let streaming = self.cancels.cancel(request.pid, &request.secret_key);
        let planning = self.connections.cancel(request.pid, &request.secret_key).await;
        tracing::info!(pid = request.pid, found = streaming || planning, "cancel request");
    }
}
