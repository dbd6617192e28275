//! An independent reader and checker of training drops, written from DESIGN §16 rather than from the generator:
//! the rows each training file holds, the one reason code (or acceptance) each row gets under §16's order, and the
//! province figures of the training indicators recomputed from the accepted rows and the certificate checker's
//! accepted certificates.

use crate::landing::{Row, Shape, Spellings, read_table, registry_ids};
use chrono::{Datelike, NaiveDate};
use skillhouse_datagen::{Manifest, TrainingFileEntry, TrainingYear};
use skillhouse_model::{IdError, IdNumber, Programme, age_on, fold_cell, normalize_key, parse_date};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

/// Header spellings of DESIGN §16, typed again here on purpose.
pub const SPELLINGS: [(&str, &[&str]); 17] = [
    ("id_number", &["身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"]),
    ("name", &["姓名", "name"]),
    ("provider_id", &["培训机构代码", "机构代码", "provider_id"]),
    ("class_id", &["班级编号", "培训班号", "class_id"]),
    ("training_kind", &["培训类型", "培训类别", "training_kind"]),
    ("occupation_code", &["职业编码", "职业代码", "occupation_code"]),
    ("occupation_name", &["职业名称", "职业（工种）", "occupation_name"]),
    ("programme", &["专项", "培训专项", "programme"]),
    ("subsidised", &["是否补贴性培训", "补贴性培训", "subsidised"]),
    ("voucher_no", &["培训券编号", "电子培训券号", "voucher_no"]),
    ("organiser", &["组织单位", "组织单位类型", "organiser"]),
    ("start_date", &["开班日期", "培训开始日期", "start_date"]),
    ("end_date", &["结业日期", "培训结束日期", "end_date"]),
    ("hours_total", &["总课时", "培训课时", "hours_total"]),
    ("hours_practical", &["实操课时", "hours_practical"]),
    ("satisfaction", &["满意度", "satisfaction"]),
    ("result", &["培训结果", "结业情况", "result"]),
];

const REQUIRED: [&str; 9] = [
    "id_number",
    "class_id",
    "training_kind",
    "subsidised",
    "start_date",
    "end_date",
    "hours_total",
    "hours_practical",
    "result",
];

/// The §16 reason codes, in checking order.
pub const REASONS: [&str; 14] = [
    "missing_field",
    "id_format",
    "id_checksum",
    "unknown_training_kind",
    "unknown_occupation",
    "date_invalid",
    "end_before_start",
    "date_future",
    "under_age",
    "provider_mismatch",
    "unknown_provider",
    "hours_invalid",
    "duplicate_enrolment",
    "voucher_reused",
];

/// The kinds: code and Chinese spellings.
const KINDS: [(&str, &[&str]); 6] = [
    ("employment", &["就业技能培训"]),
    ("upskilling", &["岗位技能提升培训"]),
    ("entrepreneurship", &["创业培训"]),
    ("apprenticeship", &["企业新型学徒制"]),
    ("gold_collar", &["金蓝领", "高技能人才“金蓝领”培训"]),
    ("other", &["其他"]),
];

/// One accepted row.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub period: String,
    pub person: String,
    pub provider: String,
    pub class_id: String,
    pub kind: &'static str,
    pub occupation: Option<String>,
    pub programme: Option<Programme>,
    pub subsidised: bool,
    pub voucher: Option<String>,
    pub youth_league: bool,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub hours_total: i64,
    pub hours_practical: i64,
    pub satisfaction: Option<f64>,
    pub result: &'static str,
}

/// Per-file figures.
#[derive(Debug, Default, PartialEq)]
pub struct FileFigures {
    pub rows: u64,
    pub accepted: u64,
    pub rejects: BTreeMap<String, u64>,
    pub classes: u64,
}

/// What the checker found in a training drop.
#[derive(Debug, Default)]
pub struct Outcome {
    pub files: BTreeMap<String, FileFigures>,
    pub accepted: Vec<Accepted>,
    /// Rows whose ID cell is wrong only in its check character.
    pub checksum_failures: u64,
    /// Header spellings met, per field.
    pub spellings: BTreeMap<&'static str, BTreeSet<String>>,
}

fn shape(entry: &TrainingFileEntry) -> Shape<'_> {
    Shape {
        path: &entry.path,
        facts: &entry.facts,
        columns: entry.columns.len(),
        spellings: &SPELLINGS as &Spellings,
        dates: &["start_date", "end_date"],
    }
}

