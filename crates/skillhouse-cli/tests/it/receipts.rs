//! Receipts (回执, issue 24): a small drop with good and bad rows is rebuilt, `skillhouse receipts` writes one CSV and
//! one XLSX per submission, and the counts by reason, the row numbers and the masked IDs are checked against what
//! was worked out by hand from the drop; no ID as typed and no name appears in any receipt. Then the server: an
//! agency's own token reads its own receipt and nobody else's (403), the dashboard token reads none.

use super::pgwire::free_port;
use super::{run, skillhouse, stderr};
use skillhouse_model::id_check_char;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A valid ID number: region 410105, the birth date, sequence, and its check character.
fn id(birth: &str, sequence: &str) -> String {
    let first17 = format!("410105{birth}{sequence}");
    let bytes: [u8; 17] = first17.as_bytes().try_into().expect("17 digits");
    format!("{first17}{}", id_check_char(&bytes))
}

/// The same ID with a wrong check character.
fn bad_checksum(valid: &str) -> String {
    let last = valid.chars().last().expect("a character");
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &valid[..17])
}

/// First 6 and last 1 shown (DESIGN §7).
fn masked(typed: &str) -> String {
    format!("{}{}{}", &typed[..6], "*".repeat(typed.len() - 7), &typed[typed.len() - 1..])
}

const NAMES: [&str; 3] = ["司马相如", "欧阳修文", "诸葛明亮"];

struct Landing {
    landing: PathBuf,
    /// Every ID number as typed in the drop, valid or not.
    typed_ids: Vec<String>,
    /// The IDs typed on the rejected rows of A10001, by line.
    a_rejected: BTreeMap<i64, String>,
}

/// The drop, worked out by hand (header = line 1):
///
/// A10001/2025-03.csv — 7 rows: line 2 accepted; 3 id_checksum; 4 accepted; 5 unknown_level (九级); 6 id_checksum;
/// 7 duplicate_cert_no (line 2's number again); 8 issue_date_future (2026, as-of 2025-12-31). Read 7 = accepted 2
/// + rejected 5: id_checksum 2, unknown_level 1, duplicate_cert_no 1, issue_date_future 1.
///
/// A10002/2025-03.csv — 2 rows: line 2 accepted; line 3 unknown_occupation (9-99-99-99). Read 2 = 1 + 1.
///
/// training/P0001/2025-03.csv — 2 rows: line 2 accepted; line 3 hours_invalid (practical 60 > total 48).
fn write_drop(root: &Path) -> Landing {
    let landing = root.join("landing");
    for dir in ["A10001", "A10002", "training/P0001"] {
        std::fs::create_dir_all(landing.join(dir)).expect("mkdir");
    }
    std::fs::write(
        landing.join("agencies.csv"),
        "agency_id,name,agency_type,region_code,registered_on\nA10001,甲评价机构,企业,410100,2020-01-01\n\
         A10002,乙评价机构,院校,410200,2020-01-01\n",
    )
    .expect("agencies");
    std::fs::write(
        landing.join("training/providers.csv"),
        "provider_id,name,provider_type,region_code,registered_on\nP0001,丙培训中心,企业,410100,2020-01-01\n",
    )
    .expect("providers");

    let ids: Vec<String> = (1..=9).map(|i| id("19900101", &format!("{:03}", 10 + i))).collect();
    let (bad3, bad6) = (bad_checksum(&ids[1]), bad_checksum(&ids[4]));
    let header = "身份证号,姓名,证书编号,证书类型,职业编码,等级,发证日期\n";
    let line = |id: &str, name: &str, cert_no: &str, occupation: &str, level: &str, date: &str| {
        format!("{id},{name},{cert_no},职业资格证书,{occupation},{level},{date}\n")
    };
    let mut a = String::from(header);
    a.push_str(&line(&ids[0], NAMES[0], "Q250300000001", "6-31-01-03", "四级", "2025-03-03"));
    a.push_str(&line(&bad3, NAMES[1], "Q250300000002", "6-31-01-03", "四级", "2025-03-03"));
    a.push_str(&line(&ids[2], NAMES[2], "Q250300000003", "6-31-01-03", "三级", "2025-03-04"));
    a.push_str(&line(&ids[3], "", "Q250300000004", "6-31-01-03", "九级", "2025-03-04"));
    a.push_str(&line(&bad6, "", "Q250300000005", "6-31-01-03", "四级", "2025-03-05"));
    a.push_str(&line(&ids[5], "", "Q250300000001", "6-31-01-03", "四级", "2025-03-05"));
    a.push_str(&line(&ids[6], "", "Q250300000006", "6-31-01-03", "四级", "2026-01-05"));
    std::fs::write(landing.join("A10001/2025-03.csv"), a).expect("A10001");
    let mut b = String::from(header);
    b.push_str(&line(&ids[7], "", "Q250300000101", "6-31-01-03", "四级", "2025-03-06"));
    b.push_str(&line(&ids[8], "", "Q250300000102", "9-99-99-99", "四级", "2025-03-06"));
    std::fs::write(landing.join("A10002/2025-03.csv"), b).expect("A10002");
    let training = format!(
        "id_number,class_id,training_kind,occupation_code,start_date,end_date,hours_total,hours_practical,subsidised,result\n\
         {},PX1,upskilling,6-31-01-03,2025/3/3,2025/3/10,48,31,no,合格\n\
         {},PX1,upskilling,6-31-01-03,2025/3/3,2025/3/10,48,60,no,合格\n",
        ids[0], ids[2]
    );
    std::fs::write(landing.join("training/P0001/2025-03.csv"), training).expect("training");

    let mut typed_ids = ids.clone();
    typed_ids.extend([bad3.clone(), bad6.clone()]);
    let a_rejected =
        BTreeMap::from([(3, bad3), (5, ids[3].clone()), (6, bad6), (7, ids[5].clone()), (8, ids[6].clone())]);
    Landing { landing, typed_ids, a_rejected }
}

