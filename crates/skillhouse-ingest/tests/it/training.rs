//! Training records (DESIGN §16): every reject reason and its order, every format and encoding, duplicate
//! enrolments and reused vouchers across files and batches, corrections, re-runs, unreadable files, the provider
//! registry, the certificate reader leaving `training/` alone, the ledger, and privacy.
//!
//! The drops are built here from synthetic persons (`IdNumber::from_parts`: valid checksums); as of 2025-06-30.

use crate::fixtures::{self, date};
use crate::privacy::id_like;
use crate::{file, parquet_files, read_all, run, strings};
use polars::prelude::*;
use skillhouse_ingest::{FileOutcome, Input, Layout, Ledger, LedgerStatus, ingest};
use skillhouse_model::{IdNumber, TrainingRejectReason as Reason};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Synthetic trainees, as typed.
struct Trainees {
    p1: String,
    p2: String,
    p3: String,
    p4: String,
    minor: String,
}

fn id(region: &str, birth: chrono::NaiveDate, seq: u16) -> String {
    IdNumber::from_parts(region, birth, seq).expect("synthetic id").expose().to_string()
}

fn trainees() -> Trainees {
    Trainees {
        p1: id("410102", date(1995, 3, 15), 111),
        p2: id("410305", date(1988, 7, 1), 222),
        p3: id("410702", date(2000, 1, 20), 333),
        p4: id("411502", date(1979, 11, 30), 444),
        minor: id("411502", date(2010, 1, 1), 555),
    }
}

/// Every raw ID the training drops use, for the privacy scan.
fn raw_ids() -> Vec<String> {
    let t = trainees();
    vec![t.p1, t.p2, t.p3, t.p4, t.minor]
}

const HEADER: &str = "身份证号,姓名,培训机构代码,班级编号,培训类型,职业编码,专项,是否补贴性培训,培训券编号,组织单位,开班日期,\
                      结业日期,总课时,实操课时,满意度,培训结果";

/// A CSV row in [`HEADER`]'s order from the cells that vary; the name is fictional.
#[allow(clippy::too_many_arguments)]
fn row(
    id: &str,
    provider: &str,
    class: &str,
    kind: &str,
    occupation: &str,
    subsidised: &str,
    voucher: &str,
    start: &str,
    end: &str,
    hours: (&str, &str),
    result: &str,
) -> String {
    format!(
        "{id},虚构学员,{provider},{class},{kind},{occupation},,{subsidised},{voucher},,{start},{end},{},{},,{result}",
        hours.0, hours.1
    )
}

/// A valid row of `person` in `class` with `voucher`.
fn ok(person: &str, class: &str, voucher: &str) -> String {
    row(
        person,
        "",
        class,
        "就业技能培训",
        "6-31-01-03",
        "是",
        voucher,
        "2024-05-06",
        "2024-05-31",
        ("80", "50"),
        "合格",
    )
}

fn csv(rows: &[String]) -> String {
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text
}

const PROVIDERS: &str = "provider_id,name,provider_type,region_code,registered_on\n\
                         P001,虚构企业培训中心,企业,410100,2020-01-01\n\
                         P002,虚构技工学校,院校,410300,2019-09-01\n\
                         P003,虚构线上平台,online,410700,2022-03-01\n";

/// `landing/training/providers.csv` and the given files under `landing/training/`.
fn landing(root: &Path, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let landing = root.join("landing");
    write(&landing.join("training/providers.csv"), PROVIDERS.as_bytes());
    for (path, bytes) in files {
        write(&landing.join("training").join(path), bytes);
    }
    landing
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

fn reasons(pairs: &[(Reason, u64)]) -> BTreeMap<Reason, u64> {
    pairs.iter().copied().collect()
}

/// The one report of a training file.
fn training_file<'a>(report: &'a skillhouse_ingest::BatchReport, path: &str) -> &'a skillhouse_ingest::FileReport {
    let f = file(report, &format!("training/{path}"));
    assert_eq!(f.input, Input::Training, "{path}");
    f
}

/// The reject reason of each rejected row of a file, by source row.
fn rejected_rows(warehouse: &Path, source_file: &str) -> BTreeMap<i64, String> {
    let rejects = read_all(&Layout::new(warehouse).training_rejects_dir());
    let rows = rejects.column("source_row").expect("row").i64().expect("i64").iter().collect::<Vec<_>>();
    strings(&rejects, "source_file")
        .into_iter()
        .zip(strings(&rejects, "reason"))
        .zip(rows)
        .filter(|((f, _), _)| f.as_deref() == Some(source_file))
        .map(|((_, r), n)| (n.unwrap_or(-1), r.unwrap_or_default()))
        .collect()
}

