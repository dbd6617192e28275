//! Building a snapshot (dims, models, indicator values, catalogue, manifest) and opening the published one.

use crate::base;
use crate::carry::{self, CarryPlan};
use crate::catalog::{SqlCatalog, SqlFile};
use crate::config::QueryConfig;
use crate::error::{QueryError, Result};
use crate::gate::{GateConfig, Previous, run_gate};
use crate::lock;
use crate::manifest::{FileEntry, MANIFEST_FILE, Manifest, read_manifest, warehouse_summary};
use crate::params::BuildParams;
use crate::tables;
use crate::written::{WrittenFile, write_atomically, write_parquet};
use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Array, ArrayRef, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ParamValues;
use datafusion::datasource::MemTable;
use datafusion::prelude::{DataFrame, SessionContext, col, lit};
use datafusion::scalar::ScalarValue;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

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
        // DESIGN §17: `computed`, `reported` or `no_data`; who reported a reported figure, and on which day.
        Field::new("basis", DataType::Utf8, false),
        Field::new("reported_by", DataType::Utf8, true),
        Field::new("reported_on", DataType::Date32, true),
        Field::new("definition_version", DataType::Utf8, false),
        // What a value without a target of its own is measured against (`values/indicator_values.sql`).
        Field::new("reference_target", DataType::Float64, true),
        Field::new("reference_comparator", DataType::Utf8, true),
        Field::new("reference_year", DataType::Int32, true),
        Field::new("reference_status", DataType::Utf8, true),
    ]);
    Arc::new(Schema::new(fields))
}

/// Catalogue columns, taken from the indicator file headers as text.
const CATALOGUE_KEYS: [&str; 15] = [
    "title_zh",
    "title_en",
    "unit",
    "grain",
    "target",
    "comparator",
    "source",
    "clause",
    "description",
    "file",
    "disclosure",
    "short_title_zh",
    "short_title_en",
    "gate",
    "kind",
];

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
    /// Per-year files (compacted certificates, models) linked from the previous snapshot instead of recomputed;
    /// the first year recomputed is the manifest's `recomputed_from_year`.
    pub carried_files: usize,
    /// Why the build recomputed from that year (`the as-of year 2026`, `no previous snapshot`, …).
    pub carry_reason: String,
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
    /// Recompute every year instead of taking the unchanged ones over from `previous`.
    pub full: bool,
    /// Run the build's SQL on this engine (Ballista, issue 25) instead of a local session; the files written are
    /// the same.
    pub engine: Option<&'a dyn crate::engine::SessionProvider>,
}

impl std::fmt::Debug for BuildOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("previous", &self.previous)
            .field("gate", &self.gate)
            .field("full", &self.full)
            .field("engine", &self.engine.map(|e| e.name()))
            .finish()
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

    let clock = Instant::now();
    let ctx = match options.engine {
        Some(engine) => engine.session(config).await?,
        None => config.session()?,
    };
    // The build reads the links, not the warehouse: the snapshot holds exactly what it was computed from.
    tables::register_warehouse(&ctx, snapshot_dir).await?;
    tables::register_warehouse_registries(&ctx, warehouse_dir).await?;
    phases_ms.insert("register".to_string(), millis(clock));
    let mut stored = Stored::new(snapshot_dir);

    let clock = Instant::now();
    write_dims(&ctx, reference_dir, &mut stored, &progress).await?;
    phases_ms.insert("dims".to_string(), millis(clock));
    skillhouse_model::fault::point("build.dims");

    // What can be taken over from the previous snapshot: the years before `from_year` (see `carry.rs`).
    let digest = carry::models_digest(catalog, &carry::in_force_inputs(warehouse_dir, reference_dir));
    let carry = if options.full {
        CarryPlan { from_year: crate::params::FULL_HISTORY, previous: None, reason: "asked for a full build".into() }
    } else {
        carry::plan(previous.as_ref().map(|(dir, m)| (*dir, m)), &linked.files, params.as_of, &digest)
    };
    tracing::debug!(from_year = carry.from_year, reason = %carry.reason, "years recomputed");
    let mut values = params.param_values();
    values = with_from_year(values, carry.from_year);

    let clock = Instant::now();
    progress("compact", 0, 1);
    compact_certificates(&ctx, snapshot_dir, &carry, &mut stored, clock).await?;
    compact_training(&ctx, snapshot_dir, &mut stored).await?;
    phases_ms.insert("compact".to_string(), millis(clock));
    skillhouse_model::fault::point("build.compacted");
    register_state_tables(&ctx, snapshot_dir, &carry).await?;

    let clock = Instant::now();
    write_models(&ctx, snapshot_dir, catalog, &values, &carry, &mut stored, &progress).await?;
    phases_ms.insert("models".to_string(), millis(clock));

    let indicators_clock = Instant::now();
    write_indicators(&ctx, catalog, &values, &mut stored, &progress).await?;
    phases_ms.insert("indicators".to_string(), millis(indicators_clock));

    let mut row_counts = linked.row_counts;
    row_counts.extend(stored.row_counts);
    let gate = match options.gate {
        Some(gate_config) => {
            let clock = Instant::now();
            progress("gate", 0, 1);
            let previous = previous.as_ref().map(|(dir, manifest)| Previous { dir, manifest });
            let report = run_gate(&ctx, catalog, gate_config, &row_counts, previous, &params.province_code).await?;
            phases_ms.insert("gate".to_string(), millis(clock));
            skillhouse_model::fault::point("build.gate");
            Some(report)
        }
        None => None,
    };
    let clock = Instant::now();
    let summary = warehouse_summary(&ctx).await?;
    phases_ms.insert("summary".to_string(), millis(clock));

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
        models_digest: Some(digest),
        recomputed_from_year: Some(carry.from_year),
    };
    // Every written file was synced as it was written; the folders' entries now, then the manifest last.
    for sub in stored.folders.iter().map(String::as_str).chain(["dims", "models", "compact", ""]) {
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
        carried_files: stored.carried,
        carry_reason: carry.reason,
        elapsed_ms: millis(started),
    })
}

