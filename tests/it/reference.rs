//! The reference data under `datasets/reference/`: shape, agreement with the domain crate, and the arithmetic
//! relations the policy documents (`../shared/seeds/*.txt`) state. Every failure message says which file, row
//! and relation is off.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use skillhouse_model::{
    AgencyType, CertType, Level, PROVINCE_CODE, Programme, RejectReason, ReportingUnit, TrainingRejectReason,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Region code of the 团省委 row of the Youth League annex table (seed 000): a provincial-level unit (universities,
/// colleges, directly affiliated units), not a reporting unit, so it is not in `regions.csv`. Documented in
/// `datasets/reference/README.md`.
const YOUTH_LEAGUE_PROVINCIAL_UNIT: &str = "410000-YL";

fn reference_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets/reference"))
}

fn read_text(file: &str) -> String {
    let path = reference_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn load<T: DeserializeOwned>(file: &str) -> Vec<T> {
    let text = read_text(file);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.unwrap_or_else(|e| panic!("{file}: data row {} does not parse: {e}", i + 1)))
        .collect()
}

#[derive(Debug, Deserialize)]
struct Region {
    region_code: String,
    name_zh: String,
    name_en: String,
    kind: String,
    parent_code: String,
}

#[derive(Debug, Deserialize)]
struct LevelRow {
    level: String,
    rank: u8,
    name_zh: String,
    grade_zh: String,
    name_en: String,
}

#[derive(Debug, Deserialize)]
struct CertTypeRow {
    cert_type: String,
    name_zh: String,
    name_en: String,
    is_skill: bool,
    bears_level: bool,
}

#[derive(Debug, Deserialize)]
struct AgencyTypeRow {
    agency_type: String,
    name_zh: String,
    name_en: String,
}

#[derive(Debug, Deserialize)]
struct ProgrammeRow {
    programme: String,
    parent: String,
    name_zh: String,
    short_name_zh: String,
    name_en: String,
    training_target_2025: Option<u64>,
    new_high_skilled_target_2025: Option<u64>,
    source_doc: String,
    clause: String,
}

#[derive(Debug, Deserialize)]
struct Occupation {
    occupation_code: String,
    name_zh: String,
    name_en: String,
    major_group: String,
    min_level: String,
    max_level: String,
    programme: String,
}

#[derive(Debug, Deserialize)]
struct Target {
    target_id: String,
    indicator_id: String,
    region_code: String,
    year: u16,
    programme: String,
    agency_type: String,
    target: f64,
    comparator: String,
    unit: String,
    source_doc: String,
    clause: String,
    note: String,
}

#[derive(Debug, Deserialize)]
struct Employment {
    region_code: String,
    year: u16,
    employed: u64,
    synthetic: bool,
    note: String,
}

fn targets() -> Vec<Target> {
    load("targets.csv")
}

/// The single target row with this key; panics naming the key when there is none or more than one.
fn target<'a>(
    rows: &'a [Target],
    indicator: &str,
    region: &str,
    year: u16,
    programme: &str,
    agency: &str,
) -> &'a Target {
    let found: Vec<&Target> = rows
        .iter()
        .filter(|t| {
            t.indicator_id == indicator
                && t.region_code == region
                && t.year == year
                && t.programme == programme
                && t.agency_type == agency
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "targets.csv: expected exactly one row for indicator={indicator} region={region} year={year} \
         programme={programme:?} agency_type={agency:?}, found {}",
        found.len()
    );
    found[0]
}

fn value(rows: &[Target], indicator: &str, region: &str, year: u16, programme: &str, agency: &str) -> u64 {
    let t = target(rows, indicator, region, year, programme, agency);
    assert!(t.target.fract() == 0.0, "{}: {indicator} should be a whole count, is {}", t.target_id, t.target);
    t.target as u64
}

fn level_rank(code: &str) -> Option<u8> {
    Level::ALL.into_iter().find(|l| l.code() == code).map(Level::rank)
}

fn is_occupation_code(code: &str) -> bool {
    // ^\d-\d{2}-\d{2}-\d{2}$
    let b = code.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if matches!(i, 1 | 4 | 7) { *c == b'-' } else { c.is_ascii_digit() })
}

