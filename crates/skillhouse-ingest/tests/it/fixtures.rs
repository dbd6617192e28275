//! The committed fixture drop (`tests/fixtures/`), generated from synthetic IDs (`IdNumber::from_parts`, valid
//! checksums, fictional 虚构 names). `SKILLHOUSE_REGENERATE_FIXTURES=1 cargo test -p skillhouse-ingest fixtures`
//! rewrites the files; otherwise a test checks the committed bytes still match this generator.
//!
//! Expected outcome per file (as_of 2025-06-30):
//! - A001/2024-05.csv (UTF-8, title line, blank line, notes rows): 22 rows, 7 accepted, 15 rejected — one of each
//!   reason but unknown_agency; its last row is a repeated claim of its first (flagged, accepted).
//! - A001/2024-06.csv (UTF-8 with BOM, English headers): 3 rows, 2 accepted, 1 missing_field.
//! - A002/2024-05.csv (GBK, other header spellings): 3 rows, 2 accepted, 1 duplicate_cert_no (A001 was first).
//! - A002/2024-06.xlsx (built at test time, see [`xlsx_fixture`]): 3 rows, 2 accepted, 1 under_age.
//! - A003/2024-05.jsonl: 3 rows, 2 accepted, 1 unknown_level.
//! - A404/2024-05.csv (agency not registered): 1 row, 1 unknown_agency.

use chrono::NaiveDate;
use skillhouse_ingest::IngestOptions;
use skillhouse_model::{IdNumber, PseudonymKey};
use std::path::{Path, PathBuf};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn as_of() -> NaiveDate {
    date(2025, 6, 30)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

pub fn key() -> PseudonymKey {
    PseudonymKey::from_bytes(&[0x42; 32]).expect("key")
}

pub fn options(warehouse: &Path, paths: Vec<PathBuf>) -> IngestOptions {
    IngestOptions::new(warehouse, paths, key(), as_of(), fixtures_dir().join("reference"))
}

fn id(region: &str, birth: NaiveDate, seq: u16) -> String {
    IdNumber::from_parts(region, birth, seq).expect("synthetic id").expose().to_string()
}

/// The synthetic persons of the fixtures, as typed by clerks.
pub struct Persons {
    pub p1: String,
    pub p2: String,
    pub minor: String,
    pub legacy15: String,
    pub lower_x: String,
    pub p6: String,
    pub p7: String,
}

pub fn persons() -> Persons {
    let legacy = IdNumber::from_parts("410102", date(1975, 2, 2), 405).expect("id");
    let lower_x = (500..1000)
        .map(|s| id("410702", date(1995, 9, 9), s))
        .find(|i| i.ends_with('X'))
        .expect("an ID with check character X")
        .to_lowercase();
    Persons {
        p1: id("410102", date(1990, 3, 15), 101),
        p2: id("410305", date(1980, 7, 1), 202),
        minor: id("411502", date(2010, 1, 1), 303),
        legacy15: legacy.legacy15().expect("born in the 1900s"),
        lower_x,
        p6: id("410204", date(1999, 12, 31), 606),
        p7: id("410811", date(1985, 4, 4), 707),
    }
}

/// Every raw ID number used anywhere in the fixtures (for the privacy scan), normalised and as typed.
pub fn all_raw_ids() -> Vec<String> {
    let p = persons();
    let mut out = vec![p.p1.clone(), p.p2, p.minor, p.legacy15.clone(), p.lower_x.clone(), p.p6, p.p7];
    out.push(IdNumber::parse(&p.legacy15).expect("legacy").expose().to_string());
    out.push(p.lower_x.to_uppercase());
    let mut bad = p.p1.clone();
    bad.replace_range(17..18, if p.p1.ends_with('1') { "2" } else { "1" });
    out.push(bad);
    out
}

/// A 22-character skill-level certificate number for year `yy`, level digit `level`, serial `serial`.
pub fn sl(yy: u32, level: u32, serial: u32) -> String {
    format!("Y000141000001{yy:02}{level}{serial:06}")
}

const SL: &str = "职业技能等级证书";

fn csv(lines: &[Vec<String>]) -> String {
    lines.iter().map(|l| l.join(",")).collect::<Vec<_>>().join("\n") + "\n"
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_string()).collect()
}

