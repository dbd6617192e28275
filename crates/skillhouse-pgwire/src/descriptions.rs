//! SkillHouse's table and column comments (`sql/comments.toml`: 技能人才, 高技能人才, 发证日期 …) as Postgres sees
//! comments: rows of `pg_catalog.pg_description` (DBeaver's and Superset's browsers join it) and the functions
//! `obj_description` and `col_description` (psql's `\dt+`, `\d+`), plus `pg_size_pretty`, which psql's `\dt+`
//! calls as well.
//!
//! datafusion-postgres hands out object ids (OIDs) as it first meets each table and keeps them by name, so the
//! comments are keyed by the OIDs it reports for our tables in this session (each snapshot gets its own).
//! `pg_description` keeps datafusion-postgres's rows (the built-in functions' descriptions) and adds ours.

use crate::error::{PgError, Result};
use skillhouse_query::Comments;
use skillhouse_query::datafusion::arrow::array::{Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use skillhouse_query::datafusion::arrow::compute::cast;
use skillhouse_query::datafusion::arrow::datatypes::DataType;
use skillhouse_query::datafusion::catalog::TableProvider;
use skillhouse_query::datafusion::common::{DataFusionError, Result as DfResult, exec_err};
use skillhouse_query::datafusion::datasource::MemTable;
use skillhouse_query::datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use skillhouse_query::datafusion::prelude::SessionContext;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Comments by (object OID, sub-id): sub-id 0 is the table, n its n-th column.
pub(crate) type CommentMap = HashMap<(i64, i64), String>;

fn catalog_error(source: DataFusionError) -> PgError {
    PgError::Catalog(Box::new(source))
}

/// Registers the functions and returns the `pg_description` that carries our comments, for [`crate::catalog`] to
/// put in place of datafusion-postgres's. Call once per session, after `setup_pg_catalog`.
pub(crate) async fn install(ctx: &SessionContext) -> Result<Arc<dyn TableProvider>> {
    let builtin = collect(ctx, "SELECT objoid, classoid, objsubid, description FROM pg_catalog.pg_description").await?;
    let (map, pg_class_oid) = comment_map(ctx).await?;
    let description = description_table(builtin, &map, pg_class_oid)?;
    let map = Arc::new(map);
    ctx.register_udf(ScalarUDF::new_from_impl(Description::object(Arc::clone(&map))));
    ctx.register_udf(ScalarUDF::new_from_impl(Description::column(Arc::clone(&map))));
    ctx.register_udf(ScalarUDF::new_from_impl(SizePretty::new()));
    tracing::debug!(comments = map.len(), "table and column comments installed for the Postgres wire");
    Ok(description)
}

/// Our comments keyed by the OIDs datafusion-postgres reports for our tables, and the OID of `pg_class` itself.
async fn comment_map(ctx: &SessionContext) -> Result<(CommentMap, i64)> {
    let comments = Comments::bundled()?;
    let tables = collect(
        ctx,
        "SELECT CAST(c.oid AS BIGINT) AS oid, CAST(c.relname AS VARCHAR) AS relname, \
                CAST(n.nspname AS VARCHAR) AS nspname \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('public', 'pg_catalog')",
    )
    .await?;
    let mut oids: HashMap<String, i64> = HashMap::new();
    let mut pg_class_oid = None;
    for batch in &tables {
        let (oid, name, schema) = (int64(batch, 0)?, utf8(batch, 1)?, utf8(batch, 2)?);
        for row in 0..batch.num_rows() {
            match (schema.value(row), name.value(row)) {
                ("public", table) => {
                    oids.insert(table.to_string(), oid.value(row));
                }
                ("pg_catalog", "pg_class") => pg_class_oid = Some(oid.value(row)),
                _ => {}
            }
        }
    }
    let columns = collect(
        ctx,
        "SELECT CAST(attrelid AS BIGINT) AS attrelid, CAST(attnum AS BIGINT) AS attnum, \
                CAST(attname AS VARCHAR) AS attname \
         FROM pg_catalog.pg_attribute WHERE attnum > 0",
    )
    .await?;
    let table_of: HashMap<i64, &str> = oids.iter().map(|(name, oid)| (*oid, name.as_str())).collect();
    let mut map = CommentMap::new();
    for (table, oid) in &oids {
        if let Some(comment) = comments.table(table) {
            map.insert((*oid, 0), comment.to_string());
        }
    }
    for batch in &columns {
        let (relid, attnum, attname) = (int64(batch, 0)?, int64(batch, 1)?, utf8(batch, 2)?);
        for row in 0..batch.num_rows() {
            if let Some(table) = table_of.get(&relid.value(row))
                && let Some(comment) = comments.column(table, attname.value(row))
            {
                map.insert((relid.value(row), attnum.value(row)), comment.to_string());
            }
        }
    }
    // 1259 is pg_class's OID in Postgres itself; datafusion-postgres lists pg_class, so this is a fallback only.
    Ok((map, pg_class_oid.unwrap_or(1259)))
}

/// `pg_description`: the built-in rows and ours, with `classoid` the OID of `pg_class` as it is reported here.
fn description_table(builtin: Vec<RecordBatch>, map: &CommentMap, pg_class_oid: i64) -> Result<Arc<dyn TableProvider>> {
    let mut entries: Vec<(&(i64, i64), &String)> = map.iter().collect();
    entries.sort();
    let to_i32 = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    let schema = match builtin.first() {
        Some(batch) => batch.schema(),
        None => return Err(catalog_error(DataFusionError::Plan("pg_description is empty".into()))),
    };
    let ours = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int32Array::from_iter_values(entries.iter().map(|((oid, _), _)| to_i32(*oid)))) as ArrayRef,
            Arc::new(Int32Array::from_iter_values(entries.iter().map(|_| to_i32(pg_class_oid)))),
            Arc::new(Int32Array::from_iter_values(entries.iter().map(|((_, sub), _)| to_i32(*sub)))),
            Arc::new(StringArray::from_iter_values(entries.iter().map(|(_, text)| text.as_str()))),
        ],
    )
    .map_err(|e| catalog_error(e.into()))?;
    let mut batches = builtin;
    batches.push(ours);
    let table = MemTable::try_new(schema, vec![batches]).map_err(catalog_error)?;
    Ok(Arc::new(table))
}

