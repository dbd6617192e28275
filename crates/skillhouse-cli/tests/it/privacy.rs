//! The privacy scan (issue 27): the sample plus a malformed file whose rows carry ID numbers and names, rebuilt with
//! the log at debug level; then every table, every file of the warehouse that is not Parquet, the server's log and
//! every API answer and every receipt are searched for the input's ID numbers and names. None may appear anywhere.

use super::pgwire::{copy_dir, free_port};
use super::sql::{id_like_tokens, sample_id_numbers};
use super::{run, sample, skillhouse, stderr};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Names written into the malformed file; nothing else in the sample or the reference data spells them.
const NAMES: [&str; 3] = ["韩梅梅", "李雷雷", "欧阳小明"];

/// What a scan found: ID numbers of the input, and names.
fn leaks(text: &str, ids: &HashSet<String>) -> Vec<String> {
    let mut found: Vec<String> = id_like_tokens(text).into_iter().filter(|t| ids.contains(t)).collect();
    found.extend(NAMES.iter().filter(|n| text.contains(*n)).map(|n| (*n).to_string()));
    found
}

/// A landing folder: the sample, and agency A10006's March 2025 file with a stray quote in its second row, so the
/// CSV reader fails on rows that hold ID numbers and names (the reader's own error text quotes them).
fn hostile_landing(root: &Path, ids: &[&String]) -> std::path::PathBuf {
    let (sample, _) = sample();
    let landing = root.join("landing");
    copy_dir(&sample, &landing);
    let mut text = String::from("name,身份证号,证书类型,职业代码,等级,证书编号,发证时间,培训专项\n");
    text.push_str(&format!(
        "{},{},职业技能等级证书,4-02-07-08,l4,Y891941000475224099001,2025/3/3,\n",
        NAMES[0], ids[0]
    ));
    text.push_str(&format!(
        "\"{},{},职业技能等级证书,4-02-07-08,l4,Y891941000475224099002,2025/3/4,\n",
        NAMES[1], ids[1]
    ));
    text.push_str(&format!(
        "{},{},职业技能等级证书,4-02-07-08,l3,Y891941000475223099003,2025/3/5,\n",
        NAMES[2], ids[2]
    ));
    std::fs::write(landing.join("A10006").join("2025-03.csv"), text).expect("write the malformed file");
    landing
}

