//! Every `.sql` file under `sql/` is planned against the fixture snapshot, so a new file is tested without a
//! change here; and the bundled catalogue is the folder's content.

use crate::fixture;
use skillhouse_query::{BuildParams, SqlCatalog, SqlFile, SqlKind};
use std::path::{Path, PathBuf};

fn every_sql_file(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("list sql folder") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            every_sql_file(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

#[tokio::test]
async fn every_sql_file_plans() {
    let snapshot = skillhouse_query::open_snapshot(fixture::warehouse()).await.expect("open fixture snapshot");
    let params = BuildParams::new(fixture::as_of()).param_values();
    // The build gives `persons` its own rows of the year before `$from_year` (see carry.rs); none here.
    let before = snapshot.ctx.sql("SELECT * FROM persons WHERE false").await.expect("persons_before");
    snapshot.ctx.register_table("persons_before", before.into_view()).expect("register persons_before");
    // The values join reads the indicators' rows before targets, which only the build holds.
    let rows = snapshot
        .ctx
        .sql("SELECT indicator_id, region_code, year, programme, agency_type, value, numerator, denominator FROM indicator_values")
        .await
        .expect("indicator_rows");
    snapshot.ctx.register_table("indicator_rows", rows.into_view()).expect("register indicator_rows");
    let mut files = Vec::new();
    every_sql_file(&fixture::sql_dir(), &mut files);
    files.sort();
    assert!(
        files.len() >= 42,
        "expected the 9 models, the 26 indicators, the values join and the 6 checks, found {files:?}"
    );
    for training in [
        "models/training_classes.sql",
        "indicators/training_certification_rate.sql",
        "checks/unique_training_enrolment.sql",
        "checks/training_references.sql",
    ] {
        assert!(files.iter().any(|f| f.ends_with(training)), "{training} is planned");
    }
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read sql file");
        let name = path.file_name().and_then(|n| n.to_str()).expect("file name");
        let folder = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or_default();
        let kind = match folder {
            "models" => Some(SqlKind::Model),
            "indicators" => Some(SqlKind::Indicator),
            "checks" => Some(SqlKind::Check),
            "values" => Some(SqlKind::Values),
            _ => None,
        };
        if let Some(kind) = kind
            && let Err(error) = SqlFile::parse(kind, name, &text)
        {
            failures.push(format!("{}: {error}", path.display()));
            continue;
        }
        let planned = match snapshot.ctx.sql(&text).await.and_then(|f| f.with_param_values(params.clone())) {
            Ok(frame) => frame.create_physical_plan().await.map(|_| ()),
            Err(error) => Err(error),
        };
        if let Err(error) = planned {
            failures.push(format!("{}: {error}", path.display()));
        }
    }
    assert!(failures.is_empty(), "SQL files that do not plan:\n{}", failures.join("\n"));
}

#[test]
fn the_bundled_catalogue_is_the_sql_folder() {
    let bundled = SqlCatalog::bundled().expect("bundled SQL parses");
    let on_disk = SqlCatalog::load_dir(&fixture::sql_dir()).expect("sql folder parses");
    assert_eq!(bundled, on_disk, "rebuild the crate: the bundled SQL is stale");
}

#[test]
fn the_catalogue_covers_design_sections_8_and_16() {
    let catalog = SqlCatalog::bundled().expect("bundled SQL parses");
    let mut ids: Vec<&str> = catalog.indicators.iter().map(SqlFile::id).collect();
    ids.sort_unstable();
    let mut design = vec![
        "skilled_persons",
        "high_skilled_persons",
        "high_skill_share",
        "mid_high_share",
        "new_skilled",
        "new_high_skilled",
        "new_youth_technicians",
        "youth_share_new_top_grades",
        "programme_new_skilled",
        "programme_new_high_skilled",
        "cert_mix_share",
        "certs_by_agency_type",
        "high_level_certs_by_agency_type",
        "agencies_by_type",
        "skilled_share_of_employment",
        "duplicate_claims",
    ];
    design.extend(crate::training::TRAINING_INDICATORS);
    design.sort_unstable();
    assert_eq!(ids, design);
}
