//! A night takes the years it did not touch over from the published snapshot (`carry.rs` of the query crate): what
//! it publishes must equal, table for table and row for row, a build of the same warehouse from nothing.

use crate::nights::{self, LENIENT_GATE, copy_base, nights, report, utf8};
use crate::stderr;
use skillhouse_query::datafusion::arrow::util::pretty::pretty_format_batches;
use skillhouse_query::datafusion::prelude::SessionContext;
use std::path::Path;

/// Every table the build derives; compared row by row.
const DERIVED: [&str; 7] =
    ["certificates", "persons", "person_flow", "programme_flow", "certificate_counts", "year_ends", "indicator_values"];

/// The rows of `table` in snapshot `id`, one formatted line each, sorted.
fn rows(warehouse: &Path, id: &str, table: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let ctx = SessionContext::new();
        skillhouse_query::register_snapshot(&ctx, warehouse, &warehouse.join("snapshots").join(id))
            .await
            .expect("snapshot registers");
        let batches = ctx.sql(&format!("SELECT * FROM {table}")).await.expect("plan").collect().await.expect("rows");
        let text = pretty_format_batches(&batches).expect("format").to_string();
        let mut lines: Vec<String> = text.lines().filter(|l| l.starts_with('|')).skip(1).map(str::to_string).collect();
        lines.sort();
        lines
    })
}

fn rebuild(warehouse: &Path, landing: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = LENIENT_GATE.to_vec();
    // The correction removes a row: a drop the gate would refuse at its default of 1%.
    args.extend_from_slice(&["--max-row-drop-pct", "100"]);
    args.extend_from_slice(extra);
    let output = nights::rebuild(warehouse, landing, &nights().key, &args);
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "rebuild exit {:?}: {}\n{}",
        output.status.code(),
        stderr(&output),
        String::from_utf8_lossy(&output.stdout)
    );
    let report = report(&output);
    assert_eq!(report["published"], true, "{report}");
    report
}

/// Builds the same warehouse again from nothing (`--full`, nothing new to ingest) and compares every derived table.
fn assert_equals_a_full_build(warehouse: &Path, incremental: &str, empty_landing: &Path) {
    let full = rebuild(warehouse, empty_landing, &["--full"]);
    assert_eq!(full["carried_files"], 0, "{full}");
    let full_id = full["snapshot_id"].as_str().expect("id");
    for table in DERIVED {
        let (a, b) = (rows(warehouse, incremental, table), rows(warehouse, full_id, table));
        assert!(!b.is_empty() || table == "programme_flow", "{table} has rows");
        assert_eq!(a.len(), b.len(), "rows of {table}: incremental {incremental} vs full {full_id}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{table}: incremental {incremental} vs full {full_id}");
        }
    }
}

#[test]
fn a_night_that_takes_earlier_years_over_equals_a_build_from_nothing() {
    let fixture = nights();
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = copy_base(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("empty landing");
    std::fs::copy(fixture.night2.join("agencies.csv"), empty.join("agencies.csv")).expect("registry");

    // The second half of 2025 only (night 2 without the corrected night-1 file): 2024 is taken over.
    let late = dir.path().join("late");
    std::fs::create_dir_all(&late).expect("landing");
    std::fs::copy(fixture.night2.join("agencies.csv"), late.join("agencies.csv")).expect("registry");
    let mut copied = 0;
    for agency in std::fs::read_dir(&fixture.night2).expect("night 2").flatten().filter(|e| e.path().is_dir()) {
        for file in std::fs::read_dir(agency.path()).expect("agency folder").flatten() {
            let relative = format!("{}/{}", agency.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            let period_2025h2 = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]
                .iter()
                .any(|p| relative.contains(p) || relative.contains(&p.replace('-', "")));
            if period_2025h2 && relative != fixture.corrected {
                std::fs::create_dir_all(late.join(agency.file_name())).expect("agency folder");
                std::fs::copy(file.path(), late.join(&relative)).expect("copy");
                copied += 1;
            }
        }
    }
    assert!(copied > 0, "night 2 has files of the second half of 2025");
    let night = rebuild(&warehouse, &late, &[]);
    assert!(night["files_loaded"].as_u64().unwrap_or_default() > 0, "{night}");
    assert_eq!(night["recomputed_from_year"], 2025, "{night}");
    assert!(
        night["carried_files"].as_u64().unwrap_or_default() >= 4,
        "2024's compacted certificates and models: {night}"
    );
    let night_id = night["snapshot_id"].as_str().expect("id").to_string();
    assert_equals_a_full_build(&warehouse, &night_id, &empty);

    // Then the correction of a night-1 file: recomputed from the corrected file's year, and again equal.
    let corrected = rebuild(&warehouse, &fixture.night2, &[]);
    assert_eq!(corrected["files_superseded"], 1, "{corrected}");
    let corrected_id = corrected["snapshot_id"].as_str().expect("id").to_string();
    assert_equals_a_full_build(&warehouse, &corrected_id, &empty);

    let verify = crate::run(&mut crate::skillhouse(&["snapshots", "--warehouse", utf8(&warehouse), "verify"]));
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}
