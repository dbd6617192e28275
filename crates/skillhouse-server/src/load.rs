//! Reading a published snapshot from disk — the one module of the server that touches snapshot files.
//!
//! It reads `manifest.json` and the snapshot's small Parquet tables (`indicator_values`, `indicators`, `dims/*`)
//! directly with the Parquet reader (no DataFusion session, no SQL): the server needs these tables whole, in memory,
//! once per snapshot, and a plain read keeps it free of SQL text (STYLE: the server holds no SQL). Which files
//! those are, and where a snapshot keeps them, is the query layer's [`SnapshotFolder`]'s to say. The per-agency
//! submissions summary is one of the build's models (`models/submissions.parquet`, `sql/models/submissions.sql`):
//! no file name or row of the ledger is kept in memory. (A receipt, asked by one agency with its own token, reads
//! the snapshot's ledger and that agency's reject file when asked: `crate::receipts`.)

use crate::error::{Result, ServerError};
use crate::table::{Cell, ColumnType, Table, cell};
use sha2::{Digest, Sha256};
use skillhouse_query::datafusion::arrow::array::{Array, BooleanArray, Float64Array, Int64Array, StringArray};
use skillhouse_query::datafusion::arrow::compute::cast;
use skillhouse_query::datafusion::arrow::datatypes::DataType;
use skillhouse_query::datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use skillhouse_query::{Manifest, SnapshotFolder};
use std::path::{Path, PathBuf};

/// One row of `indicator_values` (DESIGN §8), as published after suppression.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueRow {
    /// Indicator id.
    pub indicator_id: String,
    /// Region code (`410000` for the province).
    pub region_code: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// Programme (`1`–`10`, `2.1`–`2.5`) or none.
    pub programme: Option<String>,
    /// Agency type or none.
    pub agency_type: Option<String>,
    /// The value; `None` when undefined or withheld.
    pub value: Option<f64>,
    /// Numerator (the count, for count indicators).
    pub numerator: Option<i64>,
    /// Denominator (shares only).
    pub denominator: Option<i64>,
    /// Target, if any.
    pub target: Option<f64>,
    /// value − target.
    pub gap: Option<f64>,
    /// `met`, `behind` or `n/a`.
    pub status: String,
    /// Definition version.
    pub definition_version: String,
    /// For a value without a target of its own: the province's target it is measured against (decided by the
    /// build, `sql/values/indicator_values.sql`).
    pub reference_target: Option<f64>,
    /// `>=`, `<=` or `~` of the reference target.
    pub reference_comparator: Option<String>,
    /// Year of the reference target.
    pub reference_year: Option<i64>,
    /// `met`, `behind` or `n/a` against the reference target; `None` without one.
    pub reference_status: Option<String>,
    /// 序时进度: share of the year elapsed at the as-of date, for a yearly flow target of the as-of year (decided by
    /// the build, `sql/values/indicator_values.sql`); `None` otherwise.
    pub elapsed_share: Option<f64>,
    /// target × elapsed_share; `None` without pace.
    pub expected_to_date: Option<f64>,
    /// `ahead`, `on_pace`, `behind_pace` or `n/a`; `None` without pace.
    pub pace_status: Option<String>,
    /// Withheld by small-cell suppression (value, numerator, denominator and gap are then null).
    pub suppressed: bool,
    /// Where the value comes from (DESIGN §17): `computed` from the records, `reported` by an office, or `no_data`
    /// (a target nothing answers yet: no value, status `n/a`). Snapshots built before the column are `computed`.
    pub basis: String,
    /// Who reported a `reported` value.
    pub reported_by: Option<String>,
    /// When (`YYYY-MM-DD`) a `reported` value was reported.
    pub reported_on: Option<String>,
}

/// Everything the server keeps of one snapshot, as read from disk (before suppression and precomputation).
#[derive(Debug, Clone)]
pub struct SnapshotFiles {
    /// The snapshot's manifest.
    pub manifest: Manifest,
    /// The indicator catalogue (`indicators.parquet`).
    pub catalogue: Table,
    /// Every indicator value, unsuppressed.
    pub values: Vec<ValueRow>,
    /// `dims/regions.parquet`.
    pub regions: Table,
    /// `dims/programmes.parquet`.
    pub programmes: Table,
    /// `dims/targets.parquet`.
    pub targets: Table,
    /// `dims/agency_types.parquet` (empty if absent).
    pub agency_types: Table,
    /// `dims/reportable_indicators.parquet`: the reported indicators' titles (DESIGN §17; empty if absent).
    pub reportable: Table,
    /// Per-agency submissions summary (the `submissions` model).
    pub submissions: Table,
    /// The month-to-date cumulative flows (the `monthly_flows` model), unsuppressed; empty for a snapshot built
    /// before the model existed.
    pub monthly: Vec<crate::monthly::MonthlyRow>,
    /// SHA-256 (hex) of the ledger file as read, or empty when there is none: part of the submissions ETag, since
    /// the ledger changes between snapshots.
    pub submissions_hash: String,
}

