//! The fields of the input contract (DESIGN §4) and the header spellings that name them.

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
}

/// Number of fields.
pub const FIELD_COUNT: usize = 10;

impl Field {
    /// Every field, in contract order.
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
    ];

    /// Fields without which a file cannot be loaded.
    pub const REQUIRED: [Field; 4] = [Self::IdNumber, Self::CertNo, Self::CertType, Self::IssueDate];

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

/// Header spellings: which column header means which field. Matching folds both sides with
/// [`skillhouse_model::fold_cell`] and lower-cases ASCII letters.
#[derive(Debug, Clone)]
pub struct HeaderAliases {
    spellings: HashMap<String, Field>,
}

#[derive(serde::Deserialize)]
struct AliasFile {
    fields: HashMap<String, Vec<String>>,
}

fn normalise_header(raw: &str) -> String {
    fold_cell(raw).to_ascii_lowercase()
}

impl HeaderAliases {
    /// The spellings of DESIGN §4, used when no alias file is found.
    pub fn builtin() -> Self {
        let table: [(Field, &[&str]); FIELD_COUNT] = [
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
        let mut spellings = HashMap::new();
        for (field, names) in table {
            spellings.insert(field.code().to_string(), field);
            for name in names {
                spellings.insert(normalise_header(name), field);
            }
        }
        Self { spellings }
    }

    /// Parses an alias file (`[fields] id_number = ["身份证号", …]`). The canonical field names always match too.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self> {
        let file: AliasFile =
            toml::from_str(text).map_err(|source| IngestError::Aliases { path: path.to_path_buf(), source })?;
        let mut spellings = HashMap::new();
        for field in Field::ALL {
            spellings.insert(field.code().to_string(), field);
        }
        let mut keys: Vec<&String> = file.fields.keys().collect();
        keys.sort();
        for key in keys {
            // Unknown field names are ignored so that a newer alias file works with an older build.
            let Some(field) = Field::from_code(key) else {
                tracing::warn!(path = %path.display(), field = %key, "alias file names an unknown field; ignored");
                continue;
            };
            for spelling in file.fields.get(key).into_iter().flatten() {
                let norm = normalise_header(spelling);
                match spellings.get(&norm) {
                    Some(other) if *other != field => {
                        return Err(IngestError::AmbiguousAlias {
                            path: path.to_path_buf(),
                            spelling: norm,
                            first: other.code().to_string(),
                            second: field.code().to_string(),
                        });
                    }
                    _ => {
                        spellings.insert(norm, field);
                    }
                }
            }
        }
        Ok(Self { spellings })
    }

    /// Reads an alias file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::io(path, e))?;
        Self::from_toml(&text, path)
    }

    /// The field a header cell names, if any.
    pub fn field_of(&self, header: &str) -> Option<Field> {
        self.spellings.get(&normalise_header(header)).copied()
    }

    /// Maps a header row to fields: for each field, the index of the first column naming it.
    pub fn map_header<'a>(&self, cells: impl IntoIterator<Item = Option<&'a str>>) -> HeaderMap {
        let mut columns = [None; FIELD_COUNT];
        for (i, cell) in cells.into_iter().enumerate() {
            if let Some(field) = cell.and_then(|c| self.field_of(c)) {
                columns[field.index()].get_or_insert(i);
            }
        }
        HeaderMap { columns }
    }

    /// The spellings accepted for a field, sorted, for messages.
    pub fn spellings_of(&self, field: Field) -> Vec<&str> {
        let mut out: Vec<&str> = self.spellings.iter().filter(|(_, f)| **f == field).map(|(s, _)| s.as_str()).collect();
        out.sort_unstable();
        out
    }
}

/// Which column (0-based) holds each field in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderMap {
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
        Field::REQUIRED.into_iter().filter(|f| self.columns[f.index()].is_none()).collect()
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
    fn ambiguous_spelling_is_refused() {
        let toml = "[fields]\nid_number = [\"号码\"]\ncert_no = [\"号码\"]\n";
        assert!(matches!(HeaderAliases::from_toml(toml, Path::new("a.toml")), Err(IngestError::AmbiguousAlias { .. })));
    }

    #[test]
    fn header_map_finds_first_column_per_field() {
        let aliases = HeaderAliases::builtin();
        let map = aliases.map_header([Some("序号"), Some("姓名"), Some("身份证号"), None, Some("证书编号")]);
        assert_eq!(map.column(Field::IdNumber), Some(2));
        assert_eq!(map.column(Field::CertNo), Some(4));
        assert_eq!(map.missing_required(), vec![Field::CertType, Field::IssueDate]);
        assert!(map.is_header());
    }
}
