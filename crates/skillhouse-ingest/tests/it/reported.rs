//! Reported figures (DESIGN §17, issue 23): a `landing/reported/` file of good and bad rows — each bad row
//! rejected with its own reason, in `reported_rejects/` and the ledger, rows conserved — and a later file
//! replacing the figure of the same key, with who reported it and when.

use crate::{file, run};
use polars::prelude::*;
use skillhouse_ingest::{FileOutcome, Input, Layout, Ledger, LedgerStatus};
use skillhouse_model::ReportedRejectReason as Reason;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HEADER: &str =
    "indicator_id,region_code,year,programme,agency_type,value,unit,reported_by,reported_on,source_note";

fn bundled_reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/reference")
}

fn landing_with(dir: &Path, name: &str, rows: &[&str]) -> PathBuf {
    let landing = dir.to_path_buf();
    std::fs::create_dir_all(landing.join("reported")).expect("reported folder");
    let text = std::iter::once(HEADER).chain(rows.iter().copied()).collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(landing.join("reported").join(name), text).expect("write reported file");
    landing
}

fn options(warehouse: &Path, landing: &Path) -> skillhouse_ingest::IngestOptions {
    let mut options = skillhouse_ingest::IngestOptions::new(
        warehouse,
        vec![landing.to_path_buf()],
        crate::fixtures::key(),
        crate::fixtures::as_of(),
        bundled_reference(),
    );
    // As the CLI passes the catalogue's ids: an indicator computed but with no target is not reportable either.
    options.computed_indicators = ["duplicate_claims".to_string()].into();
    options
}

fn text_column(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    frame.column(name).expect(name).str().expect("text").iter().map(|v| v.map(str::to_string)).collect()
}

