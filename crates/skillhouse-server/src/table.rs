//! A small typed table — what every data endpoint returns — and its three encodings: JSON, CSV and the Arrow IPC
//! stream format. One table type keeps the formats consistent: a CSV or Arrow answer has exactly the columns and
//! rows of the JSON answer's `data` array.

use crate::error::{ApiError, Result, ServerError};
use skillhouse_query::datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use skillhouse_query::datafusion::arrow::datatypes::{DataType, Field, Schema};
use skillhouse_query::datafusion::arrow::ipc::writer::StreamWriter;
use skillhouse_query::{csv_plain_cell, csv_text_cell};
use std::path::Path;
use std::sync::Arc;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text.
    Text,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// Boolean.
    Bool,
    /// A JSON value: embedded as JSON in JSON answers, as its JSON text in CSV and Arrow.
    Json,
}

impl ColumnType {
    /// The OpenAPI / JSON Schema type name of the column's values.
    pub const fn json_type(self) -> &'static str {
        match self {
            Self::Text => "string",
            Self::Int => "integer",
            Self::Float => "number",
            Self::Bool => "boolean",
            Self::Json => "object",
        }
    }
}

/// One value of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Missing or withheld.
    Null,
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// A JSON value.
    Json(serde_json::Value),
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Self::Null, Self::Text)
    }
}

impl From<Option<i64>> for Cell {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Self::Null, Self::Int)
    }
}

impl From<Option<f64>> for Cell {
    fn from(value: Option<f64>) -> Self {
        value.map_or(Self::Null, Self::Float)
    }
}

impl Cell {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Text(text) => serde_json::Value::String(text.clone()),
            Self::Int(value) => serde_json::Value::from(*value),
            // NaN and infinities have no JSON form; serde_json maps them to null.
            Self::Float(value) => serde_json::Number::from_f64(*value).map_or(serde_json::Value::Null, Into::into),
            Self::Bool(value) => serde_json::Value::Bool(*value),
            Self::Json(value) => value.clone(),
        }
    }

    /// The cell as text; `None` for nulls and other cells.
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text.clone()),
            _ => None,
        }
    }

    /// The cell as an integer; `None` for nulls and other cells.
    pub fn int(&self) -> Option<i64> {
        match self {
            Self::Int(value) => Some(*value),
            _ => None,
        }
    }

    /// The cell as a float (integers widened); `None` for nulls and other cells.
    pub fn float(&self) -> Option<f64> {
        match self {
            Self::Float(value) => Some(*value),
            Self::Int(value) => Some(*value as f64),
            _ => None,
        }
    }

    fn to_text(&self) -> Option<String> {
        match self {
            Self::Null => None,
            Self::Text(text) => Some(text.clone()),
            Self::Int(value) => Some(value.to_string()),
            Self::Float(value) => value.is_finite().then(|| value.to_string()),
            Self::Bool(value) => Some(value.to_string()),
            Self::Json(value) => Some(value.to_string()),
        }
    }
}

/// The column index of an absent optional column ([`Table::optional_column`]): every row's [`cell`] there is null.
pub const ABSENT: usize = usize::MAX;

/// A row's cell at a column index, null past the row's end (an [`ABSENT`] column).
pub fn cell(row: &[Cell], index: usize) -> &Cell {
    row.get(index).unwrap_or(&Cell::Null)
}