/// Header matching of DESIGN §4: trim, full-width ASCII → half-width, ASCII lower-case.
fn fold_header(raw: &str) -> String {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[test]
fn files_are_utf8_csv_with_the_agreed_headers() {
    let expected: [(&str, &[&str]); 11] = [
        ("regions.csv", &["region_code", "name_zh", "name_en", "kind", "parent_code"]),
        ("levels.csv", &["level", "rank", "name_zh", "grade_zh", "name_en"]),
        ("cert_types.csv", &["cert_type", "name_zh", "name_en", "is_skill", "bears_level"]),
        ("agency_types.csv", &["agency_type", "name_zh", "name_en"]),
        (
            "programmes.csv",
            &[
                "programme",
                "parent",
                "name_zh",
                "short_name_zh",
                "name_en",
                "training_target_2025",
                "new_high_skilled_target_2025",
                "source_doc",
                "clause",
            ],
        ),
        (
            "occupations.csv",
            &["occupation_code", "name_zh", "name_en", "major_group", "min_level", "max_level", "programme"],
        ),
        (
            "targets.csv",
            &[
                "target_id",
                "indicator_id",
                "region_code",
                "year",
                "programme",
                "agency_type",
                "target",
                "comparator",
                "unit",
                "source_doc",
                "clause",
                "note",
            ],
        ),
        ("employment.csv", &["region_code", "year", "employed", "synthetic", "note"]),
        ("reportable_indicators.csv", &["indicator_id", "unit", "title_zh", "title_en", "kind"]),
        ("reject_reasons.csv", &["input", "code", "zh", "en"]),
        ("validity_periods.csv", &["cert_type", "validity_years", "source", "note"]),
    ];
    for (file, columns) in expected {
        let text = read_text(file);
        assert!(!text.starts_with('\u{feff}'), "{file} must not start with a BOM");
        // Plain CSV: no field needs quoting, so a naive split on commas reads it correctly (skillhouse-datagen
        // compiles occupations.csv in and splits its lines that way).
        assert!(!text.contains('"'), "{file}: no field may contain a quote, comma or line break (no quoting)");
        assert!(!text.contains('\r'), "{file}: LF line endings only");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> =
            reader.headers().unwrap_or_else(|e| panic!("{file}: bad header: {e}")).iter().map(str::to_owned).collect();
        assert_eq!(headers, columns, "{file}: header row differs from the agreed column names");
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap_or_else(|e| panic!("{file}: data row {}: {e}", i + 1));
            assert_eq!(record.len(), columns.len(), "{file}: data row {} has {} fields", i + 1, record.len());
        }
    }
}

#[test]
fn regions_are_the_province_and_its_nineteen_reporting_units() {
    let regions: Vec<Region> = load("regions.csv");
    assert_eq!(regions.len(), 20, "regions.csv: expected the province + 19 reporting units");
    let province = regions.iter().find(|r| r.region_code == PROVINCE_CODE).expect("regions.csv lacks 410000");
    assert_eq!((province.kind.as_str(), province.parent_code.as_str()), ("province", ""), "410000 row");
    for unit in ReportingUnit::UNITS {
        let row = regions
            .iter()
            .find(|r| r.region_code == unit.code)
            .unwrap_or_else(|| panic!("regions.csv lacks reporting unit {} {}", unit.code, unit.name_zh));
        assert_eq!(row.name_zh, unit.name_zh, "regions.csv {}: name_zh differs from skillhouse-model", unit.code);
        assert_eq!(row.name_en, unit.name_en, "regions.csv {}: name_en differs from skillhouse-model", unit.code);
        assert_eq!(row.parent_code, PROVINCE_CODE, "regions.csv {}: parent must be the province", unit.code);
        let kind = if matches!(unit.code, "419001" | "410173") { "zone" } else { "city" };
        assert_eq!(row.kind, kind, "regions.csv {}: kind", unit.code);
    }
}

