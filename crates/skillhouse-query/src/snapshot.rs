//! Building a snapshot (dims, models, indicator values, catalogue, manifest) and opening the published one.

use crate::base;
use crate::catalog::{SqlCatalog, SqlFile};
use crate::config::{QueryConfig, read_only_sql_options};
use crate::error::{QueryError, Result};
use crate::gate::{GateConfig, Previous, run_gate};
use crate::lock::{self, LeaseRefused, SnapshotLease};
use crate::manifest::{FileEntry, MANIFEST_FILE, Manifest, read_manifest, warehouse_summary};
use crate::params::BuildParams;
use crate::tables;
use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::{cast, filter_record_batch, is_null};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::common::ParamValues;
use datafusion::datasource::MemTable;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Relative tolerance of the `~` (about, 左右) comparator: a value within 5% below the target, or above it, is met.
pub const APPROX_TOLERANCE: f64 = 0.05;

/// Joins every indicator row with its target (DESIGN §8): gap = value − target; status `met` / `behind` per the
/// target's comparator (`>=`, `<=`, `=`, `~`), `n/a` without a target or a value. A target matches on indicator,
/// region, year, programme and agency type, nulls matching nulls; should two targets share a key, the first by
/// target_id wins. (`IS NOT DISTINCT FROM` is parenthesised: the parser would otherwise take the following `AND`
/// into its right operand.)
const INDICATOR_VALUES_SQL: &str = "
WITH ranked AS (
    SELECT indicator_id, region_code, year, programme, agency_type, target, comparator,
        ROW_NUMBER() OVER (PARTITION BY indicator_id, region_code, year, programme, agency_type ORDER BY target_id) AS rn
    FROM targets
),
t AS (SELECT * FROM ranked WHERE rn = 1)
SELECT
    v.indicator_id, v.region_code, v.year, v.programme, v.agency_type, v.value, v.numerator, v.denominator,
    t.target,
    v.value - t.target AS gap,
    CASE
        WHEN t.target IS NULL OR v.value IS NULL THEN 'n/a'
        WHEN t.comparator = '>=' THEN CASE WHEN v.value >= t.target THEN 'met' ELSE 'behind' END
        WHEN t.comparator = '<=' THEN CASE WHEN v.value <= t.target THEN 'met' ELSE 'behind' END
        WHEN t.comparator = '=' THEN CASE WHEN v.value = t.target THEN 'met' ELSE 'behind' END
        WHEN t.comparator = '~' THEN
            CASE WHEN v.value >= t.target * (1.0 - CAST($approx_tolerance AS DOUBLE)) THEN 'met' ELSE 'behind' END
        ELSE 'n/a'
    END AS status,
    CAST($definition_version AS VARCHAR) AS definition_version
FROM indicator_rows AS v
LEFT JOIN t
  ON t.indicator_id = v.indicator_id AND t.region_code = v.region_code AND t.year = v.year
 AND (t.programme IS NOT DISTINCT FROM v.programme) AND (t.agency_type IS NOT DISTINCT FROM v.agency_type)
ORDER BY v.indicator_id, v.region_code, v.year, v.programme NULLS FIRST, v.agency_type NULLS FIRST";

/// Columns every indicator file returns, in order.
fn indicator_rows_fields() -> Vec<Field> {
    vec![
        Field::new("indicator_id", DataType::Utf8, false),
        Field::new("region_code", DataType::Utf8, true),
        Field::new("year", DataType::Int32, true),
        Field::new("programme", DataType::Utf8, true),
        Field::new("agency_type", DataType::Utf8, true),
        Field::new("value", DataType::Float64, true),
        Field::new("numerator", DataType::Int64, true),
        Field::new("denominator", DataType::Int64, true),
    ]
}