/// The 25-row file of [`every_reason_is_given_in_design_order`]: rows 2–26 as a clerk sees them.
fn reasons_file(t: &Trainees) -> String {
    let bad_check = {
        let mut b = t.p4.clone();
        b.replace_range(17..18, if t.p4.ends_with('1') { "2" } else { "1" });
        b
    };
    let period = ("2024-05-06", "2024-05-31");
    let r = |id: &str, provider: &str, class: &str, kind: &str, occupation: &str, start: &str, end: &str, hours| {
        row(id, provider, class, kind, occupation, "是", "", start, end, hours, "合格")
    };
    let employment = "就业技能培训";
    let electrician = "6-31-01-03";
    let rows = vec![
        /* 2 */
        row(&t.p1, "P001", "C1", employment, electrician, "是", "V1", period.0, period.1, ("80", "50"), "合格"),
        /* 3 */
        row(&t.p2, "", "C1", employment, electrician, "否", "V2", period.0, period.1, ("80", "50"), "不合格"),
        /* 4 missing_field */ r(&t.p3, "", "", employment, electrician, period.0, period.1, ("80", "50")),
        /* 5 missing_field: not a yes/no */
        row(&t.p3, "", "C2", employment, electrician, "也许", "", period.0, period.1, ("80", "50"), "合格"),
        /* 6 id_format */
        r("41010219950315", "", "C2", employment, electrician, period.0, period.1, ("80", "50")),
        /* 7 id_checksum */ r(&bad_check, "", "C2", employment, electrician, period.0, period.1, ("80", "50")),
        /* 8 unknown_training_kind */
        r(&t.p3, "", "C2", "技能培训", electrician, period.0, period.1, ("80", "50")),
        /* 9 unknown_occupation: the kind needs one */
        r(&t.p3, "", "C2", employment, "", period.0, period.1, ("80", "50")),
        /* 10 unknown_occupation: unknown code */
        r(&t.p3, "", "C2", "创业培训", "9-99-99-99", period.0, period.1, ("80", "50")),
        /* 11 date_invalid */ r(&t.p3, "", "C2", employment, electrician, "2024-02-30", period.1, ("80", "50")),
        /* 12 end_before_start */
        r(&t.p3, "", "C2", employment, electrician, "2024-05-20", "2024-05-19", ("80", "50")),
        /* 13 date_future */
        r(&t.p3, "", "C2", employment, electrician, "2025-06-01", "2025-07-01", ("80", "50")),
        /* 14 under_age */ r(&t.minor, "", "C2", employment, electrician, period.0, period.1, ("80", "50")),
        /* 15 provider_mismatch */
        r(&t.p3, "P002", "C2", employment, electrician, period.0, period.1, ("80", "50")),
        /* 16 hours_invalid: not whole */
        r(&t.p3, "", "C2", employment, electrician, period.0, period.1, ("12.5", "5")),
        /* 17 hours_invalid: practical above total */
        r(&t.p3, "", "C2", employment, electrician, period.0, period.1, ("40", "41")),
        /* 18 duplicate_enrolment: p1 again in C1 */
        r(&t.p1, "", "C1", employment, electrician, period.0, period.1, ("80", "50")),
        /* 19 voucher_reused: V1 is row 2's */
        row(&t.p3, "", "C2", employment, electrician, "是", "v1", period.0, period.1, ("80", "50"), "合格"),
        /* 20 accepted: entrepreneurship needs no occupation; 12.0 is whole; dropped */
        row(&t.p3, "Ｐ００１", "C2", "创业培训", "", "0", "V3", period.0, period.1, ("12.0", "0"), "未结业"),
        // Two defects: the first in §16's order wins.
        /* 21 id_checksum before unknown_training_kind */
        r(&bad_check, "", "C3", "技能培训", electrician, period.0, period.1, ("80", "50")),
        /* 22 unknown_training_kind before date_invalid */
        r(&t.p4, "", "C3", "技能培训", electrician, "someday", period.1, ("80", "50")),
        /* 23 date_future before under_age */
        r(&t.minor, "", "C3", employment, electrician, "2025-06-01", "2025-07-01", ("80", "50")),
        /* 24 provider_mismatch before hours_invalid */
        r(&t.p4, "P009", "C3", employment, electrician, period.0, period.1, ("abc", "50")),
        /* 25 duplicate_enrolment before voucher_reused */
        row(&t.p2, "", "C1", employment, electrician, "是", "V1", period.0, period.1, ("80", "50"), "合格"),
        /* 26 missing_field (no result) before id_format */
        row("123", "", "C3", employment, electrician, "是", "", period.0, period.1, ("80", "50"), ""),
    ];
    csv(&rows)
}

