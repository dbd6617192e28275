//! An independent reader of landing folders and a checker of DESIGN §6, written from the design rather than from
//! the generator, so that the manifest's promises can be verified row by row: the rows each file holds, and the
//! one reason code (or acceptance) each row gets under the checking order.

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use skillhouse_datagen::{FileEntry, FileFacts, Manifest};
use skillhouse_model::{
    CertType, IdNumber, Level, Programme, RejectReason, age_on, check_skill_level_cert_no, excel_serial_to_date,
    fold_cell, parse_date,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;
use std::path::Path;

/// A field and its header spellings.
pub type Spellings = [(&'static str, &'static [&'static str])];

/// Header spellings of DESIGN §4, typed again here on purpose.
const SPELLINGS: [(&str, &[&str]); 10] = [
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

/// What a file's manifest entry says of its shape, and the vocabulary of its kind of file.
pub struct Shape<'a> {
    pub path: &'a str,
    pub facts: &'a FileFacts,
    pub columns: usize,
    /// The fields and their header spellings.
    pub spellings: &'static Spellings,
    /// The fields holding dates (a number there is a spreadsheet serial date).
    pub dates: &'static [&'static str],
}

impl Shape<'_> {
    fn canonical(&self, header: &str) -> Option<&'static str> {
        let h = fold_cell(header).to_ascii_lowercase();
        self.spellings.iter().find(|(_, s)| s.iter().any(|x| fold_cell(x).to_ascii_lowercase() == h)).map(|(c, _)| *c)
    }
}

/// One input row: canonical field → raw text.
pub type Row = BTreeMap<&'static str, String>;

/// Reads a readable certificate file's data rows, checking its declared encoding on the way.
pub fn read_rows(landing: &Path, entry: &FileEntry) -> Vec<Row> {
    let shape = Shape {
        path: &entry.path,
        facts: &entry.facts,
        columns: entry.columns.len(),
        spellings: &SPELLINGS,
        dates: &["issue_date"],
    };
    read_table(landing, &shape)
}

/// Reads a readable file's data rows, checking its declared encoding and layout on the way.
pub fn read_table(landing: &Path, shape: &Shape<'_>) -> Vec<Row> {
    let bytes = std::fs::read(landing.join(shape.path)).expect("read file");
    match shape.facts.format.as_str() {
        "csv" => read_csv(&bytes, shape),
        "jsonl" => read_jsonl(&bytes, shape),
        "xlsx" => read_xlsx(bytes, shape),
        other => panic!("unknown format {other}"),
    }
}

fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8(rest.to_vec()).expect("utf-8 after BOM"), "utf-8-bom");
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), "utf-8");
    }
    let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(bytes);
    assert!(!had_errors, "neither UTF-8 nor GBK");
    (text.into_owned(), "gbk")
}

fn read_csv(bytes: &[u8], shape: &Shape<'_>) -> Vec<Row> {
    let (text, encoding) = decode(bytes);
    assert_eq!(encoding, shape.facts.encoding, "{}", shape.path);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers: Vec<Option<&'static str>> =
        reader.headers().expect("header").iter().map(|h| shape.canonical(h)).collect();
    assert_eq!(headers.len(), shape.columns, "{}", shape.path);
    assert!(headers.iter().all(Option::is_some), "{}: every header is a known spelling", shape.path);
    reader
        .records()
        .map(|record| {
            let record = record.expect("csv record");
            headers.iter().zip(record.iter()).filter_map(|(h, v)| h.map(|h| (h, v.to_string()))).collect()
        })
        .collect()
}

fn read_jsonl(bytes: &[u8], shape: &Shape<'_>) -> Vec<Row> {
    let text = std::str::from_utf8(bytes).expect("JSON Lines are UTF-8");
    assert_eq!(shape.facts.encoding, "utf-8");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON object");
            let object = value.as_object().expect("object");
            object
                .iter()
                .filter_map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::Number(n) => n.to_string(),
                        other => other.as_str().expect("a string or a number").to_string(),
                    };
                    shape.canonical(k).map(|c| (c, text))
                })
                .collect()
        })
        .collect()
}

