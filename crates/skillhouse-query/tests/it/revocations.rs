//! Certificates over time (DESIGN §18) across nights: a build that takes the years before `from_year` over from the
//! previous snapshot gives the same stock as a build from nothing, although terms end (a revocation, an anniversary)
//! in the years it recomputes and the previous snapshot's year-end rows know nothing of the certificates behind a
//! principal one; and a new revocation register recomputes every year.
//!
//! The warehouse is `tests/fixtures/revocations/` (see `tests/slt/96_revocation.slt` for its persons).

use crate::{builds, fixture};
use chrono::NaiveDate;
use skillhouse_query::BuildOptions;
use skillhouse_query::datafusion::arrow::util::pretty::pretty_format_batches;
use skillhouse_query::datafusion::prelude::SessionContext;
use std::path::Path;

/// A query's rows over a snapshot, as text.
async fn rows(warehouse: &Path, snapshot: &str, sql: &str) -> String {
    let ctx = builds::session(warehouse, snapshot).await;
    let batches = ctx.sql(sql).await.expect("plan").collect().await.expect("run");
    pretty_format_batches(&batches).expect("format").to_string()
}

const PERSONS: &str = "SELECT person_key, year, highest_rank, region_code, principal_cert_no, skilled, high_skilled, \
     mid_high, first_skill_date, first_cert_date FROM persons ORDER BY person_key, year";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

#[tokio::test]
async fn a_night_that_takes_years_over_sees_terms_end_like_a_build_from_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let warehouse = tmp.path();
    let reference = fixture::write_revocations_warehouse(warehouse).await;
    let reference = reference.as_path();
    let build = move |id: &'static str, as_of: NaiveDate, previous: Option<&'static str>, full: bool| {
        builds::build(warehouse, reference, id, as_of, previous, BuildOptions { full, ..Default::default() })
    };
    build("night1", day(2024, 10, 1), None, false).await;
    let night2 = build("night2", fixture::revocations_as_of(), Some("night1"), false).await;
    assert_eq!(night2.recomputed_from_year, Some(2024), "the years before 2024 are taken over");
    let full = build("full", fixture::revocations_as_of(), None, true).await;
    assert_eq!(full.recomputed_from_year, Some(0));
    let (taken_over, from_nothing) = (rows(warehouse, "night2", PERSONS).await, rows(warehouse, "full", PERSONS).await);
    assert_eq!(taken_over, from_nothing);
    // What the comparison is about: Q04's principal certificate lapses on 2025-06-30, after the years taken over,
    // with no certificate of its own in the years recomputed; carried over as it was at the end of 2023, it would
    // still be skilled.
    let q04 = rows(
        warehouse,
        "night2",
        "SELECT year, skilled FROM persons WHERE person_key = 'Q04' AND year >= 2024 ORDER BY year",
    )
    .await;
    assert!(q04.contains("| 2024 | true    |") && q04.contains("| 2025 | false   |"), "{q04}");

    // A new revocation register (Q05's only certificate, revoked in 2020): every year is recomputed.
    let revocations = warehouse.join("revocations/revocations.parquet");
    let ctx = SessionContext::new();
    ctx.register_parquet("old", revocations.to_str().expect("utf-8"), Default::default()).await.expect("register");
    let added = ctx
        .sql(
            "SELECT * FROM old UNION ALL SELECT 'D0501' AS cert_no, DATE '2020-05-01' AS revoked_on, \
             'fraud' AS reason, 'revocations.csv' AS source_file, CAST(6 AS BIGINT) AS source_row, \
             'fixture' AS batch_id",
        )
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    fixture::write_batches(&revocations, &added);
    let night3 = build("night3", fixture::revocations_as_of(), Some("night2"), false).await;
    assert_eq!(night3.recomputed_from_year, Some(0), "a changed register recomputes every year");
    let q05 =
        rows(warehouse, "night3", "SELECT year, skilled FROM persons WHERE person_key = 'Q05' ORDER BY year").await;
    assert!(
        q05.contains("| 2019 | true    |") && q05.contains("| 2020 | false   |") && q05.contains("| 2025 | false   |"),
        "{q05}"
    );
}