#[test]
fn every_reason_is_given_in_design_order() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let unregistered = csv(&[ok(&t.p4, "X1", "")]);
    let landing = landing(
        tmp.path(),
        &[("P001/2024-05.csv", reasons_file(&t).into_bytes()), ("P404/2024-05.csv", unregistered.into_bytes())],
    );
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));

    use Reason::*;
    let f = training_file(&report, "P001/2024-05.csv");
    assert_eq!(f.outcome, FileOutcome::Loaded);
    assert_eq!((f.rows_read, f.rows_accepted, f.rows_rejected), (25, 3, 22));
    let expected = reasons(&[
        (MissingField, 3),
        (IdFormat, 1),
        (IdChecksum, 2),
        (UnknownTrainingKind, 2),
        (UnknownOccupation, 2),
        (DateInvalid, 1),
        (EndBeforeStart, 1),
        (DateFuture, 2),
        (UnderAge, 1),
        (ProviderMismatch, 2),
        (HoursInvalid, 2),
        (DuplicateEnrolment, 2),
        (VoucherReused, 1),
    ]);
    assert_eq!(f.training_rejects_by_reason, expected);
    assert!(f.rejects_by_reason.is_empty(), "no certificate reason for a training file");
    let p404 = training_file(&report, "P404/2024-05.csv");
    assert_eq!(p404.training_rejects_by_reason, reasons(&[(UnknownProvider, 1)]));
    let mut all = expected.clone();
    all.insert(UnknownProvider, 1);
    assert_eq!(all.keys().copied().collect::<Vec<_>>(), Reason::ALL.to_vec(), "every reason appears");

    // Row by row, as a clerk numbers them (header = line 1).
    let by_row = rejected_rows(&warehouse, "training/P001/2024-05.csv");
    let want = [
        (4, MissingField),
        (5, MissingField),
        (6, IdFormat),
        (7, IdChecksum),
        (8, UnknownTrainingKind),
        (9, UnknownOccupation),
        (10, UnknownOccupation),
        (11, DateInvalid),
        (12, EndBeforeStart),
        (13, DateFuture),
        (14, UnderAge),
        (15, ProviderMismatch),
        (16, HoursInvalid),
        (17, HoursInvalid),
        (18, DuplicateEnrolment),
        (19, VoucherReused),
        (21, IdChecksum),
        (22, UnknownTrainingKind),
        (23, DateFuture),
        (24, ProviderMismatch),
        (25, DuplicateEnrolment),
        (26, MissingField),
    ];
    let want: BTreeMap<i64, String> = want.iter().map(|(n, r)| (*n, r.code().to_string())).collect();
    assert_eq!(by_row, want);

    // The accepted rows, with the registry's provider type and region and the certificates' pseudonym.
    let layout = Layout::new(&warehouse);
    let training = read_all(&layout.training_dir());
    assert_eq!(training.height(), 3);
    let names: Vec<String> = training.get_column_names().iter().map(|s| s.to_string()).collect();
    let schema: Vec<&str> = skillhouse_model::schema::TRAINING_COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, schema, "columns in the schema's order");
    assert!(layout.training_year_dir(2024).is_dir(), "Hive partition end_year=2024");
    let key = fixtures::key();
    let p1_key = key.person_key(&IdNumber::parse(&t.p1).expect("id"));
    let keys = strings(&training, "person_key");
    let at = keys.iter().position(|k| k.as_deref() == Some(p1_key.as_str())).expect("p1 accepted");
    let get = |name: &str| strings(&training, name)[at].clone();
    assert_eq!(get("provider_id").as_deref(), Some("P001"));
    assert_eq!(get("provider_type").as_deref(), Some("enterprise"));
    assert_eq!(get("region_code").as_deref(), Some("410100"));
    assert_eq!(get("training_kind").as_deref(), Some("employment"));
    assert_eq!(get("voucher_no").as_deref(), Some("V1"));
    assert_eq!(get("result").as_deref(), Some("passed"));
    assert_eq!(get("source_file").as_deref(), Some("training/P001/2024-05.csv"));
    let results: Vec<Option<String>> = strings(&training, "result");
    assert!(results.contains(&Some("dropped".into())) && results.contains(&Some("failed".into())));

    // The ledger: one training row per file, rows conserved, reasons by code.
    let ledger = Ledger::load(&layout).expect("ledger");
    for entry in ledger.entries() {
        assert_eq!((entry.input, entry.status), (Input::Training, LedgerStatus::Loaded), "{}", entry.source_file);
        let (read, accepted, rejected) = (entry.rows_read, entry.rows_accepted, entry.rows_rejected);
        assert_eq!(read, Some(accepted.unwrap_or(-1) + rejected.unwrap_or(-1)), "{}", entry.source_file);
        assert_eq!(entry.rejects_by_reason.values().sum::<i64>(), rejected.unwrap_or(-1));
    }
    let p001 = ledger.entries().iter().find(|e| e.agency_id == "P001").expect("P001's entry");
    assert_eq!(p001.rejects_by_reason.get("duplicate_enrolment"), Some(&2));
    assert!(layout.providers_path().is_file(), "the provider registry is kept");
    let totals = report.totals(Input::Training);
    assert_eq!((totals.files_loaded, totals.rows_read, totals.rows_rejected), (2, 26, 23));
    assert_eq!(report.rows_read(), 0, "no certificate rows");
    assert!(report.is_partly_rejected());
}

