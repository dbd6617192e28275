//! Reading one submitted file into a table of raw text cells, one column per recognised field.
//!
//! Every reader ends in the same shape, [`RawTable`]: a polars `DataFrame` whose columns are the canonical field
//! names ([`Field::code`]) holding the cells as typed (String), plus the row number a clerk would see for each
//! row. Normalising the values is validation's job; readers only find the header, decode text, and turn
//! spreadsheet numbers and dates into the text a clerk would have typed.

mod csv;
mod jsonl;
mod xlsx;

use crate::decode::DecodeError;
use crate::field::{FIELD_COUNT, Field, HeaderAliases, Input};
use polars::prelude::*;
use std::fmt;

pub(crate) use self::csv::read_csv;
pub(crate) use self::jsonl::read_jsonl;
pub use self::xlsx::XlsxLimits;
pub(crate) use self::xlsx::{Next, declared_uncompressed, read_xlsx, xlsx_rows};

/// Rows scanned for a header before giving up (title rows above the header are skipped).
const HEADER_SCAN_ROWS: usize = 30;

/// The format of a submitted file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated text (UTF-8, UTF-8 with BOM, GBK/GB18030).
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// JSON Lines: one object per line.
    Jsonl,
}

impl Format {
    /// From a file extension (case-insensitive).
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// Ledger label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Jsonl => "jsonl",
        }
    }
}

/// Why a submitted file could not be read at all. `Display` is a message a clerk can act on.
#[derive(Debug)]
pub enum ReadError {
    /// Zero bytes, or nothing but blank lines.
    Empty,
    /// The bytes are not text (NUL bytes).
    Binary,
    /// A workbook (zip) saved under a text name.
    WorkbookNamedAsText,
    /// An old binary Excel file (.xls) saved under another name.
    LegacyExcel,
    /// Text that is neither UTF-8 nor GBK/GB18030.
    UnknownEncoding {
        /// First byte that breaks UTF-8.
        offset: usize,
    },
    /// The name says .xlsx but the bytes are not a zip archive.
    NotAWorkbook,
    /// The workbook is damaged or truncated.
    DamagedWorkbook {
        /// Sheet being read, if known.
        sheet: Option<String>,
        /// What is wrong, in general terms: the reader's own message can quote the workbook's text, so it is not
        /// carried.
        cause: &'static str,
    },
    /// The workbook expands to far more than its size suggests.
    DecompressionBomb {
        /// Declared uncompressed bytes.
        uncompressed: u64,
        /// Compressed bytes.
        compressed: u64,
    },
    /// More cells than the limit.
    TooManyCells {
        /// Sheet being read.
        sheet: String,
        /// The limit.
        limit: usize,
    },
    /// No row within the first rows (or sheet) matches the header spellings.
    NoHeader,
    /// A header was found but lacks required columns.
    MissingColumns {
        /// The missing fields.
        missing: Vec<Field>,
    },
    /// The CSV parser refused the text. `Display` names the kind of error only: polars' messages quote the rows
    /// they failed on, ID numbers and names included.
    Csv {
        /// The cause, from polars.
        cause: PolarsError,
    },
    /// A quote opens a value that does not close where the value ends, so the lines after it would run together
    /// into one cell (rows lost without a word): the file is refused with where the quote is.
    CsvQuote {
        /// 1-based line of the file where the quote is.
        line: i64,
        /// 1-based column (field) of that line.
        column: usize,
        /// The header of that column, when it is a recognised field.
        field: Option<Field>,
        /// Whether the value is never closed before the end of the file.
        unterminated: bool,
    },
    /// A JSON Lines line is not a JSON object.
    JsonLine {
        /// 1-based line.
        line: usize,
        /// 1-based column where parsing stopped (0 when not a parse error).
        column: usize,
        /// What is wrong, in general terms (serde_json's own message is not carried).
        problem: &'static str,
    },
    /// A file with no data rows (a header only) for an agency and month whose certificates are loaded: as a
    /// correction it would delete them, which is done only on purpose, with a withdrawal file.
    EmptyCorrection {
        /// The month, `YYYY-MM`.
        period: String,
        /// Certificates of that month now in the warehouse.
        loaded_rows: i64,
    },
    /// Refused without being opened (a link leading out of the landing folder, not a regular file).
    Refused {
        /// Why.
        problem: &'static str,
    },
    /// The file name does not follow `<agency_id>/<YYYY-MM>.<csv|xlsx|jsonl>`.
    BadName {
        /// What is wrong.
        problem: &'static str,
    },
    /// Reading the file from disk failed.
    Io {
        /// The cause.
        cause: std::io::Error,
    },
    /// A bug in this program while reading the file (caught; other files went on).
    Panic {
        /// The panic message: kept for tests and debugging, never displayed — a panic message can quote the text
        /// being parsed (slicing a string reports it whole).
        message: String,
    },
}

