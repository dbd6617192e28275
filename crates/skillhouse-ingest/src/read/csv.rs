//! CSV: encoding detected, header found below any title lines, the rest parsed by polars as text.

use super::{Format, RawTable, ReadError, find_header};
use crate::decode::{decode_text, unify_line_ends};
use crate::field::{Field, HeaderAliases, Input};
use polars::prelude::*;
use std::io::Cursor;

/// Separators tried, in order, when looking for the header.
const SEPARATORS: [u8; 3] = [b',', b'\t', b';'];

/// Refuses bytes that are plainly another format, with a message naming it.
pub(crate) fn refuse_other_formats(bytes: &[u8]) -> Result<(), ReadError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ReadError::WorkbookNamedAsText);
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(ReadError::LegacyExcel);
    }
    Ok(())
}

/// A record of the text: where it starts and ends, and the line it starts on.
#[derive(Debug, Clone, Copy)]
struct Record {
    line: i64,
    start: usize,
    end: usize,
}

/// Splits text into records at line ends outside double quotes. Blank lines are records too (polars returns
/// them as rows of nulls, later skipped as filler), so record `i` is the `i`-th row polars returns.
fn records(text: &str) -> Vec<Record> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let (mut line, mut start_line, mut start) = (1i64, 1i64, 0usize);
    let mut in_quotes = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' => {
                if !in_quotes {
                    out.push(Record { line: start_line, start, end: i });
                    start = i + 1;
                    start_line = line + 1;
                }
                line += 1;
            }
            _ => {}
        }
    }
    if start < bytes.len() {
        out.push(Record { line: start_line, start, end: bytes.len() });
    }
    out
}

/// Finds a quote that would run lines together: a quoted value spanning a line end that did not open at the start
/// of a field or does not close at its end (a stray quote pairing with a later one), or a value never closed. The
/// record scan above and polars both treat every quote as opening or closing a quoted value, so from such a quote
/// on, rows would merge into one cell and vanish from the count. Returns `(line, column, unterminated)`, 1-based,
/// of the opening quote. Quotes that open and close on one line are left to the parser, as before.
fn stray_quote(text: &str, from: usize, first_line: i64, separator: u8) -> Option<(i64, usize, bool)> {
    let bytes = text.as_bytes();
    let (mut line, mut column, mut field_start) = (first_line, 1usize, true);
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (open_line, open_column, at_start) = (line, column, field_start);
                let mut spans = false;
                let mut j = i + 1;
                loop {
                    match bytes.get(j) {
                        None => return Some((open_line, open_column, true)),
                        Some(b'"') if bytes.get(j + 1) == Some(&b'"') => j += 2,
                        Some(b'"') => break,
                        Some(b'\n') => {
                            spans = true;
                            line += 1;
                            j += 1;
                        }
                        Some(_) => j += 1,
                    }
                }
                let closes_field = bytes.get(j + 1).is_none_or(|&b| b == separator || b == b'\n' || b == b'\r');
                if spans && !(at_start && closes_field) {
                    return Some((open_line, open_column, false));
                }
                i = j + 1;
                field_start = false;
            }
            b'\n' => {
                line += 1;
                column = 1;
                field_start = true;
                i += 1;
            }
            b if b == separator => {
                column += 1;
                field_start = true;
                i += 1;
            }
            b'\r' => i += 1,
            _ => {
                field_start = false;
                i += 1;
            }
        }
    }
    None
}

/// Splits one record into fields (quotes removed, `""` kept as `"`); only used to find the header.
fn split_fields(record: &str, separator: u8) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = record.trim_end_matches(['\r', '\n']).chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if in_quotes && chars.peek() == Some(&'"') {
                current.push('"');
                chars.next();
            } else {
                in_quotes = !in_quotes;
            }
        } else if !in_quotes && c as u32 == u32::from(separator) {
            fields.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    fields.push(current);
    fields
}

