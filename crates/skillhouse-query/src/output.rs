//! Rendering query results as text: an aligned table, CSV, JSON lines or Markdown.

use crate::error::{QueryError, Result};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

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
        ResultFormat::Csv => {
            let mut buffer = Vec::new();
            {
                let mut writer = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(&mut buffer);
                for batch in batches {
                    writer.write(batch).map_err(encode("CSV"))?;
                }
            }
            utf8(buffer, "CSV")
        }
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
}