/// Schema of `indicator_values` (DESIGN §8).
pub fn indicator_values_schema() -> SchemaRef {
    let mut fields = indicator_rows_fields();
    fields.extend([
        Field::new("target", DataType::Float64, true),
        Field::new("gap", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("definition_version", DataType::Utf8, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// Catalogue columns, taken from the indicator file headers.
const CATALOGUE_KEYS: [&str; 10] =
    ["title_zh", "title_en", "unit", "grain", "target", "comparator", "source", "clause", "description", "file"];

/// What [`build_snapshot`] did (serialisable for `skillhouse rebuild --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildReport {
    /// The snapshot folder.
    pub snapshot_dir: PathBuf,
    /// The manifest written to it.
    pub manifest: Manifest,
    /// Wall time of each stored table's computation, in milliseconds, by table.
    pub timings_ms: BTreeMap<String, u64>,
    /// Wall time of each phase (`link`, `dims`, `models`, `indicators`, `gate`, `manifest`), in milliseconds.
    pub phases_ms: BTreeMap<String, u64>,
    /// Base files copied because the filesystem refused hard links (0 normally).
    pub base_files_copied: usize,
    /// Base files whose checksums were taken over from the previous snapshot (unchanged files).
    pub base_files_reused: usize,
    /// Wall time of the whole build, in milliseconds.
    pub elapsed_ms: u64,
}

/// A build progress callback: `(phase, done, total)`.
pub type BuildProgressFn<'a> = dyn Fn(&str, usize, usize) + Sync + 'a;

/// Options of [`build_snapshot_with_options`].
#[derive(Default)]
pub struct BuildOptions<'a> {
    /// The snapshot folder published before this build: the gate compares against it, and checksums of the
    /// warehouse files it shares with the new snapshot are taken over instead of recomputed.
    pub previous: Option<&'a Path>,
    /// Run the release gate with these thresholds (its report goes into the manifest and the build report).
    pub gate: Option<&'a GateConfig>,
    /// Called as the build moves on: `(phase, done, total)`, e.g. `("models", 2, 5)`.
    pub progress: Option<&'a BuildProgressFn<'a>>,
}

impl std::fmt::Debug for BuildOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions").field("previous", &self.previous).field("gate", &self.gate).finish()
    }
}

/// A snapshot id from the build time: `20250531T220000Z`.
pub fn new_snapshot_id(built_at: chrono::DateTime<Utc>) -> String {
    built_at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Builds a snapshot into `snapshot_dir` with the bundled SQL, the parameters of DESIGN §8 and the default
/// configuration. The folder's name is the snapshot id. Publishing (writing `CURRENT`) is the caller's step.
pub async fn build_snapshot(
    warehouse_dir: &Path,
    reference_dir: &Path,
    as_of: NaiveDate,
    snapshot_dir: &Path,
) -> Result<BuildReport> {
    let catalog = SqlCatalog::bundled()?;
    build_snapshot_with(
        warehouse_dir,
        reference_dir,
        snapshot_dir,
        &BuildParams::new(as_of),
        &catalog,
        &QueryConfig::default(),
    )
    .await
}

/// [`build_snapshot`] with explicit parameters, definitions and configuration.
pub async fn build_snapshot_with(
    warehouse_dir: &Path,
    reference_dir: &Path,
    snapshot_dir: &Path,
    params: &BuildParams,
    catalog: &SqlCatalog,
    config: &QueryConfig,
) -> Result<BuildReport> {
    build_snapshot_with_options(
        warehouse_dir,
        reference_dir,
        snapshot_dir,
        params,
        catalog,
        config,
        &BuildOptions::default(),
    )
    .await
}

/// Builds a snapshot into `snapshot_dir`: links the warehouse's current base files into it (certificate
/// partitions, rejects, duplicate claims, ledger — see `docs/warehouse.md`), then builds dimensions, models,
/// indicator values and the catalogue from those links, runs the release gate if asked, and writes
/// `manifest.json` last. Every file and folder is fsynced before the manifest is written, so a folder with a
/// manifest is complete; one without is the remains of a crashed build. Publishing is the caller's step.
pub async fn build_snapshot_with_options(
    warehouse_dir: &Path,
    reference_dir: &Path,
    snapshot_dir: &Path,
    params: &BuildParams,
    catalog: &SqlCatalog,
    config: &QueryConfig,
    options: &BuildOptions<'_>,
) -> Result<BuildReport> {
    let started = Instant::now();
    let progress = |phase: &str, done: usize, total: usize| {
        if let Some(report) = options.progress {
            report(phase, done, total);
        }
    };
    let snapshot_id = snapshot_dir.file_name().and_then(|n| n.to_str()).unwrap_or("snapshot").to_string();
    for sub in ["dims", "models", "compact"] {
        let dir = snapshot_dir.join(sub);
        std::fs::create_dir_all(&dir).map_err(|e| QueryError::io("creating", &dir, e))?;
    }
    lock::create_readers_file(snapshot_dir)?;
    let mut phases_ms = BTreeMap::new();

    let clock = Instant::now();
    progress("link", 0, 1);
    let previous = match options.previous {
        Some(dir) => read_manifest(dir).ok().map(|manifest| (dir, manifest)),
        None => None,
    };
    let linked =
        base::link_base_files(warehouse_dir, snapshot_dir, previous.as_ref().map(|(dir, m)| (*dir, &m.files)))?;
    phases_ms.insert("link".to_string(), millis(clock));
    skillhouse_model::fault::point("build.linked");

    let ctx = config.session()?;
    // The build reads the links, not the warehouse: the snapshot holds exactly what it was computed from.
    tables::register_warehouse(&ctx, snapshot_dir).await?;
    tables::register_warehouse_agencies(&ctx, warehouse_dir).await?;
    let mut stored = Stored::new(snapshot_dir);

    let clock = Instant::now();
    for (done, table) in tables::REFERENCE_TABLES.iter().enumerate() {
        progress("dims", done, tables::REFERENCE_TABLES.len() + 1);
        let clock = Instant::now();
        let frame = tables::read_reference_csv(&ctx, reference_dir, table).await?;
        let path = stored.write(&format!("dims/{table}.parquet"), frame, clock).await?;
        tables::register_parquet_file(&ctx, table, &path, None).await?;
    }
    let agencies = ctx.table("agencies").await.map_err(|e| QueryError::engine("reading `agencies`", e))?;
    stored.write("dims/agencies.parquet", agencies, Instant::now()).await?;
    phases_ms.insert("dims".to_string(), millis(clock));
    skillhouse_model::fault::point("build.dims");

    // One pass over the base's many small files; every model, check and served query then reads one file.
    let clock = Instant::now();
    progress("compact", 0, 1);
    let certificates = ctx.table("certificates").await.map_err(|e| QueryError::engine("reading `certificates`", e))?;
    let compact = stored.write(tables::COMPACT_CERTIFICATES, certificates, clock).await?;
    tables::use_compact_certificates(&ctx, &compact).await?;
    phases_ms.insert("compact".to_string(), millis(clock));
    skillhouse_model::fault::point("build.compacted");

    let values = params.param_values();
    let clock = Instant::now();
    for (done, model) in catalog.models.iter().enumerate() {
        progress("models", done, catalog.models.len());
        let clock = Instant::now();
        let frame = plan(&ctx, model, &values).await?;
        let cluster_by = Some(model.get("cluster_by")).filter(|c| !c.is_empty());
        let path = stored
            .write_clustered(&format!("models/{}.parquet", model.id()), frame, cluster_by, clock)
            .await
            .map_err(|e| match e {
                QueryError::Engine { source, .. } => definition_error(model, source),
                other => other,
            })?;
        tables::register_parquet_file(&ctx, model.id(), &path, None).await?;
        skillhouse_model::fault::point("build.model");
    }
    phases_ms.insert("models".to_string(), millis(clock));

    let indicators_clock = Instant::now();
    let mut rows = Vec::new();
    for (done, indicator) in catalog.indicators.iter().enumerate() {
        progress("indicators", done, catalog.indicators.len());
        let clock = Instant::now();
        let frame = plan(&ctx, indicator, &values).await?;
        let batches = frame.collect().await.map_err(|e| definition_error(indicator, e))?;
        for batch in batches {
            rows.push(conform_indicator_rows(indicator.id(), &batch)?);
        }
        stored.timings_ms.insert(format!("indicators/{}", indicator.id()), millis(clock));
        skillhouse_model::fault::point("build.indicator");
    }
    let rows_schema = Arc::new(Schema::new(indicator_rows_fields()));
    let table =
        MemTable::try_new(rows_schema, vec![rows]).map_err(|e| QueryError::engine("collecting indicator rows", e))?;
    ctx.register_table("indicator_rows", Arc::new(table))
        .map_err(|e| QueryError::engine("registering indicator rows", e))?;
    let clock = Instant::now();
    let final_values = ParamValues::from(vec![
        ("definition_version", ScalarValue::Utf8(Some(skillhouse_model::DEFINITION_VERSION.to_string()))),
        ("approx_tolerance", ScalarValue::Float64(Some(APPROX_TOLERANCE))),
    ]);
    let joined = ctx
        .sql(INDICATOR_VALUES_SQL)
        .await
        .and_then(|f| f.with_param_values(final_values))
        .map_err(|e| QueryError::engine("joining indicator values with targets", e))?;
    let values_path = stored.write("indicator_values.parquet", joined, clock).await?;
    tables::register_parquet_file(&ctx, "indicator_values", &values_path, None).await?;
    skillhouse_model::fault::point("build.indicator_values");

    let clock = Instant::now();
    let catalogue = ctx
        .read_batch(catalogue_batch(&catalog.indicators)?)
        .map_err(|e| QueryError::engine("building the indicator catalogue", e))?;
    stored.write("indicators.parquet", catalogue, clock).await?;
    phases_ms.insert("indicators".to_string(), millis(indicators_clock));

    let mut row_counts = linked.row_counts;
    row_counts.extend(stored.row_counts);
    let gate = match options.gate {
        Some(gate_config) => {
            let clock = Instant::now();
            progress("gate", 0, 1);
            let previous = previous.as_ref().map(|(dir, manifest)| Previous { dir, manifest });
            let report =
                run_gate(&ctx, &catalog.checks, gate_config, &row_counts, previous, &params.province_code).await?;
            phases_ms.insert("gate".to_string(), millis(clock));
            skillhouse_model::fault::point("build.gate");
            Some(report)
        }
        None => None,
    };
    let summary = warehouse_summary(&ctx).await?;

    let clock = Instant::now();
    progress("manifest", 0, 1);
    let mut files = linked.files;
    files.extend(stored.files);
    let manifest = Manifest {
        snapshot_id,
        as_of: params.as_of.to_string(),
        built_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        definition_version: skillhouse_model::DEFINITION_VERSION.to_string(),
        row_counts,
        files,
        summary,
        gate,
    };
    // Every written file was synced as it was written; the folders' entries now, then the manifest last.
    for sub in ["dims", "models", "compact", ""] {
        base::sync_dir(&snapshot_dir.join(sub))?;
    }
    let manifest_path = snapshot_dir.join(MANIFEST_FILE);
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|source| QueryError::Manifest { path: manifest_path.clone(), source })?;
    write_atomically(&manifest_path, &text, "build.manifest_tmp")?;
    base::sync_dir(snapshot_dir)?;
    // The snapshot folder's own entry in `snapshots/`, before anything (CURRENT) may name it.
    if let Some(parent) = snapshot_dir.parent() {
        base::sync_dir(parent)?;
    }
    phases_ms.insert("manifest".to_string(), millis(clock));
    skillhouse_model::fault::point("build.manifest");
    Ok(BuildReport {
        snapshot_dir: snapshot_dir.to_path_buf(),
        manifest,
        timings_ms: stored.timings_ms,
        phases_ms,
        base_files_copied: linked.copied,
        base_files_reused: linked.reused,
        elapsed_ms: millis(started),
    })
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn definition_error(file: &SqlFile, source: datafusion::error::DataFusionError) -> QueryError {
    QueryError::Definition { kind: file.kind.noun(), id: file.id().to_string(), file: file.file.clone(), source }
}

/// Plans one SQL file with the build's parameters bound.
async fn plan(ctx: &SessionContext, file: &SqlFile, values: &ParamValues) -> Result<DataFrame> {
    ctx.sql(&file.sql)
        .await
        .and_then(|frame| frame.with_param_values(values.clone()))
        .map_err(|e| definition_error(file, e))
}

/// Checks an indicator's output against the `indicator_values` contract and casts it to the contract's types.
fn conform_indicator_rows(id: &str, batch: &RecordBatch) -> Result<RecordBatch> {
    let shape = |message: String| QueryError::IndicatorShape { id: id.to_string(), message };
    let fields = indicator_rows_fields();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    for field in &fields {
        let Ok(index) = batch.schema().index_of(field.name()) else {
            return Err(shape(format!("no `{}` column", field.name())));
        };
        let column = cast(batch.column(index), field.data_type())
            .map_err(|e| shape(format!("`{}` cannot be read as {}: {e}", field.name(), field.data_type())))?;
        columns.push(column);
    }
    if batch.num_columns() != fields.len() {
        return Err(shape(format!("{} columns instead of {}", batch.num_columns(), fields.len())));
    }
    let ids = columns[0]
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| QueryError::Internal("indicator_id was cast to Utf8".into()))?;
    if ids.null_count() > 0 || ids.iter().flatten().any(|v| v != id) {
        return Err(shape(format!("every row's indicator_id must be `{id}`")));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| shape(e.to_string()))
}

/// The `indicators` table: one row per indicator file, from its header.
fn catalogue_batch(indicators: &[SqlFile]) -> Result<RecordBatch> {
    let mut fields = vec![Field::new("indicator_id", DataType::Utf8, false)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(indicators.iter().map(SqlFile::id)))];
    for key in CATALOGUE_KEYS {
        fields.push(Field::new(key, DataType::Utf8, true));
        let values = indicators.iter().map(|f| {
            let value = if key == "file" { f.file.as_str() } else { f.get(key) };
            (!value.is_empty()).then_some(value)
        });
        columns.push(Arc::new(values.collect::<StringArray>()));
    }
    fields.push(Field::new("definition_version", DataType::Utf8, false));
    columns
        .push(Arc::new(StringArray::from_iter_values(indicators.iter().map(|_| skillhouse_model::DEFINITION_VERSION))));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| QueryError::Internal(format!("catalogue batch: {e}")))
}