#[test]
fn levels_cert_types_and_agency_types_match_the_domain_crate() {
    let levels: Vec<LevelRow> = load("levels.csv");
    assert_eq!(levels.len(), Level::ALL.len(), "levels.csv row count");
    for (row, level) in levels.iter().zip(Level::ALL) {
        assert_eq!(row.level, level.code(), "levels.csv: order/code");
        assert_eq!(row.rank, level.rank(), "levels.csv {}: rank", row.level);
        assert_eq!(row.name_zh, level.name_zh(), "levels.csv {}: name_zh", row.level);
        assert_eq!(row.grade_zh, level.grade_zh().unwrap_or(""), "levels.csv {}: grade_zh", row.level);
        assert_eq!(row.name_en, level.name_en(), "levels.csv {}: name_en", row.level);
    }
    let ranks: Vec<u8> = levels.iter().map(|l| l.rank).collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5, 6, 7], "levels.csv: ranks l5=1 … chief=7");

    let types: Vec<CertTypeRow> = load("cert_types.csv");
    assert_eq!(types.len(), CertType::ALL.len(), "cert_types.csv row count");
    for (row, t) in types.iter().zip(CertType::ALL) {
        assert_eq!(row.cert_type, t.code(), "cert_types.csv: order/code");
        assert_eq!(row.name_zh, t.name_zh(), "cert_types.csv {}: name_zh", row.cert_type);
        assert_eq!(row.name_en, t.name_en(), "cert_types.csv {}: name_en", row.cert_type);
        assert_eq!(row.is_skill, t.is_skill(), "cert_types.csv {}: is_skill", row.cert_type);
        assert_eq!(row.bears_level, t.bears_level(), "cert_types.csv {}: bears_level", row.cert_type);
    }

    let agencies: Vec<AgencyTypeRow> = load("agency_types.csv");
    assert_eq!(agencies.len(), AgencyType::ALL.len(), "agency_types.csv row count");
    for (row, t) in agencies.iter().zip(AgencyType::ALL) {
        assert_eq!(row.agency_type, t.code(), "agency_types.csv: order/code");
        assert_eq!(row.name_zh, t.name_zh(), "agency_types.csv {}: name_zh", row.agency_type);
        assert_eq!(row.name_en, t.name_en(), "agency_types.csv {}: name_en", row.agency_type);
    }
}

#[test]
fn programmes_match_the_domain_crate_and_cite_the_2025_plan() {
    let rows: Vec<ProgrammeRow> = load("programmes.csv");
    assert_eq!(rows.len(), Programme::ALL.len(), "programmes.csv: 1–10 plus 2.1–2.5");
    for (row, p) in rows.iter().zip(Programme::ALL) {
        assert_eq!(row.programme, p.code(), "programmes.csv: order/code");
        assert_eq!(row.parent, p.parent().map_or("", Programme::code), "programmes.csv {}: parent", row.programme);
        assert_eq!(row.name_zh, p.name_zh(), "programmes.csv {}: name_zh", row.programme);
        assert_eq!(row.short_name_zh, p.short_name_zh(), "programmes.csv {}: short_name_zh", row.programme);
        assert_eq!(row.name_en, p.name_en(), "programmes.csv {}: name_en", row.programme);
        assert!(row.source_doc.starts_with("003 "), "programmes.csv {}: source must be seed 003", row.programme);
        assert!(row.clause.starts_with("二、（一）"), "programmes.csv {}: clause {:?}", row.programme, row.clause);
        assert!(row.training_target_2025.is_some(), "programmes.csv {}: training target missing", row.programme);
        assert_eq!(
            row.new_high_skilled_target_2025.is_none(),
            row.programme == "6",
            "programmes.csv {}: only programme 6 (youth) has no new-high-skilled target",
            row.programme
        );
    }
}

#[test]
fn programme_targets_sum_to_the_plan_totals() {
    // Seed 003, 一、总体要求: 200万人次 training, 65万 new high-skilled; the ten programmes of 二、（一） add up to
    // exactly these (programme 6's target is youth technicians, counted separately, so it is excluded).
    let rows: Vec<ProgrammeRow> = load("programmes.csv");
    let top: Vec<&ProgrammeRow> = rows.iter().filter(|r| r.parent.is_empty()).collect();
    assert_eq!(top.len(), 10, "programmes.csv: ten top-level programmes");
    let training: u64 = top.iter().map(|r| r.training_target_2025.unwrap_or(0)).sum();
    assert_eq!(training, 2_000_000, "training targets of programmes 1–10 must sum to 2,000,000 人次");
    let high: u64 =
        top.iter().filter(|r| r.programme != "6").map(|r| r.new_high_skilled_target_2025.unwrap_or(0)).sum();
    assert_eq!(high, 650_000, "new-high-skilled targets of programmes 1–10 except 6 must sum to 650,000");
}