/// The reference tables (`datasets/reference/*.csv`) and the registries as last loaded, written to `dims/` and
/// registered from there: the snapshot keeps its own copy.
async fn write_dims(
    ctx: &SessionContext,
    reference_dir: &Path,
    stored: &mut Stored,
    progress: &impl Fn(&str, usize, usize),
) -> Result<()> {
    let dims_total = tables::REFERENCE_TABLES.len() + tables::REGISTRIES.len();
    for (done, table) in tables::REFERENCE_TABLES.iter().enumerate() {
        progress("dims", done, dims_total);
        let clock = Instant::now();
        let frame = tables::read_reference_csv(ctx, reference_dir, table).await?;
        let path = stored.write(&format!("dims/{table}.parquet"), frame, clock).await?;
        tables::register_parquet_file(ctx, table, &path, None).await?;
    }
    for (table, schema) in tables::OPTIONAL_REFERENCE_TABLES {
        let clock = Instant::now();
        let frame = if reference_dir.join(format!("{table}.csv")).is_file() {
            tables::read_reference_csv(ctx, reference_dir, table).await?
        } else {
            let empty = datafusion::arrow::array::RecordBatch::new_empty(schema());
            ctx.read_batch(empty).map_err(|e| QueryError::engine(format!("an empty `{table}`"), e))?
        };
        let path = stored.write(&format!("dims/{table}.parquet"), frame, clock).await?;
        tables::register_parquet_file(ctx, table, &path, Some(schema())).await?;
    }
    // The registries as last loaded into the warehouse: the snapshot keeps its own copy.
    for (done, (table, _)) in tables::REGISTRIES.iter().enumerate() {
        progress("dims", tables::REFERENCE_TABLES.len() + done, dims_total);
        let registry = ctx.table(*table).await.map_err(|e| QueryError::engine(format!("reading `{table}`"), e))?;
        stored.write(&format!("dims/{table}.parquet"), registry, Instant::now()).await?;
    }
    Ok(())
}

/// One pass over the base's many small certificate files, one file per issue year (the years before `from_year`
/// linked from the previous snapshot); every model, check and served query then reads those.
async fn compact_certificates(
    ctx: &SessionContext,
    snapshot_dir: &Path,
    carry: &CarryPlan,
    stored: &mut Stored,
    clock: Instant,
) -> Result<()> {
    let certificates = ctx
        .table("certificates")
        .await
        .and_then(|frame| frame.filter(col(skillhouse_model::schema::PARTITION_COLUMN).gt_eq(lit(carry.from_year))))
        .map_err(|e| QueryError::engine("reading `certificates`", e))?;
    stored.carry(carry, carry::COMPACT_DIR)?;
    stored
        .write_years(
            carry::COMPACT_DIR,
            certificates,
            skillhouse_model::schema::PARTITION_COLUMN,
            carry.from_year,
            clock,
        )
        .await?;
    tables::use_compact_certificates(ctx, &snapshot_dir.join(carry::COMPACT_DIR)).await
}

