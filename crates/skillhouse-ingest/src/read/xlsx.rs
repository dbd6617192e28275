//! XLSX through calamine: the first sheet with a recognisable header; title rows above it, blank rows and notes
//! rows below the data are skipped; spreadsheet dates become `YYYY-MM-DD` and whole numbers keep every digit.
//! Workbooks are checked for decompression bombs before they are opened, and cells are counted while streaming.

use super::{Format, HEADER_SCAN_ROWS, RawTable, ReadError};
use crate::field::{FIELD_COUNT, Field, HeaderAliases, HeaderMap, Input};
use calamine::{DataRef, Reader, Xlsx};
use std::io::Cursor;
use std::ops::ControlFlow;

/// Bounds that keep a hostile or broken workbook from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Most uncompressed bytes, summed over the archive's entries (as declared in its directory).
    pub max_uncompressed_bytes: u64,
    /// Largest expansion ratio tolerated for archives that expand beyond `ratio_floor_bytes`.
    pub max_ratio: u64,
    /// Archives expanding to less than this are never refused for their ratio.
    pub ratio_floor_bytes: u64,
    /// Most cells read from one sheet.
    pub max_cells: usize,
    /// Most uncompressed bytes (as declared) of the workbooks one batch reads at the same time; a workbook that
    /// would go over waits for others to finish (docs/operations.md, "Large workbooks").
    pub max_batch_uncompressed_bytes: u64,
}

impl Default for XlsxLimits {
    fn default() -> Self {
        Self {
            max_uncompressed_bytes: 2 << 30,
            max_ratio: 250,
            ratio_floor_bytes: 64 << 20,
            max_cells: 60_000_000,
            max_batch_uncompressed_bytes: 2 << 30,
        }
    }
}

/// A workbook's declared uncompressed size, for the batch's budget: `None` when the bytes are not a zip archive
/// with a readable directory (reading it then fails at once, without decompressing anything).
pub(crate) fn declared_uncompressed(bytes: &[u8]) -> Option<u64> {
    zip_sizes(bytes).map(|(_, uncompressed)| uncompressed)
}

/// Reads sizes from a zip archive's central directory without decompressing anything: `(compressed,
/// uncompressed)` totals. `None` when the directory cannot be found (truncated or not a zip).
fn zip_sizes(bytes: &[u8]) -> Option<(u64, u64)> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const CENTRAL: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (search_from..=bytes.len().checked_sub(22)?).rev().find(|&i| bytes[i..i + 4] == EOCD)?;
    let u16_at =
        |i: usize| -> Option<u64> { Some(u64::from(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?))) };
    let u32_at =
        |i: usize| -> Option<u64> { Some(u64::from(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?))) };
    let entries = u16_at(eocd + 10)?;
    let mut at = usize::try_from(u32_at(eocd + 16)?).ok()?;
    let (mut compressed, mut uncompressed) = (0u64, 0u64);
    for _ in 0..entries {
        if bytes.get(at..at + 4)? != CENTRAL {
            return None;
        }
        // Zip64 markers (0xFFFFFFFF) count as 4 GiB: far beyond any limit, so such archives are refused.
        compressed = compressed.saturating_add(u32_at(at + 20)?);
        uncompressed = uncompressed.saturating_add(u32_at(at + 24)?);
        let variable = u16_at(at + 28)? + u16_at(at + 30)? + u16_at(at + 32)?;
        at = at.checked_add(46 + usize::try_from(variable).ok()?)?;
    }
    Some((compressed, uncompressed))
}

fn check_bomb(bytes: &[u8], limits: &XlsxLimits) -> Result<(), ReadError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        if bytes.is_empty() {
            return Err(ReadError::Empty);
        }
        if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
            return Err(ReadError::LegacyExcel);
        }
        return Err(ReadError::NotAWorkbook);
    }
    let Some((compressed, uncompressed)) = zip_sizes(bytes) else {
        return Err(ReadError::DamagedWorkbook { sheet: None, cause: "the zip directory is missing" });
    };
    let ratio_exceeded = uncompressed > limits.ratio_floor_bytes && uncompressed / compressed.max(1) > limits.max_ratio;
    if uncompressed > limits.max_uncompressed_bytes || ratio_exceeded {
        return Err(ReadError::DecompressionBomb { uncompressed, compressed });
    }
    Ok(())
}

/// What is wrong with a workbook, in general terms. calamine's messages are not carried: parse and XML errors can
/// quote the text of the cell they failed on.
fn workbook_problem(error: &calamine::XlsxError) -> &'static str {
    use calamine::XlsxError as E;
    match error {
        E::Io(_) | E::Zip(_) => "the zip archive is damaged or truncated",
        E::Xml(_) | E::XmlAttr(_) | E::XmlEof(_) | E::UnexpectedNode(_) => "the XML inside the workbook is malformed",
        E::Parse(_)
        | E::ParseFloat(_)
        | E::ParseInt(_)
        | E::Alphanumeric(_)
        | E::NumericColumn(_)
        | E::CellTAttribute(_)
        | E::Unrecognized { .. } => "a cell's value or type cannot be read",
        E::FileNotFound(_) | E::RelationshipNotFound => "a part of the workbook is missing",
        _ => "the workbook's structure is invalid",
    }
}

/// What to do after a row.
pub(crate) enum Next {
    /// Keep reading this sheet.
    Row,
    /// Skip to the next sheet.
    Sheet,
}

