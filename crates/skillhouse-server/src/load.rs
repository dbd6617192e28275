//! Reading a published snapshot from disk — the one module of the server that touches snapshot files.
//!
//! It reads `manifest.json` and the snapshot's small Parquet tables (`indicator_values`, `indicators`, `dims/*`)
//! directly with the Parquet reader (no DataFusion session, no SQL): the server needs these tables whole, in memory,
//! once per snapshot, and a plain read keeps it free of SQL text (STYLE: the server holds no SQL). The ledger is the
//! one the snapshot carries (`snapshots/<id>/ledger/ledger.parquet`, docs/warehouse.md; snapshots built before
//! snapshots carried their base files read `WAREHOUSE/ledger/`) and is reduced to a per-agency summary at once: no
//! file name or row ever leaves this module.

use crate::error::{Result, ServerError};
use crate::table::{Cell, ColumnType, Table};
use sha2::{Digest, Sha256};
use skillhouse_query::datafusion::arrow::array::{Array, BooleanArray, Float64Array, Int64Array, StringArray};
use skillhouse_query::datafusion::arrow::compute::cast;
use skillhouse_query::datafusion::arrow::datatypes::DataType;
use skillhouse_query::datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use skillhouse_query::{Manifest, SnapshotFolder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One row of `indicator_values` (DESIGN §8), as published after suppression.
#[derive(Debug, Clone, PartialEq)]
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
    /// Withheld by small-cell suppression (value, numerator, denominator and gap are then null).
    pub suppressed: bool,
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
    /// Per-agency ledger summary.
    pub submissions: Table,
    /// SHA-256 (hex) of the ledger file as read, or empty when there is none: part of the submissions ETag, since
    /// the ledger changes between snapshots.
    pub ledger_hash: String,
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
    let ledger_path = folder.ledger_file();
    let (submissions, ledger_hash) = if ledger_path.is_file() {
        let bytes = std::fs::read(&ledger_path).map_err(|e| ServerError::io("reading", &ledger_path, e))?;
        (submissions(&read_parquet(&ledger_path)?), hex::encode(Sha256::digest(&bytes)))
    } else {
        (submissions(&Table::default()), String::new())
    };
    Ok(SnapshotFiles {
        catalogue: read_parquet(&folder.indicators_file())?,
        values,
        regions: read_parquet(&folder.dim_file("regions"))?,
        programmes: read_parquet(&folder.dim_file("programmes"))?,
        targets: read_parquet(&folder.dim_file("targets"))?,
        agency_types: optional(folder.dim_file("agency_types"))?,
        submissions,
        ledger_hash,
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
    let index = |name: &str| {
        table
            .column_index(name)
            .ok_or_else(|| ServerError::Layout { path: path.to_path_buf(), message: format!("no `{name}` column") })
    };
    let [id, region, year, programme, agency_type, value, numerator, denominator, target, gap, status, version] = [
        "indicator_id",
        "region_code",
        "year",
        "programme",
        "agency_type",
        "value",
        "numerator",
        "denominator",
        "target",
        "gap",
        "status",
        "definition_version",
    ]
    .map(index);
    let (id, region, year, programme, agency_type) = (id?, region?, year?, programme?, agency_type?);
    let (value, numerator, denominator, target, gap, status, version) =
        (value?, numerator?, denominator?, target?, gap?, status?, version?);
    let text = |row: &[Cell], i: usize| match row.get(i) {
        Some(Cell::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let int = |row: &[Cell], i: usize| match row.get(i) {
        Some(Cell::Int(v)) => Some(*v),
        _ => None,
    };
    let float = |row: &[Cell], i: usize| match row.get(i) {
        Some(Cell::Float(v)) => Some(*v),
        Some(Cell::Int(v)) => Some(*v as f64),
        _ => None,
    };
    // Snapshots built before the build decided references have none of these columns: no reference, then.
    let [reference_target, reference_comparator, reference_year, reference_status] =
        ["reference_target", "reference_comparator", "reference_year", "reference_status"]
            .map(|name| table.column_index(name).unwrap_or(usize::MAX));
    Ok(table
        .rows
        .iter()
        .map(|row| ValueRow {
            indicator_id: text(row, id).unwrap_or_default(),
            region_code: text(row, region),
            year: int(row, year),
            programme: text(row, programme),
            agency_type: text(row, agency_type),
            value: float(row, value),
            numerator: int(row, numerator),
            denominator: int(row, denominator),
            target: float(row, target),
            gap: float(row, gap),
            status: text(row, status).unwrap_or_else(|| "n/a".to_string()),
            definition_version: text(row, version).unwrap_or_default(),
            reference_target: float(row, reference_target),
            reference_comparator: text(row, reference_comparator),
            reference_year: int(row, reference_year),
            reference_status: text(row, reference_status),
            suppressed: false,
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

#[derive(Default)]
struct AgencySummary {
    files: i64,
    loaded: i64,
    superseded: i64,
    unreadable: i64,
    rows_read: i64,
    rows_accepted: i64,
    rows_rejected: i64,
    by_reason: BTreeMap<String, i64>,
}

/// The per-agency ledger summary: files by status; rows read, accepted and rejected (by reason) over the files
/// that currently count (`loaded`) — a superseded file's rows were replaced by its correction. No file names, no
/// rows, nothing about persons.
fn submissions(ledger: &Table) -> Table {
    let agency = ledger.text_column("agency_id");
    let status = ledger.text_column("status");
    let by_reason = ledger.text_column("rejects_by_reason");
    let int_column = |name: &str| -> Vec<i64> {
        let index = ledger.column_index(name);
        ledger
            .rows
            .iter()
            .map(|row| match index.and_then(|i| row.get(i)) {
                Some(Cell::Int(v)) => *v,
                _ => 0,
            })
            .collect()
    };
    let (read, accepted, rejected) =
        (int_column("rows_read"), int_column("rows_accepted"), int_column("rows_rejected"));
    let mut agencies: BTreeMap<String, AgencySummary> = BTreeMap::new();
    for row in 0..ledger.rows.len() {
        let summary = agencies.entry(agency[row].clone().unwrap_or_default()).or_default();
        summary.files += 1;
        match status[row].as_deref() {
            Some("loaded") => {
                summary.loaded += 1;
                summary.rows_read += read[row];
                summary.rows_accepted += accepted[row];
                summary.rows_rejected += rejected[row];
                let reasons: BTreeMap<String, i64> =
                    by_reason[row].as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
                for (reason, count) in reasons {
                    *summary.by_reason.entry(reason).or_default() += count;
                }
            }
            Some("superseded") => summary.superseded += 1,
            _ => summary.unreadable += 1,
        }
    }
    let mut table = Table::new(&SUBMISSION_COLUMNS);
    for (agency_id, s) in agencies {
        table.rows.push(vec![
            Cell::Text(agency_id),
            Cell::Int(s.files),
            Cell::Int(s.loaded),
            Cell::Int(s.superseded),
            Cell::Int(s.unreadable),
            Cell::Int(s.rows_read),
            Cell::Int(s.rows_accepted),
            Cell::Int(s.rows_rejected),
            Cell::Json(serde_json::json!(s.by_reason)),
        ]);
    }
    table
}