/// The published snapshot id of a warehouse (`WAREHOUSE/CURRENT`), or `None` when nothing is published.
pub(crate) fn current_snapshot_id(warehouse: &Path) -> Result<Option<String>> {
    skillhouse_query::current_snapshot_id(warehouse)
        .map_err(|source| ServerError::Snapshot { warehouse: warehouse.to_path_buf(), source: Box::new(source) })
}

/// Reads snapshot `id` of `warehouse` into memory. Blocking: call it off the async runtime.
pub(crate) fn read_snapshot(warehouse: &Path, id: &str) -> Result<SnapshotFiles> {
    // Leased while its files are read, so retention cannot remove it mid-load; everything is in memory after.
    let folder = SnapshotFolder::open(warehouse, id)
        .map_err(|source| ServerError::Snapshot { warehouse: warehouse.to_path_buf(), source: Box::new(source) })?;
    let values_path = folder.indicator_values_file();
    let values = value_rows(&read_parquet(&values_path)?, &values_path)?;
    let optional = |path: PathBuf| if path.is_file() { read_parquet(&path) } else { Ok(Table::default()) };
    // The per-agency summary is a model of the build (`sql/models/submissions.sql`); a snapshot built before it
    // existed serves an empty one until the next rebuild.
    let summary_path = folder.model_file("submissions");
    let (submissions, submissions_hash) = if summary_path.is_file() {
        let bytes = std::fs::read(&summary_path).map_err(|e| ServerError::io("reading", &summary_path, e))?;
        (submissions(&read_parquet(&summary_path)?), hex::encode(Sha256::digest(&bytes)))
    } else {
        (Table::new(&SUBMISSION_COLUMNS), String::new())
    };
    let monthly_path = folder.model_file("monthly_flows");
    let monthly = if monthly_path.is_file() {
        crate::monthly::monthly_rows(&read_parquet(&monthly_path)?, &monthly_path)?
    } else {
        Vec::new()
    };
    Ok(SnapshotFiles {
        catalogue: read_parquet(&folder.indicators_file())?,
        monthly,
        values,
        regions: read_parquet(&folder.dim_file("regions"))?,
        programmes: read_parquet(&folder.dim_file("programmes"))?,
        targets: read_parquet(&folder.dim_file("targets"))?,
        agency_types: optional(folder.dim_file("agency_types"))?,
        reportable: optional(folder.dim_file("reportable_indicators"))?,
        submissions,
        submissions_hash,
        manifest: folder.manifest,
    })
}