fn cell_text(cell: &Data, field: &str, shape: &Shape<'_>) -> String {
    let date = |serial: f64| excel_serial_to_date(serial).expect("serial date").format("%Y-%m-%d").to_string();
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        Data::Float(f) if shape.dates.contains(&field) => date(*f),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::DateTime(dt) => date(dt.as_f64()),
        other => panic!("unexpected cell {other:?}"),
    }
}

fn read_xlsx(bytes: Vec<u8>, shape: &Shape<'_>) -> Vec<Row> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("workbook");
    let names = workbook.sheet_names();
    let sheet = names[shape.facts.data_sheet_index as usize].clone();
    let range = workbook.worksheet_range(&sheet).expect("sheet");
    let rows: Vec<&[Data]> = range.rows().collect();
    let header_at = rows
        .iter()
        .position(|r| r.iter().filter(|c| matches!(c, Data::String(s) if shape.canonical(s).is_some())).count() >= 4)
        .expect("a header row");
    assert_eq!(header_at > 0, shape.facts.has_title_row, "{}: title row", shape.path);
    let headers: Vec<Option<&'static str>> =
        rows[header_at].iter().map(|c| if let Data::String(s) = c { shape.canonical(s) } else { None }).collect();
    let mut out = Vec::new();
    for row in &rows[header_at + 1..] {
        if row.iter().all(|c| *c == Data::Empty) {
            break;
        }
        out.push(headers.iter().zip(row.iter()).filter_map(|(h, c)| h.map(|h| (h, cell_text(c, h, shape)))).collect());
    }
    let notes = rows[header_at + 1 + out.len()..].iter().any(|r| r.iter().any(|c| *c != Data::Empty));
    assert_eq!(notes, shape.facts.has_notes_rows, "{}: notes rows", shape.path);
    out
}

/// The occupation reference: code → (lowest, highest) level offered.
fn occupations() -> HashMap<String, (Level, Level)> {
    let text = include_str!("../../../../datasets/reference/occupations.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].to_string(), (Level::parse(c[4]).expect("min"), Level::parse(c[5]).expect("max")))
        })
        .collect()
}

/// What the checker found in a whole drop.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Per file path: rows read, accepted, rejects by reason, flagged duplicate claims.
    pub files: BTreeMap<String, FileOutcome>,
    /// Accepted rows not flagged as duplicate claims: (issue year, level) for level-bearing types.
    pub counted_levels: Vec<(i32, Level)>,
    /// Valid rows whose programme cell is filled.
    pub tagged: usize,
    /// Valid rows.
    pub accepted: usize,
    /// Accepted skill certificates (DESIGN §8) not flagged as duplicate claims: normalised ID, occupation code
    /// (empty for none), issue date.
    pub skill_certificates: Vec<(String, String, NaiveDate)>,
}

/// Per-file figures.
#[derive(Debug, Default, PartialEq)]
pub struct FileOutcome {
    pub rows: u64,
    pub accepted: u64,
    pub rejects: BTreeMap<String, u64>,
    pub duplicate_claims: u64,
}

struct Accepted {
    file: String,
    person: String,
    occupation: String,
    level: Option<Level>,
    date: NaiveDate,
    cert_no: String,
    skill: bool,
}

/// The ids (first column) of a registry file.
pub fn registry_ids(path: &Path) -> HashSet<String> {
    let text = std::fs::read_to_string(path).expect("registry");
    text.lines().skip(1).map(|l| l.split(',').next().expect("id").to_string()).collect()
}