#[test]
fn programme_2_is_the_sum_of_its_sub_programmes() {
    let rows: Vec<ProgrammeRow> = load("programmes.csv");
    let two = rows.iter().find(|r| r.programme == "2").expect("programmes.csv lacks programme 2");
    let subs: Vec<&ProgrammeRow> = rows.iter().filter(|r| r.parent == "2").collect();
    assert_eq!(subs.len(), 5, "programme 2 has five sub-programmes 2.1–2.5");
    let training: u64 = subs.iter().map(|r| r.training_target_2025.unwrap_or(0)).sum();
    let high: u64 = subs.iter().map(|r| r.new_high_skilled_target_2025.unwrap_or(0)).sum();
    assert_eq!(two.training_target_2025, Some(training), "programme 2 training ≠ sum of 2.1–2.5 ({training})");
    assert_eq!(two.new_high_skilled_target_2025, Some(high), "programme 2 new high-skilled ≠ sum of 2.1–2.5 ({high})");
}

#[test]
fn programme_targets_in_targets_csv_agree_with_programmes_csv() {
    let programmes: Vec<ProgrammeRow> = load("programmes.csv");
    let rows = targets();
    for p in &programmes {
        let training = value(&rows, "training_persons", PROVINCE_CODE, 2025, &p.programme, "");
        assert_eq!(Some(training), p.training_target_2025, "programme {}: training in targets.csv", p.programme);
        if let Some(high) = p.new_high_skilled_target_2025 {
            let t = value(&rows, "programme_new_high_skilled", PROVINCE_CODE, 2025, &p.programme, "");
            assert_eq!(t, high, "programme {}: new high-skilled in targets.csv", p.programme);
        }
    }
    // The province totals of 一、总体要求 equal the sums over the ten programmes.
    let top = |ind: &str| -> u64 {
        programmes
            .iter()
            .filter(|p| p.parent.is_empty())
            .filter_map(|p| {
                rows.iter()
                    .find(|t| {
                        t.indicator_id == ind
                            && t.programme == p.programme
                            && t.year == 2025
                            && t.region_code == PROVINCE_CODE
                    })
                    .map(|t| t.target as u64)
            })
            .sum()
    };
    assert_eq!(top("training_persons"), value(&rows, "training_persons", PROVINCE_CODE, 2025, "", ""));
    assert_eq!(top("programme_new_high_skilled"), value(&rows, "new_high_skilled", PROVINCE_CODE, 2025, "", ""));
}

#[test]
fn youth_league_annex_table_adds_up_to_the_plan_totals() {
    // Seed 000: the annex (附件 分解表) has 19 rows — 团省委 (a provincial-level unit, special code 410000-YL) and
    // the 17 cities + 济源示范区 — and no total row; its totals are stated in 二、工作目标 (6万人次 / 2万 / 5000 /
    // 1000), transcribed as the province rows. The documented relation is: all 19 annex rows, 团省委 included,
    // sum to those totals. The 18 city rows alone do not (they sum to 54000 / 18000 / 4500 / 910); 航空港区 has no
    // row (it was not yet a separate reporting unit in 2022).
    let rows = targets();
    for indicator in [
        "youth_league_training",
        "youth_league_new_skilled",
        "youth_league_new_high_skilled",
        "youth_league_other_talent",
    ] {
        let total = value(&rows, indicator, PROVINCE_CODE, 2022, "", "");
        let annex: Vec<&Target> =
            rows.iter().filter(|t| t.indicator_id == indicator && t.clause.starts_with("附件")).collect();
        assert_eq!(annex.len(), 19, "{indicator}: the annex table has 19 rows");
        let codes: BTreeSet<&str> = annex.iter().map(|t| t.region_code.as_str()).collect();
        assert_eq!(codes.len(), 19, "{indicator}: one annex row per unit");
        assert!(codes.contains(YOUTH_LEAGUE_PROVINCIAL_UNIT), "{indicator}: 团省委 row missing");
        assert!(!codes.contains("410173"), "{indicator}: the 2022 table has no 航空港区 row");
        let sum: u64 = annex.iter().map(|t| t.target as u64).sum();
        assert_eq!(sum, total, "{indicator}: annex rows sum to {sum}, the plan total (province row) is {total}");
    }
}

#[test]
fn province_2022_plan_is_internally_consistent() {
    // Seed 001: 一、目标任务 new agencies 2100 = 1600 + 400 + 100; 二、（二）12–14 certification by agency type
    // 120万 + 80万 + 40万 = 240万 new skilled and 44万 + 31万 + 5万 = 80万 new high-skilled.
    let rows = targets();
    let by_type = |ind: &str| -> u64 {
        ["enterprise", "college", "social"].iter().map(|a| value(&rows, ind, PROVINCE_CODE, 2022, "", a)).sum()
    };
    assert_eq!(by_type("new_agencies"), value(&rows, "new_agencies", PROVINCE_CODE, 2022, "", ""));
    assert_eq!(by_type("certs_by_agency_type"), value(&rows, "new_skilled", PROVINCE_CODE, 2022, "", ""));
    assert_eq!(
        by_type("high_level_certs_by_agency_type"),
        value(&rows, "new_high_skilled", PROVINCE_CODE, 2022, "", "")
    );
    let mix = target(&rows, "cert_mix_share", PROVINCE_CODE, 2022, "", "");
    assert_eq!((mix.comparator.as_str(), mix.target), ("<=", 0.10), "cert_mix_share ≤ 10% (001 二、（四）19)");
}

