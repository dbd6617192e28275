//! What datafusion-postgres's `pg_catalog` lacks for the catalogue queries clients send on their own — psql's `\d`,
//! SQLAlchemy's inspector (Superset's table browser), DBeaver's navigator — put in place once per session:
//!
//! - `pg_description` with SkillHouse's comments ([`crate::descriptions`]);
//! - `pg_index` with its vector columns (`indkey`, `indclass`, `indcollation`, `indoption`) as arrays, as Postgres
//!   lets clients use them (`unnest(indkey)`); datafusion-postgres keeps their text form (`1 2`);
//! - `pg_class` with `reloptions` (always null: no table here has storage options);
//! - `pg_database` listing our tables' database as `skillhouse`, and an empty `pg_policies`;
//! - functions: `json_build_object`, `pg_get_viewdef`, `current_setting` (server defaults), `current_database()`, and
//!   constants for lookups that have nothing to find here (`pg_table_size`, `pg_total_relation_size`,
//!   `pg_relation_size`, `pg_tablespace_location`, `pg_get_serial_sequence`, `pg_get_indexdef`, `pg_get_ruledef`,
//!   `pg_collation_is_visible`, `version()`).
//!
//! Query shapes DataFusion cannot plan are rewritten before planning by [`crate::compat`].

use crate::descriptions::{self, CommentMap, Description};
use crate::error::{PgError, Result};
use crate::{CATALOG_NAME, DATABASE_NAME};
use skillhouse_query::datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use skillhouse_query::datafusion::arrow::compute::cast;
use skillhouse_query::datafusion::arrow::datatypes::{DataType, Int64Type};
use skillhouse_query::datafusion::catalog::view::ViewTable;
use skillhouse_query::datafusion::catalog::{SchemaProvider, TableProvider};
use skillhouse_query::datafusion::common::{DataFusionError, Result as DfResult, ScalarValue, exec_err};
use skillhouse_query::datafusion::datasource::TableType;
use skillhouse_query::datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::datafusion::sql::unparser::plan_to_sql;
use std::collections::HashMap;
use std::sync::Arc;

/// `pg_index` columns Postgres types as `int2vector`/`oidvector`, with the SQL element type of their array form.
const INDEX_VECTORS: [(&str, &str); 4] =
    [("indkey", "SMALLINT"), ("indcollation", "INT"), ("indclass", "INT"), ("indoption", "SMALLINT")];

/// `pg_policies` (row-security policies, which no table here has): its columns, no rows.
const NO_POLICIES: &str = "SELECT CAST(NULL AS VARCHAR) AS schemaname, CAST(NULL AS VARCHAR) AS tablename, \
     CAST(NULL AS VARCHAR) AS policyname, CAST(NULL AS VARCHAR) AS permissive, CAST(NULL AS VARCHAR[]) AS roles, \
     CAST(NULL AS VARCHAR) AS cmd, CAST(NULL AS VARCHAR) AS qual, CAST(NULL AS VARCHAR) AS with_check WHERE false";

fn catalog_error(source: DataFusionError) -> PgError {
    PgError::Catalog(Box::new(source))
}