/// Files written into a snapshot, with their row counts, checksums and timings.
struct Stored {
    dir: PathBuf,
    row_counts: BTreeMap<String, u64>,
    files: BTreeMap<String, FileEntry>,
    timings_ms: BTreeMap<String, u64>,
}

impl Stored {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            row_counts: BTreeMap::new(),
            files: BTreeMap::new(),
            timings_ms: BTreeMap::new(),
        }
    }

    /// Runs `frame` and writes it to `relative` (zstd Parquet with statistics); returns the file's path.
    async fn write(&mut self, relative: &str, frame: DataFrame, clock: Instant) -> Result<PathBuf> {
        self.write_clustered(relative, frame, None, clock).await
    }

    /// [`Stored::write`], with every row group holding one value of the column `cluster_by` (see [`Clusters`]).
    async fn write_clustered(
        &mut self,
        relative: &str,
        frame: DataFrame,
        cluster_by: Option<&str>,
        clock: Instant,
    ) -> Result<PathBuf> {
        let path = self.dir.join(relative);
        let rows = write_parquet(frame, &path, cluster_by).await?;
        let table = relative.trim_end_matches(".parquet").to_string();
        let bytes = std::fs::read(&path).map_err(|e| QueryError::io("reading", &path, e))?;
        let entry = FileEntry {
            bytes: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            rows: Some(rows),
            linked: false,
        };
        self.files.insert(relative.to_string(), entry);
        self.row_counts.insert(table.clone(), rows);
        self.timings_ms.insert(table, millis(clock));
        Ok(path)
    }
}