#[test]
fn good_rows_are_kept_bad_rows_quarantined_and_a_later_file_replaces_a_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let warehouse = tmp.path().join("warehouse");
    // as_of 2025-06-30 and no certificates yet: the warehouse's years are 2025 alone.
    let first = landing_with(
        &tmp.path().join("landing1"),
        "2025-q2.csv",
        &[
            "national_high_skill_bases_new,410000,2025,,,3,bases,省人社厅职业能力建设处,2025-05-10,first report",
            "skilled_returnees,410200,2025,,,12000,persons,开封市人社局,2025-06-01,",
            "bases_built,410000,2025,,,1,bases,省人社厅,2025-06-01,",
            "new_skilled,410000,2025,,,1,persons,省人社厅,2025-06-01,",
            "duplicate_claims,410000,2025,,,1,certificates,省人社厅,2025-06-01,",
            "provincial_master_studios_new,410000-YL,2025,,,1,studios,团省委,2025-06-01,",
            "provincial_master_studios_new,410000,2025,,,1,个,省人社厅,2025-06-01,",
            "provincial_master_studios_new,410000,2025,,,-1,studios,省人社厅,2025-06-01,",
            "provincial_master_studios_new,410000,2025,,,many,studios,省人社厅,2025-06-01,",
            "provincial_master_studios_new,410000,2019,,,1,studios,省人社厅,2025-06-01,",
            "provincial_master_studios_new,410000,2025,,,1,studios,,2025-06-01,",
            "provincial_master_studios_new,410000,2025,,,1,studios,省人社厅,2025-07-01,",
            "skilled_returnees,410200,2025,,,13000,persons,开封市人社局,2025-06-02,the same key again",
        ],
    );
    let report = run(&options(&warehouse, &first));
    let q2 = file(&report, "reported/2025-q2.csv");
    assert_eq!(q2.input, Input::Reported);
    assert_eq!(q2.outcome, FileOutcome::Loaded);
    assert_eq!((q2.rows_read, q2.rows_accepted, q2.rows_rejected), (13, 2, 11), "rows conserved");
    let expected: BTreeMap<Reason, u64> = [
        (Reason::UnknownIndicator, 1),
        (Reason::IndicatorNotReportable, 2),
        (Reason::UnknownRegion, 1),
        (Reason::UnitMismatch, 1),
        (Reason::ValueNegative, 1),
        (Reason::ValueNotNumeric, 1),
        (Reason::YearOutOfRange, 1),
        (Reason::MissingField, 1),
        (Reason::ReportedOnInvalid, 1),
        (Reason::DuplicateKey, 1),
    ]
    .into();
    assert_eq!(q2.reported_rejects_by_reason, expected);
    assert!(report.is_partly_rejected());

    let layout = Layout::new(&warehouse);
    let ledger = Ledger::load(&layout).expect("ledger");
    let entry = ledger.entries().iter().find(|e| e.source_file == "reported/2025-q2.csv").expect("ledger row");
    assert_eq!((entry.input, entry.status), (Input::Reported, LedgerStatus::Loaded));
    assert_eq!((entry.rows_read, entry.rows_accepted, entry.rows_rejected), (Some(13), Some(2), Some(11)));
    assert_eq!(entry.rejects_by_reason.get("indicator_not_reportable"), Some(&2));

    // The rejects, row by row, with the row a clerk sees (the header is row 1).
    let rejects = crate::parquet_files(&warehouse.join("reported_rejects"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    let frame = skillhouse_ingest::read_parquet(&rejects[0], None).expect("rejects");
    let reasons = text_column(&frame, "reason");
    let rows: Vec<i64> = frame.column("source_row").expect("row").i64().expect("i64").iter().flatten().collect();
    assert_eq!(rows, (4..=14).collect::<Vec<i64>>());
    assert_eq!(reasons[0].as_deref(), Some("unknown_indicator"));
    assert_eq!(reasons[1].as_deref(), Some("indicator_not_reportable"), "new_skilled is computed");
    assert_eq!(reasons[2].as_deref(), Some("indicator_not_reportable"), "duplicate_claims is computed");
    assert_eq!(reasons[3].as_deref(), Some("unknown_region"), "410000-YL is no reporting unit");
    assert_eq!(reasons[10].as_deref(), Some("duplicate_key"));

    // A later file for the same key replaces the figure; the other key stays.
    let second = landing_with(
        &tmp.path().join("landing2"),
        "2025-q3.csv",
        &["national_high_skill_bases_new,410000,2025,,,5,bases,省人社厅,2025-06-20,corrected"],
    );
    let report = run(&options(&warehouse, &second));
    let q3 = file(&report, "reported/2025-q3.csv");
    assert_eq!((q3.rows_read, q3.rows_accepted, q3.rows_rejected), (1, 1, 0));
    let figures = skillhouse_ingest::read_parquet(&layout.root().join("reported/reported.parquet"), None)
        .expect("reported figures");
    assert_eq!(figures.height(), 2);
    let ids = text_column(&figures, "indicator_id");
    let by = text_column(&figures, "reported_by");
    let files = text_column(&figures, "source_file");
    let values: Vec<f64> = figures.column("value").expect("value").f64().expect("f64").iter().flatten().collect();
    let at = ids.iter().position(|i| i.as_deref() == Some("national_high_skill_bases_new")).expect("bases row");
    assert_eq!(
        (values[at], by[at].as_deref(), files[at].as_deref()),
        (5.0, Some("省人社厅"), Some("reported/2025-q3.csv"))
    );
    let on = figures.column("reported_on").expect("date").cast(&DataType::String).expect("text");
    assert_eq!(on.str().expect("text").get(at), Some("2025-06-20"));
    let kept = 1 - at;
    assert_eq!((ids[kept].as_deref(), values[kept]), (Some("skilled_returnees"), 12000.0), "the first row of a key");

    // The same bytes again are skipped, as for every input.
    let again = run(&options(&warehouse, &first));
    assert_eq!(file(&again, "reported/2025-q2.csv").outcome, FileOutcome::Skipped);
}

#[test]
fn a_file_without_the_required_columns_is_unreadable_with_a_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let landing = tmp.path().join("landing");
    std::fs::create_dir_all(landing.join("reported")).expect("folder");
    std::fs::write(landing.join("reported/bad.csv"), "indicator_id,value\nx,1\n").expect("write");
    std::fs::write(landing.join("reported/notes.txt"), "not a table").expect("write");
    let report = run(&options(&tmp.path().join("warehouse"), &landing));
    match &file(&report, "reported/bad.csv").outcome {
        FileOutcome::Unreadable { message } => assert!(message.contains("reported_on"), "{message}"),
        other => panic!("expected unreadable, got {other:?}"),
    }
    assert!(report.ignored.iter().any(|e| e.path == "reported/notes.txt"), "{:?}", report.ignored);
}