/// Columns and rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names and types, in order.
    pub columns: Vec<(String, ColumnType)>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[(&str, ColumnType)]) -> Self {
        Self { columns: columns.iter().map(|(n, t)| ((*n).to_string(), *t)).collect(), rows: Vec::new() }
    }

    /// The rows as JSON objects (column name → value), the `data` array of a JSON answer.
    pub fn json_rows(&self) -> serde_json::Value {
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let object: serde_json::Map<String, serde_json::Value> =
                    self.columns.iter().zip(row).map(|((name, _), cell)| (name.clone(), cell.to_json())).collect();
                serde_json::Value::Object(object)
            })
            .collect();
        serde_json::Value::Array(rows)
    }

    /// RFC 4180 CSV with a header row; nulls are empty fields; text cells neutralised against formula injection
    /// ([`skillhouse_query::csv_text_cell`]), numbers as they are.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|(name, _)| csv_text_cell(name).into_owned()).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|c| {
                    let Some(text) = c.to_text() else { return String::new() };
                    match c {
                        Cell::Int(_) | Cell::Float(_) | Cell::Bool(_) => csv_plain_cell(&text).into_owned(),
                        _ => csv_text_cell(&text).into_owned(),
                    }
                })
                .collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        out.into_bytes()
    }

    /// The table as one record batch (JSON columns as text).
    pub fn to_record_batch(&self) -> Result<RecordBatch, ApiError> {
        let mut fields = Vec::with_capacity(self.columns.len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for (index, (name, column_type)) in self.columns.iter().enumerate() {
            let cells = self.rows.iter().map(|row| row.get(index).unwrap_or(&Cell::Null));
            let (data_type, array): (DataType, ArrayRef) = match column_type {
                ColumnType::Int => {
                    let mut builder = Int64Builder::with_capacity(self.rows.len());
                    for cell in cells {
                        builder.append_option(match cell {
                            Cell::Int(v) => Some(*v),
                            _ => None,
                        });
                    }
                    (DataType::Int64, Arc::new(builder.finish()))
                }
                ColumnType::Float => {
                    let mut builder = Float64Builder::with_capacity(self.rows.len());
                    for cell in cells {
                        builder.append_option(match cell {
                            Cell::Float(v) => Some(*v),
                            Cell::Int(v) => Some(*v as f64),
                            _ => None,
                        });
                    }
                    (DataType::Float64, Arc::new(builder.finish()))
                }
                ColumnType::Bool => {
                    let mut builder = BooleanBuilder::with_capacity(self.rows.len());
                    for cell in cells {
                        builder.append_option(match cell {
                            Cell::Bool(v) => Some(*v),
                            _ => None,
                        });
                    }
                    (DataType::Boolean, Arc::new(builder.finish()))
                }
                ColumnType::Text | ColumnType::Json => {
                    let mut builder = StringBuilder::new();
                    for cell in cells {
                        builder.append_option(cell.to_text());
                    }
                    (DataType::Utf8, Arc::new(builder.finish()))
                }
            };
            fields.push(Field::new(name, data_type, true));
            arrays.push(array);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| ApiError::Internal(format!("building a record batch: {e}")))
    }

    /// The table in the Arrow IPC stream format (one batch).
    pub fn to_arrow_ipc(&self) -> Result<Vec<u8>, ApiError> {
        let batch = self.to_record_batch()?;
        let internal = |e: skillhouse_query::datafusion::arrow::error::ArrowError| {
            ApiError::Internal(format!("writing an Arrow IPC stream: {e}"))
        };
        let mut writer = StreamWriter::try_new(Vec::new(), &batch.schema()).map_err(internal)?;
        writer.write(&batch).map_err(internal)?;
        writer.finish().map_err(internal)?;
        writer.into_inner().map_err(internal)
    }
}