/// The same three trainees in every format: GBK with header aliases and full-width digits, UTF-8 with BOM and
/// English headers, a workbook with title and notes rows and spreadsheet dates, JSON Lines with numbers.
#[test]
fn every_format_and_encoding_is_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let full_width = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap_or(c) } else { c })
            .collect()
    };
    let gbk_text = format!(
        "河南省补贴性职业技能培训学员花名册\n\
         公民身份号码,培训班号,培训类别,职业代码,补贴性培训,电子培训券号,组织单位类型,培训开始日期,培训结束日期,培训课时,实操课时,\
         满意度,结业情况\n\
         {},G1,岗位技能提升培训,6-31-01-03,是,GV1,团组织,2024年5月6日,2024/5/31,４８,３０,８５％,合格\n\
         {},G1,企业新型学徒制,6-18-02-04,否,,妇联,20240506,2024.05.31,48,29,不满意,合格\n",
        full_width(&t.p1),
        t.p2
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&gbk_text);
    assert!(!unmappable);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(
        format!(
            "id_number,class_id,training_kind,occupation_code,subsidised,voucher_no,organiser,start_date,end_date,\
             hours_total,hours_practical,satisfaction,result\n\
             {},E1,gold_collar,4-10-01-05,yes,EV1,youth_league,2024-06-01,2024-06-20,60,36,100,passed\n",
            t.p3
        )
        .as_bytes(),
    );
    let jsonl = [serde_json::json!({"身份证号": t.p4, "班级编号": "J1", "培训类型": "高技能人才“金蓝领”培训",
            "职业编码": "6-31-01-03", "是否补贴性培训": 1, "开班日期": "2024-08-01", "结业日期": 20240820,
            "总课时": 40, "实操课时": 24.0, "满意度": 88.5, "培训结果": "dropped"})]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let landing = landing(
        tmp.path(),
        &[
            ("P002/2024-05.csv", gbk.into_owned()),
            ("P002/2024-06.csv", bom),
            ("P002/2024-07.xlsx", workbook(&t)),
            ("P003/2024-08.jsonl", jsonl.into_bytes()),
        ],
    );
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    for (path, encoding, read, accepted) in [
        ("P002/2024-05.csv", "gbk", 2, 2),
        ("P002/2024-06.csv", "utf-8-bom", 1, 1),
        ("P002/2024-07.xlsx", "binary", 2, 2),
        ("P003/2024-08.jsonl", "utf-8", 1, 1),
    ] {
        let f = training_file(&report, path);
        assert_eq!(f.outcome, FileOutcome::Loaded, "{path}");
        assert_eq!((f.encoding.as_str(), f.rows_read, f.rows_accepted), (encoding, read, accepted), "{path}: {f:?}");
    }
    let training = read_all(&Layout::new(&warehouse).training_dir());
    let key = fixtures::key();
    let row_of = |person: &str, class: &str| -> usize {
        let person_key = key.person_key(&IdNumber::parse(person).expect("id"));
        let keys = strings(&training, "person_key");
        let classes = strings(&training, "class_id");
        (0..training.height())
            .find(|i| keys[*i].as_deref() == Some(person_key.as_str()) && classes[*i].as_deref() == Some(class))
            .unwrap_or_else(|| panic!("no row of class {class}"))
    };
    let text = |name: &str, i: usize| strings(&training, name)[i].clone();
    let int = |name: &str, i: usize| training.column(name).expect("col").i32().expect("i32").get(i);
    let float = |name: &str, i: usize| training.column(name).expect("col").f64().expect("f64").get(i);
    let day = |name: &str, i: usize| {
        training
            .column(name)
            .expect("col")
            .cast(&DataType::String)
            .expect("text")
            .str()
            .expect("str")
            .get(i)
            .map(str::to_string)
    };
    let flag = |i: usize| training.column("subsidised").expect("col").bool().expect("bool").get(i);
    // GBK: full-width ID and hours, 85％, 团组织; the second row's organiser and satisfaction are no value.
    let g = row_of(&t.p1, "G1");
    assert_eq!(
        (int("hours_total", g), int("hours_practical", g), float("satisfaction", g)),
        (Some(48), Some(30), Some(85.0))
    );
    assert_eq!(
        (text("organiser", g), text("training_kind", g), flag(g)),
        (Some("youth_league".into()), Some("upskilling".into()), Some(true))
    );
    assert_eq!((day("start_date", g), day("end_date", g)), (Some("2024-05-06".into()), Some("2024-05-31".into())));
    let g2 = row_of(&t.p2, "G1");
    assert_eq!((text("organiser", g2), float("satisfaction", g2), flag(g2)), (None, None, Some(false)));
    assert_eq!(text("training_kind", g2).as_deref(), Some("apprenticeship"));
    // BOM, English headers.
    let e = row_of(&t.p3, "E1");
    assert_eq!((text("training_kind", e), text("region_code", e)), (Some("gold_collar".into()), Some("410300".into())));
    // The workbook: serial and date cells, numeric hours, a legacy 15-digit ID in a number cell.
    let w = row_of(&t.p4, "W1");
    assert_eq!((day("start_date", w), day("end_date", w)), (Some("2024-07-01".into()), Some("2024-07-19".into())));
    assert_eq!((int("hours_total", w), int("hours_practical", w)), (Some(64), Some(40)));
    let legacy = IdNumber::from_parts("410102", date(1975, 2, 2), 405).expect("id");
    let l = row_of(legacy.expose(), "W1");
    assert_eq!(text("result", l).as_deref(), Some("failed"));
    // JSON Lines: numbers for hours and the yes/no.
    let j = row_of(&t.p4, "J1");
    assert_eq!(
        (int("hours_practical", j), flag(j), text("training_kind", j)),
        (Some(24), Some(true), Some("gold_collar".into()))
    );
    assert_eq!((day("end_date", j), text("provider_type", j)), (Some("2024-08-20".into()), Some("online".into())));
}

