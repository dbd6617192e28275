//! The training indicators (DESIGN §16) are served like the others: a snapshot built by `skillhouse-query` over a
//! warehouse holding training rows lists them in the catalogue and serves their values with targets, small cells
//! withheld by the quantities their `-- disclosure:` lines name.

use crate::{app_with, get};
use serde_json::Value;
use skillhouse_query::datafusion::parquet::arrow::ArrowWriter;
use skillhouse_query::datafusion::prelude::SessionContext;
use std::path::Path;

/// Runs `sql` and writes its rows to `path`.
async fn write_parquet(ctx: &SessionContext, sql: &str, path: &Path) {
    let batches = ctx.sql(sql).await.expect("plan").collect().await.expect("run");
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    let file = std::fs::File::create(path).expect("create");
    let mut writer = ArrowWriter::try_new(file, batches[0].schema(), None).expect("writer");
    for batch in &batches {
        writer.write(batch).expect("write");
    }
    writer.close().expect("close");
}

/// A warehouse with one provider (T1, enterprise, 郑州 410100) and one subsidised class of 12 trainees who all passed
/// (electrician, programme 1), ended 2025-03-31, laid out as docs/warehouse.md says (skillhouse_model::schema columns).
async fn write_training(warehouse: &Path) {
    let ctx = SessionContext::new();
    write_parquet(
        &ctx,
        "SELECT 'T1' AS provider_id, 'Trainer One' AS name, 'enterprise' AS provider_type, '410100' AS region_code, \
         CAST('2020-01-01' AS DATE) AS registered_on",
        &warehouse.join("providers/providers.parquet"),
    )
    .await;
    write_parquet(
        &ctx,
        "SELECT concat('K', CAST(n AS VARCHAR)) AS person_key, CAST('1990-01-01' AS DATE) AS birth_date, 'F' AS gender, \
         '410100' AS hukou_region, 'T1' AS provider_id, 'enterprise' AS provider_type, '410100' AS region_code, \
         'C1' AS class_id, 'upskilling' AS training_kind, '6-31-01-03' AS occupation_code, '1' AS programme, \
         true AS subsidised, CAST(NULL AS VARCHAR) AS voucher_no, CAST(NULL AS VARCHAR) AS organiser, \
         CAST('2025-01-06' AS DATE) AS start_date, CAST('2025-03-31' AS DATE) AS end_date, \
         CAST(100 AS INT) AS hours_total, CAST(60 AS INT) AS hours_practical, CAST(90 AS DOUBLE) AS satisfaction, \
         'passed' AS result, 'training/T1/2025-03.csv' AS source_file, CAST(n + 1 AS BIGINT) AS source_row, \
         'b1' AS batch_id, 'h1' AS content_hash \
         FROM (SELECT unnest(range(1, 13)) AS n)",
        &warehouse.join("training/end_year=2025/T1__2025-03__000000000001.parquet"),
    )
    .await;
}

fn find<'a>(rows: &'a [Value], region: &str, programme: Option<&str>, agency_type: Option<&str>) -> &'a Value {
    rows.iter()
        .find(|r| {
            r["region_code"] == region
                && r["year"] == 2025
                && r["programme"].as_str() == programme
                && r["agency_type"].as_str() == agency_type
        })
        .unwrap_or_else(|| panic!("no row {region} {programme:?} {agency_type:?}"))
}

#[tokio::test]
async fn the_training_indicators_are_served_from_the_catalogue() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_training(dir.path()).await;
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference");
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
    let snapshot_dir = dir.path().join("snapshots").join("built");
    skillhouse_query::build_snapshot(dir.path(), &reference, as_of, &snapshot_dir).await.expect("build");
    skillhouse_query::publish_snapshot(dir.path(), "built").expect("publish");
    let (_, app) = app_with(dir.path(), |_| {}).await;

    let catalogue = get(&app, "/api/v1/indicators").await.json();
    let entries = catalogue["data"].as_array().cloned().unwrap_or_default();
    for id in [
        "training_persons",
        "subsidised_training",
        "youth_league_training",
        "apprenticeship_training",
        "gold_collar_training",
        "vouchers_used",
        "training_certification_rate",
        "noncompliant_classes",
        "subsidised_in_noncompliant",
        "repeat_subsidised_persons",
    ] {
        let entry = entries.iter().find(|e| e["indicator_id"] == id).unwrap_or_else(|| panic!("{id} is listed"));
        assert!(entry["title_zh"].as_str().is_some_and(|t| !t.is_empty()), "{id}: {entry}");
        let rows = get(&app, &format!("/api/v1/indicators/{id}?year=2025")).await.json();
        assert!(rows["data"].as_array().is_some_and(|d| !d.is_empty()), "{id} has 2025 rows: {rows}");
    }

    // 12 人次 in 郑州, all of them completed and subsidised: published (12 ≥ k = 10), with the 2025 province targets
    // 2,000,000 and 650,000 (targets.csv 003-001, 003-002); an empty region is withheld, never a zero.
    let persons = get(&app, "/api/v1/indicators/training_persons?year=2025").await.json();
    let persons = persons["data"].as_array().cloned().unwrap_or_default();
    let province = find(&persons, "410000", None, None);
    assert_eq!((province["value"].clone(), province["suppressed"].clone()), (12.0.into(), false.into()));
    assert_eq!((province["target"].clone(), province["status"].clone()), (2_000_000.0.into(), "behind".into()));
    assert_eq!(find(&persons, "410100", None, Some("enterprise"))["value"], 12.0);
    assert_eq!(find(&persons, "410000", Some("1"), None)["value"], 12.0);
    let empty = find(&persons, "410200", None, None);
    assert!(empty["suppressed"] == true && empty["value"].is_null(), "{empty}");
    let subsidised = get(&app, "/api/v1/indicators/subsidised_training?region=410000&year=2025").await.json();
    let subsidised = find(subsidised["data"].as_array().map(Vec::as_slice).unwrap_or_default(), "410000", None, None);
    assert_eq!((subsidised["value"].clone(), subsidised["target"].clone()), (12.0.into(), 650_000.0.into()));

    // 持证率 0/12: its numerator (certified trainees, 0) is below k, so the share is withheld although 12 is not.
    let rate = get(&app, "/api/v1/indicators/training_certification_rate?region=410000&year=2025").await.json();
    let rate = find(rate["data"].as_array().map(Vec::as_slice).unwrap_or_default(), "410000", None, None);
    assert!(rate["suppressed"] == true && rate["value"].is_null() && rate["denominator"].is_null(), "{rate}");
}
