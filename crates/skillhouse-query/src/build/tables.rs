//! Registering tables: the warehouse's Parquet (certificates, duplicate claims, rejects, ledger, agencies, and the
//! training records of DESIGN §16: training, training rejects, providers), the reference CSVs, and Parquet files of
//! a snapshot. Schemas of `docs/warehouse.md` are declared here so a fresh warehouse with no files yet still has
//! every table, empty.

use crate::error::{QueryError, Result};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTableUrl};
use datafusion::prelude::{CsvReadOptions, DataFrame, ParquetReadOptions, SessionContext, cast, col, ident, lit};
use datafusion::scalar::ScalarValue;
use skillhouse_model::schema::{
    CERTIFICATE_COLUMNS, Column, PARTITION_COLUMN, PROVIDER_COLUMNS, RENEWAL_COLUMNS, REVOCATION_COLUMNS,
    TRAINING_COLUMNS, TRAINING_PARTITION_COLUMN,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reference tables read from `datasets/reference/<name>.csv` and stored as `dims/<name>.parquet`
/// (`reportable_indicators`: the indicators an office may report, DESIGN §17).
pub const REFERENCE_TABLES: [&str; 9] = [
    "regions",
    "levels",
    "cert_types",
    "agency_types",
    "programmes",
    "occupations",
    "targets",
    "employment",
    "reportable_indicators",
];

/// Reference tables a reference folder may lack, with their columns: an empty table stands in (a folder made before
/// the table existed). `validity_periods` (DESIGN §18): the certificate types that lapse, and after how many years.
pub const OPTIONAL_REFERENCE_TABLES: [Registry; 1] = [("validity_periods", validity_periods_schema)];

fn validity_periods_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("cert_type", DataType::Utf8, true),
        Field::new("validity_years", DataType::Int32, true),
        Field::new("source", DataType::Utf8, true),
        Field::new("note", DataType::Utf8, true),
    ]))
}

/// Columns of the reference CSVs that are not text. Every other column is read as text, so a new column in a CSV
/// is carried through without a code change.
const TYPED_REFERENCE_COLUMNS: [(&str, &str, DataType); 11] = [
    ("levels", "rank", DataType::Int32),
    ("cert_types", "is_skill", DataType::Boolean),
    ("cert_types", "bears_level", DataType::Boolean),
    ("programmes", "training_target_2025", DataType::Int64),
    ("programmes", "new_high_skilled_target_2025", DataType::Int64),
    ("targets", "year", DataType::Int32),
    ("targets", "target", DataType::Float64),
    ("employment", "year", DataType::Int32),
    ("employment", "employed", DataType::Int64),
    ("employment", "synthetic", DataType::Boolean),
    ("validity_periods", "validity_years", DataType::Int32),
];

/// Name of the raw certificate files table; `certificates` is a view over it that adds `duplicate_claim`.
pub const CERTIFICATE_FILES_TABLE: &str = "certificate_files";

/// The `certificates` view: every stored certificate plus `duplicate_claim`, true when its cert_no is listed in
/// `duplicate_claims/duplicate_claims.parquet`. A view, not a copy: the flag is recomputed by ingestion after every
/// load, and a join against the small list of flagged numbers costs less than rewriting every partition.
const CERTIFICATES_VIEW_SQL: &str = "SELECT c.*, d.cert_no IS NOT NULL AS duplicate_claim \
     FROM certificate_files AS c \
     LEFT JOIN (SELECT DISTINCT cert_no FROM duplicate_claims) AS d ON d.cert_no = c.cert_no";

fn arrow_type(name: &str) -> DataType {
    match name {
        "Date32" => DataType::Date32,
        "Int8" => DataType::Int8,
        "Int32" => DataType::Int32,
        "Int64" => DataType::Int64,
        "Float64" => DataType::Float64,
        "Boolean" => DataType::Boolean,
        _ => DataType::Utf8,
    }
}

/// The Arrow fields of columns of the warehouse contract.
fn contract_fields(columns: &[Column]) -> Vec<Field> {
    columns.iter().map(|c| Field::new(c.name, arrow_type(c.arrow_type), c.nullable)).collect()
}

