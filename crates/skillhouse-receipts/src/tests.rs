use super::*;
use std::collections::BTreeMap;

/// A valid ID number (DESIGN §14's test vector) and its masked form.
const ID: &str = "11010519491231002X";
const MASKED: &str = "110105***********X";

fn file(name: &str, status: &str, counts: Option<(i64, i64, i64)>, reasons: &[(&str, i64)]) -> LedgerFile {
    LedgerFile {
        input: Input::Certificates,
        source_file: format!("A001/{name}"),
        content_hash: "0123456789abcdef".into(),
        agency_id: "A001".into(),
        period: "2025-03".into(),
        format: "csv".into(),
        status: status.into(),
        rows_read: counts.map(|c| c.0),
        rows_accepted: counts.map(|c| c.1),
        rows_rejected: counts.map(|c| c.2),
        rejects_by_reason: reasons.iter().map(|(c, n)| ((*c).to_string(), *n)).collect(),
        message: (status == "unreadable").then(|| "line 3: a stray quote".to_string()),
        ingested_at_ms: Some(1_735_689_600_000), // 2025-01-01 00:00 UTC
    }
}

fn receipt() -> Receipt {
    let explanation = reason_text("certificates", "id_checksum").expect("explained").both.clone();
    let cells: BTreeMap<String, String> =
        [("id_number", MASKED), ("cert_no", "=HYPERLINK(\"x\")"), ("issue_date", "2025/3/3")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
    Receipt {
        key: SubmissionKey { input: Input::Certificates, agency_id: "A001".into(), period: "2025-03".into() },
        snapshot_id: "S1".into(),
        files: vec![
            file("2025-03.csv", "loaded", Some((5, 3, 2)), &[("unknown_level", 1), ("id_checksum", 1)]),
            file("2025-03.xlsx", "unreadable", None, &[]),
        ],
        rows: vec![
            RejectedRow {
                source_row: 2,
                reason: "id_checksum".into(),
                field: Some("id_number".into()),
                detail: format!("{explanation} ({MASKED}: check character)"),
                cells,
            },
            RejectedRow {
                source_row: 4,
                reason: "unknown_level".into(),
                field: Some("level".into()),
                detail: "odd".into(),
                cells: BTreeMap::new(),
            },
        ],
    }
}

#[test]
fn valid_id_numbers_are_masked_wherever_they_are_in_a_text() {
    assert_eq!(mask_ids(&format!("a {ID} b")), format!("a {MASKED} b"));
    assert_eq!(mask_ids(&format!("{ID},{ID}")), format!("{MASKED},{MASKED}"));
    // Not an ID: a wrong check character, a longer run of digits, a short number.
    assert_eq!(mask_ids("110105194912310021"), "110105194912310021");
    assert_eq!(mask_ids("9911010519491231002X"), "9911010519491231002X");
    assert_eq!(mask_ids("row 12"), "row 12");
    assert_eq!(mask_cell(&format!(" {ID} ")), mask_id_text(&format!(" {ID} ")));
    assert!(!mask_cell(&format!(" {ID} ")).contains("19491231"));
}

#[test]
fn only_months_have_receipts() {
    let key = |period: &str| SubmissionKey { input: Input::Training, agency_id: "P".into(), period: period.into() };
    assert!(key("2025-03").has_month() && key("2024-12").has_month());
    for bad in ["", "2025-13", "2025-3", "2025_03", "２０２５-03", "2025-00"] {
        assert!(!key(bad).has_month(), "{bad}");
    }
    assert_eq!(key("2025-03").slice(), "training/P/2025-03");
}

#[test]
fn the_current_file_counts_and_reasons_follow_the_checking_order() {
    let receipt = receipt();
    assert_eq!(receipt.current().map(LedgerFile::file_name), Some("2025-03.csv"));
    assert_eq!(receipt.latest().map(|f| f.status.as_str()), Some("unreadable"));
    let reasons: Vec<(String, i64)> = receipt.reasons().into_iter().map(|r| (r.code, r.rows)).collect();
    // id_checksum is checked before unknown_level (DESIGN §6), whatever the map's order.
    assert_eq!(reasons, vec![("id_checksum".to_string(), 1), ("unknown_level".to_string(), 1)]);
    assert_eq!(receipt.finding(&receipt.rows[0]), format!("{MASKED}: check character"));
    assert_eq!(receipt.finding(&receipt.rows[1]), "odd");
    assert_eq!(receipt.row_fields(), vec!["id_number", "cert_no", "issue_date"]);
}

#[test]
fn the_csv_has_its_sections_neutralised_cells_and_no_raw_id() {
    let csv = receipt().csv();
    assert!(csv.starts_with('\u{feff}'));
    for title in ["【概况】", "【提交记录】", "【拒收原因汇总】", "【拒收明细】"] {
        assert!(csv.contains(title), "{title}");
    }
    assert!(csv.contains("评价机构代码,A001\r\n"), "{csv}");
    assert!(csv.contains("读取行数,5\r\n") && csv.contains("拒收行数,2\r\n"), "{csv}");
    assert!(csv.contains("注意,最近一次报送的文件 2025-03.xlsx 无法读取"), "{csv}");
    // 2025-01-01 00:00 UTC is 08:00 in Beijing.
    assert!(csv.contains("2025-03.csv,2025-01-01 08:00,已受理：数据已入库,5,3,2,\r\n"), "{csv}");
    assert!(csv.contains("id_checksum,1,身份证号校验位不正确"), "{csv}");
    assert!(csv.contains("行号,原因代码,原因及处理办法,问题字段,发现的问题,身份证号,证书编号,发证日期\r\n"), "{csv}");
    assert!(csv.contains(&format!("2,id_checksum,身份证号校验位不正确，多为录入错误。请对照身份证件逐位核对。,身份证号,{MASKED}: check character,{MASKED},\"'=HYPERLINK(\"\"x\"\")\",2025/3/3\r\n")), "{csv}");
    assert!(!csv.contains(ID));
}

#[test]
fn the_workbook_holds_the_same_rows() {
    use calamine::{Reader, Xlsx};
    let bytes = receipt().xlsx().expect("a workbook");
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("readable");
    assert_eq!(workbook.sheet_names(), vec!["回执".to_string(), "拒收明细".to_string()]);
    let detail = workbook.worksheet_range("拒收明细").expect("detail sheet");
    let rows: Vec<Vec<String>> = detail.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0], "行号");
    assert_eq!(rows[1][0], "2");
    assert_eq!(rows[1][5], MASKED);
    // A formula typed by a clerk stays text in the workbook.
    assert_eq!(rows[1][6], "=HYPERLINK(\"x\")");
    let summary = workbook.worksheet_range("回执").expect("summary sheet");
    let text: Vec<String> =
        summary.rows().flat_map(|r| r.iter().map(ToString::to_string).collect::<Vec<_>>()).collect();
    assert!(text.iter().any(|t| t == "A001"));
    assert!(text.iter().all(|t| !t.contains(ID)));
}
