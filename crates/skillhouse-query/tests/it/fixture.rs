//! The golden fixture: `tests/fixtures/warehouse/*.csv` (certificates, and the training records of DESIGN §16)
//! converted to the Parquet layout of `docs/warehouse.md`, then built and published as snapshot `fixture` with the
//! reference tables of `tests/fixtures/reference/`.
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

/// As-of date of the fixture build: certificate C1401 (2024-11-15), agency A4 (registered 2024-11-01) and training
/// class R1/B12 (ended 2024-10-15) are later.
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

/// Writes `batches` to a Parquet file at `path` (its folder created), with the batches' own schema.
pub fn write_batches(path: &Path, batches: &[RecordBatch]) {
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("create folder");
    let schema = batches.first().expect("at least one batch").schema();
    let file = std::fs::File::create(path).expect("create parquet file");
    let mut writer = ArrowWriter::try_new(file, schema, None).expect("parquet writer");
    for batch in batches {
        writer.write(batch).expect("write batch");
    }
    writer.close().expect("close parquet file");
}

/// Converts the fixture CSVs into a warehouse at `dir`: the certificates ([`write_certificate_warehouse`]) and the
/// training records ([`write_training`]).
pub async fn write_warehouse(dir: &Path) {
    write_certificate_warehouse(dir).await;
    write_training(dir).await;
    write_reported(dir).await;
}

/// The reported figures of DESIGN §17 (`reported.csv`) as ingestion keeps them: `reported/reported.parquet`, one
/// row per key (the figures in force), batch and content hash constant.
pub async fn write_reported(dir: &Path) {
    let ctx = SessionContext::new();
    let schema = csv_schema(&[
        ("indicator_id", DataType::Utf8),
        ("region_code", DataType::Utf8),
        ("year", DataType::Int32),
        ("programme", DataType::Utf8),
        ("agency_type", DataType::Utf8),
        ("value", DataType::Float64),
        ("unit", DataType::Utf8),
        ("reported_by", DataType::Utf8),
        ("reported_on", DataType::Date32),
        ("source_note", DataType::Utf8),
        ("source_file", DataType::Utf8),
        ("source_row", DataType::Int64),
    ]);
    let rows = read_fixture_csv(&ctx, "reported.csv", &schema).await;
    ctx.register_batch("fixture_reported", concat_batches(&rows)).expect("register reported");
    let batches = ctx
        .sql("SELECT *, 'fixture' AS batch_id, 'fixture' AS content_hash FROM fixture_reported")
        .await
        .expect("plan reported")
        .collect()
        .await
        .expect("run reported");
    write_batches(&dir.join("reported/reported.parquet"), &batches);
}

/// Runs `sql` with `$slice` (an agency or a provider) and `$year` bound, once per slice and year, and writes each
/// non-empty result as `<folder_partition>=<year>/<slice>__<year>-01__fixture00000.parquet`, one file per slice and
/// year as ingestion writes them.
async fn write_slices(ctx: &SessionContext, dir: &Path, sql: &str, folder_partition: &str, slices: &[&str]) {
    write_slices_of_years(ctx, dir, sql, folder_partition, slices, 2023..=2024).await;
}

/// [`write_slices`] for the years given.
async fn write_slices_of_years(
    ctx: &SessionContext,
    dir: &Path,
    sql: &str,
    folder_partition: &str,
    slices: &[&str],
    years: std::ops::RangeInclusive<i32>,
) {
    for year in years {
        for slice in slices {
            let params = ParamValues::from(vec![
                ("slice", ScalarValue::Utf8(Some(slice.to_string()))),
                ("year", ScalarValue::Int32(Some(year))),
            ]);
            let batches = ctx
                .sql(sql)
                .await
                .and_then(|f| f.with_param_values(params))
                .expect("plan slice")
                .collect()
                .await
                .expect("run slice");
            if batches.iter().map(RecordBatch::num_rows).sum::<usize>() == 0 {
                continue;
            }
            let file = dir.join(format!("{folder_partition}={year}/{slice}__{year}-01__fixture00000.parquet"));
            write_batches(&file, &batches);
        }
    }
}

/// Reads a fixture CSV of `tests/fixtures/warehouse/` with the given column types.
async fn read_fixture_csv(ctx: &SessionContext, csv: &str, schema: &Schema) -> Vec<RecordBatch> {
    read_csv_in(ctx, &fixtures_dir().join("warehouse"), csv, schema).await
}

/// Reads a CSV of `folder` with the given column types.
async fn read_csv_in(ctx: &SessionContext, folder: &Path, csv: &str, schema: &Schema) -> Vec<RecordBatch> {
    let path = folder.join(csv);
    let options = CsvReadOptions::new().has_header(true).schema(schema);
    ctx.read_csv(path.to_str().expect("utf-8 path"), options)
        .await
        .expect("read csv")
        .collect()
        .await
        .expect("collect csv")
}