#[test]
fn kaifeng_annual_rates_times_four_years_give_the_2025_totals() {
    // Seed 002: 三、（一） annual rates by agency type, repeated for 2022–2025; 一、（二） states the cumulative
    // figures to 2025 (64万人次, 52万 certified incl. 18万 high-skilled), which are exactly four years of them.
    let rows = targets();
    let k = "410200";
    let four_years = |ind: &str| -> u64 {
        (2022..=2025)
            .flat_map(|y| ["enterprise", "college", "social"].map(move |a| (y, a)))
            .map(|(y, a)| value(&rows, ind, k, y, "", a))
            .sum()
    };
    assert_eq!(four_years("training_persons"), value(&rows, "training_persons_cumulative", k, 2025, "", ""));
    assert_eq!(four_years("certs_by_agency_type"), value(&rows, "new_certified_cumulative", k, 2025, "", ""));
    assert_eq!(
        four_years("high_level_certs_by_agency_type"),
        value(&rows, "new_high_skilled_cumulative", k, 2025, "", "")
    );
    // 90万 skilled = 40% of employed, and 135万 certified = 60% of employed, both imply 2.25M employed.
    let skilled = value(&rows, "skilled_persons", k, 2025, "", "") as f64;
    let share = target(&rows, "skilled_share_of_employment", k, 2025, "", "").target;
    let employment: Vec<Employment> = load("employment.csv");
    let employed = employment.iter().find(|e| e.region_code == k && e.year == 2025).expect("Kaifeng 2025 employment");
    assert_eq!(employed.employed as f64, skilled / share, "Kaifeng 2025 employed must be 900k / 40%");
}

#[test]
fn pingdingshan_agencies_by_type_add_up() {
    // Seed 004 (reported outcomes, not targets): 220 agencies = 127 + 26 + 43 + 24.
    let rows = targets();
    let p = "410400";
    let parts: u64 = AgencyType::ALL.iter().map(|a| value(&rows, "agencies_by_type", p, 2023, "", a.code())).sum();
    assert_eq!(parts, value(&rows, "agencies_by_type", p, 2023, "", ""), "Pingdingshan agencies by type");
}

#[test]
fn targets_are_well_formed_and_cite_their_source() {
    let rows = targets();
    let agency_codes: BTreeSet<&str> = AgencyType::ALL.iter().map(|a| a.code()).collect();
    let programme_codes: BTreeSet<&str> = Programme::ALL.iter().map(|p| p.code()).collect();
    let mut ids = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for t in &rows {
        let id = &t.target_id;
        assert!(ids.insert(id.clone()), "targets.csv: duplicate target_id {id}");
        assert!(
            keys.insert((&t.indicator_id, &t.region_code, t.year, &t.programme, &t.agency_type)),
            "targets.csv {id}: a second row with the same indicator/region/year/programme/agency_type"
        );
        assert!(matches!(t.comparator.as_str(), ">=" | "<=" | "=" | "~"), "{id}: comparator {:?}", t.comparator);
        let prefix = &t.source_doc[..t.source_doc.len().min(4)];
        assert!(
            matches!(prefix, "000 " | "001 " | "002 " | "003 " | "004 "),
            "{id}: source_doc must start with the seed"
        );
        assert!(id.starts_with(prefix.trim()), "{id}: target_id prefix must name its seed ({prefix})");
        assert!(!t.clause.trim().is_empty(), "{id}: clause is empty");
        assert!(!t.unit.trim().is_empty(), "{id}: unit is empty");
        assert!(
            !t.indicator_id.is_empty()
                && t.indicator_id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{id}: indicator_id {:?} is not snake_case",
            t.indicator_id
        );
        assert!((2021..=2025).contains(&t.year), "{id}: year {}", t.year);
        assert!(t.agency_type.is_empty() || agency_codes.contains(t.agency_type.as_str()), "{id}: agency_type");
        assert!(t.programme.is_empty() || programme_codes.contains(t.programme.as_str()), "{id}: programme");
        if t.unit == "share" {
            assert!((0.0..=1.0).contains(&t.target), "{id}: a share must be a fraction, is {}", t.target);
        } else {
            assert!(
                t.target >= 1.0 && t.target.fract() == 0.0,
                "{id}: a count must be a whole number, is {}",
                t.target
            );
        }
        if t.source_doc.starts_with("004 ") {
            assert!(
                t.note.to_lowercase().contains("not a target"),
                "{id}: seed 004 rows are reported outcomes and must say so"
            );
        }
    }
    // The targets DESIGN §8/§9 names explicitly.
    let expect = |ind: &str, year: u16, comparator: &str, target: f64| {
        let t = target_row(&rows, ind, year);
        assert_eq!((t.comparator.as_str(), t.target), (comparator, target), "{ind} {year}");
    };
    fn target_row<'a>(rows: &'a [Target], ind: &str, year: u16) -> &'a Target {
        target(rows, ind, PROVINCE_CODE, year, "", "")
    }
    expect("cert_mix_share", 2022, "<=", 0.10);
    expect("youth_share_new_top_grades", 2025, ">=", 0.20);
    expect("high_skill_share", 2025, "~", 0.35);
    expect("new_youth_technicians", 2025, ">=", 10_000.0);
    expect("new_high_skilled", 2022, ">=", 800_000.0);
    expect("new_skilled", 2022, ">=", 2_400_000.0);
}

