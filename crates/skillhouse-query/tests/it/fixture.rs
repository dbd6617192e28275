//! The golden fixture: `tests/fixtures/warehouse/*.csv` converted to the Parquet layout of `docs/warehouse.md`,
//! then built and published as snapshot `fixture` with the reference tables of `tests/fixtures/reference/`.
//! The expected values of `tests/slt/*.slt` were worked out by hand from these CSV files.

use chrono::NaiveDate;
use skillhouse_query::datafusion::arrow::array::RecordBatch;
use skillhouse_query::datafusion::arrow::datatypes::{DataType, Field, Schema};
use skillhouse_query::datafusion::common::ParamValues;
use skillhouse_query::datafusion::parquet::arrow::ArrowWriter;
use skillhouse_query::datafusion::prelude::{CsvReadOptions, SessionContext};
use skillhouse_query::datafusion::scalar::ScalarValue;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// As-of date of the fixture build: certificate C1401 (2024-11-15) and agency A4 (registered 2024-11-01) are later.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 10, 1).expect("valid date")
}

/// `tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The repository's `sql/` folder.
pub fn sql_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql")
}

/// The repository's bundled reference data.
pub fn bundled_reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference")
}

fn csv_schema(columns: &[(&str, DataType)]) -> Schema {
    Schema::new(columns.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>())
}

fn write_batches(path: &Path, batches: &[RecordBatch]) {
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("create folder");
    let schema = batches.first().expect("at least one batch").schema();
    let file = std::fs::File::create(path).expect("create parquet file");
    let mut writer = ArrowWriter::try_new(file, schema, None).expect("parquet writer");
    for batch in batches {
        writer.write(batch).expect("write batch");
    }
    writer.close().expect("close parquet file");
}

/// Converts the fixture CSVs into a warehouse at `dir`: one certificate file per agency and issue year under
/// `certificates/issue_year=YYYY/`, sorted as ingestion sorts them, plus `duplicate_claims/` and `agencies/`.
pub async fn write_warehouse(dir: &Path) {
    let source = fixtures_dir().join("warehouse");
    let ctx = SessionContext::new();
    let certificate_columns = csv_schema(&[
        ("cert_no", DataType::Utf8),
        ("person_key", DataType::Utf8),
        ("birth_date", DataType::Date32),
        ("cert_type", DataType::Utf8),
        ("level", DataType::Utf8),
        ("level_rank", DataType::Int8),
        ("occupation_code", DataType::Utf8),
        ("agency_id", DataType::Utf8),
        ("agency_type", DataType::Utf8),
        ("region_code", DataType::Utf8),
        ("issue_date", DataType::Date32),
        ("programme", DataType::Utf8),
    ]);
    let path = source.join("certificates.csv");
    let options = CsvReadOptions::new().has_header(true).schema(&certificate_columns);
    ctx.register_csv("fixture_certificates", path.to_str().expect("utf-8 path"), options).await.expect("csv");
    // Columns in skillhouse_model::schema::CERTIFICATE_COLUMNS order; lineage columns get constants.
    let slice_sql = "SELECT cert_no, cert_type, level, CAST(level_rank AS TINYINT) AS level_rank, occupation_code, \
        person_key, birth_date, 'M' AS gender, '410100' AS hukou_region, agency_id, agency_type, region_code, \
        issue_date, programme, false AS is_youth, 'fixture/certificates.csv' AS source_file, \
        CAST(0 AS BIGINT) AS source_row, 'fixture' AS batch_id, 'fixture' AS content_hash \
        FROM fixture_certificates \
        WHERE agency_id = $agency AND CAST(date_part('year', issue_date) AS INT) = $year \
        ORDER BY region_code, issue_date, cert_type, level_rank";
    for year in [2023, 2024] {
        for agency in ["A1", "A2", "A3", "A4", "A5"] {
            let params = ParamValues::from(vec![
                ("agency", ScalarValue::Utf8(Some(agency.to_string()))),
                ("year", ScalarValue::Int32(Some(year))),
            ]);
            let batches = ctx
                .sql(slice_sql)
                .await
                .and_then(|f| f.with_param_values(params))
                .expect("plan slice")
                .collect()
                .await
                .expect("run slice");
            if batches.iter().map(RecordBatch::num_rows).sum::<usize>() == 0 {
                continue;
            }
            let file = dir.join(format!("certificates/issue_year={year}/{agency}__{year}-01__fixture00000.parquet"));
            write_batches(&file, &batches);
        }
    }

    let claims = csv_schema(&[
        ("cert_no", DataType::Utf8),
        ("counted_cert_no", DataType::Utf8),
        ("person_key", DataType::Utf8),
        ("occupation_code", DataType::Utf8),
        ("level", DataType::Utf8),
    ]);
    let agencies = csv_schema(&[
        ("agency_id", DataType::Utf8),
        ("name", DataType::Utf8),
        ("agency_type", DataType::Utf8),
        ("region_code", DataType::Utf8),
        ("registered_on", DataType::Date32),
    ]);
    for (csv, schema, target) in [
        ("duplicate_claims.csv", claims, "duplicate_claims/duplicate_claims.parquet"),
        ("agencies.csv", agencies, "agencies/agencies.parquet"),
    ] {
        let path = source.join(csv);
        let options = CsvReadOptions::new().has_header(true).schema(&schema);
        let batches = ctx
            .read_csv(path.to_str().expect("utf-8 path"), options)
            .await
            .expect("read csv")
            .collect()
            .await
            .expect("collect csv");
        write_batches(&dir.join(target), &batches);
    }
}

/// The fixture warehouse with snapshot `fixture` built (as of 2024-10-01) and published; built once per test run.
pub fn warehouse() -> &'static Path {
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| {
        // One folder per test binary (`it`, `golden`): binaries run in parallel under nextest.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(concat!("golden-warehouse-", env!("CARGO_CRATE_NAME")));
        let build_dir = dir.clone();
        // Built on its own thread and runtime: the tests calling this already run inside a tokio runtime.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let _ = std::fs::remove_dir_all(&build_dir);
                write_warehouse(&build_dir).await;
                let snapshot = build_dir.join("snapshots").join("fixture");
                skillhouse_query::build_snapshot(&build_dir, &fixtures_dir().join("reference"), as_of(), &snapshot)
                    .await
                    .expect("fixture snapshot builds");
                skillhouse_query::publish_snapshot(&build_dir, "fixture").expect("publish fixture snapshot");
            });
        })
        .join()
        .expect("fixture build thread");
        dir
    })
}
