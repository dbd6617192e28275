//! The fields of the input contracts — certificate files (DESIGN §4) and training files (§16) — and the header
//! spellings that name them.

use crate::error::{IngestError, Result};
use skillhouse_model::fold_cell;
use std::collections::HashMap;
use std::path::Path;

/// One field of an agency's certificate file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// 身份证号 — required.
    IdNumber,
    /// 姓名 — read only to be dropped.
    Name,
    /// 证书编号 — required.
    CertNo,
    /// 证书类型 — required.
    CertType,
    /// 职业编码 — required for level-bearing types.
    OccupationCode,
    /// 职业名称 — informative only.
    OccupationName,
    /// 等级 — required for level-bearing types.
    Level,
    /// 发证日期 — required.
    IssueDate,
    /// 评价机构代码 — optional; must agree with the folder.
    AgencyId,
    /// 专项 — optional.
    Programme,
    /// 培训机构代码 — training; optional, must agree with the folder.
    ProviderId,
    /// 班级编号 — training; required.
    ClassId,
    /// 培训类型 — training; required.
    TrainingKind,
    /// 是否补贴性培训 — training; required.
    Subsidised,
    /// 培训券编号 — training; optional.
    VoucherNo,
    /// 组织单位 — training; optional.
    Organiser,
    /// 开班日期 — training; required.
    StartDate,
    /// 结业日期 — training; required.
    EndDate,
    /// 总课时 — training; required.
    HoursTotal,
    /// 实操课时 — training; required.
    HoursPractical,
    /// 满意度 — training; optional.
    Satisfaction,
    /// 培训结果 — training; required.
    Result,
}

/// Number of fields, of every input.
pub const FIELD_COUNT: usize = 22;

/// Which input contract a submitted file follows: an evaluation agency's certificates (DESIGN §4) or a training
/// provider's trainees (§16). The ledger records it (`input` column), so that a provider and an agency with the same
/// code and month are two slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Input {
    /// `landing/<agency_id>/<YYYY-MM>.<ext>`.
    #[default]
    Certificates,
    /// `landing/training/<provider_id>/<YYYY-MM>.<ext>`.
    Training,
    /// `landing/reported/<name>.<ext>`: figures only an office knows (DESIGN §17). Read by `crate::reported`
    /// with §17's column names, not through the header aliases.
    Reported,
    /// `landing/revocations.csv|.xlsx`: the HR office's revocation register (DESIGN §18), read by
    /// `revocations.rs`, not by the submission readers.
    Revocations,
    /// `landing/renewals.csv|.xlsx`: the renewal register (复审, DESIGN §18), read like the revocations.
    Renewals,
}

impl Input {
    /// The inputs whose files are kept one per slice in their own folders (an agency's or provider's month, a
    /// reported-figures file), whose leftovers the ledger decides.
    pub const SLICED: [Input; 3] = [Self::Certificates, Self::Training, Self::Reported];

    /// Every input the ledger records.
    pub const ALL: [Input; 5] = [Self::Certificates, Self::Training, Self::Reported, Self::Revocations, Self::Renewals];