/// `GET path` over a plain HTTP/1.1 connection; the whole answer, head and body.
pub(crate) fn http_get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    String::from_utf8_lossy(&raw).into_owned()
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn no_id_number_or_name_in_the_warehouse_its_logs_or_any_api_answer() {
    let ids = sample_id_numbers();
    let mut some: Vec<&String> = ids.iter().collect();
    some.sort();
    let dir = tempfile::tempdir().expect("tempdir");
    let landing = hostile_landing(dir.path(), &some[..3]);
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "ef".repeat(32)).expect("key");
    let warehouse = dir.path().join("wh");
    let wh = warehouse.to_str().expect("utf-8 path");

    // The rebuild, logging at debug level: its output and log hold nothing personal.
    let rebuild = run(skillhouse(&[
        "rebuild",
        "--warehouse",
        wh,
        "--landing",
        landing.to_str().expect("utf-8 path"),
        "--as-of",
        "2025-12-31",
    ])
    .env("SKILLHOUSE_KEY_FILE", &key)
    .env("SKILLHOUSE_LOG", "debug"));
    assert_eq!(rebuild.status.code(), Some(3), "published with rejects: {}", stderr(&rebuild));
    let log = format!("{}{}", String::from_utf8_lossy(&rebuild.stdout), stderr(&rebuild));
    assert!(log.contains("2025-03.csv"), "the log names the malformed file");
    assert_eq!(leaks(&log, &ids), Vec::<String>::new(), "the rebuild's output and log");

    // Every table an analyst can query, the ledger among them, which names the malformed file.
    let sql = |statement: &str| {
        let output = run(&mut skillhouse(&["sql", "--warehouse", wh, "--format", "csv", "-c", statement]));
        assert!(output.status.success(), "{statement}: {}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let tables: Vec<String> =
        sql("\\d").lines().skip(1).filter_map(|l| l.split(',').next()).map(String::from).collect();
    assert!(tables.contains(&"ledger".to_string()), "{tables:?}");
    let ledger = sql("SELECT status, message FROM ledger WHERE source_file LIKE '%A10006/2025-03.csv'");
    assert!(
        ledger.lines().nth(1).is_some_and(|l| l.starts_with("unreadable,")),
        "the malformed file is in the ledger: {ledger}"
    );
    for table in &tables {
        let text = sql(&format!("SELECT * FROM \"{table}\""));
        assert_eq!(leaks(&text, &ids), Vec::<String>::new(), "table `{table}`");
    }

    // Every file of the warehouse that is not Parquet (manifests, reports, pointers, logs) as bytes.
    let mut stack = vec![warehouse.clone()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("list warehouse") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_none_or(|e| e != "parquet") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
                assert_eq!(leaks(&text, &ids), Vec::<String>::new(), "{}", path.display());
            }
        }
    }

    // Every receipt handed back to agencies and providers (issue 24), CSV and workbook.
    let receipts = dir.path().join("receipts");
    let written = run(&mut skillhouse(&["receipts", "--warehouse", wh, "--out", receipts.to_str().expect("utf-8")]));
    assert!(written.status.success(), "{}", stderr(&written));
    let mut stack = vec![receipts];
    let mut scanned = 0;
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("list receipts") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = if path.extension().is_some_and(|e| e == "xlsx") {
                super::receipts::xlsx_text(&path)
            } else {
                std::fs::read_to_string(&path).expect("a CSV receipt")
            };
            assert_eq!(leaks(&text, &ids), Vec::<String>::new(), "{}", path.display());
            scanned += 1;
        }
    }
    assert!(scanned > 20, "receipts of the sample's submissions: {scanned}");

    // Every API answer, in JSON and CSV, and the server's own log at debug level.
    let addr = format!("127.0.0.1:{}", free_port());
    let log_path = dir.path().join("serve.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let child = skillhouse(&["serve", "--warehouse", wh, "--addr", &addr])
        .env("SKILLHOUSE_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("skillhouse serve starts");
    let _serving = Serving(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() || !http_get(&addr, "/readyz").starts_with("HTTP/1.1 200") {
        assert!(started.elapsed() < Duration::from_secs(60), "the server never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    let catalogue = http_get(&addr, "/api/v1/indicators");
    let body = catalogue.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("the catalogue is JSON");
    let mut paths: Vec<String> = ["indicators", "regions", "programmes", "targets", "submissions", "snapshot"]
        .iter()
        .map(|p| format!("/api/v1/{p}"))
        .collect();
    for entry in json["data"].as_array().expect("catalogue rows") {
        paths.push(format!("/api/v1/indicators/{}", entry["indicator_id"].as_str().expect("id")));
    }
    assert!(paths.len() > 10, "{paths:?}");
    for path in &paths {
        for suffix in ["", "?format=csv"] {
            let answer = http_get(&addr, &format!("{path}{suffix}"));
            assert!(answer.starts_with("HTTP/1.1 200"), "{path}{suffix}: {}", &answer[..answer.len().min(300)]);
            assert_eq!(leaks(&answer, &ids), Vec::<String>::new(), "{path}{suffix}");
        }
    }
    for path in ["/api/v1/openapi.json", "/metrics", "/", "/healthz"] {
        let answer = http_get(&addr, path);
        assert_eq!(leaks(&answer, &ids), Vec::<String>::new(), "{path}");
    }
    let served_log = std::fs::read_to_string(&log_path).expect("server log");
    assert_eq!(leaks(&served_log, &ids), Vec::<String>::new(), "the server's log");
}
