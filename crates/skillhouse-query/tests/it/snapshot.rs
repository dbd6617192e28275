//! The snapshot lifecycle: what a build writes, opening the published snapshot, read-only SQL, and builds over an
//! empty warehouse and over the bundled reference data.

use crate::fixture;
use skillhouse_query::datafusion::arrow::array::{Array, Int64Array};
use skillhouse_query::{QueryError, ResultFormat, format_batches};

async fn count(snapshot: &skillhouse_query::Snapshot, table: &str) -> i64 {
    let batches = snapshot.query(&format!("SELECT COUNT(*) AS n FROM {table}")).await.expect("count query");
    let column = batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("count is Int64").clone();
    column.value(0)
}

#[tokio::test]
async fn the_published_snapshot_has_every_table_of_design_section_15() {
    let snapshot = skillhouse_query::open_snapshot(fixture::warehouse()).await.expect("open fixture snapshot");
    assert_eq!(snapshot.id, "fixture");
    assert_eq!(snapshot.manifest.as_of, "2024-10-01");
    assert_eq!(snapshot.manifest.definition_version, skillhouse_model::DEFINITION_VERSION);
    for (table, rows) in [
        ("certificates", 23),
        ("persons", 20),
        ("indicator_values", 419),
        ("indicators", 35),
        ("regions", 4),
        ("occupations", 7),
        ("agencies", 5),
        ("programmes", 6),
        ("targets", 25),
        ("rejects", 0),
        ("ledger", 0),
        ("levels", 7),
        ("cert_types", 6),
        ("agency_types", 4),
        ("employment", 5),
        ("person_flow", 17),
        ("year_ends", 2),
        ("duplicate_claims", 2),
        // Training (DESIGN §16): 22 + 80 + 81 rows, 5 providers, 18 classes ended by the as-of date (90_training.slt).
        ("training", 183),
        ("training_rejects", 0),
        ("providers", 5),
        ("provider_types", 5),
        ("training_classes", 18),
        ("training_years", 2),
    ] {
        assert_eq!(count(&snapshot, table).await, rows, "rows of {table}");
    }
    // 414 computed rows, the fixture's two reported figures (reported.csv: national_high_skill_bases_new for 410000
    // and 410100) and three no_data rows for targets nothing answers (T23, T24 at 410000-YL, T25 in 2022): DESIGN §17.
    assert_eq!(snapshot.manifest.row_counts.get("indicator_values"), Some(&419));
    assert_eq!(snapshot.manifest.row_counts.get("models/persons"), Some(&20));
    assert!(snapshot.manifest.files.contains_key("dims/targets.parquet"));
}

#[tokio::test]
async fn analysts_cannot_write_through_sql() {
    let snapshot = skillhouse_query::open_snapshot(fixture::warehouse()).await.expect("open fixture snapshot");
    for statement in [
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE persons",
        "INSERT INTO regions VALUES ('1', '2', '3', '4', '5')",
        "COPY persons TO '/tmp/skillhouse-copy.parquet'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let result = snapshot.query(statement).await;
        assert!(matches!(result, Err(QueryError::Sql { .. })), "{statement} was allowed");
    }
    let results = snapshot.query_script("SELECT 1 AS a; SELECT 2 AS b;").await.expect("two statements");
    assert_eq!(results.len(), 2);
    let csv = format_batches(&results[1], ResultFormat::Csv).expect("csv");
    assert_eq!(csv, "b\n2\n");
}

#[tokio::test]
async fn a_warehouse_without_a_published_snapshot_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = skillhouse_query::open_snapshot(dir.path()).await.expect_err("nothing published");
    assert!(matches!(error, QueryError::NoSnapshot { .. }), "{error}");
}

#[tokio::test]
async fn an_empty_warehouse_builds_an_empty_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot_dir = dir.path().join("snapshots").join("empty");
    let report = skillhouse_query::build_snapshot(
        dir.path(),
        &fixture::fixtures_dir().join("reference"),
        fixture::as_of(),
        &snapshot_dir,
    )
    .await
    .expect("an empty warehouse builds");
    // No records, no value: each of the fixture's 25 targets (T01–T25, distinct keys) answers with a no_data row.
    assert_eq!(report.manifest.row_counts.get("indicator_values"), Some(&25));
    assert_eq!(report.manifest.row_counts.get("indicators"), Some(&35));
    skillhouse_query::publish_snapshot(dir.path(), "empty").expect("publish");
    let snapshot = skillhouse_query::open_snapshot(dir.path()).await.expect("open");
    assert_eq!(count(&snapshot, "certificates").await, 0);
    // No training yet: the training tables are there, empty, with the columns of the warehouse contract.
    for (table, columns) in [
        ("training", &skillhouse_model::schema::TRAINING_COLUMNS[..]),
        ("providers", &skillhouse_model::schema::PROVIDER_COLUMNS[..]),
    ] {
        assert_eq!(count(&snapshot, table).await, 0, "rows of {table}");
        let frame = snapshot.ctx.table(table).await.expect("registered");
        for column in columns {
            let field = frame.schema().field_with_unqualified_name(column.name).expect("a contract column");
            // Text reads back as Utf8View from the snapshot's own Parquet (DataFusion's view types): the same text.
            let stored = field.data_type().to_string().replace("Utf8View", "Utf8");
            assert_eq!(stored, column.arrow_type, "{table}.{}", column.name);
        }
    }
    let training = snapshot.ctx.table("training").await.expect("training");
    let end_year = training.schema().field_with_unqualified_name("end_year").expect("the partition column");
    assert_eq!(end_year.data_type(), &skillhouse_query::datafusion::arrow::datatypes::DataType::Int32);
    for table in ["training_rejects", "training_classes", "training_years"] {
        assert_eq!(count(&snapshot, table).await, 0, "rows of {table}");
    }
    let rejects = snapshot.query("SELECT reason, row_json FROM training_rejects").await.expect("rejects columns");
    assert!(rejects.iter().all(|b| b.num_rows() == 0));
}

#[tokio::test]
async fn the_bundled_reference_data_builds() {
    let dir = tempfile::tempdir().expect("temp dir");
    fixture::write_warehouse(dir.path()).await;
    let snapshot_dir = dir.path().join("snapshots").join("bundled");
    let report = skillhouse_query::build_snapshot(
        dir.path(),
        &fixture::bundled_reference_dir(),
        fixture::as_of(),
        &snapshot_dir,
    )
    .await
    .expect("the bundled reference data builds");
    // 19 reporting units + the province, 2 years, for the region × year indicators.
    let rows = report.manifest.row_counts.get("indicator_values").copied().unwrap_or_default();
    assert!(rows > 16 * 20, "{rows} indicator rows");
    assert_eq!(report.manifest.row_counts.get("dims/regions"), Some(&20));
}