/// The base's training files (one per provider and month) read once into one file, which every model and indicator
/// then reads as `training`. Written whole at every build: training years are not carried (the carry plan follows
/// the certificates' files only).
async fn compact_training(ctx: &SessionContext, snapshot_dir: &Path, stored: &mut Stored) -> Result<()> {
    let training = ctx.table("training").await.map_err(|e| QueryError::engine("reading `training`", e))?;
    stored.write(tables::COMPACT_TRAINING_FILE, training, Instant::now()).await?;
    tables::use_compact_training(ctx, &snapshot_dir.join(tables::COMPACT_TRAINING_FILE)).await
}

/// The models that continue from their own rows of the year before `from_year` read them as `<id>_before`, from the
/// previous snapshot, or empty when everything is recomputed.
async fn register_state_tables(ctx: &SessionContext, snapshot_dir: &Path, carry: &CarryPlan) -> Result<()> {
    for carry::StateTable { model, table, schema } in carry::STATE_TABLES {
        let before = carry
            .carried(&format!("models/{model}"))
            .into_iter()
            .find(|(year, _, _)| *year == carry.from_year - 1)
            .and_then(|(_, rel, _)| carry.previous.as_ref().map(|(dir, _)| dir.join(rel)));
        match before {
            Some(path) => tables::register_parquet_file(ctx, table, &path, None).await?,
            None => tables::register_empty(ctx, table, schema(), snapshot_dir)?,
        }
    }
    Ok(())
}

/// Every model of the catalogue, in order, each written (one file, or one per year from `from_year` with the
/// earlier years carried) and registered for the models and indicators after it.
async fn write_models(
    ctx: &SessionContext,
    snapshot_dir: &Path,
    catalog: &SqlCatalog,
    values: &ParamValues,
    carry: &CarryPlan,
    stored: &mut Stored,
    progress: &impl Fn(&str, usize, usize),
) -> Result<()> {
    for (done, model) in catalog.models.iter().enumerate() {
        progress("models", done, catalog.models.len());
        let clock = Instant::now();
        let frame = plan(ctx, model, values).await?;
        let as_definition_error = |e| match e {
            QueryError::Engine { source, .. } => definition_error(model, source),
            other => other,
        };
        match Some(model.get(carry::PARTITION_KEY)).filter(|c| !c.is_empty()) {
            Some(column) => {
                let folder = format!("models/{}", model.id());
                stored.carry(carry, &folder)?;
                stored
                    .write_years(&folder, frame, column, carry.from_year, clock)
                    .await
                    .map_err(as_definition_error)?;
                tables::register_parquet_dir(ctx, model.id(), &snapshot_dir.join(&folder), None).await?;
            }
            None => {
                let path = stored
                    .write(&format!("models/{}.parquet", model.id()), frame, clock)
                    .await
                    .map_err(as_definition_error)?;
                tables::register_parquet_file(ctx, model.id(), &path, None).await?;
            }
        }
        skillhouse_model::fault::point("build.model");
    }
    Ok(())
}

