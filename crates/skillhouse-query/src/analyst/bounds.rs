//! Bounds on analyst SQL (DESIGN §10), shared by the REPL and the Postgres wire front end: a memory limit per
//! statement and a statement timeout that really cancels.
//!
//! *Memory.* Every statement runs on its own session state over the snapshot's catalogue, with a fresh memory pool
//! of [`SqlBounds::memory_limit`] bytes: sorts and aggregations spill to disk when they reach it, operators that
//! cannot spill (a hash join's build side) fail with [`QueryError::MemoryLimit`], and other statements — and the
//! process — carry on. Concurrent statements each have their own pool, so the process needs at most the limit
//! times the statements running at once (the wire front end caps connections).
//!
//! *Time.* [`run_bounded`] drives planning and execution inside one deadline; when it passes, the future is dropped,
//! which drops the record-batch streams and aborts the engine's spawned tasks, so a runaway cross join stops using
//! CPU instead of running on unobserved. Both need the engine to yield to the runtime now and then: DataFusion makes
//! its scans cooperative, but a join can emit millions of batches from one input batch without yielding (a cross
//! join of two `generate_series` never returned to the runtime in our test), so every statement's plan also gets a
//! cooperative wrapper above each join and unnest ([`YieldAfterFanOut`]).
//!
//! *Values.* Functions that build a large value from a small input (`repeat`, `lpad`, `range` …) allocate outside
//! the pool; in every statement session they are replaced by wrappers that refuse, with the same memory-limit
//! error, a call that would build more than the limit ([`bound_values`], [`crate::values`]).
//!
//! *Read-only, twice.* The per-statement state sees the catalogue through [`crate::readonly`] wrappers that refuse
//! to register or drop anything, below the guard and the read-only `SQLOptions`.

use crate::config::read_only_sql_options;
use crate::error::{QueryError, Result};
use crate::readonly::ReadOnlyCatalogList;
pub use crate::units::{format_bytes, format_duration, parse_bytes, parse_timeout};
use crate::values::bounded_functions;
use datafusion::arrow::array::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::DataFusionError;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Default memory limit of one statement: 2 GiB. A 10M-person aggregate needs a few hundred MiB; the 24 GiB
/// machine then serves several analysts at once beside the HTTP API and the page cache.
pub const DEFAULT_STATEMENT_MEMORY_LIMIT: usize = 2 << 30;

/// Default statement timeout: 5 minutes, ample for province-scale ad-hoc queries on two cores.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// The bounds every analyst statement runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlBounds {
    /// Memory pool of one statement, in bytes.
    pub memory_limit: usize,
    /// Wall time one statement may take, planning included; `None` for no limit.
    pub statement_timeout: Option<Duration>,
}

impl Default for SqlBounds {
    fn default() -> Self {
        Self { memory_limit: DEFAULT_STATEMENT_MEMORY_LIMIT, statement_timeout: Some(DEFAULT_STATEMENT_TIMEOUT) }
    }
}

impl SqlBounds {
    /// These bounds with a tighter timeout: a client's own `statement_timeout` may lower the server's, never raise
    /// it.
    pub fn with_client_timeout(self, client: Option<Duration>) -> Self {
        let statement_timeout = match (self.statement_timeout, client) {
            (Some(server), Some(client)) => Some(server.min(client)),
            (server, client) => server.or(client),
        };
        Self { statement_timeout, ..self }
    }
}

/// A session for one statement: the base session's catalogue (read-only), functions and settings, with a fresh
/// memory pool of `memory_limit` bytes. Caches of file metadata and the spill directory are shared with the base.
pub fn statement_context(base: &SessionContext, bounds: &SqlBounds) -> Result<SessionContext> {
    let state = base.state();
    let runtime = RuntimeEnvBuilder::from_runtime_env(state.runtime_env())
        .with_memory_limit(bounds.memory_limit, 1.0)
        .build_arc()
        .map_err(|e| QueryError::engine("creating the statement's memory pool", e))?;
    let catalogs = Arc::new(ReadOnlyCatalogList::new(Arc::clone(state.catalog_list())));
    let state = SessionStateBuilder::new_from_existing(state)
        .with_runtime_env(runtime)
        .with_catalog_list(catalogs)
        .with_physical_optimizer_rule(Arc::new(YieldAfterFanOut))
        .build();
    let ctx = SessionContext::new_with_state(state);
    bound_values(&ctx, bounds.memory_limit);
    Ok(ctx)
}

