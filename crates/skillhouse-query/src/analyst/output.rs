//! Rendering query results as text: an aligned table, CSV, JSON lines or Markdown.
//!
//! CSV is written for people, who open it in a spreadsheet: every text cell goes through [`csv_text_cell`], the one
//! place that neutralises formula injection (OWASP's advice), here and in the HTTP API's `?format=csv`. Numbers are
//! written as they are, so a negative count stays a number; JSON and Parquet keep every value unchanged.

use crate::error::{QueryError, Result};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use std::borrow::Cow;

/// How results are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    /// Aligned table with borders.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row (JSON Lines).
    Json,
    /// GitHub-flavoured Markdown table.
    Markdown,
}

fn encode(what: &str) -> impl FnOnce(ArrowError) -> QueryError + '_ {
    move |source| QueryError::Encode { what: what.to_string(), source }
}

fn utf8(bytes: Vec<u8>, what: &str) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|e| QueryError::Encode { what: what.to_string(), source: ArrowError::ExternalError(Box::new(e)) })
}

/// Renders batches in `format`. An empty result still prints its header in the table, CSV and Markdown formats.
pub fn format_batches(batches: &[RecordBatch], format: ResultFormat) -> Result<String> {
    match format {
        ResultFormat::Table => {
            let table = datafusion::arrow::util::pretty::pretty_format_batches(batches).map_err(encode("a table"))?;
            Ok(table.to_string())
        }
        ResultFormat::Csv => csv(batches),
        ResultFormat::Json => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(Vec::new());
            for batch in batches {
                writer.write(batch).map_err(encode("JSON"))?;
            }
            writer.finish().map_err(encode("JSON"))?;
            utf8(writer.into_inner(), "JSON")
        }
        ResultFormat::Markdown => markdown(batches),
    }
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): `=`, `+`, `-`, `@`,
/// and a leading tab or carriage return, which some spreadsheets skip before looking for the others.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell for a CSV file a person will open: a leading `'` when the text starts with a formula trigger, so a
/// spreadsheet shows `=HYPERLINK(…)` as text instead of running it, then RFC 4180 quoting when the text holds a
/// comma, quote or line break. Use it for every cell that is not a number (a negative number is not a formula).
pub fn csv_text_cell(text: &str) -> Cow<'_, str> {
    let neutral: Cow<'_, str> =
        if text.starts_with(FORMULA_TRIGGERS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) };
    csv_quoted(neutral)
}

/// A number's cell (or any cell that cannot start a formula): RFC 4180 quoting only.
pub fn csv_plain_cell(text: &str) -> Cow<'_, str> {
    csv_quoted(Cow::Borrowed(text))
}

fn csv_quoted(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) { Cow::Owned(format!("\"{}\"", text.replace('"', "\"\""))) } else { text }
}

/// Whether a column holds numbers, whose cells are written as they are.
fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric() || matches!(data_type, DataType::Dictionary(_, value) if value.is_numeric())
}

fn csv(batches: &[RecordBatch]) -> Result<String> {
    let Some(first) = batches.first() else { return Ok(String::new()) };
    let schema = first.schema();
    let header: Vec<Cow<'_, str>> = schema.fields().iter().map(|f| csv_text_cell(f.name())).collect();
    let mut out = header.join(",");
    out.push('\n');
    let options = FormatOptions::default().with_null("");
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|c| Ok((ArrayFormatter::try_new(c.as_ref(), &options)?, is_numeric(c.data_type()))))
            .collect::<Result<Vec<_>, ArrowError>>()
            .map_err(encode("CSV"))?;
        for row in 0..batch.num_rows() {
            for (index, (formatter, numeric)) in columns.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                let text = formatter.value(row).try_to_string().map_err(encode("CSV"))?;
                out.push_str(&if *numeric { csv_plain_cell(&text) } else { csv_text_cell(&text) });
            }
            out.push('\n');
        }
    }
    Ok(out)
}

fn markdown(batches: &[RecordBatch]) -> Result<String> {
    let Some(first) = batches.first() else { return Ok(String::new()) };
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let names: Vec<String> = first.schema().fields().iter().map(|f| escape(f.name())).collect();
    let mut out = format!("| {} |\n|{}\n", names.join(" | "), " --- |".repeat(names.len()));
    let options = FormatOptions::default().with_null("");
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(encode("Markdown"))?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters.iter().map(|f| escape(&f.value(row).to_string())).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("region_code", DataType::Utf8, true),
            Field::new("persons", DataType::Int64, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec![Some("410100"), Some("a|b")])),
                Arc::new(Int64Array::from(vec![Some(3), None])),
            ],
        )
        .expect("valid batch")
    }

    #[test]
    fn every_format_renders_the_rows() {
        let batches = [batch()];
        let csv = format_batches(&batches, ResultFormat::Csv).expect("csv");
        assert_eq!(csv, "region_code,persons\n410100,3\na|b,\n");
        let json = format_batches(&batches, ResultFormat::Json).expect("json");
        assert_eq!(json, "{\"region_code\":\"410100\",\"persons\":3}\n{\"region_code\":\"a|b\"}\n");
        let md = format_batches(&batches, ResultFormat::Markdown).expect("markdown");
        assert_eq!(md, "| region_code | persons |\n| --- | --- |\n| 410100 | 3 |\n| a\\|b |  |\n");
        let table = format_batches(&batches, ResultFormat::Table).expect("table");
        assert!(table.contains("| 410100      | 3       |"), "{table}");
    }

    /// Issue 27, item 10: `sql --format csv` printed `=HYPERLINK(…)` raw, which a spreadsheet runs.
    #[test]
    fn csv_neutralises_formula_cells_but_keeps_negative_numbers() {
        let schema = Schema::new(vec![
            Field::new("=cmd|' /C calc'!A0", DataType::Utf8, true),
            Field::new("delta", DataType::Int64, true),
        ]);
        let texts = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "a-b"];
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(texts.to_vec())),
                Arc::new(Int64Array::from(vec![-5, 1, 2, 3, 4, 5, 6, 7])),
            ],
        )
        .expect("valid batch");
        let csv = format_batches(&[batch], ResultFormat::Csv).expect("csv");
        let lines: Vec<&str> = csv.split('\n').collect();
        assert_eq!(lines[0], "'=cmd|' /C calc'!A0,delta");
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5");
        assert_eq!(lines[2], "'+1,1");
        assert_eq!(lines[3], "'-2,2");
        assert_eq!(lines[4], "'@SUM(A1),3");
        assert_eq!(lines[5], "'\tx,4");
        assert_eq!(lines[6], "\"'\rx\",5");
        assert_eq!(lines[7], "plain,6");
        assert_eq!(lines[8], "a-b,7");
        // The JSON rendering keeps the true value.
        let json = format_batches(&[batch_with("=1+1")], ResultFormat::Json).expect("json");
        assert!(json.contains("\"=1+1\""), "{json}");
    }

    fn batch_with(text: &str) -> RecordBatch {
        let schema = Schema::new(vec![Field::new("t", DataType::Utf8, true)]);
        RecordBatch::try_new(Arc::new(schema), vec![Arc::new(StringArray::from(vec![text]))]).expect("valid batch")
    }
}