/// P002/2024-07.xlsx: a merged title row, a blank row, the header on row 3, a serial-number date, a date cell,
/// numbers for hours and a legacy ID, and 填表人/备注 rows below the data.
fn workbook(t: &Trainees) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let legacy = IdNumber::from_parts("410102", date(1975, 2, 2), 405).expect("id").legacy15().expect("1900s");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let result: Result<(), rust_xlsxwriter::XlsxError> = (|| {
        sheet.merge_range(0, 0, 0, 9, "虚构技工学校2024年7月培训学员名册", &Format::new())?;
        let header = [
            "身份证号",
            "班级编号",
            "培训类型",
            "职业编码",
            "是否补贴性培训",
            "开班日期",
            "结业日期",
            "总课时",
            "实操课时",
            "培训结果",
        ];
        for (col, h) in header.iter().enumerate() {
            sheet.write_string(2, col as u16, *h)?;
        }
        for (r, (person, number_id, result)) in
            [(t.p4.as_str(), false, "合格"), (legacy.as_str(), true, "不合格")].iter().enumerate()
        {
            let r = 3 + r as u32;
            if *number_id {
                sheet.write_number(r, 0, person.parse::<f64>().expect("digits"))?;
            } else {
                sheet.write_string(r, 0, *person)?;
            }
            sheet.write_string(r, 1, "W1")?;
            sheet.write_string(r, 2, "就业技能培训")?;
            sheet.write_string(r, 3, "6-31-01-03")?;
            sheet.write_string(r, 4, "是")?;
            sheet.write_number(r, 5, 45474.0)?; // 2024-07-01 as a serial number
            sheet.write_datetime_with_format(r, 6, ExcelDateTime::from_ymd(2024, 7, 19)?, &date_format)?;
            sheet.write_number(r, 7, 64.0)?;
            sheet.write_number(r, 8, 40.0)?;
            sheet.write_string(r, 9, *result)?;
        }
        sheet.write_string(7, 0, "填表人：虚构员")?;
        sheet.write_string(8, 0, "备注：本表为测试数据")?;
        Ok(())
    })();
    result.expect("workbook");
    book.save_to_buffer().expect("xlsx bytes")
}