/// Every indicator's rows, collected; the catalogue (`indicators.parquet`); and `indicator_values.parquet`, the rows
/// joined with their targets by `sql/values/indicator_values.sql`.
async fn write_indicators(
    ctx: &SessionContext,
    catalog: &SqlCatalog,
    values: &ParamValues,
    stored: &mut Stored,
    progress: &impl Fn(&str, usize, usize),
) -> Result<()> {
    let mut rows = Vec::new();
    for (done, indicator) in catalog.indicators.iter().enumerate() {
        progress("indicators", done, catalog.indicators.len());
        let clock = Instant::now();
        let frame = plan(ctx, indicator, values).await?;
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
    // The catalogue first: the values join reads the indicators' units from it.
    let clock = Instant::now();
    let catalogue = ctx
        .read_batch(catalogue_batch(&catalog.indicators)?)
        .map_err(|e| QueryError::engine("building the indicator catalogue", e))?;
    let catalogue_path = stored.write("indicators.parquet", catalogue, clock).await?;
    tables::register_parquet_file(ctx, "indicators", &catalogue_path, None).await?;
    let clock = Instant::now();
    let values_join = catalog.values_join()?;
    let joined = plan(ctx, values_join, values).await?;
    let values_path = stored.write("indicator_values.parquet", joined, clock).await.map_err(|e| match e {
        QueryError::Engine { source, .. } => definition_error(values_join, source),
        other => other,
    })?;
    tables::register_parquet_file(ctx, "indicator_values", &values_path, None).await?;
    skillhouse_model::fault::point("build.indicator_values");
    Ok(())
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

/// The `indicators` table: one row per indicator file, from its header; `headline` as a number.
fn catalogue_batch(indicators: &[SqlFile]) -> Result<RecordBatch> {
    let mut fields = vec![Field::new("indicator_id", DataType::Utf8, false)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(indicators.iter().map(SqlFile::id)))];
    for key in CATALOGUE_KEYS {
        fields.push(Field::new(key, DataType::Utf8, true));
        let values = indicators.iter().map(|f| {
            let value = if key == "file" { f.file.as_str() } else { f.get(key) };
            // `—` says "none" in a header; the table says it with a null.
            let none = value.is_empty() || (key == "gate" && value != crate::catalog::GATE_COMPARE);
            (!none).then_some(value)
        });
        columns.push(Arc::new(values.collect::<StringArray>()));
    }
    fields.push(Field::new("headline", DataType::Int32, true));
    let headlines = indicators.iter().map(|f| f.headline().and_then(|n| i32::try_from(n).ok()));
    columns.push(Arc::new(headlines.collect::<Int32Array>()));
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
    /// Per-year folders created (`models/persons`), to fsync before the manifest.
    folders: BTreeSet<String>,
    /// Per-year files linked from the previous snapshot.
    carried: usize,
}

impl Stored {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            row_counts: BTreeMap::new(),
            files: BTreeMap::new(),
            timings_ms: BTreeMap::new(),
            folders: BTreeSet::new(),
            carried: 0,
        }
    }

    /// Runs `frame` and writes it to `relative` (zstd Parquet with statistics); returns the file's path.
    async fn write(&mut self, relative: &str, frame: DataFrame, clock: Instant) -> Result<PathBuf> {
        let path = self.dir.join(relative);
        let written = write_parquet(frame, &path).await?;
        let rows = written.rows;
        self.record(relative, written);
        let table = relative.trim_end_matches(".parquet").to_string();
        self.row_counts.insert(table.clone(), rows);
        self.timings_ms.insert(table, millis(clock));
        Ok(path)
    }

    /// Runs `frame` and writes one file per value of `column` under the folder `relative` (`models/persons/2024.parquet`).
    async fn write_years(
        &mut self,
        relative: &str,
        frame: DataFrame,
        column: &str,
        from_year: i32,
        clock: Instant,
    ) -> Result<()> {
        let written = carry::write_years(frame, &self.dir.join(relative), column, from_year).await?;
        self.folders.insert(relative.to_string());
        for (_, file) in written {
            let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            *self.row_counts.entry(relative.to_string()).or_default() += file.rows;
            self.record(&format!("{relative}/{name}"), file);
        }
        self.row_counts.entry(relative.to_string()).or_default();
        self.timings_ms.insert(relative.to_string(), millis(clock));
        Ok(())
    }

    /// Hard-links the previous snapshot's files of the years `plan` carries under the folder `relative`.
    fn carry(&mut self, plan: &CarryPlan, relative: &str) -> Result<()> {
        let Some((previous, _)) = &plan.previous else { return Ok(()) };
        let folder = self.dir.join(relative);
        std::fs::create_dir_all(&folder).map_err(|e| QueryError::io("creating", &folder, e))?;
        self.folders.insert(relative.to_string());
        for (_, rel, entry) in plan.carried(relative) {
            let (source, target) = (previous.join(&rel), self.dir.join(&rel));
            if let Err(link_error) = std::fs::hard_link(&source, &target) {
                tracing::warn!(file = %rel, error = %link_error, "cannot hard-link a file of the previous snapshot; copying it");
                std::fs::copy(&source, &target).map_err(|e| QueryError::io("copying", &source, e))?;
                std::fs::File::open(&target)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| QueryError::io("syncing", &target, e))?;
            }
            skillhouse_model::fault::point("build.carry");
            *self.row_counts.entry(relative.to_string()).or_default() += entry.rows.unwrap_or_default();
            self.files.insert(rel, FileEntry { linked: false, ..entry });
            self.carried += 1;
        }
        Ok(())
    }

    /// Adds a written file to the manifest's list with its size and SHA-256.
    fn record(&mut self, relative: &str, file: WrittenFile) {
        let entry = FileEntry { bytes: file.bytes, sha256: file.sha256, rows: Some(file.rows), linked: false };
        self.files.insert(relative.to_string(), entry);
    }
}

/// The build's parameters with `$from_year` set.
fn with_from_year(values: ParamValues, from_year: i32) -> ParamValues {
    match values {
        ParamValues::Map(mut map) => {
            map.insert("from_year".into(), ScalarValue::Int32(Some(from_year)).into());
            ParamValues::Map(map)
        }
        other => other,
    }
}