/// A receipt CSV's sections: title → rows (heading row included), the byte-order mark dropped.
fn sections(csv_text: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let text = csv_text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut title = String::new();
    for record in reader.records() {
        let record: Vec<String> = record.expect("a CSV record").iter().map(String::from).collect();
        if record.len() == 1 && record[0].starts_with('【') {
            title = record[0].trim_matches(['【', '】']).to_string();
        } else if !(record.len() == 1 && record[0].is_empty()) {
            out.entry(title.clone()).or_default().push(record);
        }
    }
    out
}

fn overview_value(sections: &BTreeMap<String, Vec<Vec<String>>>, label: &str) -> String {
    sections["概况"].iter().find(|r| r[0] == label).map(|r| r[1].clone()).unwrap_or_else(|| panic!("no {label}"))
}

fn reason_counts(sections: &BTreeMap<String, Vec<Vec<String>>>) -> BTreeMap<String, i64> {
    sections["拒收原因汇总"][1..].iter().map(|r| (r[0].clone(), r[1].parse().expect("a count"))).collect()
}

/// Every text of a workbook's cells.
pub(crate) fn xlsx_text(path: &Path) -> String {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(path).expect("a workbook");
    let mut text = String::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).expect("a sheet");
        for row in range.rows() {
            for cell in row {
                text.push_str(&cell.to_string());
                text.push('\t');
            }
            text.push('\n');
        }
    }
    text
}

fn assert_nothing_personal(text: &str, drop: &Landing, what: &str) {
    for typed in &drop.typed_ids {
        assert!(!text.contains(typed.as_str()), "{what} holds an ID number as typed");
    }
    for name in NAMES {
        assert!(!text.contains(name), "{what} holds a name");
    }
}

fn rebuilt(dir: &Path) -> (Landing, PathBuf) {
    let drop = write_drop(dir);
    let key = dir.join("key.hex");
    std::fs::write(&key, "ab".repeat(32)).expect("key");
    let warehouse = dir.join("wh");
    let rebuild = run(skillhouse(&[
        "rebuild",
        "--warehouse",
        warehouse.to_str().expect("utf-8"),
        "--landing",
        drop.landing.to_str().expect("utf-8"),
        "--as-of",
        "2025-12-31",
    ])
    .env("SKILLHOUSE_KEY_FILE", &key));
    assert_eq!(rebuild.status.code(), Some(3), "published with rejects: {}", stderr(&rebuild));
    (drop, warehouse)
}