/// Reads every readable file of the drop in path order and classifies every row under DESIGN §6.
pub fn check(landing: &Path, manifest: &Manifest) -> Outcome {
    let as_of = NaiveDate::parse_from_str(&manifest.as_of, "%Y-%m-%d").expect("as_of");
    let registry = registry_ids(&landing.join("agencies.csv"));
    let occupations = occupations();
    let mut entries: Vec<&FileEntry> = manifest.files.iter().filter(|f| f.facts.readable).collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen_numbers = HashSet::new();
    let mut accepted = Vec::new();
    let mut outcome = Outcome::default();
    for entry in entries {
        let folder = entry.path.split('/').next().expect("folder").to_string();
        let file = outcome.files.entry(entry.path.clone()).or_default();
        for row in read_rows(landing, entry) {
            file.rows += 1;
            let get = |f: &str| fold_cell(row.get(f).map(String::as_str).unwrap_or("")).into_owned();
            match classify(&get, &folder, &registry, &occupations, as_of, &seen_numbers) {
                Err(reason) => *file.rejects.entry(reason.code().to_string()).or_default() += 1,
                Ok(a) => {
                    file.accepted += 1;
                    outcome.accepted += 1;
                    if !get("programme").is_empty() {
                        assert!(Programme::parse(&get("programme")).is_some(), "programme {:?}", get("programme"));
                        outcome.tagged += 1;
                    }
                    seen_numbers.insert(a.cert_no.clone());
                    accepted.push(Accepted { file: entry.path.clone(), ..a });
                }
            }
        }
    }
    // Duplicate claims: per person, occupation and level, all but the earliest (then smallest number).
    let mut groups: HashMap<(String, String, Level), Vec<usize>> = HashMap::new();
    for (i, a) in accepted.iter().enumerate() {
        if let Some(level) = a.level {
            groups.entry((a.person.clone(), a.occupation.clone(), level)).or_default().push(i);
        }
    }
    let mut flagged = vec![false; accepted.len()];
    for members in groups.values_mut() {
        members.sort_by(|x, y| {
            (accepted[*x].date, &accepted[*x].cert_no).cmp(&(accepted[*y].date, &accepted[*y].cert_no))
        });
        for i in &members[1..] {
            flagged[*i] = true;
            outcome.files.get_mut(&accepted[*i].file).expect("file").duplicate_claims += 1;
        }
    }
    for (a, f) in accepted.iter().zip(flagged) {
        if let (Some(level), false) = (a.level, f) {
            outcome.counted_levels.push((chrono::Datelike::year(&a.date), level));
        }
        if a.skill && !f {
            outcome.skill_certificates.push((a.person.clone(), a.occupation.clone(), a.date));
        }
    }
    outcome
}

fn classify(
    get: &dyn Fn(&str) -> String,
    folder: &str,
    registry: &HashSet<String>,
    occupations: &HashMap<String, (Level, Level)>,
    as_of: NaiveDate,
    seen_numbers: &HashSet<String>,
) -> Result<Accepted, RejectReason> {
    use RejectReason as R;
    let (id, cert_no, cert_type, date) = (get("id_number"), get("cert_no"), get("cert_type"), get("issue_date"));
    if id.is_empty() || cert_no.is_empty() || cert_type.is_empty() || date.is_empty() {
        return Err(R::MissingField);
    }
    let id = IdNumber::parse(&id).map_err(|e| e.reason())?;
    let cert_type = CertType::parse(&cert_type).ok_or(R::UnknownCertType)?;
    let level_text = get("level");
    let level = match (cert_type.bears_level(), level_text.is_empty()) {
        (true, true) | (false, false) => return Err(R::UnknownLevel),
        (true, false) => Some(Level::parse(&level_text).ok_or(R::UnknownLevel)?),
        (false, true) => None,
    };
    let occupation = get("occupation_code");
    let offered = if occupation.is_empty() {
        if cert_type.bears_level() {
            return Err(R::UnknownOccupation);
        }
        None
    } else {
        Some(*occupations.get(&occupation).ok_or(R::UnknownOccupation)?)
    };
    if let (Some(level), Some((min, max))) = (level, offered)
        && level <= Level::L1
        && !(min <= level && level <= max)
    {
        return Err(R::LevelNotOffered);
    }
    let date = parse_date(&date).ok_or(R::IssueDateInvalid)?;
    if date > as_of {
        return Err(R::IssueDateFuture);
    }
    if age_on(id.birth_date(), date).is_none_or(|a| a < 16) {
        return Err(R::UnderAge);
    }
    let row_agency = get("agency_id");
    if !row_agency.is_empty() && row_agency != folder {
        return Err(R::AgencyMismatch);
    }
    if !registry.contains(folder) {
        return Err(R::UnknownAgency);
    }
    if let (CertType::SkillLevel, Some(level)) = (cert_type, level) {
        check_skill_level_cert_no(&cert_no, chrono::Datelike::year(&date), level).map_err(|e| e.reason())?;
    }
    if seen_numbers.contains(&cert_no) {
        return Err(R::DuplicateCertNo);
    }
    let skill = cert_type.is_skill();
    Ok(Accepted { file: String::new(), person: id.expose().to_string(), occupation, level, date, cert_no, skill })
}