    /// The ledger's `input` value: `certificates`, `training`, `reported`, `revocations` or `renewals`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Certificates => "certificates",
            Self::Training => "training",
            Self::Reported => "reported",
            Self::Revocations => "revocations",
            Self::Renewals => "renewals",
        }
    }

    /// Parses a ledger `input` value.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.code() == code)
    }

    /// The fields of this input's files.
    pub const fn fields(self) -> &'static [Field] {
        match self {
            Self::Certificates => &Field::CERTIFICATE,
            Self::Training => &Field::TRAINING,
            // Reported figures and the registers have their own readers (`reported`, `revocations.rs`) and no
            // fields of the submission readers.
            Self::Reported | Self::Revocations | Self::Renewals => &[],
        }
    }

    /// Columns without which a file of this input cannot be loaded.
    pub const fn required(self) -> &'static [Field] {
        match self {
            Self::Certificates => &Field::REQUIRED,
            Self::Training => &Field::TRAINING_REQUIRED,
            Self::Reported | Self::Revocations | Self::Renewals => &[],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl Field {
    /// Every field of every input, certificates' first, in contract order.
    pub const ALL: [Field; FIELD_COUNT] = [
        Self::IdNumber,
        Self::Name,
        Self::CertNo,
        Self::CertType,
        Self::OccupationCode,
        Self::OccupationName,
        Self::Level,
        Self::IssueDate,
        Self::AgencyId,
        Self::Programme,
        Self::ProviderId,
        Self::ClassId,
        Self::TrainingKind,
        Self::Subsidised,
        Self::VoucherNo,
        Self::Organiser,
        Self::StartDate,
        Self::EndDate,
        Self::HoursTotal,
        Self::HoursPractical,
        Self::Satisfaction,
        Self::Result,
    ];

    /// The fields of a certificate file (DESIGN §4).
    pub const CERTIFICATE: [Field; 10] = [
        Self::IdNumber,
        Self::Name,
        Self::CertNo,
        Self::CertType,
        Self::OccupationCode,
        Self::OccupationName,
        Self::Level,
        Self::IssueDate,
        Self::AgencyId,
        Self::Programme,
    ];

    /// Columns without which a certificate file cannot be loaded.
    pub const REQUIRED: [Field; 4] = [Self::IdNumber, Self::CertNo, Self::CertType, Self::IssueDate];

    /// The fields of a training file (DESIGN §16), in its table's order.
    pub const TRAINING: [Field; 16] = [
        Self::IdNumber,
        Self::Name,
        Self::ProviderId,
        Self::ClassId,
        Self::TrainingKind,
        Self::OccupationCode,
        Self::Programme,
        Self::Subsidised,
        Self::VoucherNo,
        Self::Organiser,
        Self::StartDate,
        Self::EndDate,
        Self::HoursTotal,
        Self::HoursPractical,
        Self::Satisfaction,
        Self::Result,
    ];

    /// Columns without which a training file cannot be loaded: its required fields (an empty cell in them is a
    /// `missing_field` row).
    pub const TRAINING_REQUIRED: [Field; 9] = [
        Self::IdNumber,
        Self::ClassId,
        Self::TrainingKind,
        Self::Subsidised,
        Self::StartDate,
        Self::EndDate,
        Self::HoursTotal,
        Self::HoursPractical,
        Self::Result,
    ];

    /// The canonical (English) field name, as in the alias file and reject reports.
    pub const fn code(self) -> &'static str {
        match self {
            Self::IdNumber => "id_number",
            Self::Name => "name",
            Self::CertNo => "cert_no",
            Self::CertType => "cert_type",
            Self::OccupationCode => "occupation_code",
            Self::OccupationName => "occupation_name",
            Self::Level => "level",
            Self::IssueDate => "issue_date",
            Self::AgencyId => "agency_id",
            Self::Programme => "programme",
            Self::ProviderId => "provider_id",
            Self::ClassId => "class_id",
            Self::TrainingKind => "training_kind",
            Self::Subsidised => "subsidised",
            Self::VoucherNo => "voucher_no",
            Self::Organiser => "organiser",
            Self::StartDate => "start_date",
            Self::EndDate => "end_date",
            Self::HoursTotal => "hours_total",
            Self::HoursPractical => "hours_practical",
            Self::Satisfaction => "satisfaction",
            Self::Result => "result",
        }
    }

    /// The usual Chinese header, for messages to clerks.
    pub const fn header_zh(self) -> &'static str {
        match self {
            Self::IdNumber => "身份证号",
            Self::Name => "姓名",
            Self::CertNo => "证书编号",
            Self::CertType => "证书类型",
            Self::OccupationCode => "职业编码",
            Self::OccupationName => "职业名称",
            Self::Level => "等级",
            Self::IssueDate => "发证日期",
            Self::AgencyId => "评价机构代码",
            Self::Programme => "专项",
            Self::ProviderId => "培训机构代码",
            Self::ClassId => "班级编号",
            Self::TrainingKind => "培训类型",
            Self::Subsidised => "是否补贴性培训",
            Self::VoucherNo => "培训券编号",
            Self::Organiser => "组织单位",
            Self::StartDate => "开班日期",
            Self::EndDate => "结业日期",
            Self::HoursTotal => "总课时",
            Self::HoursPractical => "实操课时",
            Self::Satisfaction => "满意度",
            Self::Result => "培训结果",
        }
    }

    /// Position in [`Field::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Parses a canonical field name.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// Header spellings: which column header means which field, for each input. Matching folds both sides with