#[test]
fn receipts_count_rejects_by_reason_with_row_numbers_and_masked_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (drop, warehouse) = rebuilt(dir.path());
    let out = dir.path().join("receipts");
    let wh = warehouse.to_str().expect("utf-8");
    let receipts = run(&mut skillhouse(&["receipts", "--warehouse", wh, "--out", out.to_str().expect("utf-8")]));
    assert!(receipts.status.success(), "{}", stderr(&receipts));

    let a_csv = std::fs::read_to_string(out.join("A10001/2025-03.receipt.csv")).expect("A10001's CSV");
    let a = sections(&a_csv);
    assert_eq!(overview_value(&a, "评价机构代码"), "A10001");
    assert_eq!(overview_value(&a, "报送月份"), "2025-03");
    assert_eq!(overview_value(&a, "本月计入的文件"), "2025-03.csv");
    assert_eq!(["读取行数", "接收行数", "拒收行数"].map(|l| overview_value(&a, l)), ["7", "2", "5"].map(String::from));
    let expected: BTreeMap<String, i64> =
        [("id_checksum", 2), ("unknown_level", 1), ("duplicate_cert_no", 1), ("issue_date_future", 1)]
            .map(|(c, n)| (c.to_string(), n))
            .into();
    assert_eq!(reason_counts(&a), expected);
    // Each reason is explained in Chinese, from the reference file.
    let explained = &a["拒收原因汇总"][1..];
    assert!(explained.iter().all(|r| !r[2].is_ascii() && !r[3].is_empty()), "{explained:?}");
    assert!(explained.iter().any(|r| r[0] == "id_checksum" && r[2].starts_with("身份证号校验位不正确")));

    let detail = &a["拒收明细"];
    let heading = &detail[0];
    assert_eq!(&heading[..5], &["行号", "原因代码", "原因及处理办法", "问题字段", "发现的问题"].map(String::from));
    let id_column = heading.iter().position(|h| h == "身份证号").expect("an ID column");
    assert!(heading.iter().all(|h| h != "姓名"), "names are dropped: {heading:?}");
    let rows: Vec<(i64, String, String)> =
        detail[1..].iter().map(|r| (r[0].parse().expect("a row number"), r[1].clone(), r[id_column].clone())).collect();
    let expected_rows: Vec<(i64, String, String)> = [
        (3, "id_checksum"),
        (5, "unknown_level"),
        (6, "id_checksum"),
        (7, "duplicate_cert_no"),
        (8, "issue_date_future"),
    ]
    .into_iter()
    .map(|(line, reason)| (line, reason.to_string(), masked(&drop.a_rejected[&line])))
    .collect();
    assert_eq!(rows, expected_rows);
    assert_nothing_personal(&a_csv, &drop, "A10001's CSV");
    let a_xlsx = xlsx_text(&out.join("A10001/2025-03.receipt.xlsx"));
    assert!(a_xlsx.contains(&masked(&drop.a_rejected[&5])), "the workbook lists the rows");
    assert!(a_xlsx.contains("duplicate_cert_no"));
    assert_nothing_personal(&a_xlsx, &drop, "A10001's workbook");

    // The other agency's receipt holds its own rows only.
    let b_csv = std::fs::read_to_string(out.join("A10002/2025-03.receipt.csv")).expect("A10002's CSV");
    let b = sections(&b_csv);
    assert_eq!(["读取行数", "接收行数", "拒收行数"].map(|l| overview_value(&b, l)), ["2", "1", "1"].map(String::from));
    assert_eq!(reason_counts(&b), BTreeMap::from([("unknown_occupation".to_string(), 1)]));
    assert_eq!(b["拒收明细"].len(), 2, "one rejected row");
    assert_eq!(b["拒收明细"][1][0], "3");
    assert!(!b_csv.contains("Q2503000000"), "no certificate number of A10001 in A10002's receipt");
    assert_nothing_personal(&b_csv, &drop, "A10002's CSV");

    // The training provider gets the same receipt for its file.
    let p_csv = std::fs::read_to_string(out.join("training/P0001/2025-03.receipt.csv")).expect("P0001's CSV");
    let p = sections(&p_csv);
    assert_eq!(overview_value(&p, "回执"), "培训数据报送回执");
    assert_eq!(overview_value(&p, "培训机构代码"), "P0001");
    assert_eq!(["读取行数", "接收行数", "拒收行数"].map(|l| overview_value(&p, l)), ["2", "1", "1"].map(String::from));
    assert_eq!(reason_counts(&p), BTreeMap::from([("hours_invalid".to_string(), 1)]));
    assert_eq!(p["拒收明细"][1][0], "3");
    assert_nothing_personal(&p_csv, &drop, "P0001's CSV");
    assert!(out.join("training/P0001/2025-03.receipt.xlsx").is_file());

    // Filters: one agency and month only.
    let only = dir.path().join("only");
    let filtered = run(&mut skillhouse(&[
        "receipts",
        "--warehouse",
        wh,
        "--agency",
        "A10002",
        "--period",
        "2025-03",
        "--out",
        only.to_str().expect("utf-8"),
    ]));
    assert!(filtered.status.success(), "{}", stderr(&filtered));
    assert!(only.join("A10002/2025-03.receipt.csv").is_file() && !only.join("A10001").exists());
    let none = run(&mut skillhouse(&["receipts", "--warehouse", wh, "--period", "2024-01", "--out", "unused"]));
    assert_eq!(none.status.code(), Some(1), "no submission in that month is an error: {}", stderr(&none));
    let bad = run(&mut skillhouse(&["receipts", "--warehouse", wh, "--period", "2025-3", "--out", "unused"]));
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
}