impl From<DecodeError> for ReadError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Binary => Self::Binary,
            DecodeError::UnknownEncoding { offset } => Self::UnknownEncoding { offset },
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("文件为空 / the file is empty: export the sheet again and resubmit"),
            Self::Binary => f.write_str(
                "文件不是文本格式 / the file is not text (it contains binary data): save it as CSV (UTF-8) and resubmit",
            ),
            Self::WorkbookNamedAsText => f.write_str(
                "这是Excel工作簿而不是CSV / this is an Excel workbook saved with a .csv/.jsonl name: rename it to .xlsx \
                 or save it as CSV",
            ),
            Self::LegacyExcel => f.write_str(
                "这是旧版Excel(.xls)文件 / this is an old .xls workbook: open it and save it as .xlsx or CSV (UTF-8)",
            ),
            Self::UnknownEncoding { offset } => write!(
                f,
                "文件编码无法识别 / the text is neither UTF-8 nor GBK/GB18030 (first bad byte at offset {offset}): \
                 save it as \"CSV UTF-8\" and resubmit"
            ),
            Self::NotAWorkbook => f.write_str(
                "文件名为.xlsx但内容不是Excel工作簿 / the file is named .xlsx but is not a workbook: save it from Excel \
                 as .xlsx, or name a CSV file .csv",
            ),
            Self::DamagedWorkbook { sheet, cause } => match sheet {
                Some(sheet) => write!(
                    f,
                    "工作簿已损坏或不完整 / the workbook is damaged or truncated (sheet {sheet:?}: {cause}): \
                     save it again from Excel and resubmit"
                ),
                None => write!(
                    f,
                    "工作簿已损坏或不完整 / the workbook is damaged or truncated ({cause}): save it again from Excel \
                     and resubmit"
                ),
            },
            Self::DecompressionBomb { uncompressed, compressed } => write!(
                f,
                "工作簿解压后过大 / the workbook expands from {compressed} to {uncompressed} bytes, beyond the limit \
                 for one submission: split it by month or send CSV"
            ),
            Self::TooManyCells { sheet, limit } => write!(
                f,
                "工作表单元格过多 / sheet {sheet:?} has more than {limit} cells: split it by month or send CSV"
            ),
            Self::NoHeader => f.write_str(
                "找不到表头 / no header row found: the first rows must include column names such as 身份证号, 证书编号, \
                 证书类型, 发证日期 (a training file: 身份证号, 班级编号, 培训类型, 开班日期, 结业日期)",
            ),
            Self::MissingColumns { missing } => {
                f.write_str("表头缺少必填列 / the header lacks required columns: ")?;
                for (i, field) in missing.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} ({})", field.header_zh(), field.code())?;
                }
                Ok(())
            }
            Self::Csv { cause } => write!(
                f,
                "CSV格式错误 / the CSV text cannot be parsed ({}): check quotes and separators",
                polars_kind(cause)
            ),
            Self::CsvQuote { line, column, field, unterminated } => {
                let header = field.map(|f| format!(" ({})", f.header_zh())).unwrap_or_default();
                let what = if *unterminated {
                    "a quote opens a value that is never closed, so every line after it would be one cell"
                } else {
                    "a quote opens a value that runs over the end of the line, so the lines up to the next quote \
                     would be one cell"
                };
                write!(
                    f,
                    "第{line}行第{column}列{header}引号不成对 / line {line}, column {column}{header}: {what}; remove the \
                     stray quote, or double it (\"\") inside a quoted value"
                )
            }
            Self::JsonLine { line, column, problem } => write!(
                f,
                "第{line}行不是JSON对象 / line {line} is not a JSON object ({problem}{}): the file may be truncated",
                if *column > 0 { format!(" at column {column}") } else { String::new() }
            ),
            Self::EmptyCorrection { period, loaded_rows } => write!(
                f,
                "文件没有数据行，未作为更正载入 / the file has a header but no data rows: as a correction it would \
                 delete the {loaded_rows} certificates loaded for {period}, so it was not loaded and the month is \
                 kept. To withdraw the month on purpose, submit an empty file named {period}.withdraw"
            ),
            Self::Refused { problem } => f.write_str(problem),
            Self::BadName { problem } => write!(f, "文件命名不符合要求 / {problem}"),
            Self::Io { cause } => write!(f, "文件无法读取 / the file cannot be read ({cause})"),
            Self::Panic { .. } => f.write_str(
                "读取此文件时程序出错 / an internal error occurred reading this file; other files were loaded — \
                 please report this file to the warehouse team",
            ),
        }
    }
}