#[test]
fn duplicate_enrolments_and_reused_vouchers_across_files_and_batches() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let landing = landing(
        tmp.path(),
        &[
            ("P001/2024-05.csv", csv(&[ok(&t.p1, "C1", "V1"), ok(&t.p2, "C1", "V2")]).into_bytes()),
            // p1 again in P001's class C1 (another month's file): a duplicate; in P002's class C1: another class.
            // V2 again, in another provider's file: reused.
            ("P001/2024-06.csv", csv(&[ok(&t.p1, "c1", ""), ok(&t.p3, "C9", "")]).into_bytes()),
            ("P002/2024-06.csv", csv(&[ok(&t.p1, "C1", ""), ok(&t.p4, "C5", "v2")]).into_bytes()),
        ],
    );
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let counts = |f: &skillhouse_ingest::FileReport| (f.rows_accepted, f.training_rejects_by_reason.clone());
    assert_eq!(counts(training_file(&report, "P001/2024-05.csv")), (2, reasons(&[])));
    assert_eq!(counts(training_file(&report, "P001/2024-06.csv")), (1, reasons(&[(Reason::DuplicateEnrolment, 1)])));
    assert_eq!(counts(training_file(&report, "P002/2024-06.csv")), (1, reasons(&[(Reason::VoucherReused, 1)])));

    // A later batch: the warehouse's enrolments and vouchers count as earlier files.
    write(&landing.join("training/P003/2024-07.csv"), csv(&[ok(&t.p2, "C1", "V1"), ok(&t.p3, "C7", "")]).as_bytes());
    write(&landing.join("training/P001/2024-07.csv"), csv(&[ok(&t.p2, "C1", "V8")]).as_bytes());
    let next = run(&fixtures::options(&warehouse, vec![landing]));
    assert_eq!(counts(training_file(&next, "P003/2024-07.csv")), (1, reasons(&[(Reason::VoucherReused, 1)])));
    assert_eq!(counts(training_file(&next, "P001/2024-07.csv")), (0, reasons(&[(Reason::DuplicateEnrolment, 1)])));
    assert_eq!(next.totals(Input::Training).files_skipped, 3, "the first batch's files are not read again");
}

#[test]
fn a_correction_replaces_its_slice_and_frees_its_vouchers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let landing = landing(
        tmp.path(),
        &[("P001/2024-05.csv", csv(&[ok(&t.p1, "C1", "V1"), ok(&t.p2, "C1", "V2"), ok(&t.p3, "C1", "")]).into_bytes())],
    );
    let warehouse = tmp.path().join("warehouse");
    run(&fixtures::options(&warehouse, vec![landing.clone()]));

    // The correction keeps p1 with V1 (not a duplicate of the row it replaces), drops p2 and so frees V2, which a
    // later file of the same batch uses.
    write(&landing.join("training/P001/2024-05.csv"), csv(&[ok(&t.p1, "C1", "V1"), ok(&t.p4, "C1", "")]).as_bytes());
    write(&landing.join("training/P002/2024-06.csv"), csv(&[ok(&t.p2, "D1", "V2")]).as_bytes());
    let second = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let corrected = training_file(&second, "P001/2024-05.csv");
    assert_eq!((corrected.rows_read, corrected.rows_accepted), (2, 2), "{corrected:?}");
    assert_eq!(corrected.superseded, vec!["training/P001/2024-05.csv".to_string()]);
    let later = training_file(&second, "P002/2024-06.csv");
    assert_eq!((later.rows_accepted, later.rows_rejected), (1, 0), "V2 was freed by the correction: {later:?}");
    assert_eq!(second.totals(Input::Training).files_superseded, 1);
    assert_eq!(second.files_superseded(), 0, "no certificate file was superseded");

    let layout = Layout::new(&warehouse);
    let training = read_all(&layout.training_dir());
    assert_eq!(training.height(), 3, "the old slice's three rows left, the correction's two and P002's one came");
    let ledger = Ledger::load(&layout).expect("ledger");
    let slice: Vec<_> = ledger.entries().iter().filter(|e| e.agency_id == "P001").collect();
    assert_eq!(slice.iter().map(|e| e.status).collect::<Vec<_>>(), [LedgerStatus::Superseded, LedgerStatus::Loaded]);
    assert_eq!(slice[0].superseded_by.as_deref(), Some(slice[1].content_hash.as_str()));

    // P002 withdraws its June: its row leaves and V2 is free again for a file later in the same batch.
    write(&landing.join("training/P002/2024-06.withdraw"), b"");
    write(&landing.join("training/P003/2024-07.csv"), csv(&[ok(&t.p2, "E1", "V2")]).as_bytes());
    let third = run(&fixtures::options(&warehouse, vec![landing]));
    assert_eq!(
        training_file(&third, "P002/2024-06.withdraw").superseded,
        vec!["training/P002/2024-06.csv".to_string()]
    );
    let freed = training_file(&third, "P003/2024-07.csv");
    assert_eq!((freed.rows_accepted, freed.rows_rejected), (1, 0), "{freed:?}");
    let training = read_all(&layout.training_dir());
    let files = strings(&training, "source_file");
    assert!(!files.contains(&Some("training/P002/2024-06.csv".to_string())), "the withdrawn month's rows left");
    assert_eq!(training.height(), 3, "the correction's two rows and P003's one");
}

