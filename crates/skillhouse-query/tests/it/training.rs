//! Training records (DESIGN §16) in the build: the certificate indicators do not change when training is added, the
//! release gate checks the training rows' keys and references, and the training targets of the bundled
//! `targets.csv` find the rows they are meant for. The training values themselves are in `tests/slt/90_training.slt`.

use crate::{builds, fixture};
use skillhouse_query::datafusion::prelude::{SessionConfig, SessionContext};
use skillhouse_query::{CheckStatus, GateConfig, ResultFormat, Snapshot, format_batches};
use std::path::Path;

/// The indicators of DESIGN §16.
pub const TRAINING_INDICATORS: [&str; 10] = [
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
];

/// `IN (…)` list of the indicators read from the training rows, for SQL over the test's own snapshots: those of
/// DESIGN §16 and §17's cumulative 人次.
fn training_ids() -> String {
    TRAINING_INDICATORS
        .iter()
        .chain(&["training_persons_cumulative"])
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn csv(snapshot: &Snapshot, sql: &str) -> String {
    let batches = snapshot.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    format_batches(&batches, ResultFormat::Csv).expect("csv")
}

/// Builds and publishes snapshot `id` of `warehouse` with the fixture reference data, as of `as_of`.
async fn build(warehouse: &Path, reference: &Path, as_of: chrono::NaiveDate, id: &str) -> Snapshot {
    let snapshot_dir = warehouse.join("snapshots").join(id);
    skillhouse_query::build_snapshot(warehouse, reference, as_of, &snapshot_dir).await.expect("build");
    skillhouse_query::publish_snapshot(warehouse, id).expect("publish");
    skillhouse_query::open_snapshot(warehouse).await.expect("open")
}

#[tokio::test]
async fn the_certificate_indicators_do_not_change_when_training_is_added() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_certificate_warehouse(dir.path()).await;
    let without =
        build(dir.path(), &fixture::fixtures_dir().join("reference"), fixture::as_of(), "certificates_only").await;
    let with = skillhouse_query::open_snapshot(fixture::warehouse()).await.expect("open fixture snapshot");
    assert_eq!(csv(&without, "SELECT COUNT(*) AS n FROM training").await, "n\n0\n");
    assert_eq!(csv(&with, "SELECT COUNT(*) AS n FROM training").await, "n\n183\n");

    // Without training the training indicators have no rows (no training years); every other row is the same, to the
    // last column, in both builds: the 212 rows of the certificate indicators and the 56 of §17's certificate and
    // registry indicators (80_targets.slt). Computed rows only: the fixture snapshot also holds reported figures
    // (96_targets_basis.slt), which this certificates-only warehouse has not, so its targets answer `no_data`.
    let training = training_ids();
    let certificate_rows = format!(
        "SELECT * FROM indicator_values WHERE indicator_id NOT IN ({training}) AND basis = 'computed' \
         ORDER BY indicator_id, region_code, year, programme NULLS FIRST, agency_type NULLS FIRST"
    );
    let (before, after) = (csv(&without, &certificate_rows).await, csv(&with, &certificate_rows).await);
    assert_eq!(before.lines().count(), 1 + 212 + 56, "{before}");
    assert_eq!(before, after);
    let training_rows =
        format!("SELECT COUNT(*) AS n FROM indicator_values WHERE indicator_id IN ({training}) AND basis = 'computed'");
    assert_eq!(csv(&without, &training_rows).await, "n\n0\n");
    assert_eq!(csv(&with, &training_rows).await, "n\n146\n");
    // The models the certificate indicators read are the same too.
    for model in ["persons", "person_flow", "programme_flow", "certificate_counts", "year_ends"] {
        let sql = format!("SELECT * FROM {model}");
        let sorted = |text: String| {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.sort();
            lines
        };
        let (before, after) = (sorted(csv(&without, &sql).await), sorted(csv(&with, &sql).await));
        assert!(before.len() > 1, "{model} has rows");
        assert_eq!(before, after, "{model}");
    }
}

/// Writes `sql`'s rows over the fixture's R1 2024 training file as a new training file `name` of 2024, keeping the
/// stored (plain Utf8) types as ingestion writes them.
async fn write_training_file(warehouse: &Path, sql: &str, name: &str) {
    let config = SessionConfig::new().set_bool("datafusion.execution.parquet.schema_force_view_types", false);
    let ctx = SessionContext::new_with_config(config);
    let source = warehouse.join("training/end_year=2024/R1__2024-01__fixture00000.parquet");
    ctx.register_parquet("source", source.to_str().expect("utf-8"), Default::default()).await.expect("register");
    let batches = ctx.sql(sql).await.expect("plan").collect().await.expect("run");
    fixture::write_batches(&warehouse.join("training/end_year=2024").join(name), &batches);
}