/// The training fixture (`training.csv`, `providers.csv`) as ingestion writes it (docs/warehouse.md): one file per
/// provider and end year under `training/end_year=YYYY/` with the columns of
/// `skillhouse_model::schema::TRAINING_COLUMNS` (provider type and region from the registry), sorted as ingestion
/// sorts them, and `providers/providers.parquet`.
pub async fn write_training(dir: &Path) {
    let ctx = SessionContext::new();
    let providers = csv_schema(&[
        ("provider_id", DataType::Utf8),
        ("name", DataType::Utf8),
        ("provider_type", DataType::Utf8),
        ("region_code", DataType::Utf8),
        ("registered_on", DataType::Date32),
    ]);
    let registry = read_fixture_csv(&ctx, "providers.csv", &providers).await;
    write_batches(&dir.join("providers/providers.parquet"), &registry);
    ctx.register_batch("fixture_providers", concat_batches(&registry)).expect("register providers");
    let training = csv_schema(&[
        ("person_key", DataType::Utf8),
        ("birth_date", DataType::Date32),
        ("provider_id", DataType::Utf8),
        ("class_id", DataType::Utf8),
        ("training_kind", DataType::Utf8),
        ("occupation_code", DataType::Utf8),
        ("programme", DataType::Utf8),
        ("subsidised", DataType::Boolean),
        ("voucher_no", DataType::Utf8),
        ("organiser", DataType::Utf8),
        ("start_date", DataType::Date32),
        ("end_date", DataType::Date32),
        ("hours_total", DataType::Int32),
        ("hours_practical", DataType::Int32),
        ("satisfaction", DataType::Float64),
        ("result", DataType::Utf8),
    ]);
    let rows = read_fixture_csv(&ctx, "training.csv", &training).await;
    ctx.register_batch("fixture_training", concat_batches(&rows)).expect("register training");
    // Columns in skillhouse_model::schema::TRAINING_COLUMNS order; lineage columns get constants.
    let slice_sql = "SELECT t.person_key, t.birth_date, 'M' AS gender, '410100' AS hukou_region, t.provider_id, \
        p.provider_type, p.region_code, t.class_id, t.training_kind, t.occupation_code, t.programme, t.subsidised, \
        t.voucher_no, t.organiser, t.start_date, t.end_date, t.hours_total, t.hours_practical, t.satisfaction, \
        t.result, 'fixture/training.csv' AS source_file, CAST(0 AS BIGINT) AS source_row, 'fixture' AS batch_id, \
        'fixture' AS content_hash \
        FROM fixture_training AS t JOIN fixture_providers AS p ON p.provider_id = t.provider_id \
        WHERE t.provider_id = $slice AND CAST(date_part('year', t.end_date) AS INT) = $year \
        ORDER BY p.region_code, t.end_date, t.provider_id, t.class_id";
    write_slices(&ctx, dir, slice_sql, "training/end_year", &["R1", "R2", "R3", "R4", "R5"]).await;
}

fn concat_batches(batches: &[RecordBatch]) -> RecordBatch {
    let schema = batches.first().expect("at least one batch").schema();
    skillhouse_query::datafusion::arrow::compute::concat_batches(&schema, batches).expect("concatenate batches")
}

/// Converts the certificate fixture CSVs into a warehouse at `dir`: one certificate file per agency and issue year
/// under `certificates/issue_year=YYYY/`, sorted as ingestion sorts them, plus `duplicate_claims/` and `agencies/`.
pub async fn write_certificate_warehouse(dir: &Path) {
    write_certificates_from(dir, &fixtures_dir().join("warehouse"), &["A1", "A2", "A3", "A4", "A5"], 2023..=2024).await;
}

/// The certificates, duplicate claims and agencies of the CSVs in `source` (the columns of `tests/fixtures/warehouse/`;
/// agencies.csv may add `deregistered_on`), as ingestion writes them, for the agencies `slices` and issue `years`.
async fn write_certificates_from(dir: &Path, source: &Path, slices: &[&str], years: std::ops::RangeInclusive<i32>) {
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
        WHERE agency_id = $slice AND CAST(date_part('year', issue_date) AS INT) = $year \
        ORDER BY region_code, issue_date, cert_type, level_rank";
    write_slices_of_years(&ctx, dir, slice_sql, "certificates/issue_year", slices, years).await;

    let claims = csv_schema(&[
        ("cert_no", DataType::Utf8),
        ("counted_cert_no", DataType::Utf8),
        ("person_key", DataType::Utf8),
        ("occupation_code", DataType::Utf8),
        ("level", DataType::Utf8),
    ]);
    let mut agency_columns = vec![
        ("agency_id", DataType::Utf8),
        ("name", DataType::Utf8),
        ("agency_type", DataType::Utf8),
        ("region_code", DataType::Utf8),
        ("registered_on", DataType::Date32),
    ];
    let header = std::fs::read_to_string(source.join("agencies.csv")).expect("agencies.csv");
    if header.lines().next().is_some_and(|h| h.contains("deregistered_on")) {
        agency_columns.push(("deregistered_on", DataType::Date32));
    }
    let agencies = csv_schema(&agency_columns);
    for (csv, schema, target) in [
        ("duplicate_claims.csv", claims, "duplicate_claims/duplicate_claims.parquet"),
        ("agencies.csv", agencies, "agencies/agencies.parquet"),
    ] {
        write_batches(&dir.join(target), &read_csv_in(&ctx, source, csv, &schema).await);
    }
}