/// `(landing-relative path, bytes)` of every committed fixture file.
pub fn committed_files() -> Vec<(String, Vec<u8>)> {
    let p = persons();
    let mut bad_check = p.p1.clone();
    bad_check.replace_range(17..18, if p.p1.ends_with('1') { "2" } else { "1" });
    let header = row(&[
        "序号",
        "姓名",
        "身份证号",
        "证书编号",
        "证书类型",
        "职业编码",
        "职业名称",
        "等级",
        "发证日期",
        "评价机构代码",
        "专项",
    ]);
    let r =
        |n: &str, name: &str, id: &str, cert: &str, kind: &str, occ: &str, level: &str, date: &str, agency: &str| {
            row(&[n, name, id, cert, kind, occ, "", level, date, agency, ""])
        };
    let mut a001_05 = vec![row(&["虚构评价机构2024年5月职业技能等级证书发放名册"]), header.clone()];
    a001_05.extend([
        row(&[
            "1",
            "虚构甲",
            &p.p1,
            &sl(24, 3, 1),
            SL,
            "6-31-01-03",
            "电工",
            "三级/高级工",
            "2024-05-10",
            "A001",
            "先进制造业",
        ]),
        r("2", "虚构乙", &p.p2, "2024410000000001", "职业资格证书", "6-18-02-04", "四级", "2024/5/11", "A001"),
        r("3", "虚构丙", &format!(" {} ", p.legacy15), "PX-2024-0001", "培训合格证书", "", "", "20240512", ""),
        r("4", "虚构丁", &p.lower_x, "TZ-2024-0001", "特种作业操作证", "", "", "2024年5月13日", ""),
        row(&[""]),
        r("5", "虚构戊", &p.p6, &sl(24, 2, 2), SL, "4-10-01-06", "二级/技师", "2024.05.14", "Ａ００１"),
        r("6", "虚构己", &p.p7, "SX-2024-0001", SL, "6-31-01-03", "首席技师", "2024-05-15", "A001"),
        r("7", "虚构庚", "", &sl(24, 3, 3), SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("8", "虚构辛", "41010219900315123", &sl(24, 3, 4), SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("9", "虚构壬", &bad_check, &sl(24, 3, 5), SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("10", "虚构癸", &p.p2, "RY-2024-0001", "荣誉证书", "", "", "2024-05-16", "A001"),
        r("11", "虚构子", &p.p2, &sl(24, 3, 6), SL, "6-31-01-03", "六级", "2024-05-16", "A001"),
        r("12", "虚构丑", &p.p2, &sl(24, 3, 7), SL, "9-99-99-99", "三级", "2024-05-16", "A001"),
        r("13", "虚构寅", &p.p6, &sl(24, 1, 8), SL, "4-10-01-06", "一级", "2024-05-16", "A001"),
        r("14", "虚构卯", &p.p2, &sl(24, 3, 9), SL, "6-31-01-03", "三级", "2024-02-30", "A001"),
        r("15", "虚构辰", &p.p2, &sl(25, 3, 10), SL, "6-31-01-03", "三级", "2025-07-01", "A001"),
        r("16", "虚构巳", &p.minor, &sl(24, 3, 11), SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("17", "虚构午", &p.p2, &sl(24, 3, 12), SL, "6-31-01-03", "三级", "2024-05-16", "A999"),
        r("18", "虚构未", &p.p2, "Y123", SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("19", "虚构申", &p.p2, &sl(23, 3, 13), SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("20", "虚构酉", &p.p2, &sl(24, 4, 14), SL, "6-31-01-03", "三级", "2024-05-16", "A001"),
        r("21", "虚构戌", &p.p2, &sl(24, 3, 1), SL, "6-31-01-03", "三级", "2024-05-20", "A001"),
        r("22", "虚构甲", &p.p1, &sl(24, 3, 15), SL, "6-31-01-03", "高级工", "2024-05-25", "A001"),
        row(&["填表人：虚构员", "", "", "", "", "", "", "", "", "", ""]),
        row(&["备注：本表为测试数据"]),
    ]);
    let a001_06 = csv(&[
        row(&["id_number", "name", "cert_no", "cert_type", "occupation_code", "level", "issue_date"]),
        row(&[&p.p1, "虚构甲", &sl(24, 4, 16), "skill_level", "6-18-02-04", "l4", "2024-06-01"]),
        row(&[&p.p6, "虚构戊", "ZX-2024-0001", "special_competence", "", "", "2024-06-02"]),
        row(&[&p.p7, "虚构己", "PX-2024-0005", "training", "", "", ""]),
    ]);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(a001_06.as_bytes());
    let a002_05 = csv(&[
        row(&["姓名", "公民身份号码", "证书号", "证书种类", "职业代码", "技能等级", "颁证日期"]),
        row(&["虚构乙", &p.p2, &sl(24, 5, 20), SL, "4-03-02-01", "五级/初级工", "2024-05-03"]),
        row(&["虚构戊", &p.p6, "2024410000000001", "职业资格证书", "6-18-02-04", "四级", "2024-05-04"]),
        row(&["虚构己", &p.p7, "PX-2024-0002", "培训合格证书", "", "", "2024-05-05"]),
    ]);
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&a002_05);
    assert!(!unmappable);
    let jsonl = [
        serde_json::json!({"身份证号": p.p7, "姓名": "虚构己", "证书编号": sl(24, 3, 40), "证书类型": "skill_level",
            "职业编码": "4-10-01-05", "等级": "l3", "发证日期": "2024-05-06", "专项": "2.1"}),
        serde_json::json!({"身份证号": p.lower_x.to_uppercase(), "证书编号": "ZX-2024-0002",
            "证书类型": "专项职业能力证书", "发证日期": 20240507}),
        serde_json::json!({"身份证号": p.p1, "证书编号": "PX-2024-0004", "证书类型": "training", "等级": "五级",
            "发证日期": "2024-05-08"}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("\n")
        + "\n";
    let a404 = csv(&[
        row(&["身份证号", "证书编号", "证书类型", "职业编码", "等级", "发证日期"]),
        row(&[&p.p2, &sl(24, 3, 50), SL, "6-31-01-03", "三级", "2024-05-09"]),
    ]);
    let registry = "agency_id,name,agency_type,region_code,registered_on\n\
                    A001,虚构企业评价机构,企业,410100,2021-03-01\n\
                    A002,虚构技工学校,院校,410300,2020-09-01\n\
                    A003,虚构社会评价组织,social,410700,2022-01-15\n";
    let occupations = "occupation_code,name_zh,name_en,major_group,min_level,max_level,programme\n\
                       6-31-01-03,电工,Electrician,6,l5,l1,1\n\
                       6-18-02-04,焊工,Welder,6,l5,l1,1\n\
                       4-03-02-01,中式烹调师,Chinese cuisine cook,4,l5,l1,2.4\n\
                       4-10-01-05,养老护理员,Elderly care worker,4,l5,l1,2.1\n\
                       4-10-01-06,家政服务员,Domestic service worker,4,l5,l2,2.1\n";
    let aliases = "# Fixture aliases: DESIGN §4 spellings plus one custom spelling per test.\n[fields]\n\
                   id_number = [\"身份证号\", \"身份证号码\", \"公民身份号码\", \"证件号码\", \"持证人证件号\"]\n\
                   name = [\"姓名\"]\ncert_no = [\"证书编号\", \"证书号\"]\ncert_type = [\"证书类型\", \"证书种类\"]\n\
                   occupation_code = [\"职业编码\", \"职业代码\"]\noccupation_name = [\"职业名称\", \"职业（工种）\"]\n\
                   level = [\"等级\", \"技能等级\", \"职业技能等级\"]\nissue_date = [\"发证日期\", \"发证时间\", \"颁证日期\"]\n\
                   agency_id = [\"评价机构代码\", \"机构代码\"]\nprogramme = [\"专项\", \"培训专项\"]\n";
    vec![
        ("reference/occupations.csv".into(), occupations.as_bytes().to_vec()),
        ("reference/header_aliases.toml".into(), aliases.as_bytes().to_vec()),
        ("landing/agencies.csv".into(), registry.as_bytes().to_vec()),
        ("landing/A001/2024-05.csv".into(), csv(&a001_05).into_bytes()),
        ("landing/A001/2024-06.csv".into(), bom),
        ("landing/A002/2024-05.csv".into(), gbk.into_owned()),
        ("landing/A003/2024-05.jsonl".into(), jsonl.into_bytes()),
        ("landing/A404/2024-05.csv".into(), a404.into_bytes()),
    ]
}

/// A002/2024-06.xlsx: merged title row, blank row, header on row 3, a numeric legacy ID, a date cell, a serial
/// number date, an under-age row, and 填表人/备注 rows below the data.
pub fn xlsx_fixture() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let p = persons();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let title = Format::new().set_bold();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let result: Result<(), rust_xlsxwriter::XlsxError> = (|| {
        sheet.merge_range(0, 0, 0, 7, "虚构技工学校2024年6月证书发放名册", &title)?;
        for (col, h) in
            ["序号", "姓名", "身份证号", "证书编号", "证书类型", "职业编码", "等级", "发证日期"].iter().enumerate()
        {
            sheet.write_string(2, col as u16, *h)?;
        }
        sheet.write_number(3, 0, 1)?;
        sheet.write_string(3, 1, "虚构丁")?;
        sheet.write_number(3, 2, p.legacy15.parse::<f64>().expect("digits"))?;
        sheet.write_string(3, 3, sl(24, 5, 30))?;
        sheet.write_string(3, 4, SL)?;
        sheet.write_string(3, 5, "6-31-01-03")?;
        sheet.write_number(3, 6, 5)?;
        sheet.write_datetime_with_format(3, 7, ExcelDateTime::from_ymd(2024, 6, 10)?, &date_format)?;
        sheet.write_number(5, 0, 2)?;
        sheet.write_string(5, 1, "虚构乙")?;
        sheet.write_string(5, 2, &p.p2)?;
        sheet.write_string(5, 3, "TZ-2024-0002")?;
        sheet.write_string(5, 4, "特种设备作业人员证")?;
        sheet.write_number(5, 7, 45458)?;
        sheet.write_number(6, 0, 3)?;
        sheet.write_string(6, 1, "虚构巳")?;
        sheet.write_string(6, 2, &p.minor)?;
        sheet.write_string(6, 3, "PX-2024-0003")?;
        sheet.write_string(6, 4, "培训合格证书")?;
        sheet.write_string(6, 7, "2024-06-20")?;
        sheet.write_string(8, 0, "填表人：虚构员")?;
        sheet.merge_range(9, 0, 9, 7, "备注：本表为测试数据", &Format::new())?;
        Ok(())
    })();
    result.expect("xlsx fixture");
    workbook.save_to_buffer().expect("xlsx bytes")
}

/// Copies the committed landing folder to `to` and adds the XLSX fixture.
pub fn landing_copy(to: &Path) -> PathBuf {
    let landing = to.join("landing");
    for (path, bytes) in committed_files() {
        if let Some(rest) = path.strip_prefix("landing/") {
            let target = landing.join(rest);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, std::fs::read(fixtures_dir().join(&path)).expect("committed fixture"))
                .expect("copy");
            let _ = bytes;
        }
    }
    std::fs::write(landing.join("A002/2024-06.xlsx"), xlsx_fixture()).expect("xlsx");
    landing
}

#[test]
fn committed_fixtures_match_the_generator() {
    let regenerate = std::env::var_os("SKILLHOUSE_REGENERATE_FIXTURES").is_some();
    for (path, bytes) in committed_files() {
        let target = fixtures_dir().join(&path);
        if regenerate {
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, &bytes).expect("write fixture");
        }
        let committed = std::fs::read(&target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        assert!(committed == bytes, "{path} differs from the generator; rerun with SKILLHOUSE_REGENERATE_FIXTURES=1");
    }
}