#[tokio::test]
async fn the_gate_refuses_repeated_enrolments_and_unknown_references_in_training() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path();
    fixture::write_warehouse(warehouse).await;
    let reference = fixture::fixtures_dir().join("reference");
    let gate = GateConfig::default();
    let check = |report: &skillhouse_query::GateReport, id: &str| {
        let found = report.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"));
        (found.status, found.measured)
    };
    let (reference, gate) = (reference.as_path(), &gate);
    let build = move |id: &'static str| async move {
        let options = skillhouse_query::BuildOptions { gate: Some(gate), ..Default::default() };
        builds::build(warehouse, reference, id, fixture::as_of(), None, options).await.gate.expect("gate ran")
    };
    let clean = build("clean").await;
    assert_eq!(check(&clean, "unique_training_enrolment"), (CheckStatus::Pass, Some(0.0)));
    assert_eq!(check(&clean, "training_references"), (CheckStatus::Pass, Some(0.0)));
    assert!(clean.passed, "{clean:#?}");

    // E80-01 and E80-02 enrolled in R1/K80 a second time (two repeated enrolments, one row each too many).
    write_training_file(
        warehouse,
        "SELECT * FROM source WHERE class_id = 'K80' AND person_key IN ('E80-01', 'E80-02')",
        "R1__2024-02__fixture00001.parquet",
    )
    .await;
    // A row of a provider missing from the registry, and one with an occupation missing from the reference.
    let columns = |provider: &str, occupation: &str| {
        format!(
            "SELECT person_key, birth_date, gender, hukou_region, '{provider}' AS provider_id, provider_type, \
             region_code, 'Z1' AS class_id, training_kind, CAST({occupation} AS VARCHAR) AS occupation_code, programme, \
             subsidised, voucher_no, organiser, start_date, end_date, hours_total, hours_practical, satisfaction, \
             result, source_file, source_row, batch_id, content_hash"
        )
    };
    write_training_file(
        warehouse,
        &format!("{} FROM source WHERE person_key = 'E80-03'", columns("R9", "NULL")),
        "R9__2024-03__fixture00002.parquet",
    )
    .await;
    write_training_file(
        warehouse,
        &format!("{} FROM source WHERE person_key = 'E80-04'", columns("R1", "'9-99-99-99'")),
        "R1__2024-04__fixture00003.parquet",
    )
    .await;
    let dirty = build("dirty").await;
    assert_eq!(check(&dirty, "unique_training_enrolment"), (CheckStatus::Fail, Some(2.0)));
    assert_eq!(check(&dirty, "training_references"), (CheckStatus::Fail, Some(2.0)));
    assert!(!dirty.passed);
    // The certificate checks are not disturbed by training rows.
    for id in ["unique_cert_no", "not_null_keys", "accepted_values", "referential_integrity"] {
        assert_eq!(check(&dirty, id).0, CheckStatus::Pass, "{id}");
    }
}

#[tokio::test]
async fn the_training_targets_of_the_bundled_reference_find_their_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_warehouse(dir.path()).await;
    // As of the end of 2025 the training years are 2023–2025, the years of 002's per-type and 003's per-programme
    // targets (001's and 000's are 2022, before the fixture's first training year).
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    let snapshot = build(dir.path(), &fixture::bundled_reference_dir(), as_of, "bundled").await;
    let training = training_ids();
    let unmatched = format!(
        "SELECT t.target_id FROM targets AS t \
         WHERE t.indicator_id IN ({training}) AND t.year BETWEEN 2023 AND 2025 \
           AND NOT EXISTS (SELECT 1 FROM indicator_values AS v \
               WHERE v.indicator_id = t.indicator_id AND v.region_code = t.region_code AND v.year = t.year \
                 AND (v.programme IS NOT DISTINCT FROM t.programme) \
                 AND (v.agency_type IS NOT DISTINCT FROM t.agency_type) AND v.basis = 'computed') \
         ORDER BY t.target_id"
    );
    // 003-204 (apprenticeship 人次 of programme 8) is per programme, which apprenticeship_training is not (§16): no
    // computed row; it answers with a `no_data` row (DESIGN §17).
    assert_eq!(csv(&snapshot, &unmatched).await, "target_id\n003-204\n");
    // Kaifeng's provider-type targets (002: enterprise, college, social for 2023–2025) and 003's programme targets
    // (1, 2, 2.1–2.5, 3–10) are matched by value rows that carry them.
    let matched = "SELECT COUNT(*) AS n FROM indicator_values \
        WHERE indicator_id = 'training_persons' AND target IS NOT NULL AND year BETWEEN 2023 AND 2025";
    // 002: 3 types × 3 years = 9; 003: 003-001 and 15 programme rows = 16; 004-001 (Pingdingshan 2023) = 1.
    assert_eq!(csv(&snapshot, matched).await, "n\n26\n");
    let types = "SELECT COUNT(*) AS n FROM targets WHERE indicator_id = 'training_persons' \
        AND agency_type IS NOT NULL AND agency_type NOT IN (SELECT provider_type FROM provider_types)";
    assert_eq!(csv(&snapshot, types).await, "n\n0\n", "targets spell provider types as provider_types does");
}

#[tokio::test]
async fn training_files_without_a_contract_column_are_refused_with_the_folder_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_warehouse(dir.path()).await;
    // Only R1's 2024 file, rewritten without `result`: the build cannot count completions and must say why.
    let years = dir.path().join("training");
    let r1 = years.join("end_year=2024/R1__2024-01__fixture00000.parquet");
    let kept = dir.path().join("R1.parquet");
    std::fs::rename(&r1, &kept).expect("move");
    std::fs::remove_dir_all(&years).expect("remove the other training files");
    let ctx = SessionContext::new();
    ctx.register_parquet("source", kept.to_str().expect("utf-8"), Default::default()).await.expect("register");
    let batches = ctx.sql("SELECT * EXCLUDE (result) FROM source").await.expect("plan").collect().await.expect("run");
    fixture::write_batches(&r1, &batches);
    let snapshot_dir = dir.path().join("snapshots").join("refused");
    let error = skillhouse_query::build_snapshot(
        dir.path(),
        &fixture::fixtures_dir().join("reference"),
        fixture::as_of(),
        &snapshot_dir,
    )
    .await
    .expect_err("a training file without `result`");
    assert!(
        matches!(&error, skillhouse_query::QueryError::Layout { message, .. }
            if message.contains("training/") && message.contains("result")),
        "{error}"
    );
}