/// The type a column is stored as: view types become their plain counterparts, which every Parquet reader knows.
fn storage_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        DataType::BinaryView | DataType::LargeBinary => DataType::Binary,
        other => other.clone(),
    }
}

/// Rows per row group of the files the build writes.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Streams a DataFrame into one zstd-compressed Parquet file (written beside it, then renamed); returns the rows.
/// With `cluster_by`, every row group holds rows of one value of that column, so a filter on it skips the others.
async fn write_parquet(frame: DataFrame, path: &Path, cluster_by: Option<&str>) -> Result<u64> {
    let mut stream =
        frame.execute_stream().await.map_err(|e| QueryError::engine(format!("running {}", path.display()), e))?;
    let source_schema = stream.schema();
    let schema: SchemaRef = Arc::new(Schema::new(
        source_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_data_type(storage_type(f.data_type())))
            .collect::<Vec<_>>(),
    ));
    let temporary = path.with_extension("parquet.tmp");
    let file = std::fs::File::create(&temporary).map_err(|e| QueryError::io("creating", &temporary, e))?;
    // Row groups of 128k rows: readers split a file between partitions by row group, so a large table in one
    // file must have several.
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let parquet_error = |source| QueryError::Parquet { path: path.to_path_buf(), source };
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties)).map_err(parquet_error)?;
    let mut clusters = match cluster_by {
        Some(name) => Some(Clusters::new(&schema, name).map_err(|message| QueryError::Encode {
            what: path.display().to_string(),
            source: ArrowError::SchemaError(message),
        })?),
        None => None,
    };
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| QueryError::engine(format!("running {}", path.display()), e))?;
        let columns = batch
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(c, f)| cast(c, f.data_type()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| QueryError::Encode { what: path.display().to_string(), source })?;
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns)
            .map_err(|source| QueryError::Encode { what: path.display().to_string(), source })?;
        rows += batch.num_rows() as u64;
        match clusters.as_mut() {
            Some(clusters) => clusters.push(&batch, &mut writer).map_err(|e| cluster_error(path, e))?,
            None => writer.write(&batch).map_err(parquet_error)?,
        }
    }
    if let Some(clusters) = clusters.as_mut() {
        clusters.finish(&mut writer).map_err(|e| cluster_error(path, e))?;
    }
    let file = writer.into_inner().map_err(parquet_error)?;
    file.sync_all().map_err(|e| QueryError::io("syncing", &temporary, e))?;
    skillhouse_model::fault::point("build.parquet_tmp");
    std::fs::rename(&temporary, path).map_err(|e| QueryError::io("renaming", &temporary, e))?;
    Ok(rows)
}