#[test]
fn a_rerun_skips_what_is_loaded() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let landing = landing(tmp.path(), &[("P001/2024-05.csv", csv(&[ok(&t.p1, "C1", "V1")]).into_bytes())]);
    let warehouse = tmp.path().join("warehouse");
    let first = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    let second = run(&fixtures::options(&warehouse, vec![landing]));
    assert_eq!(first.totals(Input::Training).files_loaded, 1);
    let totals = second.totals(Input::Training);
    assert_eq!((totals.files_skipped, totals.files_loaded, totals.rows_read), (1, 0, 0));
    assert!(!second.is_partly_rejected());
    let layout = Layout::new(&warehouse);
    assert_eq!(read_all(&layout.training_dir()).height(), 1, "never counted twice");
    assert_eq!(Ledger::load(&layout).expect("ledger").entries().len(), 1);
}

#[test]
fn an_unreadable_file_is_rejected_whole_and_the_others_go_on() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let no_class = format!(
        "身份证号,培训类型,是否补贴性培训,开班日期,结业日期,总课时,实操课时,培训结果\n{},就业技能培训,是,2024-05-01,2024-05-02,8,4,合格\n",
        t.p1
    );
    let landing = landing(
        tmp.path(),
        &[
            ("P001/2024-05.csv", no_class.into_bytes()),
            ("P001/2024-06.xlsx", b"not a workbook".to_vec()),
            ("P002/2024-05.csv", csv(&[ok(&t.p2, "C1", "")]).into_bytes()),
        ],
    );
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    match &training_file(&report, "P001/2024-05.csv").outcome {
        FileOutcome::Unreadable { message } => assert!(message.contains("班级编号 (class_id)"), "{message}"),
        other => panic!("expected unreadable, got {other:?}"),
    }
    assert!(matches!(training_file(&report, "P001/2024-06.xlsx").outcome, FileOutcome::Unreadable { .. }));
    assert_eq!(training_file(&report, "P002/2024-05.csv").rows_accepted, 1);
    let ledger = Ledger::load(&Layout::new(&warehouse)).expect("ledger");
    let unreadable: Vec<_> = ledger.entries().iter().filter(|e| e.status == LedgerStatus::Unreadable).collect();
    assert_eq!(unreadable.len(), 2);
    assert!(unreadable.iter().all(|e| e.rows_read.is_none() && e.input == Input::Training && e.message.is_some()));
    assert_eq!(report.totals(Input::Training).files_unreadable, 2);
}

#[test]
fn a_broken_provider_registry_stops_the_batch_before_any_file() {
    let t = trainees();
    for (registry, what) in [
        ("provider_id,name,provider_type,region_code\nP001,虚构,政府,410100\n", "provider type"),
        ("provider_id,name,provider_type,region_code\nP001,虚构,企业,110000\n", "reporting unit"),
        ("编号,名称\nP001,虚构\n", "no header"),
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        let landing = landing(tmp.path(), &[("P001/2024-05.csv", csv(&[ok(&t.p1, "C1", "")]).into_bytes())]);
        write(&landing.join("training/providers.csv"), registry.as_bytes());
        let warehouse = tmp.path().join("warehouse");
        match ingest(&fixtures::options(&warehouse, vec![landing]), &skillhouse_ingest::NoProgress) {
            Err(e) => {
                assert!(e.is_reference(), "{e}");
                let message = e.to_string();
                assert!(message.contains("providers.csv") && message.contains(what), "{message}");
                assert!(message.contains("nothing was ingested"), "{message}");
            }
            Ok(_) => panic!("a broken registry ({what}) was accepted"),
        }
        assert!(parquet_files(&Layout::new(&warehouse).training_dir()).is_empty(), "{what}: nothing written");
        let ledger = Ledger::load(&Layout::new(&warehouse)).expect("ledger");
        assert!(ledger.entries().is_empty(), "{what}: no file recorded");
    }
}