/// Replaces the built-ins of `ctx` that can build a value far larger than their input (`repeat`, `lpad`, `range`
/// …) with wrappers that refuse to build more than `memory_limit` bytes in one call ([`crate::values`]). Statement
/// sessions get them from [`statement_context`]; a front end that plans on its base session (the Postgres wire's
/// `Parse`) calls this on the base too.
pub fn bound_values(ctx: &SessionContext, memory_limit: usize) {
    let wrappers = bounded_functions(ctx.state_ref().read().scalar_functions(), memory_limit);
    for wrapper in wrappers {
        ctx.register_udf(wrapper);
    }
    // The string `||` operator too. A statement session inherits its base's planner and adds its own; the first
    // registered answers, with the same limit (both come from the same bounds).
    let planner = Arc::new(crate::values::StringConcatPlanner::new(memory_limit));
    if let Err(error) = ctx.state_ref().write().register_expr_planner(planner) {
        tracing::warn!(%error, "the `||` operator could not be bounded");
    }
}

/// Operators that can emit many batches per input batch, and so must yield to the runtime themselves.
const FAN_OUT_OPERATORS: [&str; 7] = [
    "CrossJoinExec",
    "NestedLoopJoinExec",
    "HashJoinExec",
    "SortMergeJoinExec",
    "SymmetricHashJoinExec",
    "PiecewiseMergeJoinExec",
    "UnnestExec",
];

/// Physical optimizer rule (run last): wraps every join and unnest in DataFusion's `CooperativeExec`, which spends
/// the runtime's cooperative budget per batch, so a timeout or an abort is seen within a batch even when a cross
/// join multiplies its input a billion-fold.
#[derive(Debug, Default, Clone, Copy)]
pub struct YieldAfterFanOut;

impl PhysicalOptimizerRule for YieldAfterFanOut {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if FAN_OUT_OPERATORS.contains(&node.name()) {
                Ok(Transformed::yes(Arc::new(CooperativeExec::new(node)) as Arc<dyn ExecutionPlan>))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "YieldAfterFanOut"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Runs `work` within the statement timeout: on expiry the future is dropped (cancelling the engine's tasks) and
/// [`QueryError::Timeout`] is returned. Engine errors of running out of memory become [`QueryError::MemoryLimit`].
pub async fn run_bounded<T>(bounds: &SqlBounds, work: impl Future<Output = Result<T>>) -> Result<T> {
    let outcome = match bounds.statement_timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.map_err(|_| QueryError::Timeout { limit })?,
        None => work.await,
    };
    outcome.map_err(|e| classify_engine_error(e, bounds))
}

/// Plans and runs one checked statement on `base` under `bounds`, read-only, and collects its rows (at least one
/// batch, empty when there are no rows).
pub async fn run_statement(
    base: &SessionContext,
    statement: DfStatement,
    bounds: &SqlBounds,
) -> Result<Vec<RecordBatch>> {
    let ctx = statement_context(base, bounds)?;
    run_bounded(bounds, async move {
        let state = ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(|source| QueryError::Sql { source })?;
        read_only_sql_options().verify_plan(&plan).map_err(|source| QueryError::Sql { source })?;
        let frame = ctx.execute_logical_plan(plan).await.map_err(|source| QueryError::Sql { source })?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let mut batches = frame.collect().await.map_err(|source| QueryError::Sql { source })?;
        // An empty result keeps its columns, so the REPL can print the header.
        if batches.is_empty() {
            batches.push(RecordBatch::new_empty(schema));
        }
        Ok(batches)
    })
    .await
}

/// Turns an engine error that means "out of memory" into [`QueryError::MemoryLimit`].
pub fn classify_engine_error(error: QueryError, bounds: &SqlBounds) -> QueryError {
    match error {
        QueryError::Sql { source } if is_resources_exhausted(&source) => {
            QueryError::MemoryLimit { limit: bounds.memory_limit, source }
        }
        other => other,
    }
}

/// Whether an engine error (possibly wrapped) is DataFusion's `ResourcesExhausted`.
pub fn is_resources_exhausted(error: &DataFusionError) -> bool {
    matches!(error.find_root(), DataFusionError::ResourcesExhausted(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_may_lower_the_timeout_but_not_raise_it() {
        let server = SqlBounds { memory_limit: 1 << 20, statement_timeout: Some(Duration::from_secs(10)) };
        let lower = server.with_client_timeout(Some(Duration::from_secs(2)));
        assert_eq!(lower.statement_timeout, Some(Duration::from_secs(2)));
        let higher = server.with_client_timeout(Some(Duration::from_secs(60)));
        assert_eq!(higher.statement_timeout, Some(Duration::from_secs(10)));
        assert_eq!(server.with_client_timeout(None), server);
        let unlimited = SqlBounds { statement_timeout: None, ..server };
        assert_eq!(
            unlimited.with_client_timeout(Some(Duration::from_secs(3))).statement_timeout,
            Some(Duration::from_secs(3))
        );
    }
}