/// Replaces the session's `pg_catalog` by one with the tables above and registers the functions. Call once per
/// session, after `setup_pg_catalog`.
pub(crate) async fn install(ctx: &SessionContext) -> Result<()> {
    let catalog = ctx
        .catalog(CATALOG_NAME)
        .ok_or_else(|| catalog_error(DataFusionError::Plan(format!("no catalogue `{CATALOG_NAME}`"))))?;
    let inner = catalog
        .schema("pg_catalog")
        .ok_or_else(|| catalog_error(DataFusionError::Plan("pg_catalog is not installed".into())))?;
    let mut replaced: HashMap<&'static str, Arc<dyn TableProvider>> = HashMap::new();
    replaced.insert("pg_description", descriptions::install(ctx).await?);
    replaced.insert("pg_index", view(ctx, &index_sql(ctx).await?).await?);
    replaced.insert("pg_database", view(ctx, &database_sql(ctx).await?).await?);
    replaced.insert("pg_policies", view(ctx, NO_POLICIES).await?);
    replaced.insert(
        "pg_class",
        view(ctx, "SELECT *, CAST(NULL AS VARCHAR[]) AS reloptions FROM pg_catalog.pg_class").await?,
    );
    catalog.register_schema("pg_catalog", Arc::new(PgCatalogOverlay { inner, replaced })).map_err(catalog_error)?;
    ctx.register_udf(ScalarUDF::new_from_impl(JsonBuildObject::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(Description::view_definition(view_definitions(ctx).await?)));
    ctx.register_udf(ScalarUDF::new_from_impl(CurrentSetting::new()));
    for constant in Constant::all() {
        ctx.register_udf(ScalarUDF::new_from_impl(constant));
    }
    Ok(())
}

/// `SELECT` of a catalogue table's columns in their order, some replaced by an expression (`expr AS name`).
async fn select_replacing(
    ctx: &SessionContext,
    table: &str,
    replace: impl Fn(&str) -> Option<String>,
) -> Result<String> {
    let frame = ctx.table(format!("pg_catalog.{table}")).await.map_err(catalog_error)?;
    let columns: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|field| match replace(field.name()) {
            Some(expr) => format!("{expr} AS {}", field.name()),
            None => field.name().clone(),
        })
        .collect();
    Ok(format!("SELECT {} FROM pg_catalog.{table}", columns.join(", ")))
}

/// `pg_index` with the vector columns as arrays.
async fn index_sql(ctx: &SessionContext) -> Result<String> {
    select_replacing(ctx, "pg_index", |name| {
        let (_, element) = INDEX_VECTORS.iter().find(|(vector, _)| *vector == name)?;
        Some(format!("CAST(string_to_array({name}, ' ') AS {element}[])"))
    })
    .await
}

/// `pg_database` with our catalogue under the name clients connect to.
async fn database_sql(ctx: &SessionContext) -> Result<String> {
    select_replacing(ctx, "pg_database", |name| {
        (name == "datname")
            .then(|| format!("CASE WHEN datname = '{CATALOG_NAME}' THEN '{DATABASE_NAME}' ELSE datname END"))
    })
    .await
}

/// The SQL of each of our views (`certificate_files` …) by (the OID `pg_class` reports for it, 0): the text it was
/// defined with, or DataFusion's rendering of its plan.
async fn view_definitions(ctx: &SessionContext) -> Result<CommentMap> {
    let frame = ctx
        .sql(
            "SELECT CAST(c.oid AS BIGINT) AS oid, CAST(c.relname AS VARCHAR) AS relname \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'v'",
        )
        .await
        .map_err(catalog_error)?;
    let mut definitions = CommentMap::new();
    for batch in frame.collect().await.map_err(catalog_error)? {
        let oids = cast(batch.column(0), &DataType::Int64).map_err(|e| catalog_error(e.into()))?;
        let names = cast(batch.column(1), &DataType::Utf8).map_err(|e| catalog_error(e.into()))?;
        let (oids, names) = (oids.as_primitive::<Int64Type>(), names.as_string::<i32>());
        for row in 0..batch.num_rows() {
            let provider = ctx.table_provider(names.value(row)).await.map_err(catalog_error)?;
            let defined = provider.downcast_ref::<ViewTable>().and_then(|view| view.definition().cloned());
            let sql = match (defined, provider.get_logical_plan()) {
                (Some(sql), _) => sql,
                (None, Some(plan)) => plan_to_sql(&plan).map_err(catalog_error)?.to_string(),
                (None, None) => continue,
            };
            definitions.insert((oids.value(row), 0), sql);
        }
    }
    Ok(definitions)
}

/// A view over the session's (not yet replaced) catalogue tables.
async fn view(ctx: &SessionContext, sql: &str) -> Result<Arc<dyn TableProvider>> {
    Ok(ctx.sql(sql).await.map_err(catalog_error)?.into_view())
}

