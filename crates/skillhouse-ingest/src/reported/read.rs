//! Reading a reported-figures file (DESIGN §17): CSV (UTF-8, with or without BOM, GBK/GB18030) or the first sheet
//! of a workbook. The header is the first row (of the first 30) naming `indicator_id`; columns are found by §17's
//! names, in any order, after trimming and folding full-width characters and case. Rows with no cell are not rows.

use crate::decode::decode_text;
use crate::read::{Format, Next, ReadError, XlsxLimits, xlsx_rows};
use skillhouse_model::{REPORTED_COLUMNS, REPORTED_REQUIRED, fold_cell};
use std::ops::ControlFlow;

/// Rows above the header that may be titles.
const HEADER_SCAN_ROWS: usize = 30;

/// One row's cells in [`REPORTED_COLUMNS`] order.
pub(crate) type ReportedCells = [Option<String>; REPORTED_COLUMNS.len()];

/// A reported-figures file's data rows: (row number a clerk sees, cells).
#[derive(Debug, Default)]
pub(crate) struct ReportedTable {
    pub(crate) encoding: String,
    pub(crate) rows: Vec<(i64, ReportedCells)>,
}

const NO_HEADER: &str = "找不到表头：前30行中没有含 indicator_id 的行 / no header: none of the first 30 rows names \
                         indicator_id (columns: indicator_id, region_code, year, programme, agency_type, value, unit, \
                         reported_by, reported_on, source_note)";
const MISSING_COLUMNS: &str = "表头缺少必需列 / the header lacks a required column: indicator_id, region_code, year, \
                               value, unit, reported_by and reported_on are required (DESIGN §17)";

fn header_name(cell: &str) -> String {
    fold_cell(cell).trim().to_ascii_lowercase()
}

/// Column positions of the §17 columns in a header row, or `None` when it is not the header.
fn header_positions(cells: &[Option<String>]) -> Option<[Option<usize>; REPORTED_COLUMNS.len()]> {
    let names: Vec<String> = cells.iter().map(|c| c.as_deref().map(header_name).unwrap_or_default()).collect();
    if !names.iter().any(|n| n == "indicator_id") {
        return None;
    }
    Some(REPORTED_COLUMNS.map(|column| names.iter().position(|n| n == column)))
}

/// Collects data rows once the header is found.
struct Collector {
    positions: Option<[Option<usize>; REPORTED_COLUMNS.len()]>,
    scanned: usize,
    rows: Vec<(i64, ReportedCells)>,
}

impl Collector {
    fn new() -> Self {
        Self { positions: None, scanned: 0, rows: Vec::new() }
    }

    /// Takes one row; `Err` when the header cannot be found or lacks a required column.
    fn row(&mut self, line: i64, cells: &[Option<String>]) -> Result<(), &'static str> {
        let Some(positions) = self.positions else {
            self.scanned += 1;
            if let Some(found) = header_positions(cells) {
                let missing = REPORTED_REQUIRED
                    .iter()
                    .any(|r| REPORTED_COLUMNS.iter().position(|c| c == r).is_none_or(|i| found[i].is_none()));
                if missing {
                    return Err(MISSING_COLUMNS);
                }
                self.positions = Some(found);
            } else if self.scanned >= HEADER_SCAN_ROWS {
                return Err(NO_HEADER);
            }
            return Ok(());
        };
        let row: ReportedCells = positions.map(|p| {
            p.and_then(|i| cells.get(i).cloned().flatten()).map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
        });
        if row.iter().any(Option::is_some) {
            self.rows.push((line, row));
        }
        Ok(())
    }

    fn finish(self, encoding: String) -> Result<ReportedTable, ReadError> {
        if self.positions.is_none() {
            return Err(ReadError::Refused { problem: NO_HEADER });
        }
        Ok(ReportedTable { encoding, rows: self.rows })
    }
}

/// Splits CSV text into records (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks), each with
/// the line it starts on.
fn csv_records(text: &str) -> Vec<(i64, Vec<Option<String>>)> {
    let mut records = Vec::new();
    let (mut field, mut fields) = (String::new(), Vec::new());
    let (mut quoted, mut line, mut start_line) = (false, 1i64, 1i64);
    let mut chars = text.chars().peekable();
    let end_field = |field: &mut String, fields: &mut Vec<Option<String>>| {
        fields.push(Some(std::mem::take(field)).filter(|f| !f.is_empty()));
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => end_field(&mut field, &mut fields),
            (false, '\r') => {}
            (false, '\n') => {
                end_field(&mut field, &mut fields);
                records.push((start_line, std::mem::take(&mut fields)));
                line += 1;
                start_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        end_field(&mut field, &mut fields);
        records.push((start_line, fields));
    }
    records
}

/// Reads a reported-figures file's rows.
pub(crate) fn read_reported(bytes: &[u8], format: Format, limits: &XlsxLimits) -> Result<ReportedTable, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let mut collector = Collector::new();
    match format {
        Format::Xlsx => {
            let mut first_sheet: Option<String> = None;
            let mut problem = None;
            xlsx_rows(bytes, limits, |sheet, row, cells| {
                if first_sheet.get_or_insert_with(|| sheet.to_string()) != sheet {
                    return ControlFlow::Break(());
                }
                match collector.row(i64::from(row) + 1, cells) {
                    Ok(()) => ControlFlow::Continue(Next::Row),
                    Err(p) => {
                        problem = Some(p);
                        ControlFlow::Break(())
                    }
                }
            })?;
            if let Some(problem) = problem {
                return Err(ReadError::Refused { problem });
            }
            collector.finish("binary".to_string())
        }
        Format::Csv | Format::Jsonl => {
            let (text, encoding) = decode_text(bytes).map_err(|_| ReadError::Refused {
                problem: "文本编码无法识别 / the text is neither UTF-8 nor GBK/GB18030",
            })?;
            for (line, record) in csv_records(&text) {
                collector.row(line, &record).map_err(|problem| ReadError::Refused { problem })?;
            }
            collector.finish(encoding.label().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_keep_quoted_commas_and_lines() {
        let records = csv_records("a,b\r\n\"x, y\",\"he said \"\"hi\"\"\"\n\"two\nlines\",\n");
        assert_eq!(records.len(), 3);
        assert_eq!(records[1], (2, vec![Some("x, y".into()), Some("he said \"hi\"".into())]));
        assert_eq!(records[2], (3, vec![Some("two\nlines".into()), None]));
    }

    #[test]
    fn the_header_is_found_below_a_title_and_columns_by_name() {
        let text = "2025年上报数据\nValue,indicator_id,region_code,year,unit,reported_by,reported_on\n\
                    5,national_high_skill_bases_new,410000,2025,bases,省厅,2025-06-30\n,,,,,,\n";
        let table = read_reported(text.as_bytes(), Format::Csv, &XlsxLimits::default()).expect("read");
        assert_eq!(table.rows.len(), 1, "the empty row is not a row");
        let (line, cells) = &table.rows[0];
        assert_eq!(*line, 3);
        assert_eq!(cells[0].as_deref(), Some("national_high_skill_bases_new"));
        assert_eq!(cells[5].as_deref(), Some("5"));
        assert_eq!(cells[3], None, "no programme column");
    }

    #[test]
    fn a_header_without_a_required_column_is_refused() {
        let text = "indicator_id,region_code,year,value\nx,410000,2025,1\n";
        let error = read_reported(text.as_bytes(), Format::Csv, &XlsxLimits::default()).expect_err("refused");
        assert!(error.to_string().contains("reported_on"), "{error}");
    }
}