/// Reads a whole Parquet file into a [`Table`]: integers as `Int`, floats as `Float`, booleans as `Bool`, text as
/// `Text`, anything else (dates, timestamps) as its Arrow text form.
pub fn read_parquet(path: &Path) -> Result<Table> {
    let parquet_error = |source| ServerError::Parquet { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(|e| ServerError::io("opening", path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let schema = builder.schema().clone();
    let columns: Vec<(String, ColumnType, DataType)> = schema
        .fields()
        .iter()
        .map(|f| {
            let (column_type, target) = match f.data_type() {
                DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32 => (ColumnType::Int, DataType::Int64),
                DataType::Float16 | DataType::Float32 | DataType::Float64 => (ColumnType::Float, DataType::Float64),
                DataType::Boolean => (ColumnType::Bool, DataType::Boolean),
                _ => (ColumnType::Text, DataType::Utf8),
            };
            (f.name().clone(), column_type, target)
        })
        .collect();
    let mut table = Table { columns: columns.iter().map(|(n, t, _)| (n.clone(), *t)).collect(), rows: Vec::new() };
    let reader = builder.build().map_err(parquet_error)?;
    for batch in reader {
        let batch = batch.map_err(|e| ServerError::Layout { path: path.to_path_buf(), message: e.to_string() })?;
        let mut cells: Vec<Vec<Cell>> = vec![Vec::with_capacity(batch.num_columns()); batch.num_rows()];
        for (index, (name, _, target)) in columns.iter().enumerate() {
            let array = cast(batch.column(index), target).map_err(|e| ServerError::Layout {
                path: path.to_path_buf(),
                message: format!("column `{name}`: {e}"),
            })?;
            push_cells(&mut cells, array.as_ref(), target);
        }
        table.rows.extend(cells);
    }
    Ok(table)
}

fn push_cells(rows: &mut [Vec<Cell>], array: &dyn Array, data_type: &DataType) {
    let any = array.as_any();
    for (row, cells) in rows.iter_mut().enumerate() {
        let cell = if array.is_null(row) {
            Cell::Null
        } else {
            match data_type {
                DataType::Int64 => any.downcast_ref::<Int64Array>().map_or(Cell::Null, |a| Cell::Int(a.value(row))),
                DataType::Float64 => {
                    any.downcast_ref::<Float64Array>().map_or(Cell::Null, |a| Cell::Float(a.value(row)))
                }
                DataType::Boolean => {
                    any.downcast_ref::<BooleanArray>().map_or(Cell::Null, |a| Cell::Bool(a.value(row)))
                }
                _ => any.downcast_ref::<StringArray>().map_or(Cell::Null, |a| Cell::Text(a.value(row).to_string())),
            }
        };
        cells.push(cell);
    }
}

fn value_rows(table: &Table, path: &Path) -> Result<Vec<ValueRow>> {
    let required = |name: &str| table.required_column(name, path);
    let (id, region, year, programme) =
        (required("indicator_id")?, required("region_code")?, required("year")?, required("programme")?);
    let (agency_type, value, numerator, denominator) =
        (required("agency_type")?, required("value")?, required("numerator")?, required("denominator")?);
    let (target, gap, status, version) =
        (required("target")?, required("gap")?, required("status")?, required("definition_version")?);
    // Snapshots built before the build decided references have none of these columns: no reference, then.
    let [reference_target, reference_comparator, reference_year, reference_status] =
        ["reference_target", "reference_comparator", "reference_year", "reference_status"]
            .map(|name| table.optional_column(name));
    // Likewise snapshots built before 序时进度: no pace.
    let [elapsed_share, expected_to_date, pace_status] =
        ["elapsed_share", "expected_to_date", "pace_status"].map(|name| table.optional_column(name));
    // Snapshots built before DESIGN §17 have no basis: every row of theirs was computed.
    let [basis, reported_by, reported_on] =
        ["basis", "reported_by", "reported_on"].map(|name| table.optional_column(name));
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let at = |i: usize| cell(row, i);
            ValueRow {
                indicator_id: at(id).text().unwrap_or_default(),
                region_code: at(region).text(),
                year: at(year).int(),
                programme: at(programme).text(),
                agency_type: at(agency_type).text(),
                value: at(value).float(),
                numerator: at(numerator).int(),
                denominator: at(denominator).int(),
                target: at(target).float(),
                gap: at(gap).float(),
                status: at(status).text().unwrap_or_else(|| "n/a".to_string()),
                definition_version: at(version).text().unwrap_or_default(),
                reference_target: at(reference_target).float(),
                reference_comparator: at(reference_comparator).text(),
                reference_year: at(reference_year).int(),
                reference_status: at(reference_status).text(),
                elapsed_share: at(elapsed_share).float(),
                expected_to_date: at(expected_to_date).float(),
                pace_status: at(pace_status).text(),
                suppressed: false,
                basis: at(basis).text().unwrap_or_else(|| "computed".to_string()),
                reported_by: at(reported_by).text(),
                reported_on: at(reported_on).text(),
            }
        })
        .collect())
}

/// Columns of the `/submissions` answer.
pub const SUBMISSION_COLUMNS: [(&str, ColumnType); 9] = [
    ("agency_id", ColumnType::Text),
    ("files", ColumnType::Int),
    ("files_loaded", ColumnType::Int),
    ("files_superseded", ColumnType::Int),
    ("files_unreadable", ColumnType::Int),
    ("rows_read", ColumnType::Int),
    ("rows_accepted", ColumnType::Int),
    ("rows_rejected", ColumnType::Int),
    ("rejected_by_reason", ColumnType::Json),
];

/// The `submissions` model's rows as the `/submissions` answer: its columns in [`SUBMISSION_COLUMNS`]' order, the
/// reasons (a JSON object the build wrote as text) as JSON.
fn submissions(model: &Table) -> Table {
    let mut table = Table::new(&SUBMISSION_COLUMNS);
    let indexes: Vec<Option<usize>> = SUBMISSION_COLUMNS.iter().map(|(name, _)| model.column_index(name)).collect();
    for row in &model.rows {
        let cells = SUBMISSION_COLUMNS
            .iter()
            .zip(&indexes)
            .map(|((_, kind), index)| match (kind, index.and_then(|i| row.get(i))) {
                (ColumnType::Json, Some(Cell::Text(text))) => serde_json::from_str(text).map_or(Cell::Null, Cell::Json),
                (_, Some(cell)) => cell.clone(),
                (_, None) => Cell::Null,
            })
            .collect();
        table.rows.push(cells);
    }
    table
}