#[test]
fn every_region_code_is_known_or_documented_as_special() {
    let regions: BTreeSet<String> = load::<Region>("regions.csv").into_iter().map(|r| r.region_code).collect();
    for t in targets() {
        assert!(
            regions.contains(&t.region_code) || t.region_code == YOUTH_LEAGUE_PROVINCIAL_UNIT,
            "targets.csv {}: region_code {} is not in regions.csv",
            t.target_id,
            t.region_code
        );
        if t.region_code == YOUTH_LEAGUE_PROVINCIAL_UNIT {
            assert!(t.source_doc.starts_with("000 "), "{}: 410000-YL is only for the Youth League table", t.target_id);
        }
    }
    for e in load::<Employment>("employment.csv") {
        assert!(regions.contains(&e.region_code), "employment.csv: region_code {} not in regions.csv", e.region_code);
    }
}

#[test]
fn employment_is_synthetic_complete_and_the_province_is_the_sum_of_its_units() {
    let rows: Vec<Employment> = load("employment.csv");
    let regions: Vec<Region> = load("regions.csv");
    let mut by_year: BTreeMap<u16, (u64, u64, usize)> = BTreeMap::new(); // (province, sum of units, units)
    let mut seen = BTreeSet::new();
    for e in &rows {
        assert!(e.synthetic, "employment.csv {} {}: every row is synthetic", e.region_code, e.year);
        assert!(e.note.contains("SYNTHETIC"), "employment.csv {} {}: note must say SYNTHETIC", e.region_code, e.year);
        assert!(seen.insert((e.region_code.clone(), e.year)), "employment.csv: duplicate {} {}", e.region_code, e.year);
        let entry = by_year.entry(e.year).or_default();
        if e.region_code == PROVINCE_CODE {
            entry.0 = e.employed;
        } else {
            entry.1 += e.employed;
            entry.2 += 1;
        }
    }
    assert_eq!(by_year.keys().copied().collect::<Vec<_>>(), [2021, 2022, 2023, 2024, 2025], "employment.csv years");
    assert_eq!(rows.len(), regions.len() * 5, "employment.csv: every region × 2021–2025");
    for (year, (province, units, n)) in by_year {
        assert_eq!(n, 19, "employment.csv {year}: 19 reporting units");
        assert_eq!(province, units, "employment.csv {year}: province row {province} ≠ sum of the 19 units {units}");
        let off = (province as f64 / 48_300_000.0 - 1.0).abs();
        assert!(off < 0.02, "employment.csv {year}: province {province} is not ~48.3M");
    }
}