/// Columns of the certificate files (the partition column `issue_year` excluded), from `skillhouse_model::schema`.
pub fn certificate_file_schema() -> SchemaRef {
    Arc::new(Schema::new(contract_fields(&CERTIFICATE_COLUMNS)))
}

/// Columns of the training provider registry (`providers/providers.parquet`), from `skillhouse_model::schema`.
fn providers_schema() -> SchemaRef {
    Arc::new(Schema::new(contract_fields(&PROVIDER_COLUMNS)))
}

fn utf8(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| Field::new(*n, DataType::Utf8, true)).collect()
}

fn duplicate_claims_schema() -> SchemaRef {
    Arc::new(Schema::new(utf8(&["cert_no", "counted_cert_no", "person_key", "occupation_code", "level"])))
}

fn agencies_schema() -> SchemaRef {
    let mut fields = utf8(&["agency_id", "name", "agency_type", "region_code"]);
    fields.push(Field::new("registered_on", DataType::Date32, true));
    // Absent from registries written before agencies could leave (DESIGN §18): read as null, none has left.
    fields.push(Field::new("deregistered_on", DataType::Date32, true));
    Arc::new(Schema::new(fields))
}

/// Columns of the revocation register (`revocations/revocations.parquet`, DESIGN §18).
fn revocations_schema() -> SchemaRef {
    Arc::new(Schema::new(contract_fields(&REVOCATION_COLUMNS)))
}

/// Columns of the renewal register (`renewals/renewals.parquet`, DESIGN §18).
fn renewals_schema() -> SchemaRef {
    Arc::new(Schema::new(contract_fields(&RENEWAL_COLUMNS)))
}

fn rejects_schema() -> SchemaRef {
    let mut fields = utf8(&["batch_id", "source_file"]);
    fields.push(Field::new("source_row", DataType::Int64, true));
    fields.extend(utf8(&["reason", "field", "detail", "agency_id", "period", "row_json"]));
    Arc::new(Schema::new(fields))
}