fn cluster_error(path: &Path, error: ClusterError) -> QueryError {
    match error {
        ClusterError::Arrow(source) => QueryError::Encode { what: path.display().to_string(), source },
        ClusterError::Parquet(source) => QueryError::Parquet { path: path.to_path_buf(), source },
    }
}

enum ClusterError {
    Arrow(ArrowError),
    Parquet(ParquetError),
}

impl From<ArrowError> for ClusterError {
    fn from(e: ArrowError) -> Self {
        Self::Arrow(e)
    }
}

impl From<ParquetError> for ClusterError {
    fn from(e: ParquetError) -> Self {
        Self::Parquet(e)
    }
}

/// Row groups of one value each (a model's `-- cluster_by: year` header). Rows are held per value until a row
/// group's worth has come, then written and the row group closed, so memory stays at a row group per value and no
/// sort is needed. Row-group statistics then carry min = max, and a reader filtering on the column (`WHERE year =
/// 2025`) skips every other group. More than [`Clusters::MAX_OPEN`] values at once flushes them all (the file stays
/// correct, the groups just get smaller).
struct Clusters {
    column: usize,
    open: BTreeMap<Option<i64>, (Vec<RecordBatch>, usize)>,
}

impl Clusters {
    const MAX_OPEN: usize = 64;

