//! Reported figures end to end (DESIGN §17, issue 23): the sample plus `reported/2025-offices.csv` with good and
//! bad rows, rebuilt by the real binary — the bad rows quarantined with their reasons in `reported_rejects` and the
//! ledger, the good ones served as `reported` values by SQL and by `/api/v1/targets/progress`, and every seed target
//! answered with a basis.

use super::pgwire::{copy_dir, free_port};
use super::privacy::http_get;
use super::{run, sample, skillhouse, stderr};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const OFFICES: &str =
    "indicator_id,region_code,year,programme,agency_type,value,unit,reported_by,reported_on,source_note
national_high_skill_bases_new,410000,2025,,,3,bases,省人社厅职业能力建设处,2025-11-30,three of five built
skilled_returnees,410200,2025,,,16500,persons,开封市人社局,2025-12-01,
new_skilled,410000,2025,,,1,persons,省人社厅,2025-12-01,
provincial_master_studios_new,410000,2025,,,-4,studios,省人社厅,2025-12-01,
provincial_master_studios_new,410000,2025,,,4,个,省人社厅,2025-12-01,
";

#[test]
fn a_reported_file_is_quarantined_row_by_row_and_served() {
    let (sample, manifest) = sample();
    let dir = tempfile::tempdir().expect("tempdir");
    let landing = dir.path().join("landing");
    copy_dir(&sample, &landing);
    std::fs::create_dir_all(landing.join("reported")).expect("reported folder");
    std::fs::write(landing.join("reported/2025-offices.csv"), OFFICES).expect("write the reported file");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "9a".repeat(32)).expect("key");
    let warehouse = dir.path().join("wh");
    let wh = warehouse.to_str().expect("utf-8 path");
    let as_of = manifest["as_of"].as_str().expect("as_of");
    let rebuild = run(skillhouse(&[
        "rebuild",
        "--warehouse",
        wh,
        "--landing",
        landing.to_str().expect("utf-8 path"),
        "--as-of",
        as_of,
    ])
    .env("SKILLHOUSE_KEY_FILE", &key));
    assert_eq!(rebuild.status.code(), Some(3), "published with rejects: {}", stderr(&rebuild));

    let sql = |statement: &str| {
        let output = run(&mut skillhouse(&["sql", "--warehouse", wh, "--format", "csv", "-c", statement]));
        assert!(output.status.success(), "{statement}: {}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // Rows conserved in the ledger; each bad row with its reason, at the row a clerk sees.
    assert_eq!(
        sql("SELECT input, status, rows_read, rows_accepted, rows_rejected FROM ledger \
             WHERE source_file = 'reported/2025-offices.csv'"),
        "input,status,rows_read,rows_accepted,rows_rejected\nreported,loaded,5,2,3\n"
    );
    assert_eq!(
        sql("SELECT source_row, reason FROM reported_rejects ORDER BY source_row"),
        "source_row,reason\n4,indicator_not_reportable\n5,value_negative\n6,unit_mismatch\n"
    );
    // The good rows are value rows of basis `reported`: 003-208's target of 5 national bases in 2025 is behind at
    // 3; 002-015's 16,000 returnees to Kaifeng by 2025 is met at 16,500.
    assert_eq!(
        sql("SELECT indicator_id, region_code, value, target, status, basis, reported_by FROM indicator_values \
             WHERE basis = 'reported' ORDER BY indicator_id"),
        "indicator_id,region_code,value,target,status,basis,reported_by\n\
         national_high_skill_bases_new,410000,3.0,5.0,behind,reported,省人社厅职业能力建设处\n\
         skilled_returnees,410200,16500.0,16000.0,met,reported,开封市人社局\n"
    );
    // Every one of the 214 seed targets has one value row of its key, with a basis.
    assert_eq!(
        sql("SELECT COUNT(DISTINCT t.target_id) AS answered, COUNT(*) AS rows FROM targets AS t \
             JOIN indicator_values AS v ON v.indicator_id = t.indicator_id AND v.region_code = t.region_code \
             AND v.year = t.year AND (v.programme IS NOT DISTINCT FROM t.programme) \
             AND (v.agency_type IS NOT DISTINCT FROM t.agency_type)"),
        "answered,rows\n214,214\n"
    );

    // Served: the all-targets table names the reported figure, who reported it and when.
    let addr = format!("127.0.0.1:{}", free_port());
    let child = skillhouse(&["serve", "--warehouse", wh, "--addr", &addr])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("skillhouse serve starts");
    let _serving = Serving(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() || !http_get(&addr, "/readyz").starts_with("HTTP/1.1 200") {
        assert!(started.elapsed() < Duration::from_secs(60), "the server never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    let answer = http_get(&addr, "/api/v1/targets/progress");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let rows = json["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 214, "one row per seed target");
    let bases = rows.iter().find(|r| r["target_id"] == "003-208").expect("003-208");
    assert_eq!(
        (&bases["value"], &bases["status"], &bases["basis"], &bases["basis_zh"], &bases["reported_on"]),
        (
            &serde_json::json!(3.0),
            &serde_json::json!("behind"),
            &serde_json::json!("reported"),
            &serde_json::json!("单位上报"),
            &serde_json::json!("2025-11-30")
        )
    );
    let league = rows.iter().find(|r| r["target_id"] == "000-A01-1").expect("000-A01-1");
    assert_eq!(
        (&league["basis"], &league["status"], &league["basis_en"]),
        (&serde_json::json!("no_data"), &serde_json::json!("n/a"), &serde_json::json!("no data yet"))
    );
    let workbook = http_get(&addr, "/api/v1/targets/progress?format=xlsx");
    assert!(workbook.starts_with("HTTP/1.1 200"), "{}", &workbook[..workbook.len().min(300)]);
    assert!(workbook.contains("spreadsheetml.sheet"), "the workbook's media type");
    let csv = http_get(&addr, "/api/v1/targets/progress?format=csv");
    let csv_body = csv.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    assert_eq!(csv_body.lines().count(), 215, "a header and 214 targets");
    assert!(csv_body.starts_with("document,source_doc,clause,target_id,"), "{}", &csv_body[..80.min(csv_body.len())]);
}