fn ledger_schema() -> SchemaRef {
    let mut fields = utf8(&["source_file", "content_hash", "agency_id", "period", "format", "encoding", "batch_id"]);
    fields.push(Field::new("status", DataType::Utf8, true));
    for name in ["rows_read", "rows_accepted", "rows_rejected"] {
        fields.push(Field::new(name, DataType::Int64, true));
    }
    fields.extend(utf8(&["rejects_by_reason", "message", "superseded_by"]));
    fields.push(Field::new("ingested_at", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true));
    fields.push(Field::new("duration_ms", DataType::Int64, true));
    // `certificates` or `training`; null in a ledger written before training existed (certificates).
    fields.push(Field::new("input", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// The figures offices reported (DESIGN §17, `reported/reported.parquet`): one row per key, the latest file's, as
/// ingestion keeps them (docs/warehouse.md).
fn reported_schema() -> SchemaRef {
    let mut fields = utf8(&["indicator_id", "region_code"]);
    fields.push(Field::new("year", DataType::Int32, true));
    fields.extend(utf8(&["programme", "agency_type"]));
    fields.push(Field::new("value", DataType::Float64, true));
    fields.extend(utf8(&["unit", "reported_by"]));
    fields.push(Field::new("reported_on", DataType::Date32, true));
    fields.extend(utf8(&["source_note", "source_file"]));
    fields.push(Field::new("source_row", DataType::Int64, true));
    fields.extend(utf8(&["batch_id", "content_hash"]));
    Arc::new(Schema::new(fields))
}

/// Every `*.parquet` file under `dir` (recursively), sorted.
pub(crate) fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| QueryError::io("listing", &d, e))?;
        for entry in entries {
            let path = entry.map_err(|e| QueryError::io("listing", &d, e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A path as DataFusion's listing URL: absolute, with a trailing slash for folders.
fn listing_path(path: &Path, folder: bool) -> Result<String> {
    let absolute = std::path::absolute(path).map_err(|e| QueryError::io("resolving", path, e))?;
    let mut text = absolute.to_string_lossy().into_owned();
    if folder && !text.ends_with('/') {
        text.push('/');
    }
    Ok(text)
}

pub(crate) fn register_empty(ctx: &SessionContext, table: &str, schema: SchemaRef, path: &Path) -> Result<()> {
    let empty = MemTable::try_new(schema, vec![vec![]]).map_err(|source| QueryError::Register {
        table: table.into(),
        path: path.into(),
        source,
    })?;
    ctx.register_table(table, Arc::new(empty)).map_err(|source| QueryError::Register {
        table: table.into(),
        path: path.into(),
        source,
    })?;
    Ok(())
}

/// Registers one Parquet file, or an empty table of `schema` when the file does not exist.
pub(crate) async fn register_parquet_file(
    ctx: &SessionContext,
    table: &str,
    path: &Path,
    schema: Option<SchemaRef>,
) -> Result<()> {
    if !path.is_file() {
        return match schema {
            Some(schema) => register_empty(ctx, table, schema, path),
            None => Err(QueryError::Layout { path: path.into(), message: format!("`{table}` is missing") }),
        };
    }
    ctx.register_parquet(table, listing_path(path, false)?, ParquetReadOptions::default())
        .await
        .map_err(|source| QueryError::Register { table: table.into(), path: path.into(), source })
}

/// Registers a folder of Parquet files, or an empty table of `schema` when it holds none (an error without one).
pub(crate) async fn register_parquet_dir(
    ctx: &SessionContext,
    table: &str,
    dir: &Path,
    schema: Option<SchemaRef>,
) -> Result<()> {
    let Some(first) = parquet_files(dir)?.into_iter().next() else {
        return match schema {
            Some(schema) => register_empty(ctx, table, schema, dir),
            None => Err(QueryError::Layout { path: dir.into(), message: format!("`{table}` has no files") }),
        };
    };
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let schema = schema_of_first_file(ctx, table, &options, dir, &first).await?;
    ctx.register_listing_table(table, listing_path(dir, true)?, options, Some(schema), None)
        .await
        .map_err(|source| QueryError::Register { table: table.into(), path: dir.into(), source })
}

/// The schema of a folder of Parquet files written alike (a warehouse's certificate or reject files, a model's
/// year files), read from its first file. DataFusion's own inference reads and merges the footer of every file:
/// 8,400 files per folder in the benchmark warehouses, five seconds of a 10M-row build before anything was computed.
async fn schema_of_first_file(
    ctx: &SessionContext,
    table: &str,
    options: &ListingOptions,
    dir: &Path,
    first: &Path,
) -> Result<SchemaRef> {
    let registering = |source| QueryError::Register { table: table.into(), path: dir.into(), source };
    let url = ListingTableUrl::parse(listing_path(first, false)?).map_err(registering)?;
    options.infer_schema(&ctx.state(), &url).await.map_err(registering)
}

/// A Hive-partitioned folder of the warehouse contract: its table name, folder, partition column, the columns its
/// files hold and the order ingestion sorts their rows in.
struct PartitionedTable {
    table: &'static str,
    folder: &'static str,
    partition_column: &'static str,
    columns: &'static [Column],
    sorted_by: &'static [&'static str],
}

/// `certificates/issue_year=YYYY/` (docs/warehouse.md), registered as `certificate_files`.
const CERTIFICATE_FILES: PartitionedTable = PartitionedTable {
    table: CERTIFICATE_FILES_TABLE,
    folder: "certificates",
    partition_column: PARTITION_COLUMN,
    columns: &CERTIFICATE_COLUMNS,
    sorted_by: &["region_code", "issue_date", "cert_type", "level_rank"],
};

/// `training/end_year=YYYY/` (docs/warehouse.md, DESIGN §16), registered as `training`: one row per accepted 人次.
const TRAINING_FILES: PartitionedTable = PartitionedTable {
    table: "training",
    folder: "training",
    partition_column: TRAINING_PARTITION_COLUMN,
    columns: &TRAINING_COLUMNS,
    sorted_by: &["region_code", "end_date", "provider_id", "class_id"],
};

/// Registers a Hive-partitioned folder (the partition column an Int32, the files declared sorted as ingestion writes
/// them), refusing files that lack a contract column; an empty table of the contract's columns when it has no files.
async fn register_partitioned(ctx: &SessionContext, warehouse: &Path, spec: &PartitionedTable) -> Result<()> {
    let dir = warehouse.join(spec.folder);
    let table = spec.table;
    let files = parquet_files(&dir)?;
    let Some(first) = files.first() else {
        let mut fields = contract_fields(spec.columns);
        fields.push(Field::new(spec.partition_column, DataType::Int32, false));
        return register_empty(ctx, table, Arc::new(Schema::new(fields)), &dir);
    };
    let sort_order = spec.sorted_by.iter().map(|name| col(*name).sort(true, false)).collect();
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![(spec.partition_column.to_string(), DataType::Int32)])
        .with_file_sort_order(vec![sort_order]);
    let schema = schema_of_first_file(ctx, table, &options, &dir, first).await?;
    ctx.register_listing_table(table, listing_path(&dir, true)?, options, Some(schema), None)
        .await
        .map_err(|source| QueryError::Register { table: table.into(), path: dir.clone(), source })?;
    let registered = ctx.table(table).await.map_err(|source| QueryError::Register {
        table: table.into(),
        path: dir.clone(),
        source,
    })?;
    let missing: Vec<&str> = spec
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|name| registered.schema().field_with_unqualified_name(name).is_err())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(QueryError::Layout {
            path: dir,
            message: format!("the files of `{}/` lack the column(s) {}", spec.folder, missing.join(", ")),
        })
    }
}

/// Registers `certificate_files` (Hive-partitioned by `issue_year`, declared sorted as ingestion writes them),
/// `duplicate_claims` and the `certificates` view that joins them.
async fn register_certificates(ctx: &SessionContext, warehouse: &Path) -> Result<()> {
    register_partitioned(ctx, warehouse, &CERTIFICATE_FILES).await?;
    let dir = warehouse.join(CERTIFICATE_FILES.folder);
    let claims = warehouse.join("duplicate_claims").join("duplicate_claims.parquet");
    register_parquet_file(ctx, "duplicate_claims", &claims, Some(duplicate_claims_schema())).await?;
    let view = ctx.sql(CERTIFICATES_VIEW_SQL).await.map_err(|e| QueryError::engine("defining `certificates`", e))?;
    ctx.register_table("certificates", view.into_view()).map_err(|source| QueryError::Register {
        table: "certificates".into(),
        path: dir,
        source,
    })?;
    Ok(())
}

/// Where snapshots before the per-year layout kept their compacted copy of `certificates` (one file).
pub const COMPACT_CERTIFICATES_FILE: &str = "compact/certificates.parquet";

/// Shadows `certificates` and `certificate_files` with a snapshot's compacted copy of `certificates`: one file per
/// issue year (`compact/certificates/2024.parquet`, written by the build from the base files and the duplicate
/// claims), or the single file of older snapshots. The copy holds the same rows and columns; reading a few files
/// with large row groups instead of one small file per agency-month is what makes the build and the served queries
/// fast.
pub(crate) async fn use_compact_certificates(ctx: &SessionContext, path: &Path) -> Result<()> {
    let dropped = |e| QueryError::engine("replacing `certificates` with its compacted copy", e);
    let schema = ctx.table("certificates").await.map_err(dropped)?.schema().as_arrow().clone();
    ctx.deregister_table("certificates").map_err(dropped)?;
    ctx.deregister_table(CERTIFICATE_FILES_TABLE).map_err(dropped)?;
    if path.is_dir() {
        register_parquet_dir(ctx, "certificates", path, Some(Arc::new(schema))).await?;
    } else {
        register_parquet_file(ctx, "certificates", path, None).await?;
    }
    let compact = ctx.table("certificates").await.map_err(dropped)?;
    let columns: Vec<datafusion::prelude::Expr> =
        compact.schema().fields().iter().filter(|f| f.name() != "duplicate_claim").map(|f| ident(f.name())).collect();
    let files = compact.select(columns).map_err(dropped)?;
    ctx.register_table(CERTIFICATE_FILES_TABLE, files.into_view()).map_err(dropped)?;
    Ok(())
}

/// Where a snapshot keeps its compacted copy of `training`: one file, written by every build from the base files.
pub const COMPACT_TRAINING_FILE: &str = "compact/training.parquet";

/// Shadows `training` with a snapshot's compacted copy ([`COMPACT_TRAINING_FILE`]): the same rows and columns in one
/// file with large row groups, where the base holds one small file per provider and month (≈19,000 at 10M
/// certificates, each scan of which cost every training query 15–25 s in per-file overhead).
pub(crate) async fn use_compact_training(ctx: &SessionContext, path: &Path) -> Result<()> {
    let failed = |e| QueryError::engine("replacing `training` with its compacted copy", e);
    let schema = ctx.table("training").await.map_err(failed)?.schema().as_arrow().clone();
    ctx.deregister_table("training").map_err(failed)?;
    register_parquet_file(ctx, "training", path, Some(Arc::new(schema))).await
}

/// Registers the warehouse's base tables: `certificate_files`, `duplicate_claims`, `certificates`, `rejects`,
/// `ledger`, and the training records `training` (Hive-partitioned by `end_year`) and `training_rejects` (DESIGN
/// §16). Missing folders give empty tables.
pub async fn register_warehouse(ctx: &SessionContext, warehouse: &Path) -> Result<()> {
    register_certificates(ctx, warehouse).await?;
    register_parquet_dir(ctx, "rejects", &warehouse.join("rejects"), Some(rejects_schema())).await?;
    register_partitioned(ctx, warehouse, &TRAINING_FILES).await?;
    // Training rejects have the columns of `rejects`, `agency_id` holding the provider (docs/warehouse.md).
    let training_rejects = warehouse.join("training_rejects");
    register_parquet_dir(ctx, "training_rejects", &training_rejects, Some(rejects_schema())).await?;
    // Reported figures' rejected rows (DESIGN §17), with the columns of `rejects` (`agency_id` empty).
    let reported_rejects = warehouse.join("reported_rejects");
    register_parquet_dir(ctx, "reported_rejects", &reported_rejects, Some(rejects_schema())).await?;
    let ledger = warehouse.join("ledger").join("ledger.parquet");
    register_parquet_file(ctx, "ledger", &ledger, Some(ledger_schema())).await?;
    with_input_column(ctx, &ledger).await
}

/// A ledger written before training existed has no `input` column: all its files are certificates. The table gets
/// the column (null, read as `certificates`), so the SQL over it is the same for old and new ledgers.
async fn with_input_column(ctx: &SessionContext, ledger: &Path) -> Result<()> {
    let failed = |source| QueryError::Register { table: "ledger".into(), path: ledger.into(), source };
    let table = ctx.table("ledger").await.map_err(failed)?;
    if table.schema().has_column_with_unqualified_name("input") {
        return Ok(());
    }
    let widened = table.with_column("input", cast(lit(ScalarValue::Utf8(None)), DataType::Utf8)).map_err(failed)?;
    ctx.deregister_table("ledger").map_err(failed)?;
    ctx.register_table("ledger", widened.into_view()).map_err(failed)?;
    Ok(())
}

/// A registry's (or an optional reference table's) name and its columns (for a warehouse that has not loaded it, a
/// reference folder without it).
pub type Registry = (&'static str, fn() -> SchemaRef);

/// The registries the build copies from the warehouse into the snapshot's `dims/` (as last loaded): the agency
/// registry, the training provider registry, the reported figures (DESIGN §17), and the HR office's registers of
/// DESIGN §18 with their rejected rows (revocations, renewals). Each is `<table>/<table>.parquet` in the warehouse
/// (`skillhouse_model::layout`).
pub(crate) const REGISTRIES: [Registry; 7] = [
    ("agencies", agencies_schema),
    ("providers", providers_schema),
    ("reported", reported_schema),
    ("revocations", revocations_schema),
    ("revocation_rejects", rejects_schema),
    ("renewals", renewals_schema),
    ("renewal_rejects", rejects_schema),
];

/// Registers the warehouse's registries (`agencies/agencies.parquet`, `providers/providers.parquet`) as `agencies`
/// and `providers`; an empty table where a registry was never loaded.
pub(crate) async fn register_warehouse_registries(ctx: &SessionContext, warehouse: &Path) -> Result<()> {
    for (table, schema) in REGISTRIES {
        let path = warehouse.join(table).join(format!("{table}.parquet"));
        register_parquet_file(ctx, table, &path, Some(schema())).await?;
        with_missing_columns(ctx, table, &path, &schema()).await?;
    }
    Ok(())
}

/// A registry written before a column of `schema` existed (the agencies' `deregistered_on`) gets it, null, so the
/// SQL over it is the same for old and new warehouses.
async fn with_missing_columns(ctx: &SessionContext, table: &str, path: &Path, schema: &SchemaRef) -> Result<()> {
    let failed = |source| QueryError::Register { table: table.into(), path: path.into(), source };
    let mut frame = ctx.table(table).await.map_err(failed)?;
    let mut widened = false;
    for field in schema.fields() {
        if !frame.schema().has_column_with_unqualified_name(field.name()) {
            let null = ScalarValue::try_from(field.data_type()).map_err(failed)?;
            frame = frame.with_column(field.name(), cast(lit(null), field.data_type().clone())).map_err(failed)?;
            widened = true;
        }
    }
    if widened {
        ctx.deregister_table(table).map_err(failed)?;
        ctx.register_table(table, frame.into_view()).map_err(failed)?;
    }
    Ok(())
}

/// Registers an empty table for each registry a snapshot's `dims/` lacks (snapshots built before the training
/// provider registry existed have no `providers`).
pub(crate) async fn register_missing_registries(ctx: &SessionContext, snapshot_dir: &Path) -> Result<()> {
    for (table, schema) in REGISTRIES {
        let path = snapshot_dir.join("dims").join(format!("{table}.parquet"));
        if !path.is_file() {
            register_empty(ctx, table, schema(), &path)?;
        }
    }
    Ok(())
}

/// Reads `<reference_dir>/<table>.csv` with every column as text except the typed ones, in file column order.
pub(crate) async fn read_reference_csv(ctx: &SessionContext, reference_dir: &Path, table: &str) -> Result<DataFrame> {
    let path = reference_dir.join(format!("{table}.csv"));
    let text = std::fs::read_to_string(&path).map_err(|e| QueryError::io("reading", &path, e))?;
    let header = text.lines().next().unwrap_or_default().trim_start_matches('\u{feff}');
    let names: Vec<String> = header.split(',').map(|h| h.trim().trim_matches('"').to_string()).collect();
    if names.iter().any(String::is_empty) {
        return Err(QueryError::Layout { path, message: "the header row has an empty column name".into() });
    }
    let raw_schema = Schema::new(names.iter().map(|n| Field::new(n, DataType::Utf8, true)).collect::<Vec<_>>());
    let options =
        CsvReadOptions::new().has_header(true).schema(&raw_schema).newlines_in_values(true).file_extension(".csv");
    let raw = ctx.read_csv(listing_path(&path, false)?, options).await.map_err(|source| QueryError::Register {
        table: table.into(),
        path: path.clone(),
        source,
    })?;
    let projection = names
        .iter()
        .map(|name| {
            let typed = TYPED_REFERENCE_COLUMNS.iter().find(|(t, c, _)| *t == table && c == name);
            match typed {
                Some((_, _, data_type)) => cast(ident(name), data_type.clone()).alias(name),
                None => ident(name),
            }
        })
        .collect::<Vec<_>>();
    raw.select(projection).map_err(|source| QueryError::Register { table: table.into(), path, source })
}