/// [`skillhouse_model::fold_cell`] and lower-cases ASCII letters.
///
/// The alias file has a `[fields]` table for certificate files (DESIGN §4) and a `[training_fields]` table for
/// training files (§16). A spelling may name different fields in the two (`机构代码` is an agency's code in a
/// certificate file and a provider's in a training file), never two fields of one input. The fields training files
/// share with certificate files (id_number, name, occupation_code, programme: "as §4") take the `[fields]`
/// spellings too. An alias file without `[training_fields]` (written before training existed) gets the built-in
/// training spellings.
#[derive(Debug, Clone)]
pub struct HeaderAliases {
    /// By [`Input`] (reported figures have none: their columns are DESIGN §17's names).
    spellings: [HashMap<String, Field>; 3],
}

#[derive(serde::Deserialize)]
struct AliasFile {
    fields: HashMap<String, Vec<String>>,
    training_fields: Option<HashMap<String, Vec<String>>>,
}

fn normalise_header(raw: &str) -> String {
    fold_cell(raw).to_ascii_lowercase()
}

/// The spellings of DESIGN §4.
const CERTIFICATE_SPELLINGS: [(Field, &[&str]); 10] = [
    (Field::IdNumber, &["身份证号", "身份证号码", "公民身份号码", "证件号码"]),
    (Field::Name, &["姓名"]),
    (Field::CertNo, &["证书编号", "证书号"]),
    (Field::CertType, &["证书类型", "证书种类"]),
    (Field::OccupationCode, &["职业编码", "职业代码"]),
    (Field::OccupationName, &["职业名称", "职业（工种）"]),
    (Field::Level, &["等级", "技能等级", "职业技能等级"]),
    (Field::IssueDate, &["发证日期", "发证时间", "颁证日期"]),
    (Field::AgencyId, &["评价机构代码", "机构代码"]),
    (Field::Programme, &["专项", "培训专项"]),
];

/// The spellings of DESIGN §16 for the fields only training files have.
const TRAINING_SPELLINGS: [(Field, &[&str]); 12] = [
    (Field::ProviderId, &["培训机构代码", "机构代码"]),
    (Field::ClassId, &["班级编号", "培训班号"]),
    (Field::TrainingKind, &["培训类型", "培训类别"]),
    (Field::Subsidised, &["是否补贴性培训", "补贴性培训"]),
    (Field::VoucherNo, &["培训券编号", "电子培训券号"]),
    (Field::Organiser, &["组织单位", "组织单位类型"]),
    (Field::StartDate, &["开班日期", "培训开始日期"]),
    (Field::EndDate, &["结业日期", "培训结束日期"]),
    (Field::HoursTotal, &["总课时", "培训课时"]),
    (Field::HoursPractical, &["实操课时"]),
    (Field::Satisfaction, &["满意度"]),
    (Field::Result, &["培训结果", "结业情况"]),
];

/// Adds `names` as spellings of `field`, refusing one already naming another field of the same input.
fn add_spellings<'a>(
    map: &mut HashMap<String, Field>,
    field: Field,
    names: impl IntoIterator<Item = &'a str>,
    path: &Path,
) -> Result<()> {
    for name in names {
        let norm = normalise_header(name);
        match map.get(&norm) {
            Some(other) if *other != field => {
                return Err(IngestError::AmbiguousAlias {
                    path: path.to_path_buf(),
                    spelling: norm,
                    first: other.code().to_string(),
                    second: field.code().to_string(),
                });
            }
            _ => {
                map.insert(norm, field);
            }
        }
    }
    Ok(())
}

/// The canonical names of an input's fields, which always match.
fn codes_of(input: Input) -> HashMap<String, Field> {
    input.fields().iter().map(|f| (f.code().to_string(), *f)).collect()
}

/// Adds a table of the alias file (`field name = [spellings]`) for `input`; names of fields the input does not have
/// are ignored with a warning, so that a newer alias file works with an older build.
fn add_table(
    map: &mut HashMap<String, Field>,
    input: Input,
    table: &HashMap<String, Vec<String>>,
    path: &Path,
) -> Result<()> {
    let mut keys: Vec<&String> = table.keys().collect();
    keys.sort();
    for key in keys {
        let Some(field) = Field::from_code(key).filter(|f| input.fields().contains(f)) else {
            tracing::warn!(path = %path.display(), field = %key, input = input.code(), "alias file names an unknown field; ignored");
            continue;
        };
        add_spellings(map, field, table.get(key).into_iter().flatten().map(String::as_str), path)?;
    }
    Ok(())
}