/// The kind of a polars error, for messages: its text is not used, because polars quotes the data it failed on.
fn polars_kind(error: &PolarsError) -> &'static str {
    match error {
        PolarsError::ComputeError(_) => "compute error",
        PolarsError::NoData(_) => "no data",
        PolarsError::ShapeMismatch(_) => "rows of different lengths",
        PolarsError::SchemaMismatch(_) | PolarsError::SchemaFieldNotFound(_) => "columns do not match",
        PolarsError::OutOfBounds(_) => "out of bounds",
        PolarsError::IO { .. } => "input error",
        _ => "parser error",
    }
}

/// One file's cells, one String column per recognised field, with each row's number as a clerk sees it.
#[derive(Debug)]
pub struct RawTable {
    /// The file format.
    pub format: Format,
    /// The text encoding label (`binary` for workbooks).
    pub encoding: &'static str,
    /// Columns named by [`Field::code`], all String.
    pub frame: DataFrame,
    /// 1-based line (CSV: header = line 1 of the file; JSONL: line) or sheet row, per frame row.
    pub source_rows: Vec<i64>,
}

/// One row's cells, indexed by [`Field::index`]; `None` for an absent column or empty cell.
pub type RowCells<'a> = [Option<&'a str>; FIELD_COUNT];

impl RawTable {
    /// Builds a table from per-field text columns.
    pub(crate) fn from_columns(
        format: Format,
        encoding: &'static str,
        columns: Vec<(Field, Vec<Option<String>>)>,
        source_rows: Vec<i64>,
    ) -> PolarsResult<Self> {
        let height = source_rows.len();
        let cols: Vec<Column> =
            columns.into_iter().map(|(field, values)| Column::new(field.code().into(), values)).collect();
        let frame = DataFrame::new(height, cols)?;
        Ok(Self { format, encoding, frame, source_rows })
    }

    /// Calls `f` with each row's number and cells, in file order.
    pub fn for_each_row(&self, mut f: impl FnMut(i64, &RowCells<'_>)) -> PolarsResult<()> {
        let mut chunked: Vec<(usize, StringChunked)> = Vec::new();
        for field in Field::ALL {
            if let Ok(column) = self.frame.column(field.code()) {
                chunked.push((field.index(), column.str()?.rechunk().into_owned()));
            }
        }
        let mut iters: Vec<(usize, _)> = chunked.iter().map(|(i, ca)| (*i, ca.iter())).collect();
        let mut cells: RowCells<'_> = [None; FIELD_COUNT];
        for &row in &self.source_rows {
            for (index, iter) in iters.iter_mut() {
                cells[*index] = iter.next().flatten();
            }
            f(row, &cells);
        }
        Ok(())
    }
}

/// Words that start a notes or signature row below the data (填表人, 备注 …).
const NOTE_MARKERS: [&str; 12] =
    ["填表人", "备注", "审核人", "制表人", "制表", "负责人", "联系电话", "填报日期", "注：", "注:", "说明", "合计"];

/// Whether a row is not data: every cell blank, or a notes row (at most two non-empty cells, one of them
/// starting with a notes marker such as 填表人 or 备注, wherever the clerk typed it). Such rows are skipped and
/// never counted. A data row with a defect still has most of its cells, so it is never mistaken for notes.
pub fn is_filler_row(cells: &RowCells<'_>) -> bool {
    let mut non_empty = 0;
    let mut marked = false;
    for cell in cells.iter().flatten() {
        let folded = skillhouse_model::fold_cell(cell);
        if folded.is_empty() {
            continue;
        }
        non_empty += 1;
        marked |= NOTE_MARKERS.iter().any(|m| folded.starts_with(m));
    }
    non_empty == 0 || (non_empty <= 2 && marked)
}

/// Finds the header among the first rows: the first row naming at least two fields.
pub(crate) fn find_header<'a, I, R>(
    rows: I,
    input: Input,
    aliases: &HeaderAliases,
) -> Option<(usize, crate::field::HeaderMap)>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = Option<&'a str>>,
{
    rows.into_iter()
        .take(HEADER_SCAN_ROWS)
        .enumerate()
        .map(|(i, row)| (i, aliases.map_header(input, row)))
        .find(|(_, map)| map.is_header())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filler_rows() {
        let mut cells: RowCells<'_> = [None; FIELD_COUNT];
        assert!(is_filler_row(&cells));
        cells[Field::Name.index()] = Some("  ");
        assert!(is_filler_row(&cells));
        cells[Field::Name.index()] = Some("填表人：王某");
        assert!(is_filler_row(&cells));
        cells[Field::IdNumber.index()] = Some("备注：本表共10人");
        assert!(is_filler_row(&cells), "notes typed in the ID column");
        cells[Field::CertNo.index()] = Some("Y1");
        cells[Field::CertType.index()] = Some("培训合格证书");
        assert!(!is_filler_row(&cells), "a row with three values is data");
        let mut data: RowCells<'_> = [None; FIELD_COUNT];
        data[Field::CertType.index()] = Some("培训合格证书");
        assert!(!is_filler_row(&data), "a row missing ID and number is still data (missing_field)");
    }
}