/// The occupation codes of the reference.
fn occupations() -> HashSet<String> {
    let text = include_str!("../../../../datasets/reference/occupations.csv");
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split(',').next().expect("code").to_string()).collect()
}

fn parse_kind(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    KINDS.iter().find(|(code, names)| *code == lower || names.contains(&text)).map(|(code, _)| *code)
}

fn parse_yes_no(text: &str) -> bool {
    match text.to_ascii_lowercase().as_str() {
        "是" | "yes" | "1" => true,
        "否" | "no" | "0" => false,
        other => panic!("subsidised {other:?} is none of §16's spellings"),
    }
}

fn parse_result(text: &str) -> &'static str {
    match text.to_ascii_lowercase().as_str() {
        "合格" | "passed" => "passed",
        "不合格" | "failed" => "failed",
        "未结业" | "dropped" => "dropped",
        other => panic!("result {other:?} is none of §16's spellings"),
    }
}

fn parse_organiser(text: &str) -> bool {
    match text {
        "" => false,
        "共青团" | "团组织" | "youth_league" => true,
        other => panic!("organiser {other:?} is none of §16's spellings"),
    }
}

fn parse_satisfaction(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let value: f64 = text.trim_end_matches('%').parse().expect("satisfaction is a number");
    assert!((0.0..=100.0).contains(&value), "satisfaction {value} out of 0–100");
    Some(value)
}

/// What a row's checks remember of the rows accepted before it.
struct Seen {
    enrolled: HashSet<(String, String, String)>,
    vouchers: HashSet<String>,
}

fn classify(
    get: &dyn Fn(&str) -> String,
    folder: &str,
    registry: &HashSet<String>,
    occupations: &HashSet<String>,
    as_of: NaiveDate,
    seen: &Seen,
) -> Result<Accepted, &'static str> {
    if REQUIRED.iter().any(|f| get(f).is_empty()) {
        return Err("missing_field");
    }
    let id = IdNumber::parse(&get("id_number")).map_err(|e| match e {
        IdError::Checksum { .. } => "id_checksum",
        _ => "id_format",
    })?;
    let kind = parse_kind(&get("training_kind")).ok_or("unknown_training_kind")?;
    let occupation = Some(get("occupation_code")).filter(|o| !o.is_empty());
    match &occupation {
        Some(code) if !occupations.contains(code) => return Err("unknown_occupation"),
        None if !matches!(kind, "entrepreneurship" | "other") => return Err("unknown_occupation"),
        _ => {}
    }
    let start = parse_date(&get("start_date")).ok_or("date_invalid")?;
    let end = parse_date(&get("end_date")).ok_or("date_invalid")?;
    if end < start {
        return Err("end_before_start");
    }
    if end > as_of {
        return Err("date_future");
    }
    if age_on(id.birth_date(), start).is_none_or(|a| a < 16) {
        return Err("under_age");
    }
    let row_provider = get("provider_id");
    if !row_provider.is_empty() && row_provider != folder {
        return Err("provider_mismatch");
    }
    if !registry.contains(folder) {
        return Err("unknown_provider");
    }
    let total: i64 = get("hours_total").parse().map_err(|_| "hours_invalid")?;
    let practical: i64 = get("hours_practical").parse().map_err(|_| "hours_invalid")?;
    if total <= 0 || practical < 0 || practical > total {
        return Err("hours_invalid");
    }
    let person = id.expose().to_string();
    let class_id = normalize_key(&get("class_id")).expect("class id").into_owned();
    if seen.enrolled.contains(&(folder.to_string(), class_id.clone(), person.clone())) {
        return Err("duplicate_enrolment");
    }
    let voucher = Some(normalize_key(&get("voucher_no")).expect("voucher").into_owned()).filter(|v| !v.is_empty());
    if voucher.as_ref().is_some_and(|v| seen.vouchers.contains(v)) {
        return Err("voucher_reused");
    }
    let programme = Some(get("programme")).filter(|p| !p.is_empty());
    Ok(Accepted {
        period: String::new(),
        person,
        provider: folder.to_string(),
        class_id,
        kind,
        occupation,
        programme: programme.map(|p| Programme::parse(&p).expect("a programme of §4")),
        subsidised: parse_yes_no(&get("subsidised")),
        voucher,
        youth_league: parse_organiser(&get("organiser")),
        start,
        end,
        hours_total: total,
        hours_practical: practical,
        satisfaction: parse_satisfaction(&get("satisfaction")),
        result: parse_result(&get("result")),
    })
}

