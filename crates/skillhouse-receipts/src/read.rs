//! Reading what a receipt is made of: the ledger (one row per submitted file) and the rejected rows of one file,
//! from a folder with the warehouse's layout (`docs/warehouse.md`) — a snapshot's own folder, which carries the
//! ledger and reject files it was built with. Plain Parquet reads, no SQL: a receipt needs one slice's rows.

use crate::error::{ReceiptError, Result};
use crate::{Input, SubmissionKey};
use skillhouse_model::layout;
use skillhouse_query::datafusion::arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use skillhouse_query::datafusion::arrow::compute::cast;
use skillhouse_query::datafusion::arrow::datatypes::DataType;
use skillhouse_query::datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One ledger row: one submitted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerFile {
    /// Certificates or training.
    pub input: Input,
    /// Landing-relative path (`<agency_id>/<file>`, `training/<provider_id>/<file>`).
    pub source_file: String,
    /// SHA-256 hex of the bytes (empty for an entry refused unopened).
    pub content_hash: String,
    /// Agency, or provider for a training file.
    pub agency_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// `csv`, `xlsx`, `jsonl`, `withdraw`, or the extension found.
    pub format: String,
    /// `loaded`, `superseded` or `unreadable`.
    pub status: String,
    /// Rows read (`None` when unreadable).
    pub rows_read: Option<i64>,
    /// Rows accepted.
    pub rows_accepted: Option<i64>,
    /// Rows rejected.
    pub rows_rejected: Option<i64>,
    /// Rejected rows per reason code.
    pub rejects_by_reason: BTreeMap<String, i64>,
    /// Why the file could not be read.
    pub message: Option<String>,
    /// When it was read, milliseconds since the epoch (UTC).
    pub ingested_at_ms: Option<i64>,
}

impl LedgerFile {
    /// The file's name as the clerk named it (the last part of `source_file`).
    pub fn file_name(&self) -> &str {
        self.source_file.rsplit('/').next().unwrap_or(&self.source_file)
    }

    /// The submission this file belongs to.
    pub fn key(&self) -> SubmissionKey {
        SubmissionKey { input: self.input, agency_id: self.agency_id.clone(), period: self.period.clone() }
    }
}

/// One rejected row, as ingestion stored it (docs/warehouse.md "rejects columns"): the ID in `cells` is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row's line (CSV, JSONL) or sheet row (XLSX) in the clerk's own file.
    pub source_row: i64,
    /// The stable reason code.
    pub reason: String,
    /// The canonical field at fault, if one.
    pub field: Option<String>,
    /// The sentence ingestion wrote (explanation, then what was found).
    pub detail: String,
    /// The input row: canonical field → text as typed, `id_number` masked, `name` dropped.
    pub cells: BTreeMap<String, String>,
}

/// Text and integer columns of one Parquet file, read whole.
struct Columns {
    path: PathBuf,
    text: BTreeMap<String, Vec<Option<String>>>,
    ints: BTreeMap<String, Vec<Option<i64>>>,
    rows: usize,
}

impl Columns {
    fn read(path: &Path, text: &[&str], ints: &[&str]) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| ReceiptError::io("opening", path, e))?;
        let parquet = |source| ReceiptError::Parquet { path: path.to_path_buf(), source };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?;
        let present: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
        let mut columns = Self { path: path.to_path_buf(), text: BTreeMap::new(), ints: BTreeMap::new(), rows: 0 };
        for name in text.iter().filter(|n| present.iter().any(|p| p == *n)) {
            columns.text.insert((*name).to_string(), Vec::new());
        }
        for name in ints.iter().filter(|n| present.iter().any(|p| p == *n)) {
            columns.ints.insert((*name).to_string(), Vec::new());
        }
        for batch in builder.build().map_err(parquet)? {
            let batch = batch.map_err(|e| ReceiptError::Layout { path: path.to_path_buf(), message: e.to_string() })?;
            columns.push(&batch)?;
        }
        Ok(columns)
    }

    fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let layout = |name: &str, e: &dyn std::fmt::Display| ReceiptError::Layout {
            path: self.path.clone(),
            message: format!("column `{name}`: {e}"),
        };
        for (name, values) in &mut self.text {
            let Some(column) = batch.column_by_name(name) else { continue };
            let array = cast(column, &DataType::Utf8).map_err(|e| layout(name, &e))?;
            let strings = array.as_any().downcast_ref::<StringArray>().ok_or_else(|| layout(name, &"not text"))?;
            values.extend((0..strings.len()).map(|i| (!strings.is_null(i)).then(|| strings.value(i).to_string())));
        }
        for (name, values) in &mut self.ints {
            let Some(column) = batch.column_by_name(name) else { continue };
            let array = cast(column, &DataType::Int64).map_err(|e| layout(name, &e))?;
            let numbers = array.as_any().downcast_ref::<Int64Array>().ok_or_else(|| layout(name, &"not integers"))?;
            values.extend((0..numbers.len()).map(|i| (!numbers.is_null(i)).then(|| numbers.value(i))));
        }
        self.rows += batch.num_rows();
        Ok(())
    }

    /// A text column; `required` ones must exist, others read as all-null when absent.
    fn text(&mut self, name: &str, required: bool) -> Result<Vec<Option<String>>> {
        match self.text.remove(name) {
            Some(values) => Ok(values),
            None if !required => Ok(vec![None; self.rows]),
            None => Err(ReceiptError::Layout { path: self.path.clone(), message: format!("no `{name}` column") }),
        }
    }

    fn ints(&mut self, name: &str) -> Vec<Option<i64>> {
        self.ints.remove(name).unwrap_or_else(|| vec![None; self.rows])
    }
}