/// `GET path` with an optional bearer token: the status code, the head and the body bytes.
fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n").expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, head, raw[split + 4..].to_vec())
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_agency_token_reads_its_own_receipt_and_gets_403_on_another_agencys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (drop, warehouse) = rebuilt(dir.path());
    let (token_a, token_b, token_p, dashboard) =
        ("token-of-agency-a-0123456789", "token-of-agency-b-0123456789", "token-of-provider-p-012345", "dash-token");
    let users = dir.path().join("api-users.toml");
    std::fs::write(
        &users,
        format!(
            "[[agency]]\nagency_id = \"A10001\"\ntoken = \"{token_a}\"\n\n[[agency]]\nagency_id = \"A10002\"\n\
             token = \"{token_b}\"\n\n[[provider]]\nprovider_id = \"P0001\"\ntoken = \"{token_p}\"\n"
        ),
    )
    .expect("users file");
    let addr = format!("127.0.0.1:{}", free_port());
    let child = skillhouse(&[
        "serve",
        "--warehouse",
        warehouse.to_str().expect("utf-8"),
        "--addr",
        &addr,
        "--api-users",
        users.to_str().expect("utf-8"),
    ])
    .env("SKILLHOUSE_API_TOKENS", dashboard)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("skillhouse serve starts");
    let _serving = Serving(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() || get(&addr, "/readyz", None).0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "the server never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }

    let a_receipt = "/api/v1/submissions/A10001/2025-03/receipt.csv";
    let b_receipt = "/api/v1/submissions/A10002/2025-03/receipt.csv";
    // Agency A's token on agency B's receipt: 403, in either format, and nothing of B's in the answer.
    let (status, _, body) = get(&addr, b_receipt, Some(token_a));
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("\"forbidden\""));
    assert_eq!(get(&addr, "/api/v1/submissions/A10002/2025-03/receipt.xlsx", Some(token_a)).0, 403);
    // A's own receipt: 200, with only A's rows, the same as the CLI's.
    let (status, head, body) = get(&addr, a_receipt, Some(token_a));
    assert_eq!(status, 200, "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/csv"), "{head}");
    let text = String::from_utf8(body).expect("UTF-8");
    let a = sections(&text);
    assert_eq!(a["拒收明细"].len() - 1, 5, "A's five rejected rows");
    assert!(a["拒收明细"][1..].iter().all(|r| r[1] != "unknown_occupation"), "none of B's rows");
    assert!(!text.contains("Q250300000102"), "B's certificate number is not in A's receipt");
    assert_nothing_personal(&text, &drop, "the served receipt");
    let (status, head, body) = get(&addr, "/api/v1/submissions/A10001/2025-03/receipt.xlsx", Some(token_a));
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("spreadsheetml"), "{head}");
    assert!(body.starts_with(b"PK"), "a zip container");
    // B's own: 200 with its one rejected row.
    let (status, _, body) = get(&addr, b_receipt, Some(token_b));
    assert_eq!(status, 200);
    assert_eq!(sections(&String::from_utf8(body).expect("UTF-8"))["拒收明细"].len() - 1, 1);
    // The provider's token reads the provider's receipt, not an agency's.
    assert_eq!(get(&addr, "/api/v1/training/submissions/P0001/2025-03/receipt.csv", Some(token_p)).0, 200);
    assert_eq!(get(&addr, a_receipt, Some(token_p)).0, 403);
    assert_eq!(get(&addr, "/api/v1/training/submissions/P0001/2025-03/receipt.csv", Some(token_a)).0, 403);
    // The dashboard token sees aggregates, not receipts; no token sees nothing.
    assert_eq!(get(&addr, a_receipt, Some(dashboard)).0, 403);
    assert_eq!(get(&addr, a_receipt, None).0, 401);
    assert_eq!(get(&addr, "/api/v1/regions", Some(dashboard)).0, 200);
    // An agency's token: its own row of the submissions summary, and no aggregate.
    let (status, _, body) = get(&addr, "/api/v1/submissions", Some(token_a));
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let agencies: Vec<&str> =
        json["data"].as_array().expect("rows").iter().filter_map(|r| r["agency_id"].as_str()).collect();
    assert_eq!(agencies, vec!["A10001"]);
    let (_, _, body) = get(&addr, "/api/v1/submissions", Some(dashboard));
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(json["data"].as_array().map(Vec::len), Some(2), "the dashboard sees every agency's summary");
    assert_eq!(get(&addr, "/api/v1/regions", Some(token_a)).0, 403);
    // A month with no file: 404; not a month: 400.
    assert_eq!(get(&addr, "/api/v1/submissions/A10001/2025-04/receipt.csv", Some(token_a)).0, 404);
    assert_eq!(get(&addr, "/api/v1/submissions/A10001/2025-4/receipt.csv", Some(token_a)).0, 400);
}