/// `training/` is not an agency: the certificate reader leaves it alone, and an agency and a provider with the
/// same code and month are two slices.
#[test]
fn the_certificate_reader_leaves_training_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let landing = fixtures::landing_copy(tmp.path());
    // A provider named like an agency (A001), same month as the agency's certificates.
    write(
        &landing.join("training/providers.csv"),
        format!("{PROVIDERS}A001,虚构同码机构,公共实训基地,410200,2021-01-01\n").as_bytes(),
    );
    write(&landing.join("training/A001/2024-05.csv"), csv(&[ok(&t.p1, "C1", "")]).as_bytes());
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing.clone()]));
    assert!(report.files.iter().all(|f| !f.source_file.starts_with("training/") || f.input == Input::Training));
    assert!(!report.files.iter().any(|f| f.agency_id == "training"), "no agency called training");
    assert!(report.ignored.iter().all(|e| !e.path.starts_with("training")), "{:?}", report.ignored);
    assert_eq!(report.files_loaded(), 6, "the six certificate files");
    assert_eq!(report.totals(Input::Training).files_loaded, 1);
    assert_eq!(training_file(&report, "A001/2024-05.csv").rows_accepted, 1);
    assert_eq!(file(&report, "A001/2024-05.csv").input, Input::Certificates);

    // Correcting the training slice A001/2024-05 leaves the certificate slice of the same code and month alone.
    write(&landing.join("training/A001/2024-05.csv"), csv(&[ok(&t.p2, "C1", "")]).as_bytes());
    let second = run(&fixtures::options(&warehouse, vec![landing.join("training")]));
    assert_eq!(training_file(&second, "A001/2024-05.csv").superseded, vec!["training/A001/2024-05.csv".to_string()]);
    let layout = Layout::new(&warehouse);
    let ledger = Ledger::load(&layout).expect("ledger");
    let slice = |input| {
        ledger.entries().iter().filter(move |e| e.input == input && e.agency_id == "A001" && e.period == "2024-05")
    };
    assert_eq!(slice(Input::Certificates).map(|e| e.status).collect::<Vec<_>>(), [LedgerStatus::Loaded]);
    assert_eq!(
        slice(Input::Training).map(|e| e.status).collect::<Vec<_>>(),
        [LedgerStatus::Superseded, LedgerStatus::Loaded]
    );
    let certificates = read_all(&layout.certificates_dir());
    let from_may =
        strings(&certificates, "source_file").iter().filter(|s| s.as_deref() == Some("A001/2024-05.csv")).count();
    assert_eq!(from_may as u64, file(&report, "A001/2024-05.csv").rows_accepted, "the certificates stay");
    // The provider's region comes from the provider registry, not the agency registry.
    let training = read_all(&layout.training_dir());
    assert_eq!(strings(&training, "region_code"), vec![Some("410200".to_string())]);
}

#[test]
fn no_raw_id_in_any_parquet_file_with_training() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = trainees();
    let landing = landing(
        tmp.path(),
        &[("P001/2024-05.csv", reasons_file(&t).into_bytes()), ("P002/2024-07.xlsx", workbook(&t))],
    );
    let warehouse = tmp.path().join("warehouse");
    run(&fixtures::options(&warehouse, vec![landing]));
    let mut ids = raw_ids();
    ids.push(IdNumber::from_parts("410102", date(1975, 2, 2), 405).expect("id").legacy15().expect("legacy"));
    let files = parquet_files(&warehouse);
    assert!(files.iter().any(|p| p.starts_with(warehouse.join("training_rejects"))), "{files:?}");
    let mut cells = 0usize;
    for path in files {
        let frame = skillhouse_ingest::read_parquet(&path, None).expect("parquet");
        for column in frame.columns() {
            let text = column.cast(&DataType::String).expect("as text");
            for value in text.str().expect("str").iter().flatten() {
                cells += 1;
                for id in &ids {
                    assert!(!value.contains(id.as_str()), "{}: raw ID in column {}", path.display(), column.name());
                }
                assert!(id_like(value).is_empty(), "{}: ID-like value in {}", path.display(), column.name());
                assert!(!value.contains("虚构学员"), "{}: a name in {}", path.display(), column.name());
            }
        }
    }
    assert!(cells > 300, "the scan looked at {cells} cells");
}
