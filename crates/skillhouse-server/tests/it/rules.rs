//! An indicator is its `.sql` file (issue 30): a new indicator added to a scratch copy of `sql/` — with a target
//! added to a scratch copy of the reference data — is built, suppressed, gated and served with no Rust change. Its
//! header alone says what suppression needs (`-- disclosure:`), that it is a headline indicator and that the gate
//! compares it; the build decides its targets and status, and the server serves those decisions.

use crate::{app_with, get};
use axum::http::StatusCode;
use skillhouse_query::{BuildOptions, BuildParams, CheckStatus, GateConfig, QueryConfig, SqlCatalog};
use std::path::{Path, PathBuf};

/// A share with hand-picked counts, one of them small: 410200 has 5 hits (below k = 10), so it is withheld; the
/// province's 400 hits = 120 + 5 + 275 would give it back, so the smallest other region (410100, 120) goes too.
fn scratch_indicator(province_hits: i64) -> String {
    format!(
        "-- id: scratch_share\n\
         -- title_zh: 试验占比\n\
         -- title_en: Scratch share\n\
         -- unit: share\n\
         -- grain: region_code × year\n\
         -- target: 0.35 (scratch)\n\
         -- comparator: >=\n\
         -- disclosure: share scratch_hits / scratch_base\n\
         -- headline: 6\n\
         -- gate: compare\n\
         -- source: this test\n\
         SELECT 'scratch_share' AS indicator_id, region_code, CAST(2025 AS INT) AS year,\n\
             CAST(NULL AS VARCHAR) AS programme, CAST(NULL AS VARCHAR) AS agency_type,\n\
             CAST(hits AS DOUBLE) / CAST(base AS DOUBLE) AS value, CAST(hits AS BIGINT) AS numerator,\n\
             CAST(base AS BIGINT) AS denominator\n\
         FROM (VALUES ('410000', {province_hits}, 1000), ('410100', 120, 400), ('410200', 5, 50), ('410300', 275, 550))\n\
             AS t(region_code, hits, base)\n"
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Scratch copies of `sql/` (with the new indicator) and of the bundled reference data (with its province target).
fn scratch(root: &Path, province_hits: i64) -> (PathBuf, PathBuf) {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (sql, reference) = (root.join("sql"), root.join("reference"));
    copy_dir(&repository.join("sql"), &sql);
    copy_dir(&repository.join("datasets/reference"), &reference);
    std::fs::write(sql.join("indicators/scratch_share.sql"), scratch_indicator(province_hits)).expect("write");
    let targets = reference.join("targets.csv");
    let mut text = std::fs::read_to_string(&targets).expect("targets");
    text.push_str("X-001,scratch_share,410000,2025,,,0.35,>=,share,this test,,\n");
    std::fs::write(&targets, text).expect("write targets");
    (sql, reference)
}

#[tokio::test]
async fn a_new_indicator_file_is_built_suppressed_gated_and_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path().join("warehouse");
    std::fs::create_dir_all(&warehouse).expect("mkdir");
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
    let params = BuildParams::new(as_of);
    let (sql, reference) = scratch(&dir.path().join("first"), 400);
    let catalog = SqlCatalog::load_dir(&sql).expect("the scratch sql/ parses");
    assert!(catalog.indicators.iter().any(|i| i.id() == "scratch_share"));
    let first = warehouse.join("snapshots").join("first");
    skillhouse_query::build_snapshot_with(&warehouse, &reference, &first, &params, &catalog, &QueryConfig::default())
        .await
        .expect("build with the new indicator");
    skillhouse_query::publish_snapshot(&warehouse, "first").expect("publish");

    // Served, with its header in the catalogue.
    let (_, app) = app_with(&warehouse, |_| {}).await;
    let catalogue = get(&app, "/api/v1/indicators").await.json();
    let entry = catalogue["data"]
        .as_array()
        .and_then(|d| d.iter().find(|e| e["indicator_id"] == "scratch_share"))
        .cloned()
        .expect("the new indicator is in the catalogue");
    assert_eq!(entry["disclosure"], "share scratch_hits / scratch_base");
    assert_eq!((entry["headline"].clone(), entry["gate"].clone()), (6.into(), "compare".into()));
    let answer = get(&app, "/api/v1/indicators/scratch_share").await;
    assert_eq!(answer.status, StatusCode::OK);
    let rows = answer.json()["data"].as_array().cloned().unwrap_or_default();
    let row = |region: &str| rows.iter().find(|r| r["region_code"] == region).cloned().expect(region);

    // Suppressed by its header's quantities: 410200 below k, 410100 its complement; nothing of theirs shows.
    for region in ["410200", "410100"] {
        let withheld = row(region);
        assert_eq!(withheld["suppressed"], true, "{withheld}");
        assert!(withheld["value"].is_null() && withheld["numerator"].is_null() && withheld["denominator"].is_null());
        assert_eq!(withheld["reference_status"], "n/a", "{withheld}");
    }
    // The province against its own target, decided in the build: 400 / 1000 = 0.4 ≥ 0.35.
    let province = row("410000");
    assert_eq!(province["suppressed"], false);
    assert_eq!((province["value"].clone(), province["target"].clone()), (0.4.into(), 0.35.into()));
    assert_eq!(province["status"], "met");
    assert!(province["reference_target"].is_null(), "a value with its own target has no reference: {province}");
    // A region of a share, against the province's target as a reference: 275 / 550 = 0.5.
    let luoyang = row("410300");
    assert_eq!((luoyang["suppressed"].clone(), luoyang["value"].clone()), (false.into(), 0.5.into()));
    assert_eq!((luoyang["target"].clone(), luoyang["status"].clone()), (serde_json::Value::Null, "n/a".into()));
    assert_eq!((luoyang["reference_target"].clone(), luoyang["reference_year"].clone()), (0.35.into(), 2025.into()));
    assert_eq!(
        (luoyang["reference_comparator"].clone(), luoyang["reference_status"].clone()),
        (">=".into(), "met".into())
    );

    // Gated: the next build's definition moves the province's value by 25%, and the gate compares it because its
    // header says so.
    let (sql, reference) = scratch(&dir.path().join("second"), 500);
    let catalog = SqlCatalog::load_dir(&sql).expect("the scratch sql/ parses");
    let gate = GateConfig::default();
    let options = BuildOptions { previous: Some(first.as_path()), gate: Some(&gate), ..BuildOptions::default() };
    let second = warehouse.join("snapshots").join("second");
    let report = skillhouse_query::build_snapshot_with_options(
        &warehouse,
        &reference,
        &second,
        &params,
        &catalog,
        &QueryConfig::default(),
        &options,
    )
    .await
    .expect("second build");
    let gate = report.manifest.gate.expect("the gate ran");
    let change = gate.checks.iter().find(|c| c.id == "headline_indicator_change").expect("the comparison");
    assert_eq!(change.status, CheckStatus::Fail, "{change:?}");
    assert!(change.detail.contains("scratch_share 2025"), "{}", change.detail);
    assert_eq!(change.measured, Some(25.0));
}

#[test]
fn a_new_indicator_without_what_suppression_needs_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sql, _) = scratch(dir.path(), 400);
    let path = sql.join("indicators/scratch_share.sql");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("-- disclosure: share scratch_hits / scratch_base\n", "")).expect("write");
    let error = SqlCatalog::load_dir(&sql).expect_err("no disclosure line");
    let message = error.to_string();
    assert!(message.contains("indicators/scratch_share.sql") && message.contains("disclosure"), "{message}");
}