/// As-of date of the revocations fixture (`tests/fixtures/revocations/`): special-operation certificate D0401
/// (issued 2019-06-30) lapses on it, D0501 (2019-07-01) the day after; D0801's revocation (2025-08-01) is later.
pub fn revocations_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).expect("valid date")
}

/// The revocations fixture (DESIGN §18) with snapshot `fixture` built as of [`revocations_as_of`] and published:
/// `tests/fixtures/revocations/*.csv` as ingestion writes them (certificates, duplicate claims, the agency registry
/// with `deregistered_on`, the revocation and renewal registers), with the golden reference tables plus the bundled
/// `validity_periods.csv` (特种作业操作证: 6 years). Built once per test run.
#[allow(dead_code, reason = "the golden binary's; the `it` binary builds its own nights from the same files")]
pub fn revocations_warehouse() -> &'static Path {
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(concat!("revocations-warehouse-", env!("CARGO_CRATE_NAME")));
        let build_dir = dir.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let _ = std::fs::remove_dir_all(&build_dir);
                let reference = write_revocations_warehouse(&build_dir).await;
                let snapshot = build_dir.join("snapshots").join("fixture");
                skillhouse_query::build_snapshot(&build_dir, &reference, revocations_as_of(), &snapshot)
                    .await
                    .expect("revocations fixture snapshot builds");
                skillhouse_query::publish_snapshot(&build_dir, "fixture").expect("publish revocations fixture");
            });
        })
        .join()
        .expect("revocations fixture build thread");
        dir
    })
}

/// Writes the revocations fixture's warehouse into `dir` (no snapshot) and its reference folder into
/// `dir/reference`: the golden reference tables plus the bundled `validity_periods.csv`. Returns the reference folder.
pub async fn write_revocations_warehouse(dir: &Path) -> PathBuf {
    let source = fixtures_dir().join("revocations");
    write_certificates_from(dir, &source, &["B1", "B2", "B3"], 2018..=2025).await;
    write_registers(dir, &source).await;
    let reference = dir.join("reference");
    std::fs::create_dir_all(&reference).expect("reference folder");
    for entry in std::fs::read_dir(fixtures_dir().join("reference")).expect("fixture reference") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, reference.join(path.file_name().expect("name"))).expect("copy reference");
    }
    std::fs::copy(bundled_reference_dir().join("validity_periods.csv"), reference.join("validity_periods.csv"))
        .expect("copy validity periods");
    reference
}

/// The revocation and renewal registers of `source` as ingestion writes them (columns of
/// `skillhouse_model::schema::REVOCATION_COLUMNS` and `RENEWAL_COLUMNS`).
async fn write_registers(dir: &Path, source: &Path) {
    let ctx = SessionContext::new();
    let revocations =
        csv_schema(&[("cert_no", DataType::Utf8), ("revoked_on", DataType::Date32), ("reason", DataType::Utf8)]);
    let renewals =
        csv_schema(&[("cert_no", DataType::Utf8), ("renewed_on", DataType::Date32), ("valid_until", DataType::Date32)]);
    // Lineage columns as ingestion stamps them: the register's name, its line (header = line 1), the batch.
    for (csv, schema, table, lineage, target) in [
        (
            "revocations.csv",
            revocations,
            "fixture_revocations",
            "SELECT *, 'revocations.csv' AS source_file, CAST(row_number() OVER () + 1 AS BIGINT) AS source_row, \
             'fixture' AS batch_id FROM fixture_revocations",
            "revocations/revocations.parquet",
        ),
        (
            "renewals.csv",
            renewals,
            "fixture_renewals",
            "SELECT *, 'renewals.csv' AS source_file, CAST(row_number() OVER () + 1 AS BIGINT) AS source_row, \
             'fixture' AS batch_id FROM fixture_renewals",
            "renewals/renewals.parquet",
        ),
    ] {
        let rows = read_csv_in(&ctx, source, csv, &schema).await;
        ctx.register_batch(table, concat_batches(&rows)).expect("register register");
        let batches = ctx.sql(lineage).await.expect("plan register").collect().await.expect("run register");
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