async fn collect(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let frame = ctx.sql(sql).await.map_err(catalog_error)?;
    frame.collect().await.map_err(catalog_error)
}

fn int64(batch: &RecordBatch, index: usize) -> Result<Int64Array> {
    let column = cast(batch.column(index), &DataType::Int64).map_err(|e| catalog_error(e.into()))?;
    column
        .as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| catalog_error(DataFusionError::Internal("cast to Int64".into())))
}

fn utf8(batch: &RecordBatch, index: usize) -> Result<StringArray> {
    let column = cast(batch.column(index), &DataType::Utf8).map_err(|e| catalog_error(e.into()))?;
    column
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| catalog_error(DataFusionError::Internal("cast to Utf8".into())))
}

/// `obj_description(oid [, catalog])` and `col_description(oid, column_number)`, and `pg_get_viewdef(oid [,
/// pretty])` over a map of view definitions: text looked up by object id, null for an unknown one.
#[derive(Debug)]
pub(crate) struct Description {
    name: &'static str,
    map: Arc<CommentMap>,
    signature: Signature,
}

impl Description {
    fn object(map: Arc<CommentMap>) -> Self {
        Self { name: "obj_description", map, signature: Signature::variadic_any(Volatility::Stable) }
    }

    fn column(map: Arc<CommentMap>) -> Self {
        Self { name: "col_description", map, signature: Signature::any(2, Volatility::Stable) }
    }

    /// `pg_get_viewdef` over view definitions keyed by (view OID, 0).
    pub(crate) fn view_definition(map: CommentMap) -> Self {
        Self { name: "pg_get_viewdef", map: Arc::new(map), signature: Signature::variadic_any(Volatility::Stable) }
    }
}

impl PartialEq for Description {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.map, &other.map)
    }
}

impl Eq for Description {}

impl Hash for Description {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        Arc::as_ptr(&self.map).hash(state);
    }
}

impl ScalarUDFImpl for Description {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(oids) = arrays.first() else { return exec_err!("{} needs an object id", self.name) };
        let oids = cast(oids, &DataType::Int64)?;
        let oids = oids.as_any().downcast_ref::<Int64Array>().cloned().unwrap_or_else(|| Int64Array::new_null(rows));
        let out: StringArray = if self.name == "col_description" {
            let numbers = cast(&arrays[1], &DataType::Int64)?;
            let numbers =
                numbers.as_any().downcast_ref::<Int64Array>().cloned().unwrap_or_else(|| Int64Array::new_null(rows));
            (0..oids.len())
                .map(|i| {
                    (oids.is_valid(i) && numbers.is_valid(i))
                        .then(|| self.map.get(&(oids.value(i), numbers.value(i))))
                        .flatten()
                        .map(String::as_str)
                })
                .collect()
        } else {
            // Only relations have comments here: obj_description(oid, 'pg_class') or obj_description(oid).
            // pg_get_viewdef's second argument says how to print, not what to look up.
            let catalog_given = arrays.get(1).filter(|_| self.name == "obj_description");
            let catalogs = catalog_given.map(|a| cast(a, &DataType::Utf8)).transpose()?;
            let catalogs = catalogs.as_ref().and_then(|a| a.as_any().downcast_ref::<StringArray>());
            (0..oids.len())
                .map(|i| {
                    let about_relations = catalogs.is_none_or(|c| c.is_valid(i) && c.value(i) == "pg_class");
                    (oids.is_valid(i) && about_relations)
                        .then(|| self.map.get(&(oids.value(i), 0)))
                        .flatten()
                        .map(String::as_str)
                })
                .collect()
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// `pg_size_pretty(bigint)`, as Postgres prints sizes: `8192 bytes`, `16 kB`, `3 MB` ….
#[derive(Debug, PartialEq, Eq, Hash)]
struct SizePretty {
    signature: Signature,
}

impl SizePretty {
    fn new() -> Self {
        Self { signature: Signature::any(1, Volatility::Immutable) }
    }
}

/// Postgres's rounding: a unit is used from 10 of the next smaller unit on, halves rounding up.
fn size_pretty(bytes: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes;
    let mut unit = 0;
    while unit + 1 < units.len() && value.abs() >= 10 * 1024 {
        value = (value + 512) / 1024;
        unit += 1;
    }
    format!("{value} {}", units[unit])
}

impl ScalarUDFImpl for SizePretty {
    fn name(&self) -> &str {
        "pg_size_pretty"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let sizes = cast(&arrays[0], &DataType::Int64)?;
        let sizes = sizes
            .as_any()
            .downcast_ref::<Int64Array>()
            .cloned()
            .unwrap_or_else(|| Int64Array::new_null(args.number_rows));
        let out: StringArray = sizes.iter().map(|v| v.map(size_pretty)).collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::size_pretty;

    #[test]
    fn sizes_print_as_postgres_prints_them() {
        assert_eq!(size_pretty(0), "0 bytes");
        assert_eq!(size_pretty(10239), "10239 bytes");
        assert_eq!(size_pretty(10240), "10 kB");
        assert_eq!(size_pretty(3 << 20), "3072 kB");
        assert_eq!(size_pretty(30 << 20), "30 MB");
    }
}