/// Reads every readable training file in path order and classifies every row under §16.
pub fn check(landing: &Path, manifest: &Manifest) -> Outcome {
    let training = manifest.training.as_ref().expect("a training drop");
    let as_of = NaiveDate::parse_from_str(&manifest.as_of, "%Y-%m-%d").expect("as_of");
    let registry = registry_ids(&landing.join("training/providers.csv"));
    let occupations = occupations();
    let mut entries: Vec<&TrainingFileEntry> = training.files.iter().filter(|f| f.facts.readable).collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen = Seen { enrolled: HashSet::new(), vouchers: HashSet::new() };
    let mut outcome = Outcome::default();
    for entry in entries {
        let folder = entry.path.split('/').nth(1).expect("provider folder").to_string();
        for (column, spelling) in entry.columns.iter().map(|h| (canonical(h), h)) {
            outcome.spellings.entry(column).or_default().insert(spelling.clone());
        }
        let file = outcome.files.entry(entry.path.clone()).or_default();
        let mut classes = BTreeSet::new();
        for row in read_table(landing, &shape(entry)) {
            file.rows += 1;
            let get = |f: &str| fold_cell(cell(&row, f)).into_owned();
            if matches!(IdNumber::parse(&get("id_number")), Err(IdError::Checksum { .. })) {
                outcome.checksum_failures += 1;
            }
            match classify(&get, &folder, &registry, &occupations, as_of, &seen) {
                Err(reason) => *file.rejects.entry(reason.to_string()).or_default() += 1,
                Ok(a) => {
                    file.accepted += 1;
                    classes.insert(a.class_id.clone());
                    seen.enrolled.insert((a.provider.clone(), a.class_id.clone(), a.person.clone()));
                    if let Some(v) = &a.voucher {
                        seen.vouchers.insert(v.clone());
                    }
                    outcome.accepted.push(Accepted { period: entry.period.clone(), ..a });
                }
            }
        }
        file.classes = classes.len() as u64;
    }
    outcome
}

fn cell<'a>(row: &'a Row, field: &str) -> &'a str {
    row.get(field).map(String::as_str).unwrap_or("")
}

fn canonical(header: &str) -> &'static str {
    SPELLINGS.iter().find(|(_, s)| s.contains(&header)).map(|(c, _)| *c).expect("a §16 header")
}

/// Whole-drop figures recomputed from the accepted rows.
pub struct Figures {
    pub years: Vec<TrainingYear>,
    pub classes: u64,
    pub trainees: u64,
    pub trainees_with_certificates: u64,
}

struct ClassSum {
    size: u64,
    end: NaiveDate,
    hours_total: i64,
    hours_practical: i64,
    satisfaction: Option<f64>,
    kind: &'static str,
    no_occupation: bool,
}

fn distinct_per_year(pairs: impl Iterator<Item = (i32, String)>) -> BTreeMap<i32, u64> {
    let set: BTreeSet<(i32, String)> = pairs.collect();
    let mut out = BTreeMap::new();
    for (y, _) in set {
        *out.entry(y).or_default() += 1;
    }
    out
}