/// The fields a training file shares with certificate files, spelled "as §4".
fn shared_with_certificates(field: Field) -> bool {
    Input::Training.fields().contains(&field) && Input::Certificates.fields().contains(&field)
}

impl HeaderAliases {
    /// The spellings of DESIGN §4 and §16, used when no alias file is found.
    pub fn builtin() -> Self {
        let here = Path::new("(built-in spellings)");
        let mut certificates = codes_of(Input::Certificates);
        let mut training = codes_of(Input::Training);
        for (field, names) in CERTIFICATE_SPELLINGS {
            // The built-in lists are disjoint by construction (a unit test checks), so this cannot fail.
            let _ = add_spellings(&mut certificates, field, names.iter().copied(), here);
            if shared_with_certificates(field) {
                let _ = add_spellings(&mut training, field, names.iter().copied(), here);
            }
        }
        for (field, names) in TRAINING_SPELLINGS {
            let _ = add_spellings(&mut training, field, names.iter().copied(), here);
        }
        Self { spellings: [certificates, training, HashMap::new()] }
    }

    /// Parses an alias file (`[fields] id_number = ["身份证号", …]`, `[training_fields] class_id = [...]`). The
    /// canonical field names always match too.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self> {
        let file: AliasFile =
            toml::from_str(text).map_err(|source| IngestError::Aliases { path: path.to_path_buf(), source })?;
        let mut certificates = codes_of(Input::Certificates);
        add_table(&mut certificates, Input::Certificates, &file.fields, path)?;
        let mut training = codes_of(Input::Training);
        let shared: HashMap<String, Vec<String>> = file
            .fields
            .iter()
            .filter(|(key, _)| Field::from_code(key).is_some_and(shared_with_certificates))
            .map(|(key, names)| (key.clone(), names.clone()))
            .collect();
        add_table(&mut training, Input::Training, &shared, path)?;
        match &file.training_fields {
            Some(table) => add_table(&mut training, Input::Training, table, path)?,
            None => {
                for (field, names) in TRAINING_SPELLINGS {
                    add_spellings(&mut training, field, names.iter().copied(), path)?;
                }
            }
        }
        Ok(Self { spellings: [certificates, training, HashMap::new()] })
    }

    /// Reads an alias file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::io(path, e))?;
        Self::from_toml(&text, path)
    }

    /// The field a header cell of a certificate file names, if any.
    pub fn field_of(&self, header: &str) -> Option<Field> {
        self.field_of_in(Input::Certificates, header)
    }

    /// The field a header cell of a file of `input` names, if any.
    pub fn field_of_in(&self, input: Input, header: &str) -> Option<Field> {
        // The registers (revocations, renewals) have no spellings here: nothing maps.
        self.spellings.get(input.index())?.get(&normalise_header(header)).copied()
    }

    /// Maps a header row of a file of `input` to fields: for each field, the index of the first column naming it.
    pub fn map_header<'a>(&self, input: Input, cells: impl IntoIterator<Item = Option<&'a str>>) -> HeaderMap {
        let mut columns = [None; FIELD_COUNT];
        for (i, cell) in cells.into_iter().enumerate() {
            if let Some(field) = cell.and_then(|c| self.field_of_in(input, c)) {
                columns[field.index()].get_or_insert(i);
            }
        }
        HeaderMap { input, columns }
    }

    /// The spellings accepted for a field of a certificate file, sorted, for messages.
    pub fn spellings_of(&self, field: Field) -> Vec<&str> {
        self.spellings_in(Input::Certificates, field)
    }

    /// The spellings accepted for a field of a file of `input`, sorted, for messages.
    pub fn spellings_in(&self, input: Input, field: Field) -> Vec<&str> {
        let Some(map) = self.spellings.get(input.index()) else { return Vec::new() };
        let mut out: Vec<&str> = map.iter().filter(|(_, f)| **f == field).map(|(s, _)| s.as_str()).collect();
        out.sort_unstable();
        out
    }
}

/// Which column (0-based) holds each field in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderMap {
    /// The input the header was read as.
    pub input: Input,
    /// Column index per field, indexed by [`Field::index`].
    pub columns: [Option<usize>; FIELD_COUNT],
}

impl HeaderMap {
    /// How many fields were recognised.
    pub fn recognised(&self) -> usize {
        self.columns.iter().filter(|c| c.is_some()).count()
    }

    /// Whether this row looks like a header: at least two recognised fields.
    pub fn is_header(&self) -> bool {
        self.recognised() >= 2
    }

