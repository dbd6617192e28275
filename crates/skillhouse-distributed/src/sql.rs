//! Analysts' batch SQL on Ballista (`skillhouse sql --engine ballista`): the published snapshot's tables on a Ballista
//! session, every statement through the same guard as the local shell (queries only), results rendered as the
//! shell renders them. The local shell's per-statement memory pool and timeout are not applied: the executors' own
//! memory pools bound a distributed query.

use crate::Error;
use crate::engine::Ballista;
use skillhouse_query::{QueryConfig, QueryError, ResultFormat, SessionProvider, SnapshotFolder};
use std::path::Path;

/// Runs every statement of `sql` over the published snapshot of `warehouse` on `engine`; returns each statement's
/// rendered result. The first refused or failing statement stops the run.
pub async fn run_statements(
    engine: &Ballista,
    warehouse: &Path,
    sql: &str,
    format: ResultFormat,
) -> Result<Vec<String>, Error> {
    // Guarded before anything is opened or started: a refused statement costs nothing.
    let statements = skillhouse_query::guard::parse_and_check(sql)?;
    let owned = warehouse.to_path_buf();
    let folder = tokio::task::spawn_blocking(move || SnapshotFolder::open_current(&owned))
        .await
        .map_err(|e| QueryError::Internal(format!("opening the published snapshot: {e}")))??;
    let ctx = engine.session(&QueryConfig::default()).await?;
    skillhouse_query::register_snapshot(&ctx, warehouse, &folder.dir).await?;
    let options = skillhouse_query::read_only_sql_options();
    let mut rendered = Vec::with_capacity(statements.len());
    for (statement, _) in statements {
        let sql_error = |source| QueryError::Sql { source };
        let plan = ctx.state().statement_to_plan(statement).await.map_err(sql_error)?;
        options.verify_plan(&plan).map_err(sql_error)?;
        let frame = ctx.execute_logical_plan(plan).await.map_err(sql_error)?;
        let batches = frame.collect().await.map_err(sql_error)?;
        rendered.push(skillhouse_query::format_batches(&batches, format)?);
    }
    drop(folder);
    Ok(rendered)
}