/// datafusion-postgres's `pg_catalog` with some tables replaced.
#[derive(Debug)]
struct PgCatalogOverlay {
    inner: Arc<dyn SchemaProvider>,
    replaced: HashMap<&'static str, Arc<dyn TableProvider>>,
}

#[async_trait::async_trait]
impl SchemaProvider for PgCatalogOverlay {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        for name in self.replaced.keys() {
            if !names.iter().any(|known| known == name) {
                names.push((*name).to_owned());
            }
        }
        names
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        match self.replaced.get(name.to_ascii_lowercase().as_str()) {
            Some(table) => Ok(Some(Arc::clone(table))),
            None => self.inner.table(name).await,
        }
    }

    async fn table_type(&self, name: &str) -> DfResult<Option<TableType>> {
        match self.inner.table_type(name).await? {
            None if self.table_exist(name) => Ok(Some(TableType::View)),
            found => Ok(found),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.replaced.contains_key(name.to_ascii_lowercase().as_str()) || self.inner.table_exist(name)
    }
}

/// `current_setting(name [, missing_ok])`: the server's defaults for the settings clients read this way
/// (SQLAlchemy reads `default_table_access_method`). A setting changed with `SET` in a session is not seen here;
/// `SHOW` answers those. An unknown name is an error, or null with `missing_ok`, as in Postgres.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CurrentSetting {
    signature: Signature,
}

/// Server defaults `current_setting` answers, as Postgres 16 reports them.
const SETTINGS: [(&str, &str); 12] = [
    ("client_encoding", "UTF8"),
    ("datestyle", "ISO, MDY"),
    ("default_table_access_method", "heap"),
    ("default_tablespace", ""),
    ("default_transaction_read_only", "on"),
    ("integer_datetimes", "on"),
    ("max_identifier_length", "63"),
    ("search_path", "\"$user\", public"),
    ("server_encoding", "UTF8"),
    ("server_version", "16.6"),
    ("standard_conforming_strings", "on"),
    ("timezone", "UTC"),
];

impl CurrentSetting {
    fn new() -> Self {
        Self { signature: Signature::variadic_any(Volatility::Stable) }
    }
}