    /// Required fields the header lacks.
    pub fn missing_required(&self) -> Vec<Field> {
        self.input.required().iter().copied().filter(|f| self.columns[f.index()].is_none()).collect()
    }

    /// Column of a field.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns[field.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_toml_match_design_spellings() {
        let builtin = HeaderAliases::builtin();
        assert_eq!(builtin.field_of(" 身份证号码 "), Some(Field::IdNumber));
        assert_eq!(builtin.field_of("ID_Number"), Some(Field::IdNumber));
        assert_eq!(builtin.field_of("职业(工种)"), Some(Field::OccupationName));
        assert_eq!(builtin.field_of("备注"), None);
        let toml = "[fields]\nid_number = [\"身份证件号码\"]\nlevel = [\"证书等级\"]\n";
        let parsed = HeaderAliases::from_toml(toml, Path::new("a.toml")).expect("aliases");
        assert_eq!(parsed.field_of("身份证件号码"), Some(Field::IdNumber));
        assert_eq!(parsed.field_of("LEVEL"), Some(Field::Level));
        assert_eq!(parsed.field_of("身份证号"), None, "only the file's spellings and the codes");
    }

    #[test]
    fn training_spellings_are_their_own() {
        let builtin = HeaderAliases::builtin();
        assert_eq!(builtin.field_of_in(Input::Training, "机构代码"), Some(Field::ProviderId));
        assert_eq!(builtin.field_of_in(Input::Certificates, "机构代码"), Some(Field::AgencyId));
        assert_eq!(builtin.field_of_in(Input::Training, "身份证号码"), Some(Field::IdNumber), "as §4");
        assert_eq!(builtin.field_of_in(Input::Training, "证书编号"), None, "not a training field");
        assert_eq!(builtin.field_of_in(Input::Certificates, "班级编号"), None);
        for field in Field::TRAINING {
            assert_eq!(builtin.field_of_in(Input::Training, field.code()), Some(field), "{field:?}");
        }
        // An alias file from before training: the shared fields take its spellings, the others the built-in ones.
        let old = "[fields]\nid_number = [\"持证人证件号\"]\nagency_id = [\"机构代码\"]\n";
        let parsed = HeaderAliases::from_toml(old, Path::new("a.toml")).expect("aliases");
        assert_eq!(parsed.field_of_in(Input::Training, "持证人证件号"), Some(Field::IdNumber));
        assert_eq!(parsed.field_of_in(Input::Training, "结业日期"), Some(Field::EndDate));
        assert_eq!(parsed.field_of_in(Input::Training, "机构代码"), Some(Field::ProviderId));
        let own = "[fields]\nid_number = []\n[training_fields]\nclass_id = [\"班次\"]\n";
        let parsed = HeaderAliases::from_toml(own, Path::new("a.toml")).expect("aliases");
        assert_eq!(parsed.field_of_in(Input::Training, "班次"), Some(Field::ClassId));
        assert_eq!(parsed.field_of_in(Input::Training, "班级编号"), None, "only the file's spellings and the codes");
        let ambiguous = "[fields]\n[training_fields]\nclass_id = [\"编号\"]\nvoucher_no = [\"编号\"]\n";
        assert!(matches!(
            HeaderAliases::from_toml(ambiguous, Path::new("a.toml")),
            Err(IngestError::AmbiguousAlias { .. })
        ));
        let map = builtin.map_header(Input::Training, [Some("身份证号"), Some("班级编号")]);
        assert_eq!(map.missing_required().len(), Field::TRAINING_REQUIRED.len() - 2);
    }

    #[test]
    fn ambiguous_spelling_is_refused() {
        let toml = "[fields]\nid_number = [\"号码\"]\ncert_no = [\"号码\"]\n";
        assert!(matches!(HeaderAliases::from_toml(toml, Path::new("a.toml")), Err(IngestError::AmbiguousAlias { .. })));
    }

    #[test]
    fn header_map_finds_first_column_per_field() {
        let aliases = HeaderAliases::builtin();
        let map = aliases
            .map_header(Input::Certificates, [Some("序号"), Some("姓名"), Some("身份证号"), None, Some("证书编号")]);
        assert_eq!(map.column(Field::IdNumber), Some(2));
        assert_eq!(map.column(Field::CertNo), Some(4));
        assert_eq!(map.missing_required(), vec![Field::CertType, Field::IssueDate]);
        assert!(map.is_header());
    }
}