    fn new(schema: &Schema, name: &str) -> std::result::Result<Self, String> {
        let column = schema.index_of(name).map_err(|_| format!("cluster_by: there is no column `{name}`"))?;
        let data_type = schema.field(column).data_type();
        if !data_type.is_integer() {
            return Err(format!("cluster_by: `{name}` is {data_type}, not an integer column"));
        }
        Ok(Self { column, open: BTreeMap::new() })
    }

    fn push(&mut self, batch: &RecordBatch, writer: &mut ArrowWriter<std::fs::File>) -> Result<(), ClusterError> {
        let keys = cast(batch.column(self.column), &DataType::Int64)?;
        let keys = keys
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| ArrowError::CastError("cluster key is not Int64 after a cast".into()))?;
        let distinct: std::collections::BTreeSet<Option<i64>> = keys.iter().collect();
        let single = distinct.len() == 1;
        for key in distinct {
            let part = if single {
                batch.clone()
            } else {
                let mask = match key {
                    Some(k) => eq(keys, &Int64Array::new_scalar(k))?,
                    None => is_null(keys)?,
                };
                filter_record_batch(batch, &mask)?
            };
            let entry = self.open.entry(key).or_default();
            entry.1 += part.num_rows();
            entry.0.push(part);
            if entry.1 >= ROW_GROUP_ROWS {
                let (parts, _) = self.open.remove(&key).unwrap_or_default();
                write_group(writer, &parts)?;
            }
        }
        if self.open.len() > Self::MAX_OPEN {
            self.finish(writer)?;
        }
        Ok(())
    }

    fn finish(&mut self, writer: &mut ArrowWriter<std::fs::File>) -> Result<(), ClusterError> {
        for (_, (parts, _)) in std::mem::take(&mut self.open) {
            write_group(writer, &parts)?;
        }
        Ok(())
    }
}

/// Writes `parts` as row groups of their own.
fn write_group(writer: &mut ArrowWriter<std::fs::File>, parts: &[RecordBatch]) -> Result<(), ClusterError> {
    for part in parts {
        writer.write(part)?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes a file atomically: a temporary file beside it, fsync, rename. `fault` names the fault point between the
/// temporary file and the rename.
fn write_atomically(path: &Path, bytes: &[u8], fault: &str) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary).map_err(|e| QueryError::io("creating", &temporary, e))?;
    file.write_all(bytes).map_err(|e| QueryError::io("writing", &temporary, e))?;
    file.sync_all().map_err(|e| QueryError::io("syncing", &temporary, e))?;
    skillhouse_model::fault::point(fault);
    std::fs::rename(&temporary, path).map_err(|e| QueryError::io("renaming", &temporary, e))
}

