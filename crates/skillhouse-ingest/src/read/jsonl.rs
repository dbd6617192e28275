//! JSON Lines: one object per line, keys matched like CSV headers; numbers keep their digits.

use super::csv::refuse_other_formats;
use super::{Format, RawTable, ReadError};
use crate::decode::{decode_text, unify_line_ends};
use crate::field::{FIELD_COUNT, Field, HeaderAliases, Input};

fn value_text(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// What is wrong with a line, in general terms; serde_json's message is not carried, so no value can be quoted.
fn json_problem(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "it ends in the middle of a value",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Io => "an input error",
    }
}

/// Reads a JSON Lines file. A line that is not a JSON object makes the whole file unreadable (it is usually a
/// truncated upload), so that no row is silently lost.
pub(crate) fn read_jsonl(bytes: &[u8], input: Input, aliases: &HeaderAliases) -> Result<RawTable, ReadError> {
    refuse_other_formats(bytes)?;
    let (text, encoding) = decode_text(bytes)?;
    let text = unify_line_ends(&text);
    let mut columns: [Vec<Option<String>>; FIELD_COUNT] = Default::default();
    let mut seen = [false; FIELD_COUNT];
    let mut source_rows = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if line.is_empty() {
            continue;
        }
        let line_no = index + 1;
        let object = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => return Err(ReadError::JsonLine { line: line_no, column: 0, problem: "not an object" }),
            Err(e) => return Err(ReadError::JsonLine { line: line_no, column: e.column(), problem: json_problem(&e) }),
        };
        let mut row: [Option<String>; FIELD_COUNT] = Default::default();
        for (key, value) in object {
            if let Some(field) = aliases.field_of_in(input, &key) {
                seen[field.index()] = true;
                if row[field.index()].is_none() {
                    row[field.index()] = value_text(value);
                }
            }
        }
        for (column, cell) in columns.iter_mut().zip(row) {
            column.push(cell);
        }
        source_rows.push(line_no as i64);
    }
    if source_rows.is_empty() {
        return Err(ReadError::Empty);
    }
    if seen.iter().filter(|s| **s).count() < 2 {
        return Err(ReadError::NoHeader);
    }
    let missing: Vec<Field> = input.required().iter().copied().filter(|f| !seen[f.index()]).collect();
    if !missing.is_empty() {
        return Err(ReadError::MissingColumns { missing });
    }
    let present: Vec<(Field, Vec<Option<String>>)> = Field::ALL
        .into_iter()
        .filter(|f| seen[f.index()])
        .map(|f| (f, std::mem::take(&mut columns[f.index()])))
        .collect();
    RawTable::from_columns(Format::Jsonl, encoding.label(), present, source_rows)
        .map_err(|cause| ReadError::Csv { cause })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_and_refuses_truncation() {
        let aliases = HeaderAliases::builtin();
        let text = "{\"身份证号\":\"1\",\"cert_no\":\"Y\",\"证书类型\":\"培训合格证书\",\"发证日期\":20240501}\n\n{\"id_number\":2}\n";
        let table = read_jsonl(text.as_bytes(), Input::Certificates, &aliases).expect("table");
        assert_eq!(table.source_rows, vec![1, 3]);
        let mut dates = Vec::new();
        table.for_each_row(|_, cells| dates.push(cells[Field::IssueDate.index()].map(str::to_string))).expect("rows");
        assert_eq!(dates, vec![Some("20240501".to_string()), None]);
        let truncated =
            "{\"身份证号\":\"1\",\"cert_no\":\"Y\",\"证书类型\":\"x\",\"发证日期\":\"2024-05-01\"}\n{\"身份";
        assert!(matches!(
            read_jsonl(truncated.as_bytes(), Input::Certificates, &aliases),
            Err(ReadError::JsonLine { line: 2, .. })
        ));
    }
}