/// The §16 indicators for the province, per year of class end, over `rows`; `certificates` are the accepted skill
/// certificates that are not duplicate claims (ID, occupation, issue date).
pub fn figures(
    rows: &[Accepted],
    certificates: &[(String, String, NaiveDate)],
    years: std::ops::RangeInclusive<i32>,
    as_of: NaiveDate,
) -> Figures {
    let mut classes: BTreeMap<(String, String), ClassSum> = BTreeMap::new();
    for r in rows {
        let c = classes.entry((r.provider.clone(), r.class_id.clone())).or_insert(ClassSum {
            size: 0,
            end: r.end,
            hours_total: 0,
            hours_practical: 0,
            satisfaction: None,
            kind: r.kind,
            no_occupation: r.occupation.is_none(),
        });
        c.size += 1;
        c.end = c.end.max(r.end);
        c.hours_total = c.hours_total.max(r.hours_total);
        c.hours_practical = c.hours_practical.max(r.hours_practical);
        c.satisfaction = match (c.satisfaction, r.satisfaction) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let flagged = |c: &ClassSum| {
        c.size > 80
            || c.hours_practical * 10 < c.hours_total * 6
            || c.satisfaction.is_some_and(|s| s < 85.0)
            || (c.kind == "other" && c.no_occupation && c.hours_total < 40)
    };
    let mut by_person: HashMap<&str, Vec<(&str, NaiveDate)>> = HashMap::new();
    for (person, occupation, date) in certificates {
        by_person.entry(person).or_default().push((occupation, *date));
    }
    let completed = |r: &&Accepted| r.result != "dropped";
    let of_kind = |kind: &'static str| {
        distinct_per_year(
            rows.iter().filter(completed).filter(move |r| r.kind == kind).map(|r| (r.end.year(), r.person.clone())),
        )
    };
    let (apprentices, gold_collar) = (of_kind("apprenticeship"), of_kind("gold_collar"));
    let passed_with_occupation = rows.iter().filter(|r| r.result == "passed" && r.occupation.is_some());
    let denominator = distinct_per_year(passed_with_occupation.clone().map(|r| (r.end.year(), r.person.clone())));
    let numerator = distinct_per_year(
        passed_with_occupation
            .filter(|r| {
                let last = (r.end + chrono::Days::new(180)).min(as_of);
                by_person.get(r.person.as_str()).is_some_and(|held| {
                    held.iter().any(|(o, d)| Some(*o) == r.occupation.as_deref() && r.start <= *d && *d <= last)
                })
            })
            .map(|r| (r.end.year(), r.person.clone())),
    );
    let mut subsidised_classes: BTreeMap<(i32, String, String), BTreeSet<(String, String)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.subsidised) {
        if let Some(o) = &r.occupation {
            subsidised_classes
                .entry((r.end.year(), r.person.clone(), o.clone()))
                .or_default()
                .insert((r.provider.clone(), r.class_id.clone()));
        }
    }
    let repeaters =
        distinct_per_year(subsidised_classes.into_iter().filter(|(_, c)| c.len() >= 2).map(|((y, p, _), _)| (y, p)));
    let share = |n: u64, d: u64| if d == 0 { 0.0 } else { (n as f64 / d as f64 * 10_000.0).round() / 10_000.0 };
    let years = years
        .map(|year| {
            let in_year: Vec<&Accepted> = rows.iter().filter(|r| r.end.year() == year).collect();
            let count = |f: &dyn Fn(&Accepted) -> bool| in_year.iter().filter(|r| f(r)).count() as u64;
            let year_classes: Vec<(&(String, String), &ClassSum)> =
                classes.iter().filter(|(_, c)| c.end.year() == year).collect();
            let class_count = |f: &dyn Fn(&ClassSum) -> bool| year_classes.iter().filter(|(_, c)| f(c)).count() as u64;
            let flagged_keys: BTreeSet<&(String, String)> =
                year_classes.iter().filter(|(_, c)| flagged(c)).map(|(k, _)| *k).collect();
            let vouchers: BTreeSet<&String> = in_year.iter().filter_map(|r| r.voucher.as_ref()).collect();
            let get = |m: &BTreeMap<i32, u64>| m.get(&year).copied().unwrap_or(0);
            TrainingYear {
                year,
                rows: in_year.len() as u64,
                completed: count(&|r| r.result != "dropped"),
                subsidised_completed: count(&|r| r.result != "dropped" && r.subsidised),
                youth_league_completed: count(&|r| r.result != "dropped" && r.youth_league),
                apprenticeship_persons: get(&apprentices),
                gold_collar_persons: get(&gold_collar),
                vouchers_used: vouchers.len() as u64,
                classes: year_classes.len() as u64,
                oversize_classes: class_count(&|c| c.size > 80),
                practical_short_classes: class_count(&|c| c.hours_practical * 10 < c.hours_total * 6),
                unsatisfied_classes: class_count(&|c| c.satisfaction.is_some_and(|s| s < 85.0)),
                short_certificate_course_classes: class_count(&|c| {
                    c.kind == "other" && c.no_occupation && c.hours_total < 40
                }),
                flagged_classes: flagged_keys.len() as u64,
                subsidised_in_noncompliant: count(&|r| {
                    r.result != "dropped"
                        && r.subsidised
                        && flagged_keys.contains(&(r.provider.clone(), r.class_id.clone()))
                }),
                certification_denominator: get(&denominator),
                certification_numerator: get(&numerator),
                certification_rate: share(get(&numerator), get(&denominator)),
                repeat_subsidised_persons: get(&repeaters),
            }
        })
        .collect();
    let trainees: BTreeSet<&str> = rows.iter().map(|r| r.person.as_str()).collect();
    let with = trainees.iter().filter(|p| by_person.contains_key(**p)).count() as u64;
    Figures { years, classes: classes.len() as u64, trainees: trainees.len() as u64, trainees_with_certificates: with }
}