/// Reads a CSV file.
pub(crate) fn read_csv(bytes: &[u8], input: Input, aliases: &HeaderAliases) -> Result<RawTable, ReadError> {
    refuse_other_formats(bytes)?;
    let (text, encoding) = decode_text(bytes)?;
    let text = unify_line_ends(&text);
    let text = text.as_ref();
    if text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').is_empty() {
        return Err(ReadError::Empty);
    }
    let all_records = records(text);
    let mut found = None;
    for separator in SEPARATORS {
        let rows: Vec<Vec<String>> =
            all_records.iter().take(30).map(|r| split_fields(&text[r.start..r.end], separator)).collect();
        let header = find_header(rows.iter().map(|row| row.iter().map(|c| Some(c.as_str()))), input, aliases);
        if let Some((index, map)) = header {
            found = Some((separator, index, map, rows[index].len()));
            break;
        }
    }
    let Some((separator, header_index, map, width)) = found else {
        return Err(ReadError::NoHeader);
    };
    let missing = map.missing_required();
    if !missing.is_empty() {
        return Err(ReadError::MissingColumns { missing });
    }
    let data_records = &all_records[header_index + 1..];
    let data_start = all_records[header_index].end.saturating_add(1).min(text.len());
    let first_data_line = text[..data_start].matches('\n').count() as i64 + 1;
    if let Some((line, column, unterminated)) = stray_quote(text, data_start, first_data_line, separator) {
        let field = input.fields().iter().copied().find(|f| map.column(*f) == Some(column - 1));
        return Err(ReadError::CsvQuote { line, column, field, unterminated });
    }
    let present: Vec<(Field, usize)> = input.fields().iter().filter_map(|f| map.column(*f).map(|c| (*f, c))).collect();
    if data_records.is_empty() {
        let columns = present.iter().map(|(f, _)| (*f, Vec::new())).collect();
        return RawTable::from_columns(Format::Csv, encoding.label(), columns, Vec::new())
            .map_err(|cause| ReadError::Csv { cause });
    }
    let schema: Schema =
        (0..width).map(|i| polars::prelude::Field::new(format!("c{i}").into(), DataType::String)).collect();
    let mut projection: Vec<usize> = present.iter().map(|(_, c)| *c).collect();
    projection.sort_unstable();
    let data = &text.as_bytes()[data_start..];
    let frame = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_projection(Some(Arc::new(projection)))
        .with_raise_if_empty(false)
        .map_parse_options(|p| p.with_separator(separator).with_truncate_ragged_lines(true).with_missing_is_null(true))
        .into_reader_with_file_handle(Cursor::new(data))
        .finish()
        .map_err(|cause| ReadError::Csv { cause })?;
    let mut columns = Vec::with_capacity(present.len());
    for (field, index) in &present {
        let column = frame.column(&format!("c{index}")).map_err(|cause| ReadError::Csv { cause })?;
        columns.push(column.clone().with_name(field.code().into()));
    }
    let height = frame.height();
    let source_rows: Vec<i64> = if data_records.len() == height {
        data_records.iter().map(|r| r.line).collect()
    } else {
        // polars and the record scan disagree (e.g. a line of only spaces); number rows after the header instead.
        let header_line = all_records[header_index].line;
        (1..=height as i64).map(|i| header_line + i).collect()
    };
    let frame = DataFrame::new(height, columns).map_err(|cause| ReadError::Csv { cause })?;
    Ok(RawTable { format: Format::Csv, encoding: encoding.label(), frame, source_rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(table: &RawTable) -> Vec<(i64, Vec<Option<String>>)> {
        let mut out = Vec::new();
        table
            .for_each_row(|row, cells| {
                if !super::super::is_filler_row(cells) {
                    out.push((row, cells.iter().map(|c| c.map(str::to_string)).collect()));
                }
            })
            .expect("rows");
        out
    }

    #[test]
    fn finds_header_under_title_and_numbers_lines() {
        let text = "河南省职业技能等级证书发放名册\n\n序号,姓名,身份证号,证书编号,证书类型,发证日期,备注\n\
                    1,甲,1234,Y1,职业技能等级证书,2024-05-01,\n\n2,\"乙\n丙\",5678,Y2,培训合格证书,2024/5/2\n\
                    3,丁,9999,Y3,培训合格证书,2024/5/3,x,extra\n";
        let table = read_csv(text.as_bytes(), Input::Certificates, &HeaderAliases::builtin()).expect("table");
        let rows = rows(&table);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 4);
        assert_eq!(rows[1].0, 6);
        assert_eq!(rows[2].0, 8);
        assert_eq!(rows[1].1[Field::Name.index()].as_deref(), Some("乙\n丙"));
        assert_eq!(rows[2].1[Field::IdNumber.index()].as_deref(), Some("9999"));
        assert_eq!(rows[0].1[Field::Level.index()], None);
    }

    #[test]
    fn crlf_line_ends_and_quoted_commas() {
        let text = "身份证号,证书编号,证书类型,发证日期\r\n\"1,2\",Y1,培训合格证书,2024-05-01\r\n3,Y2,培训合格证书,2024-05-02\r\n";
        let table = read_csv(text.as_bytes(), Input::Certificates, &HeaderAliases::builtin()).expect("table");
        let rows = rows(&table);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(rows[0].1[Field::IdNumber.index()].as_deref(), Some("1,2"));
        assert_eq!(rows[1].1[Field::IssueDate.index()].as_deref(), Some("2024-05-02"));
    }

    #[test]
    fn classic_mac_line_ends_are_read() {
        let text =
            "身份证号,证书编号,证书类型,发证日期,备注\r1,Y1,培训合格证书,2024-05-01,\r2,Y2,培训合格证书,2024-05-02,\r";
        let table = read_csv(text.as_bytes(), Input::Certificates, &HeaderAliases::builtin()).expect("table");
        let rows = rows(&table);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(rows[1].1[Field::CertNo.index()].as_deref(), Some("Y2"));
    }

    #[test]
    fn a_stray_quote_is_refused_with_its_place() {
        let aliases = HeaderAliases::builtin();
        let text = "身份证号,姓名,证书编号,证书类型,发证日期\n1,甲,Y1,培训合格证书,2024-05-01\n2,\"乙,Y2,培训合格证书,2024-05-02\n\
                    3,丙,Y3,培训合格证书,2024-05-03\n";
        match read_csv(text.as_bytes(), Input::Certificates, &aliases) {
            Err(ReadError::CsvQuote { line: 3, column: 2, field: Some(Field::Name), unterminated: true }) => {}
            other => panic!("expected the quote on line 3, column 2: {other:?}"),
        }
        // Two stray quotes pairing across lines: no longer merged silently.
        let paired =
            "身份证号,证书编号,证书类型,发证日期\n1,Y1\",培训合格证书,2024-05-01\n2,Y2\",培训合格证书,2024-05-02\n";
        assert!(matches!(
            read_csv(paired.as_bytes(), Input::Certificates, &aliases),
            Err(ReadError::CsvQuote { line: 2, column: 2, unterminated: false, .. })
        ));
        // Quoted values across lines that open and close where a value does are data, as before.
        let fine =
            "身份证号,姓名,证书编号,证书类型,发证日期\n1,\"甲\n乙\",Y1,培训合格证书,2024-05-01\n2,\"a\"\"b\",Y2,x,y\n";
        assert_eq!(rows(&read_csv(fine.as_bytes(), Input::Certificates, &aliases).expect("table")).len(), 2);
    }

    #[test]
    fn header_only_is_zero_rows_and_no_header_is_refused() {
        let aliases = HeaderAliases::builtin();
        let table =
            read_csv("身份证号,证书编号,证书类型,发证日期\n".as_bytes(), Input::Certificates, &aliases).expect("table");
        assert_eq!(table.source_rows.len(), 0);
        assert!(matches!(read_csv(b"a,b,c\n1,2,3\n", Input::Certificates, &aliases), Err(ReadError::NoHeader)));
        assert!(matches!(read_csv(b"", Input::Certificates, &aliases), Err(ReadError::Empty)));
        assert!(matches!(
            read_csv("身份证号,证书编号\n1,2\n".as_bytes(), Input::Certificates, &aliases),
            Err(ReadError::MissingColumns { .. })
        ));
    }
}