impl ScalarUDFImpl for CurrentSetting {
    fn name(&self) -> &str {
        "current_setting"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(names) = arrays.first() else { return exec_err!("current_setting needs a setting name") };
        let names = cast(names, &DataType::Utf8)?;
        let names = names.as_string::<i32>();
        let missing_ok = match arrays.get(1) {
            Some(flag) => cast(flag, &DataType::Boolean)?.as_boolean().iter().map(|b| b.unwrap_or(false)).collect(),
            None => vec![false; names.len()],
        };
        let mut out = StringBuilder::new();
        for (name, missing_ok) in names.iter().zip(missing_ok) {
            let Some(name) = name else {
                out.append_null();
                continue;
            };
            match SETTINGS.iter().find(|(setting, _)| setting.eq_ignore_ascii_case(name)) {
                Some((_, value)) => out.append_value(value),
                None if missing_ok => out.append_null(),
                None => return exec_err!("unrecognized configuration parameter \"{name}\""),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

/// `json_build_object(key, value, …)` as Postgres writes it: `{"key" : value, …}`, keys in the order given.
/// Postgres types it `json`; here it is text with the same content.
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonBuildObject {
    signature: Signature,
}

impl JsonBuildObject {
    fn new() -> Self {
        Self { signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

/// A value as JSON: numbers and booleans bare, null as `null`, anything else as a JSON string of its text.
fn json_value(value: &ScalarValue) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    match value {
        ScalarValue::Boolean(Some(b)) => b.to_string(),
        ScalarValue::Int8(_)
        | ScalarValue::Int16(_)
        | ScalarValue::Int32(_)
        | ScalarValue::Int64(_)
        | ScalarValue::UInt8(_)
        | ScalarValue::UInt16(_)
        | ScalarValue::UInt32(_)
        | ScalarValue::UInt64(_) => value.to_string(),
        ScalarValue::Float32(Some(f)) if f.is_finite() => value.to_string(),
        ScalarValue::Float64(Some(f)) if f.is_finite() => value.to_string(),
        _ => json_string(&value.to_string()),
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if arrays.len() % 2 != 0 {
            return exec_err!("json_build_object: argument list must have even number of elements");
        }
        let mut out = StringBuilder::new();
        for row in 0..args.number_rows {
            let mut members = Vec::with_capacity(arrays.len() / 2);
            for (index, pair) in arrays.chunks(2).enumerate() {
                let key = ScalarValue::try_from_array(&pair[0], row)?;
                if key.is_null() {
                    return exec_err!("json_build_object: argument {}: key must not be null", 2 * index + 1);
                }
                let value = ScalarValue::try_from_array(&pair[1], row)?;
                members.push(format!("{} : {}", json_string(&key.to_string()), json_value(&value)));
            }
            out.append_value(format!("{{{}}}", members.join(", ")));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

/// A function whose answer does not depend on its arguments: Postgres catalogue functions that have nothing to look
/// up here.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Constant {
    name: &'static str,
    signature: Signature,
    value: ScalarValue,
}

impl Constant {
    fn all() -> [Self; 10] {
        [
            Self::current_database(),
            Self::rule_definition(),
            Self::table_size(),
            Self::size("pg_total_relation_size"),
            Self::size("pg_relation_size"),
            Self::tablespace_location(),
            Self::serial_sequence(),
            Self::index_definition(),
            Self::collation_is_visible(),
            Self::version(),
        ]
    }

    /// `pg_table_size(oid)`: unknown (null) — the tables are Parquet files, not Postgres heaps.
    fn table_size() -> Self {
        Self {
            name: "pg_table_size",
            signature: Signature::any(1, Volatility::Stable),
            value: ScalarValue::Int64(None),
        }
    }

    /// `pg_total_relation_size(oid)`, `pg_relation_size(oid [, fork])`: unknown (null), as `pg_table_size`.
    /// datafusion-postgres declares them for 32-bit OIDs only, and JDBC (DBeaver) binds OIDs as 64-bit integers.
    fn size(name: &'static str) -> Self {
        Self { name, signature: Signature::variadic_any(Volatility::Stable), value: ScalarValue::Int64(None) }
    }

    /// `current_database()`: the name clients connect to, which `pg_database` lists.
    fn current_database() -> Self {
        Self {
            name: "current_database",
            signature: Signature::exact(vec![], Volatility::Stable),
            value: ScalarValue::Utf8(Some(DATABASE_NAME.to_owned())),
        }
    }

    /// `pg_get_ruledef(rule [, pretty])`: null. The rows of `pg_rewrite` are datafusion-postgres's copy of
    /// Postgres's own views' rules, whose text it does not keep; our tables have no rules.
    fn rule_definition() -> Self {
        Self {
            name: "pg_get_ruledef",
            signature: Signature::variadic_any(Volatility::Stable),
            value: ScalarValue::Utf8(None),
        }
    }

    /// `pg_tablespace_location(oid)`: empty, as Postgres answers for its built-in tablespaces (the only ones).
    fn tablespace_location() -> Self {
        Self {
            name: "pg_tablespace_location",
            signature: Signature::any(1, Volatility::Stable),
            value: ScalarValue::Utf8(Some(String::new())),
        }
    }

    /// `pg_get_serial_sequence(table, column)`: null — no column is backed by a sequence. SQLAlchemy's column
    /// inspection (Superset's table browser) calls it for every column.
    fn serial_sequence() -> Self {
        Self {
            name: "pg_get_serial_sequence",
            signature: Signature::any(2, Volatility::Stable),
            value: ScalarValue::Utf8(None),
        }
    }

    /// `pg_get_indexdef(index [, column, pretty])`: null. No table here has an index; the rows of `pg_index` are
    /// datafusion-postgres's copy of Postgres's own catalogue indexes, whose definitions it does not keep.
    fn index_definition() -> Self {
        Self {
            name: "pg_get_indexdef",
            signature: Signature::variadic_any(Volatility::Stable),
            value: ScalarValue::Utf8(None),
        }
    }

    /// `pg_collation_is_visible(collation)`: true. Every collation is in `pg_catalog`, which is always searched.
    fn collation_is_visible() -> Self {
        Self {
            name: "pg_collation_is_visible",
            signature: Signature::any(1, Volatility::Stable),
            value: ScalarValue::Boolean(Some(true)),
        }
    }

    /// `version()` worded as Postgres words it. Clients parse it: SQLAlchemy's Postgres dialect (and so Superset)
    /// refuses a server whose `version()` does not start `PostgreSQL <major>.<minor>`, which DataFusion's own
    /// (`Apache DataFusion 55.2.0, …`) does not.
    fn version() -> Self {
        Self {
            name: "version",
            signature: Signature::exact(vec![], Volatility::Immutable),
            value: ScalarValue::Utf8(Some(version_text())),
        }
    }
}

/// The text of `version()` on the Postgres wire: the version pgwire announces as `server_version` (16.6), the
/// protocol and catalogue dialect we speak, then what actually answers.
pub(crate) fn version_text() -> String {
    format!(
        "PostgreSQL 16.6 on {}-linux (SkillHouse {}: Apache DataFusion over Parquet, read-only)",
        std::env::consts::ARCH,
        env!("CARGO_PKG_VERSION")
    )
}

impl ScalarUDFImpl for Constant {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(self.value.data_type())
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::{CATALOG_NAME, JsonBuildObject, install, json_value, version_text};
    use crate::compat::EMPTY_CATALOG_TABLES;
    use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
    use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
    use skillhouse_query::datafusion::arrow::util::pretty::pretty_format_batches;
    use skillhouse_query::datafusion::common::ScalarValue;
    use skillhouse_query::datafusion::logical_expr::ScalarUDF;
    use skillhouse_query::datafusion::prelude::SessionContext;

    /// SQLAlchemy's pattern for the server version (`sqlalchemy/dialects/postgresql/base.py`,
    /// `_get_server_version_info`): `PostgreSQL <major>.<minor>` at the start, or it refuses to connect.
    #[test]
    fn version_reads_as_postgres() {
        let text = version_text();
        let rest = text.strip_prefix("PostgreSQL ").expect("starts with PostgreSQL");
        let (major, rest) = rest.split_once('.').expect("major.minor");
        let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
        assert_eq!((major, minor.as_str()), ("16", "6"));
        assert!(text.contains("SkillHouse") && text.contains("DataFusion"), "{text}");
    }

    #[test]
    fn json_values_are_written_as_postgres_writes_them() {
        assert_eq!(json_value(&ScalarValue::Boolean(Some(true))), "true");
        assert_eq!(json_value(&ScalarValue::Int64(Some(-3))), "-3");
        assert_eq!(json_value(&ScalarValue::Float64(Some(1.5))), "1.5");
        assert_eq!(json_value(&ScalarValue::Utf8(None)), "null");
        assert_eq!(json_value(&ScalarValue::Utf8(Some("高\\\"x".into()))), r#""高\\\"x""#);
    }

    #[tokio::test]
    async fn json_build_object_keeps_the_order_and_refuses_odd_arguments() {
        let ctx = SessionContext::new();
        ctx.register_udf(ScalarUDF::new_from_impl(JsonBuildObject::new()));
        let batches = ctx
            .sql("SELECT json_build_object('start', 1, 'always', x = 1, 'name', NULL) AS j FROM (VALUES (1), (2)) t(x)")
            .await
            .expect("plans")
            .collect()
            .await
            .expect("runs");
        let text = skillhouse_query::datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .expect("prints")
            .to_string();
        assert!(text.contains(r#"{"start" : 1, "always" : true, "name" : null}"#), "{text}");
        assert!(text.contains(r#"{"start" : 1, "always" : false, "name" : null}"#), "{text}");
        let odd = ctx.sql("SELECT json_build_object('a', 1, 'b')").await.expect("plans").collect().await;
        assert!(odd.expect_err("odd").to_string().contains("even number of elements"));
    }

    /// A session as the server prepares it, over one table and one view.
    async fn served_session() -> SessionContext {
        let ctx = SessionContext::new();
        for create in [
            "CREATE TABLE persons (person_key VARCHAR, year INT) AS VALUES ('k1', 2024)",
            "CREATE VIEW recent AS SELECT person_key FROM persons WHERE year > 2023",
        ] {
            ctx.sql(create).await.expect("plans").collect().await.expect("creates");
        }
        setup_pg_catalog(&ctx, CATALOG_NAME, EmptyContextProvider).expect("pg_catalog");
        install(&ctx).await.expect("installed");
        ctx
    }

    async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
        let batches = ctx.sql(sql).await.expect("plans").collect().await.expect("runs");
        let text = pretty_format_batches(&batches).expect("prints").to_string();
        text.lines().filter(|l| l.starts_with("| ")).skip(1).map(str::to_owned).collect()
    }

    /// The rewrite of subqueries over these tables to NULL is only right while they are empty.
    #[tokio::test]
    async fn the_catalogue_tables_assumed_empty_are_empty() {
        let ctx = served_session().await;
        for table in EMPTY_CATALOG_TABLES {
            assert_eq!(
                rows(&ctx, &format!("SELECT count(*) FROM pg_catalog.{table}")).await,
                ["| 0        |"],
                "{table}"
            );
        }
    }

    #[tokio::test]
    async fn index_vectors_are_arrays_and_the_rest_is_kept() {
        let ctx = served_session().await;
        let types = rows(
            &ctx,
            "SELECT arrow_typeof(indkey), arrow_typeof(indclass), arrow_typeof(indisprimary) \
             FROM pg_catalog.pg_index LIMIT 1",
        )
        .await;
        assert!(
            types[0].contains("List(Int16)") && types[0].contains("List(Int32)") && types[0].contains("Boolean"),
            "{types:?}"
        );
        // Postgres's invariant: `indkey` holds one entry per index column (`indnatts`), `indclass` one per key
        // column; checked over rows that exist.
        let mismatched = rows(
            &ctx,
            "SELECT count(*) FILTER (WHERE cardinality(indkey) <> indnatts \
             OR cardinality(indclass) <> indnkeyatts) AS bad, count(*) > 100 AS many FROM pg_catalog.pg_index",
        )
        .await;
        assert_eq!(mismatched, ["| 0   | true |"]);
        assert_eq!(
            rows(&ctx, "SELECT count(*) FROM pg_catalog.pg_class WHERE reloptions IS NOT NULL").await,
            ["| 0        |"]
        );
    }

    #[tokio::test]
    async fn the_database_views_and_settings_answer_as_postgres() {
        let ctx = served_session().await;
        assert_eq!(rows(&ctx, "SELECT current_database() AS db").await, ["| skillhouse |"]);
        let names = rows(&ctx, "SELECT datname FROM pg_catalog.pg_database ORDER BY datname").await;
        assert!(
            names.iter().any(|n| n.contains("skillhouse")) && !names.iter().any(|n| n.contains(CATALOG_NAME)),
            "{names:?}"
        );
        assert_eq!(
            rows(&ctx, "SELECT count(*) AS n FROM pg_catalog.pg_policies WHERE tablename = 'persons'").await,
            ["| 0 |"]
        );
        let definition =
            rows(&ctx, "SELECT pg_get_viewdef(c.oid) AS d FROM pg_catalog.pg_class c WHERE c.relname = 'recent'").await;
        assert!(definition[0].contains("persons") && definition[0].contains("2023"), "{definition:?}");
        assert_eq!(
            rows(
                &ctx,
                "SELECT current_setting('default_table_access_method') AS s, current_setting('nope', true) AS t"
            )
            .await,
            ["| heap |   |"]
        );
        let unknown = ctx.sql("SELECT current_setting('nope')").await.expect("plans").collect().await;
        assert!(unknown.expect_err("unknown setting").to_string().contains("unrecognized configuration parameter"));
    }
}
