//! The seed targets computed from the records (DESIGN §17, issue 23): every target of the bundled `targets.csv` for
//! one of these indicators finds the value row it is meant for. The values themselves are in
//! `tests/slt/95_targets_computed.slt`.

use crate::fixture;
use skillhouse_query::{ResultFormat, format_batches};

/// The indicators of DESIGN §17 computed from certificates, the agency registry and the training rows.
pub const TARGET_INDICATORS: [&str; 9] = [
    "new_technicians",
    "new_top_grade_persons",
    "competition_certified",
    "new_certified_cumulative",
    "new_high_skilled_cumulative",
    "training_persons_cumulative",
    "mid_high_persons",
    "new_agencies",
    "certified_share_of_employment",
];

#[tokio::test]
async fn the_computed_targets_of_the_bundled_reference_find_their_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_warehouse(dir.path()).await;
    // As of the end of 2025 the years are 2023–2025 (the fixture's first issue and end year is 2023).
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    let snapshot_dir = dir.path().join("snapshots").join("bundled");
    skillhouse_query::build_snapshot(dir.path(), &fixture::bundled_reference_dir(), as_of, &snapshot_dir)
        .await
        .expect("build");
    skillhouse_query::publish_snapshot(dir.path(), "bundled").expect("publish");
    let snapshot = skillhouse_query::open_snapshot(dir.path()).await.expect("open");
    let ids = TARGET_INDICATORS.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ");
    let csv = async |sql: String| {
        let batches = snapshot.query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        format_batches(&batches, ResultFormat::Csv).expect("csv")
    };
    // 001-005…008 (new agencies, all types and three types), 001-016 (competition), 002-001…003, 002-005, 002-008
    // (Kaifeng), 003-206 and 003-207 (新八级工).
    let targets = format!("SELECT COUNT(*) AS n FROM targets WHERE indicator_id IN ({ids})");
    assert_eq!(csv(targets).await, "n\n12\n");
    // The 2022 targets (001) are before the fixture's years: they must find the row of the same keys in 2023, the
    // first year, so that on a warehouse with 2022 certificates they find theirs.
    let unmatched = format!(
        "SELECT t.target_id FROM targets AS t \
         WHERE t.indicator_id IN ({ids}) \
           AND NOT EXISTS (SELECT 1 FROM indicator_values AS v \
               WHERE v.indicator_id = t.indicator_id AND v.region_code = t.region_code \
                 AND v.year = greatest(t.year, 2023) \
                 AND (v.programme IS NOT DISTINCT FROM t.programme) \
                 AND (v.agency_type IS NOT DISTINCT FROM t.agency_type)) \
         ORDER BY t.target_id"
    );
    // No row: every one finds its row (an empty result has no header either).
    assert_eq!(csv(unmatched).await, "");
    // The 2025 ones carry their target in the computed values (the 2022 ones answer as `no_data` rows of 2022).
    let carried = format!(
        "SELECT indicator_id, region_code, target FROM indicator_values \
         WHERE indicator_id IN ({ids}) AND target IS NOT NULL AND basis = 'computed' ORDER BY indicator_id"
    );
    assert_eq!(
        csv(carried).await,
        "indicator_id,region_code,target\n\
         certified_share_of_employment,410200,0.6\n\
         mid_high_persons,410200,720000.0\n\
         new_certified_cumulative,410200,520000.0\n\
         new_high_skilled_cumulative,410200,180000.0\n\
         new_technicians,410000,20000.0\n\
         new_top_grade_persons,410000,30.0\n\
         training_persons_cumulative,410200,640000.0\n"
    );
}

/// DESIGN §17: on a warehouse built with the bundled reference, every one of the 214 seed targets has exactly one
/// value row of its own key, with a basis; the rows without a value are `no_data` with status `n/a`, and the
/// Youth League's provincial organs row (`410000-YL`, no reporting unit) is among them on purpose.
#[tokio::test]
async fn every_bundled_target_has_a_value_row_with_a_basis() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_warehouse(dir.path()).await;
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    let snapshot_dir = dir.path().join("snapshots").join("bundled");
    skillhouse_query::build_snapshot(dir.path(), &fixture::bundled_reference_dir(), as_of, &snapshot_dir)
        .await
        .expect("build");
    skillhouse_query::publish_snapshot(dir.path(), "bundled").expect("publish");
    let snapshot = skillhouse_query::open_snapshot(dir.path()).await.expect("open");
    let csv = async |sql: &str| {
        let batches = snapshot.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        format_batches(&batches, ResultFormat::Csv).expect("csv")
    };
    let matched = "SELECT COUNT(*) AS targets, COUNT(DISTINCT t.target_id) AS distinct_targets FROM targets AS t \
        JOIN indicator_values AS v ON v.indicator_id = t.indicator_id AND v.region_code = t.region_code \
         AND v.year = t.year AND (v.programme IS NOT DISTINCT FROM t.programme) \
         AND (v.agency_type IS NOT DISTINCT FROM t.agency_type)";
    assert_eq!(csv(matched).await, "targets,distinct_targets\n214,214\n", "one value row per target");
    let bases = "SELECT basis, COUNT(*) AS n FROM indicator_values GROUP BY basis ORDER BY basis";
    let text = csv(bases).await;
    assert!(text.starts_with("basis,n\ncomputed,"), "{text}");
    assert!(text.contains("no_data,"), "{text}");
    // The fixture's two reported figures (national bases 2024, province and 郑州) match no bundled target's key.
    assert!(text.contains("reported,2\n"), "{text}");
    let wrong = "SELECT COUNT(*) AS n FROM indicator_values \
        WHERE basis = 'no_data' AND (value IS NOT NULL OR status <> 'n/a' OR target IS NULL)";
    assert_eq!(csv(wrong).await, "n\n0\n", "a no_data row has no value, status n/a, and a target");
    let league = "SELECT indicator_id, basis, status, target FROM indicator_values \
        WHERE region_code = '410000-YL' ORDER BY indicator_id";
    assert_eq!(
        csv(league).await,
        "indicator_id,basis,status,target\n\
         youth_league_new_high_skilled,no_data,n/a,500.0\n\
         youth_league_new_skilled,no_data,n/a,2000.0\n\
         youth_league_other_talent,no_data,n/a,90.0\n\
         youth_league_training,no_data,n/a,6000.0\n"
    );
}