/// Streams the rows of every sheet, in order: `on_row(sheet, row_index_0_based, cells)`. Rows without any cell
/// are not reported. `on_row` breaks to stop reading the workbook.
pub(crate) fn xlsx_rows(
    bytes: &[u8],
    limits: &XlsxLimits,
    mut on_row: impl FnMut(&str, u32, &[Option<String>]) -> ControlFlow<(), Next>,
) -> Result<(), ReadError> {
    check_bomb(bytes, limits)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ReadError::DamagedWorkbook { sheet: None, cause: workbook_problem(&e) })?;
    for sheet in workbook.sheet_names() {
        let damaged = |e: calamine::XlsxError| ReadError::DamagedWorkbook {
            sheet: Some(sheet.clone()),
            cause: workbook_problem(&e),
        };
        let mut reader = workbook.worksheet_cells_reader(&sheet).map_err(damaged)?;
        let mut current: Option<u32> = None;
        let mut cells: Vec<Option<String>> = Vec::new();
        let mut count = 0usize;
        let mut next_sheet = false;
        loop {
            let cell = reader.next_cell().map_err(damaged)?;
            let position = cell.as_ref().map(|c| c.get_position());
            if current.is_some() && position.map(|p| p.0) != current {
                let row = current.unwrap_or_default();
                if cells.iter().any(Option::is_some) {
                    match on_row(&sheet, row, &cells) {
                        ControlFlow::Break(()) => return Ok(()),
                        ControlFlow::Continue(Next::Sheet) => {
                            next_sheet = true;
                        }
                        ControlFlow::Continue(Next::Row) => {}
                    }
                }
                cells.clear();
            }
            if next_sheet {
                break;
            }
            let Some(cell) = cell else { break };
            count += 1;
            if count > limits.max_cells {
                return Err(ReadError::TooManyCells { sheet: sheet.clone(), limit: limits.max_cells });
            }
            let (row, col) = cell.get_position();
            current = Some(row);
            let col = col as usize;
            // Columns far to the right are never data of ours; ignoring them bounds the row buffer.
            if col < 1024 {
                if cells.len() <= col {
                    cells.resize(col + 1, None);
                }
                cells[col] = cell_text(cell.get_value());
            }
        }
    }
    Ok(())
}

/// The text a clerk sees in a cell: whole numbers without `.0` or exponent, dates as `YYYY-MM-DD`.
pub(crate) fn cell_text(value: &DataRef<'_>) -> Option<String> {
    let text = match value {
        DataRef::Empty => return None,
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        DataRef::DateTime(dt) => float_text(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    };
    Some(text)
}

fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 { format!("{f:.0}") } else { f.to_string() }
}

/// Reads the first sheet with a recognisable header.
pub(crate) fn read_xlsx(
    bytes: &[u8],
    input: Input,
    aliases: &HeaderAliases,
    limits: &XlsxLimits,
) -> Result<RawTable, ReadError> {
    let mut header: Option<(String, HeaderMap)> = None;
    let mut scanned = 0usize;
    let mut sheet_seen = String::new();
    let mut columns: [Vec<Option<String>>; FIELD_COUNT] = Default::default();
    let mut source_rows: Vec<i64> = Vec::new();
    xlsx_rows(bytes, limits, |sheet, row, cells| {
        if sheet != sheet_seen {
            sheet_seen = sheet.to_string();
            scanned = 0;
        }
        match &header {
            Some((header_sheet, map)) => {
                if header_sheet != sheet {
                    return ControlFlow::Break(());
                }
                for field in Field::ALL {
                    if let Some(col) = map.column(field) {
                        columns[field.index()].push(cells.get(col).cloned().flatten());
                    }
                }
                source_rows.push(i64::from(row) + 1);
                ControlFlow::Continue(Next::Row)
            }
            None => {
                scanned += 1;
                let map = aliases.map_header(input, cells.iter().map(Option::as_deref));
                if map.is_header() {
                    header = Some((sheet.to_string(), map));
                    ControlFlow::Continue(Next::Row)
                } else if scanned >= HEADER_SCAN_ROWS {
                    ControlFlow::Continue(Next::Sheet)
                } else {
                    ControlFlow::Continue(Next::Row)
                }
            }
        }
    })?;
    let Some((_, map)) = header else {
        return Err(ReadError::NoHeader);
    };
    let missing = map.missing_required();
    if !missing.is_empty() {
        return Err(ReadError::MissingColumns { missing });
    }
    let present: Vec<(Field, Vec<Option<String>>)> = Field::ALL
        .into_iter()
        .filter(|f| map.column(*f).is_some())
        .map(|f| (f, std::mem::take(&mut columns[f.index()])))
        .collect();
    RawTable::from_columns(Format::Xlsx, "binary", present, source_rows).map_err(|cause| ReadError::Csv { cause })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_digits() {
        assert_eq!(float_text(410_105_199_001_011.0), "410105199001011");
        assert_eq!(float_text(45413.0), "45413");
        assert_eq!(float_text(1.5), "1.5");
    }

    #[test]
    fn non_zip_and_truncated_are_refused() {
        let limits = XlsxLimits::default();
        assert!(matches!(check_bomb(b"id,cert\n", &limits), Err(ReadError::NotAWorkbook)));
        assert!(matches!(check_bomb(b"PK\x03\x04trunc", &limits), Err(ReadError::DamagedWorkbook { .. })));
        assert!(matches!(check_bomb(b"", &limits), Err(ReadError::Empty)));
    }
}
