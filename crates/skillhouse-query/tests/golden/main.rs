//! The golden tests: every `tests/slt/*.slt` file is a test of its own, named after the file (`golden::30_flow`),
//! run against the published fixture snapshot on a session of its own, so one file's failure names itself and
//! `cargo test --test golden 30_flow` runs just that file. The expected values in those files were worked out by hand
//! from the fixture CSVs; the comments in each file show the working. A file whose first line is
//! `# fixture: revocations` runs against the revocations fixture (DESIGN §18) instead.

#[allow(dead_code, reason = "shared with the `it` tests, which use more of it")]
#[path = "../it/fixture.rs"]
mod fixture;

use chrono::NaiveDate;
use libtest_mimic::{Arguments, Failed, Trial};
use skillhouse_query::datafusion::arrow::array::{Array, Float64Array, RecordBatch};
use skillhouse_query::datafusion::arrow::compute::cast;
use skillhouse_query::datafusion::arrow::datatypes::DataType;
use skillhouse_query::datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use skillhouse_query::datafusion::error::DataFusionError;
use skillhouse_query::datafusion::prelude::SessionContext;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// sqllogictest's database interface over a DataFusion session.
struct Golden {
    ctx: SessionContext,
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    match data_type {
        t if t.is_integer() => DefaultColumnType::Integer,
        t if t.is_floating() => DefaultColumnType::FloatingPoint,
        _ => DefaultColumnType::Text,
    }
}

/// Floats rounded to 6 decimals with trailing zeros dropped (`0.714286`, `7`, `-0.1`), so hand-worked fractions
/// compare exactly.
fn float_text(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

fn cells(batch: &RecordBatch) -> Result<Vec<Vec<String>>, DataFusionError> {
    let options = FormatOptions::default().with_null("NULL");
    let mut columns: Vec<Vec<String>> = Vec::new();
    for column in batch.columns() {
        let mut texts = Vec::with_capacity(column.len());
        if column.data_type().is_floating() {
            let floats = cast(column, &DataType::Float64)?;
            let floats = floats.as_any().downcast_ref::<Float64Array>().expect("cast to Float64");
            for row in 0..floats.len() {
                texts.push(if floats.is_null(row) { "NULL".into() } else { float_text(floats.value(row)) });
            }
        } else {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
            for row in 0..column.len() {
                let text = formatter.value(row).to_string();
                texts.push(if text.is_empty() { "(empty)".into() } else { text });
            }
        }
        columns.push(texts);
    }
    Ok((0..batch.num_rows()).map(|row| columns.iter().map(|c| c[row].clone()).collect()).collect())
}

#[async_trait::async_trait]
impl AsyncDB for Golden {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let frame = self.ctx.sql(sql).await?;
        let types = frame.schema().fields().iter().map(|f| column_type(f.data_type())).collect();
        let mut rows = Vec::new();
        for batch in frame.collect().await? {
            rows.extend(cells(&batch)?);
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "datafusion"
    }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    files
}

/// The as-of date a golden file asks for with a `# as_of: YYYY-MM-DD` line before its first record, if any.
fn as_of_directive(file: &Path) -> Result<Option<NaiveDate>, Failed> {
    let text = std::fs::read_to_string(file)?;
    for line in text.lines().take_while(|l| l.starts_with('#') || l.trim().is_empty()) {
        if let Some(date) = line.strip_prefix("# as_of:") {
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|e| Failed::from(format!("{}: `{line}`: {e}", file.display())))?;
            return Ok(Some(date));
        }
    }
    Ok(None)
}

/// The fixture built as of another date (`# as_of:`), in a warehouse of its own, once per date and test run.
fn warehouse_as_of(as_of: NaiveDate) -> PathBuf {
    static WAREHOUSES: Mutex<BTreeMap<NaiveDate, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = WAREHOUSES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    built
        .entry(as_of)
        .or_insert_with(|| {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("golden-warehouse-as-of-{as_of}"));
            let build_dir = dir.clone();
            // Built on its own thread and runtime, as `fixture::warehouse` is.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
                runtime.block_on(async {
                    let _ = std::fs::remove_dir_all(&build_dir);
                    fixture::write_warehouse(&build_dir).await;
                    let snapshot = build_dir.join("snapshots").join("fixture");
                    let reference = fixture::fixtures_dir().join("reference");
                    skillhouse_query::build_snapshot(&build_dir, &reference, as_of, &snapshot)
                        .await
                        .expect("fixture snapshot builds");
                    skillhouse_query::publish_snapshot(&build_dir, "fixture").expect("publish fixture snapshot");
                });
            })
            .join()
            .expect("fixture build thread");
            dir
        })
        .clone()
}

/// Runs one `.slt` file on a fresh session over the published fixture snapshot (built as of the file's `# as_of:`
/// date when it names one, else as of `fixture::as_of()`).
/// The first line of a golden file that runs against the revocations fixture (`tests/fixtures/revocations/`, DESIGN
/// §18) instead of the main one.
const REVOCATIONS_FIXTURE_LINE: &str = "# fixture: revocations";

/// Runs one `.slt` file on a fresh session over the published fixture snapshot its first line names.
fn run_slt_file(file: &Path) -> Result<(), Failed> {
    let as_of = as_of_directive(file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let text = std::fs::read_to_string(file)?;
    let warehouse = match as_of {
        Some(date) => warehouse_as_of(date),
        None if text.lines().next() == Some(REVOCATIONS_FIXTURE_LINE) => fixture::revocations_warehouse().to_path_buf(),
        None => fixture::warehouse().to_path_buf(),
    };
    runtime.block_on(async {
        let snapshot = skillhouse_query::open_snapshot(&warehouse).await?;
        let ctx = snapshot.ctx.clone();
        let mut runner = sqllogictest::Runner::new(move || {
            let ctx = ctx.clone();
            async move { Ok::<_, DataFusionError>(Golden { ctx }) }
        });
        runner.run_file_async(file).await.map_err(|error| Failed::from(format!("{}:\n{error}", file.display())))
    })
}

/// Every indicator in `sql/indicators/` is queried by some golden file.
fn every_indicator_has_a_golden_query() -> Result<(), Failed> {
    let catalog = skillhouse_query::SqlCatalog::bundled()?;
    let mut golden = String::new();
    for file in slt_files() {
        golden.push_str(&std::fs::read_to_string(file)?);
    }
    let missing: Vec<&str> = catalog
        .indicators
        .iter()
        .map(|i| i.id())
        .filter(|id| !golden.contains(&format!("indicator_id = '{id}'")))
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("indicators without a golden query: {missing:?}").into()) }
}

fn main() -> std::process::ExitCode {
    let arguments = Arguments::from_args();
    let files = slt_files();
    let mut trials = vec![Trial::test("every_indicator_has_a_golden_query", every_indicator_has_a_golden_query)];
    trials.push(Trial::test("there_are_golden_files", move || {
        if slt_files().is_empty() { Err("no .slt files in tests/slt".into()) } else { Ok(()) }
    }));
    for file in files {
        let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("unnamed").to_string();
        trials.push(Trial::test(format!("golden::{name}"), move || run_slt_file(&file)));
    }
    libtest_mimic::run(&arguments, trials).exit_code()
}