#[test]
fn occupations_are_well_formed() {
    let rows: Vec<Occupation> = load("occupations.csv");
    assert!((60..=100).contains(&rows.len()), "occupations.csv: {} rows, expected ~60–80", rows.len());
    let programme_codes: BTreeSet<&str> = Programme::ALL.iter().map(|p| p.code()).collect();
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut per_programme: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &rows {
        let c = &o.occupation_code;
        assert!(is_occupation_code(c), "occupations.csv: {c:?} does not match ^\\d-\\d{{2}}-\\d{{2}}-\\d{{2}}$");
        assert!(codes.insert(c.clone()), "occupations.csv: duplicate code {c}");
        assert!(names.insert(o.name_zh.clone()), "occupations.csv: duplicate name {}", o.name_zh);
        assert!(!o.name_en.is_empty(), "occupations.csv {c}: name_en empty");
        assert_eq!(o.major_group, &c[..1], "occupations.csv {c}: major_group is the first digit");
        assert!(("1"..="8").contains(&o.major_group.as_str()), "occupations.csv {c}: major group 1–8");
        let lo = level_rank(&o.min_level).unwrap_or_else(|| panic!("occupations.csv {c}: min_level {:?}", o.min_level));
        let hi = level_rank(&o.max_level).unwrap_or_else(|| panic!("occupations.csv {c}: max_level {:?}", o.max_level));
        assert!(lo <= hi, "occupations.csv {c}: min_level {} ranks above max_level {}", o.min_level, o.max_level);
        assert!(hi <= 5, "occupations.csv {c}: ranges cover l5–l1 only (特级/首席 are open to every occupation)");
        assert!(o.programme.is_empty() || programme_codes.contains(o.programme.as_str()), "{c}: programme");
        *per_programme.entry(o.programme.as_str()).or_default() += 1;
    }
    for p in ["1", "2.1", "2.2", "2.3", "2.4", "2.5", "3", "4", "5", "7", "8", "9", "10"] {
        let n = per_programme.get(p).copied().unwrap_or(0);
        assert!(n >= 3, "occupations.csv: programme {p} has {n} occupations, needs at least 3");
    }
}

#[test]
fn design_occupations_are_present_with_their_level_ranges() {
    // DESIGN §14, verbatim (code, name, lowest level offered, highest level offered).
    const DESIGN: [(&str, &str, &str, &str); 15] = [
        ("6-31-01-03", "电工", "l5", "l1"),
        ("6-18-02-04", "焊工", "l5", "l1"),
        ("4-03-02-01", "中式烹调师", "l5", "l1"),
        ("4-03-02-02", "中式面点师", "l5", "l1"),
        ("4-02-07-10", "网约配送员", "l5", "l1"),
        ("4-01-02-07", "互联网营销师", "l5", "l1"),
        ("4-10-01-05", "养老护理员", "l5", "l1"),
        ("4-10-01-06", "家政服务员", "l5", "l2"),
        ("4-10-01-03", "保育师", "l5", "l3"),
        ("6-30-99-00", "工业机器人系统操作员", "l4", "l1"),
        ("4-08-03-07", "无人机测绘操控员", "l5", "l1"),
        ("5-05-01-00", "农业技术员", "l5", "l1"),
        ("4-12-01-01", "汽车维修工", "l5", "l1"),
        ("6-18-01-01", "车工", "l5", "l1"),
        ("4-07-05-01", "保安员", "l5", "l1"),
    ];
    let rows: Vec<Occupation> = load("occupations.csv");
    for (code, name, lo, hi) in DESIGN {
        let o = rows
            .iter()
            .find(|o| o.occupation_code == code)
            .unwrap_or_else(|| panic!("occupations.csv lacks DESIGN §14 occupation {code} {name}"));
        assert_eq!(o.name_zh, name, "occupations.csv {code}: name");
        assert_eq!(
            (o.min_level.as_str(), o.max_level.as_str()),
            (lo, hi),
            "occupations.csv {code} {name}: level range"
        );
    }
}

