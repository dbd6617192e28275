//! The analyst's SQL session behind `skillhouse sql`: the published snapshot's tables, every statement checked by
//! the guard and run under the bounds, plus the table and column descriptions of `\d`.

use crate::bounds::{self, SqlBounds};
use crate::comments::Comments;
use crate::config::QueryConfig;
use crate::error::{QueryError, Result};
use crate::guard::{self, Refusal, RefusalCode, StatementKind};
use crate::open::{Snapshot, open_snapshot_with};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use std::path::Path;
use std::sync::Arc;

/// A read-only, bounded SQL session over one snapshot.
#[derive(Debug, Clone)]
pub struct AnalystSession {
    snapshot: Snapshot,
    bounds: SqlBounds,
}

impl AnalystSession {
    /// Opens the published snapshot of `warehouse_dir` (its `CURRENT`) for analysts.
    pub async fn open(warehouse_dir: &Path, config: &QueryConfig, bounds: SqlBounds) -> Result<Self> {
        Ok(Self { snapshot: open_snapshot_with(warehouse_dir, config).await?, bounds })
    }

    /// A session over an already opened snapshot.
    pub fn new(snapshot: Snapshot, bounds: SqlBounds) -> Self {
        Self { snapshot, bounds }
    }

    /// The snapshot queried.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The bounds every statement runs under.
    pub fn bounds(&self) -> SqlBounds {
        self.bounds
    }

    /// Parses and checks every statement of `sql`; nothing runs unless all pass. Client-session statements (`SET
    /// application_name`, `BEGIN`) are refused here: they only mean something over the Postgres wire.
    pub fn check(&self, sql: &str) -> Result<Vec<DfStatement>> {
        let checked = guard::parse_and_check(sql)?;
        let total = checked.len();
        checked
            .into_iter()
            .enumerate()
            .map(|(index, (statement, kind))| match kind {
                StatementKind::Query | StatementKind::Describe => Ok(statement),
                StatementKind::ClientSetting | StatementKind::Transaction => {
                    let position =
                        if total > 1 { format!("statement {} of {total}: ", index + 1) } else { String::new() };
                    Err(QueryError::Refused(Refusal {
                        code: RefusalCode::SessionStatement,
                        message: format!(
                            "{position}`{statement}` only applies to Postgres wire clients; the SQL shell has no \
                             client settings or transactions"
                        ),
                    }))
                }
            })
            .collect()
    }

    /// Runs one checked statement under the bounds and returns its rows.
    pub async fn run(&self, statement: DfStatement) -> Result<Vec<RecordBatch>> {
        bounds::run_statement(&self.snapshot.ctx, statement, &self.bounds).await
    }

    /// Checks every statement of `sql`, then runs them in order; returns each statement's rows.
    pub async fn run_script(&self, sql: &str) -> Result<Vec<Vec<RecordBatch>>> {
        let mut results = Vec::new();
        for statement in self.check(sql)? {
            results.push(self.run(statement).await?);
        }
        Ok(results)
    }

    /// `\d`: every table analysts can query, with its comment.
    pub fn tables(&self) -> Result<RecordBatch> {
        describe_tables(&self.snapshot.ctx, Comments::bundled()?)
    }

    /// `\d TABLE`: the columns of one table with their types and comments.
    pub async fn columns(&self, table: &str) -> Result<RecordBatch> {
        describe_columns(&self.snapshot.ctx, Comments::bundled()?, table).await
    }
}

fn string_batch(fields: &[&str], columns: Vec<Vec<Option<String>>>) -> Result<RecordBatch> {
    let schema = Schema::new(fields.iter().map(|f| Field::new(*f, DataType::Utf8, true)).collect::<Vec<_>>());
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|c| Arc::new(StringArray::from(c)) as ArrayRef).collect();
    RecordBatch::try_new(Arc::new(schema), arrays).map_err(|e| QueryError::Internal(format!("description batch: {e}")))
}

/// The tables of the session's default schema, sorted, with their comments: columns `table_name`, `comment`.
pub fn describe_tables(ctx: &SessionContext, comments: &Comments) -> Result<RecordBatch> {
    let state = ctx.state();
    let defaults = &state.config().options().catalog;
    let schema = ctx
        .catalog(&defaults.default_catalog)
        .and_then(|c| c.schema(&defaults.default_schema))
        .ok_or_else(|| QueryError::Internal("the session has no default schema".into()))?;
    let mut names = schema.table_names();
    names.sort();
    let described: Vec<Option<String>> = names.iter().map(|n| comments.table(n).map(str::to_string)).collect();
    string_batch(&["table_name", "comment"], vec![names.into_iter().map(Some).collect(), described])
}

/// A column type as analysts write it in SQL (`VARCHAR`, `BIGINT`, `DATE` …); Arrow's name for anything else.
pub fn sql_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "VARCHAR".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt64 => "BIGINT UNSIGNED".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        DataType::Timestamp(_, None) => "TIMESTAMP".into(),
        DataType::Decimal128(precision, scale) => format!("DECIMAL({precision}, {scale})"),
        other => other.to_string(),
    }
}

/// The columns of `table`: `column_name`, `data_type` (SQL name), `nullable` (`YES`/`NO`), `comment`.
pub async fn describe_columns(ctx: &SessionContext, comments: &Comments, table: &str) -> Result<RecordBatch> {
    let name = table.trim().trim_matches('"');
    let provider = ctx.table_provider(name).await.map_err(|source| QueryError::Sql { source })?;
    let schema = provider.schema();
    let mut columns = vec![Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for field in schema.fields() {
        columns[0].push(Some(field.name().clone()));
        columns[1].push(Some(sql_type_name(field.data_type())));
        columns[2].push(Some(if field.is_nullable() { "YES" } else { "NO" }.to_string()));
        columns[3].push(comments.column(name, field.name()).map(str::to_string));
    }
    string_batch(&["column_name", "data_type", "nullable", "comment"], columns)
}