/// Every ledger row of a folder with the warehouse's layout, in submission order; empty when it has no ledger.
pub fn read_ledger(base: &Path) -> Result<Vec<LedgerFile>> {
    let path = base.join(layout::LEDGER_DIR).join(layout::LEDGER_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    const TEXT: [&str; 9] = [
        "source_file",
        "content_hash",
        "agency_id",
        "period",
        "format",
        "status",
        "rejects_by_reason",
        "message",
        "input",
    ];
    const INTS: [&str; 4] = ["rows_read", "rows_accepted", "rows_rejected", "ingested_at"];
    let mut columns = Columns::read(&path, &TEXT, &INTS)?;
    let (source_file, content_hash, agency_id, period) = (
        columns.text("source_file", true)?,
        columns.text("content_hash", true)?,
        columns.text("agency_id", true)?,
        columns.text("period", true)?,
    );
    let (format, status, by_reason, message) = (
        columns.text("format", true)?,
        columns.text("status", true)?,
        columns.text("rejects_by_reason", false)?,
        columns.text("message", false)?,
    );
    // A ledger written before training existed has no `input` column: all its rows are certificate files.
    let input = columns.text("input", false)?;
    let (read, accepted, rejected, at) = (
        columns.ints("rows_read"),
        columns.ints("rows_accepted"),
        columns.ints("rows_rejected"),
        columns.ints("ingested_at"),
    );
    let mut files = Vec::with_capacity(columns.rows);
    for i in 0..columns.rows {
        let input = match input[i].as_deref() {
            None | Some("certificates") => Input::Certificates,
            Some("training") => Input::Training,
            // Another input (a later release's) has no receipt here.
            Some(_) => continue,
        };
        let text = |values: &[Option<String>]| values[i].clone().unwrap_or_default();
        files.push(LedgerFile {
            input,
            source_file: text(&source_file),
            content_hash: text(&content_hash),
            agency_id: text(&agency_id),
            period: text(&period),
            format: text(&format),
            status: text(&status),
            rows_read: read[i],
            rows_accepted: accepted[i],
            rows_rejected: rejected[i],
            rejects_by_reason: by_reason[i]
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
            message: message[i].clone(),
            ingested_at_ms: at[i],
        });
    }
    Ok(files)
}

/// The rejected rows of a loaded file, sorted by row number: `rejects/<agency_id>__<YYYY-MM>__<hash12>.parquet`
/// (`training_rejects/` for a training file). A file with no rejected row has no reject file.
pub fn read_rejected_rows(base: &Path, file: &LedgerFile) -> Result<Vec<RejectedRow>> {
    let dir = match file.input {
        Input::Certificates => layout::REJECTS_DIR,
        Input::Training => layout::TRAINING_REJECTS_DIR,
    };
    let hash12 = &file.content_hash[..file.content_hash.len().min(12)];
    let path = base.join(dir).join(format!("{}__{}__{hash12}.parquet", file.agency_id, file.period));
    if !path.is_file() {
        if file.rows_rejected.unwrap_or_default() > 0 {
            return Err(ReceiptError::Layout {
                path,
                message: "the ledger counts rejected rows of this file, but its reject file is missing".into(),
            });
        }
        return Ok(Vec::new());
    }
    let mut columns = Columns::read(&path, &["reason", "field", "detail", "row_json"], &["source_row"])?;
    let (reason, field, detail, row_json) = (
        columns.text("reason", true)?,
        columns.text("field", false)?,
        columns.text("detail", false)?,
        columns.text("row_json", false)?,
    );
    let source_row = columns.ints("source_row");
    let mut rows: Vec<RejectedRow> = (0..columns.rows)
        .map(|i| RejectedRow {
            source_row: source_row[i].unwrap_or_default(),
            reason: reason[i].clone().unwrap_or_default(),
            field: field[i].clone(),
            detail: detail[i].clone().unwrap_or_default(),
            cells: row_json[i].as_deref().map(cells_of_json).unwrap_or_default(),
        })
        .collect();
    rows.sort_by_key(|r| r.source_row);
    Ok(rows)
}

/// The cells of a stored `row_json` object (field → text); anything that is not an object of strings is dropped.
fn cells_of_json(json: &str) -> BTreeMap<String, String> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(object)) => object
            .into_iter()
            .filter_map(|(field, value)| match value {
                serde_json::Value::String(text) => Some((field, text)),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_json_objects_become_cells_and_anything_else_none() {
        let cells = cells_of_json(r#"{"id_number":"410105********002X","cert_no":"Y1","n":1}"#);
        assert_eq!(cells.len(), 2);
        assert_eq!(cells["id_number"], "410105********002X");
        assert!(cells_of_json("[1,2]").is_empty());
        assert!(cells_of_json("not json").is_empty());
    }
}