/// Publishes a built snapshot: writes its id to `WAREHOUSE/CURRENT` (temporary file, fsync, rename, fsync of the
/// warehouse folder), the one atomic step that switches readers to it. Locking and the release gate belong to the
/// caller.
pub fn publish_snapshot(warehouse_dir: &Path, snapshot_id: &str) -> Result<()> {
    skillhouse_model::fault::point("publish.before");
    write_atomically(&warehouse_dir.join("CURRENT"), format!("{snapshot_id}\n").as_bytes(), "publish.current_tmp")?;
    skillhouse_model::fault::point("publish.renamed");
    base::sync_dir(warehouse_dir)
}

/// A published snapshot with every table of DESIGN §15 registered.
#[derive(Clone)]
pub struct Snapshot {
    /// The snapshot id.
    pub id: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The session; register nothing writable on it.
    pub ctx: SessionContext,
    /// The reader's lease on the snapshot folder: retention leaves the snapshot alone while any clone lives.
    lease: Option<Arc<SnapshotLease>>,
}

impl Snapshot {
    /// Whether this session holds a lease on its snapshot (false only for snapshots built before leases).
    pub fn is_leased(&self) -> bool {
        self.lease.is_some()
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("id", &self.id).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Runs every statement of `sql` read-only (no DDL, DML, COPY or SET) and returns each statement's rows.
    pub async fn query_script(&self, sql: &str) -> Result<Vec<Vec<RecordBatch>>> {
        let statements =
            datafusion::sql::parser::DFParser::parse_sql(sql).map_err(|source| QueryError::Sql { source })?;
        let options = read_only_sql_options();
        let state = self.ctx.state();
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            let plan = state.statement_to_plan(statement).await.map_err(|source| QueryError::Sql { source })?;
            options.verify_plan(&plan).map_err(|source| QueryError::Sql { source })?;
            let frame = self.ctx.execute_logical_plan(plan).await.map_err(|source| QueryError::Sql { source })?;
            results.push(frame.collect().await.map_err(|source| QueryError::Sql { source })?);
        }
        Ok(results)
    }

    /// Runs one read-only statement.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let frame = self
            .ctx
            .sql_with_options(sql, read_only_sql_options())
            .await
            .map_err(|source| QueryError::Sql { source })?;
        frame.collect().await.map_err(|source| QueryError::Sql { source })
    }
}

/// Opens the published snapshot of a warehouse (`WAREHOUSE/CURRENT`) with the default configuration.
pub async fn open_snapshot(warehouse_dir: &Path) -> Result<Snapshot> {
    open_snapshot_with(warehouse_dir, &QueryConfig::default()).await
}

/// [`open_snapshot`] with an explicit configuration.
///
/// The snapshot is leased (a shared lock on its `.readers` file) before anything is read, so retention cannot
/// remove it while the returned [`Snapshot`] or a clone of it lives. Should a rollback and a retention run remove the
/// snapshot `CURRENT` named between reading `CURRENT` and taking the lease, `CURRENT` is read again.
pub async fn open_snapshot_with(warehouse_dir: &Path, config: &QueryConfig) -> Result<Snapshot> {
    let mut attempts = 0;
    let (id, dir, lease) = loop {
        attempts += 1;
        let id = current_snapshot_id(warehouse_dir)?
            .ok_or_else(|| QueryError::NoSnapshot { warehouse: warehouse_dir.to_path_buf() })?;
        let dir = warehouse_dir.join("snapshots").join(&id);
        let lease = match SnapshotLease::try_acquire(&dir)? {
            Ok(lease) => Some(Arc::new(lease)),
            Err(LeaseRefused::Missing) => None,
            Err(LeaseRefused::BeingRemoved) if attempts < 5 => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            Err(LeaseRefused::BeingRemoved) => None,
        };
        if dir.join(MANIFEST_FILE).is_file() || attempts >= 5 {
            break (id, dir, lease);
        }
    };
    let manifest = read_manifest(&dir)?;
    let ctx = config.session()?;
    register_snapshot(&ctx, warehouse_dir, &dir).await?;
    Ok(Snapshot { id, dir, manifest, ctx, lease })
}