#[test]
fn header_aliases_parse_and_cover_every_design_spelling() {
    // DESIGN §4, verbatim.
    const DESIGN: [(&str, &[&str]); 10] = [
        ("id_number", &["身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"]),
        ("name", &["姓名", "name"]),
        ("cert_no", &["证书编号", "证书号", "cert_no"]),
        ("cert_type", &["证书类型", "证书种类", "cert_type"]),
        ("occupation_code", &["职业编码", "职业代码", "occupation_code"]),
        ("occupation_name", &["职业名称", "职业（工种）", "occupation_name"]),
        ("level", &["等级", "技能等级", "职业技能等级", "level"]),
        ("issue_date", &["发证日期", "发证时间", "颁证日期", "issue_date"]),
        ("agency_id", &["评价机构代码", "机构代码", "agency_id"]),
        ("programme", &["专项", "培训专项", "programme"]),
    ];
    let text = read_text("header_aliases.toml");
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("header_aliases.toml does not parse: {e}"));
    let fields = doc.get("fields").and_then(toml::Value::as_table).expect("header_aliases.toml lacks a [fields] table");
    let keys: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
    let design_keys: BTreeSet<&str> = DESIGN.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, design_keys, "header_aliases.toml: one key per field of DESIGN §4");
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (field, value) in fields {
        let spellings = value.as_array().unwrap_or_else(|| panic!("header_aliases.toml: {field} is not an array"));
        for s in spellings {
            let s = s.as_str().unwrap_or_else(|| panic!("header_aliases.toml: {field} has a non-string spelling"));
            if let Some(other) = owner.insert(fold_header(s), field) {
                panic!("header_aliases.toml: {s:?} (folded) appears under both {other} and {field}");
            }
        }
    }
    for (field, spellings) in DESIGN {
        for s in spellings {
            assert_eq!(
                owner.get(&fold_header(s)).copied(),
                Some(field),
                "header_aliases.toml: DESIGN §4 spelling {s:?} must map to {field}"
            );
        }
    }
}

#[derive(Debug, Deserialize)]
struct Reportable {
    indicator_id: String,
    unit: String,
    title_zh: String,
    title_en: String,
    kind: String,
}

/// DESIGN §17: every reportable indicator has targets, all in the unit the file gives; none is computed (a
/// `sql/indicators/*.sql` file); titles and kind are given; no id twice.
#[test]
fn reportable_indicators_use_their_targets_units_and_are_not_computed() {
    let reportable: Vec<Reportable> = load("reportable_indicators.csv");
    assert_eq!(reportable.len(), 20, "reportable_indicators.csv: the README says 20 rows");
    let targets = targets();
    let indicators = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../sql/indicators"));
    let mut seen = BTreeSet::new();
    for row in &reportable {
        assert!(seen.insert(row.indicator_id.clone()), "reportable_indicators.csv: {} twice", row.indicator_id);
        assert!(!row.title_zh.is_empty() && !row.title_en.is_empty() && !row.kind.is_empty(), "{row:?}");
        let units: BTreeSet<&str> =
            targets.iter().filter(|t| t.indicator_id == row.indicator_id).map(|t| t.unit.as_str()).collect();
        assert_eq!(units, BTreeSet::from([row.unit.as_str()]), "{}: the unit of its targets", row.indicator_id);
        let file = indicators.join(format!("{}.sql", row.indicator_id));
        assert!(!file.exists(), "{} is computed ({}) and cannot be reportable", row.indicator_id, file.display());
    }
}

#[derive(Debug, Deserialize)]
struct ReasonRow {
    input: String,
    code: String,
    zh: String,
    en: String,
}

#[test]
fn reject_reasons_explain_exactly_the_reasons_of_each_input_in_both_languages() {
    let rows: Vec<ReasonRow> = load("reject_reasons.csv");
    let codes = |input: &str| -> Vec<String> {
        rows.iter().filter(|r| r.input == input).map(|r| r.code.clone()).collect::<Vec<_>>()
    };
    // The domain crate's reasons, in checking order, and nothing else.
    let certificates: Vec<String> = RejectReason::ALL.iter().map(|r| r.code().to_string()).collect();
    let training: Vec<String> = TrainingRejectReason::ALL.iter().map(|r| r.code().to_string()).collect();
    assert_eq!(codes("certificates"), certificates);
    assert_eq!(codes("training"), training);
    assert_eq!(rows.len(), certificates.len() + training.len(), "reject_reasons.csv: an input other than the two");
    for row in &rows {
        let at = format!("reject_reasons.csv {} {}", row.input, row.code);
        assert!(row.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{at}: zh is Chinese");
        assert!(row.zh.ends_with('。'), "{at}: zh is a sentence (what is wrong and what to do)");
        assert!(row.en.chars().filter(char::is_ascii_alphabetic).count() > 20, "{at}: en is English");
        assert!(row.en.ends_with('.'), "{at}: en is a sentence");
        // The domain crate reads this very file (compiled in): its explanation is these words.
        let explanation = match row.input.as_str() {
            "certificates" => RejectReason::from_code(&row.code).map(RejectReason::explanation),
            _ => TrainingRejectReason::from_code(&row.code).map(TrainingRejectReason::explanation),
        };
        assert_eq!(explanation, Some(format!("{} / {}", row.zh, row.en).as_str()), "{at}");
    }
}