impl Table {
    /// The table as an Excel workbook of one sheet: a bold header row, then the rows — numbers as numbers, text
    /// as text (never a formula: a text cell starting with `=` is written as a string), nulls as empty cells.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, ApiError> {
        use rust_xlsxwriter::{Format, Workbook};
        let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("writing a workbook: {e}"));
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let bold = Format::new().set_bold();
        for (column, (name, _)) in self.columns.iter().enumerate() {
            let column = u16::try_from(column).map_err(|_| ApiError::Internal("too many columns".into()))?;
            sheet.write_string_with_format(0, column, name, &bold).map_err(internal)?;
        }
        for (index, row) in self.rows.iter().enumerate() {
            let line = u32::try_from(index + 1).map_err(|_| ApiError::Internal("too many rows".into()))?;
            for (column, cell) in row.iter().enumerate() {
                let column = u16::try_from(column).map_err(|_| ApiError::Internal("too many columns".into()))?;
                let written = match cell {
                    Cell::Null => continue,
                    Cell::Float(value) if !value.is_finite() => continue,
                    Cell::Int(value) => sheet.write_number(line, column, *value as f64),
                    Cell::Float(value) => sheet.write_number(line, column, *value),
                    Cell::Bool(value) => sheet.write_boolean(line, column, *value),
                    Cell::Text(text) => sheet.write_string(line, column, text),
                    Cell::Json(value) => sheet.write_string(line, column, value.to_string()),
                };
                written.map_err(internal)?;
            }
        }
        workbook.save_to_buffer().map_err(internal)
    }

    /// The index of a column.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }

    /// The index of a column a model file must have (`path` names the file in the error).
    pub fn required_column(&self, name: &str, path: &Path) -> Result<usize> {
        self.column_index(name)
            .ok_or_else(|| ServerError::Layout { path: path.to_path_buf(), message: format!("no `{name}` column") })
    }

    /// The index of a column older snapshots may lack; [`ABSENT`] (every row reads null there, [`cell`]) if absent.
    pub fn optional_column(&self, name: &str) -> usize {
        self.column_index(name).unwrap_or(ABSENT)
    }

    /// A column's values as text (numbers rendered), `None` for nulls; every row `None` if the column is absent.
    pub fn text_column(&self, name: &str) -> Vec<Option<String>> {
        let index = self.column_index(name);
        self.rows
            .iter()
            .map(|row| match index.and_then(|i| row.get(i)) {
                Some(Cell::Text(text)) => Some(text.clone()),
                Some(Cell::Int(value)) => Some(value.to_string()),
                _ => None,
            })
            .collect()
    }

    /// A column's integers, `None` for nulls and other cells; every row `None` if the column is absent.
    pub fn int_column(&self, name: &str) -> Vec<Option<i64>> {
        let index = self.column_index(name);
        self.rows
            .iter()
            .map(|row| match index.and_then(|i| row.get(i)) {
                Some(Cell::Int(value)) => Some(*value),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::new(&[("name", ColumnType::Text), ("n", ColumnType::Int), ("share", ColumnType::Float)]);
        table.rows.push(vec![Cell::Text("a,\"b\"".into()), Cell::Int(3), Cell::Float(0.5)]);
        table.rows.push(vec![Cell::Null, Cell::Null, Cell::Float(f64::NAN)]);
        table
    }

    #[test]
    fn csv_quotes_and_leaves_nulls_empty() {
        let csv = String::from_utf8(table().to_csv()).expect("utf-8");
        assert_eq!(csv, "name,n,share\r\n\"a,\"\"b\"\"\",3,0.5\r\n,,\r\n");
    }

    /// Issue 27, item 10: a text cell such as a folder name `=cmd|…` reached `?format=csv` raw.
    #[test]
    fn csv_neutralises_formula_text_but_not_negative_numbers() {
        let mut table = Table::new(&[("name", ColumnType::Text), ("n", ColumnType::Int)]);
        table.rows.push(vec![Cell::Text("=cmd|' /C calc'!A0".into()), Cell::Int(-3)]);
        table.rows.push(vec![Cell::Text("@x".into()), Cell::Int(1)]);
        let csv = String::from_utf8(table.to_csv()).expect("utf-8");
        assert_eq!(csv, "name,n\r\n'=cmd|' /C calc'!A0,-3\r\n'@x,1\r\n");
        assert_eq!(table.json_rows()[0]["name"], "=cmd|' /C calc'!A0");
    }

    #[test]
    fn json_rows_map_nan_to_null() {
        let json = table().json_rows();
        assert_eq!(json[0]["n"], 3);
        assert!(json[1]["share"].is_null());
        assert!(json[1]["name"].is_null());
    }

    #[test]
    fn arrow_batches_keep_types() {
        let batch = table().to_record_batch().expect("batch");
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema().field(1).data_type(), &DataType::Int64);
        assert_eq!(batch.column(1).null_count(), 1);
    }
}