/// The published snapshot id (`WAREHOUSE/CURRENT`), or `None` when nothing is published.
pub fn current_snapshot_id(warehouse_dir: &Path) -> Result<Option<String>> {
    let current = warehouse_dir.join("CURRENT");
    match std::fs::read_to_string(&current) {
        Ok(text) => Ok(Some(text.trim().to_string()).filter(|id| !id.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(QueryError::io("reading", &current, e)),
    }
}

/// Registers a snapshot's tables on a session: `certificates` (and `certificate_files`, `duplicate_claims`),
/// `rejects` and `ledger` from the base files the snapshot links (so a later ingest never shows through);
/// `dims/*`, `models/*`, `indicator_values` and `indicators` from the files the build wrote. A snapshot built
/// before snapshots carried their base files (no `certificates/` folder) reads them from the warehouse.
pub async fn register_snapshot(ctx: &SessionContext, warehouse_dir: &Path, snapshot_dir: &Path) -> Result<()> {
    let base = if snapshot_dir.join("certificates").is_dir() { snapshot_dir } else { warehouse_dir };
    tables::register_warehouse(ctx, base).await?;
    let mut names: HashMap<String, PathBuf> = HashMap::new();
    for sub in ["dims", "models"] {
        for path in tables::parquet_files(&snapshot_dir.join(sub))? {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                names.insert(stem.to_string(), path.clone());
            }
        }
    }
    names.insert("indicator_values".into(), snapshot_dir.join("indicator_values.parquet"));
    names.insert("indicators".into(), snapshot_dir.join("indicators.parquet"));
    for (table, path) in names {
        tables::register_parquet_file(ctx, &table, &path, None).await?;
    }
    // Snapshots built before the compacted copy existed keep reading the base files.
    let compact = snapshot_dir.join(tables::COMPACT_CERTIFICATES);
    if compact.is_file() {
        tables::use_compact_certificates(ctx, &compact).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int32Array;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    use datafusion::parquet::file::statistics::Statistics;

    /// Rows of years 2021–2023 arriving interleaved in many small batches: the clustered file keeps every row, and
    /// each row group holds one year (statistics min = max), so `WHERE year = …` can skip the others.
    #[tokio::test]
    async fn clustered_row_groups_hold_one_value_each() {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![
            Field::new("year", DataType::Int32, true),
            Field::new("n", DataType::Int32, false),
        ]));
        let total = 10_000;
        let batches: Vec<RecordBatch> = (0..total)
            .collect::<Vec<i32>>()
            .chunks(997)
            .map(|chunk| {
                let years: Int32Array = chunk.iter().map(|n| (n % 7 != 6).then_some(2021 + n % 3)).collect();
                let ns = Int32Array::from(chunk.to_vec());
                RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(years), Arc::new(ns)]).expect("test setup")
            })
            .collect();
        let table = MemTable::try_new(Arc::clone(&schema), vec![batches]).expect("test setup");
        let frame = ctx.read_table(Arc::new(table)).expect("test setup");
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("clustered.parquet");
        assert_eq!(write_parquet(frame, &path, Some("year")).await.expect("test setup"), total as u64);

        let reader = SerializedFileReader::new(std::fs::File::open(&path).expect("test setup")).expect("test setup");
        let mut rows_per_year: BTreeMap<Option<i32>, i64> = BTreeMap::new();
        for group in reader.metadata().row_groups() {
            let stats = group.column(0).statistics().expect("year statistics");
            let key = match stats {
                Statistics::Int32(s) if stats.null_count_opt() == Some(0) => {
                    assert_eq!(s.min_opt(), s.max_opt(), "a row group mixes years");
                    s.min_opt().copied()
                }
                _ => {
                    assert_eq!(stats.null_count_opt(), Some(group.num_rows() as u64), "nulls mixed with years");
                    None
                }
            };
            *rows_per_year.entry(key).or_default() += group.num_rows();
        }
        // Worked out from the generator: n % 7 == 6 is null (1,428 of 0..10,000); the rest cycle over three years.
        let nulls = (0..total).filter(|n| n % 7 == 6).count() as i64;
        assert_eq!(nulls, 1_428);
        assert_eq!(rows_per_year[&None], nulls);
        for (offset, year) in (2021..=2023).enumerate() {
            let expected = (0..total).filter(|n| n % 7 != 6 && n % 3 == offset as i32).count() as i64;
            assert_eq!(rows_per_year[&Some(year)], expected, "rows of {year}");
        }
        assert_eq!(rows_per_year.values().sum::<i64>(), total as i64);
    }

    #[tokio::test]
    async fn clustering_on_a_missing_or_text_column_is_an_error() {
        let ctx = SessionContext::new();
        let dir = tempfile::tempdir().expect("test setup");
        for (sql, column) in [("SELECT 1 AS year", "month"), ("SELECT 'a' AS year", "year")] {
            let frame = ctx.sql(sql).await.expect("test setup");
            let error = write_parquet(frame, &dir.path().join("x.parquet"), Some(column)).await.expect_err("refused");
            assert!(format!("{error:?}").contains("cluster_by"), "{error:?}");
        }
    }
}
