//! Reference data ingestion needs: the occupation table (levels each occupation offers), the registry of
//! evaluation agencies (type and reporting region of each agency) and the registry of training providers (§16).

use crate::decode::{decode_text, unify_line_ends};
use crate::error::{IngestError, Result};
use crate::read::{Format, XlsxLimits, xlsx_rows};
use chrono::NaiveDate;
use polars::prelude::*;
use skillhouse_model::{AgencyType, Level, ProviderType, ReportingUnit, fold_cell, normalize_key, parse_date};
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::ops::ControlFlow;
use std::path::Path;

/// The occupations of 职业分类大典 that certificates may name, with the range of levels each offers.
#[derive(Debug, Clone, Default)]
pub struct Occupations {
    offered: HashMap<String, (Level, Level)>,
}

impl Occupations {
    /// Loads `occupations.csv` (columns `occupation_code`, `min_level`, `max_level`, …).
    pub fn load(path: &Path) -> Result<Self> {
        let rows = read_table_file(path)?;
        let header = rows.first().ok_or_else(|| IngestError::ReferenceUnreadable {
            path: path.to_path_buf(),
            message: "the occupation table is empty".into(),
        })?;
        let col = |name: &str| -> Result<usize> {
            header
                .iter()
                .position(|h| h.as_deref().map(|h| fold_cell(h).to_ascii_lowercase()) == Some(name.into()))
                .ok_or_else(|| IngestError::ReferenceUnreadable {
                    path: path.to_path_buf(),
                    message: format!("the occupation table has no column {name}"),
                })
        };
        let (code_col, min_col, max_col) = (col("occupation_code")?, col("min_level")?, col("max_level")?);
        let mut offered = HashMap::new();
        for (i, row) in rows.iter().enumerate().skip(1) {
            let cell = |c: usize| row.get(c).cloned().flatten().unwrap_or_default();
            let code = normalize_key(&cell(code_col))
                .map_err(|e| IngestError::Reference { path: path.to_path_buf(), row: i + 1, problem: e.to_string() })?
                .into_owned();
            if code.is_empty() {
                continue;
            }
            let level = |c: usize| {
                Level::parse(&cell(c)).ok_or_else(|| IngestError::Reference {
                    path: path.to_path_buf(),
                    row: i + 1,
                    problem: format!("occupation {code}: level {:?} not recognised", cell(c)),
                })
            };
            offered.insert(code.clone(), (level(min_col)?, level(max_col)?));
        }
        Ok(Self { offered })
    }

    /// Builds a table from `(code, lowest level, highest level)` triples.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = (&'a str, Level, Level)>) -> Self {
        Self { offered: entries.into_iter().map(|(c, lo, hi)| (c.to_string(), (lo, hi))).collect() }
    }

    /// Whether the code is a known occupation.
    pub fn contains(&self, code: &str) -> bool {
        self.offered.contains_key(code)
    }

    /// Whether the occupation offers a level. special_grade and chief are open to every occupation; unknown
    /// occupations offer nothing.
    pub fn offers(&self, code: &str, level: Level) -> bool {
        if level.digit().is_none() {
            return self.contains(code);
        }
        self.offered.get(code).is_some_and(|(lo, hi)| (lo.rank()..=hi.rank()).contains(&level.rank()))
    }

    /// Number of occupations.
    pub fn len(&self) -> usize {
        self.offered.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.offered.is_empty()
    }
}

/// One evaluation agency of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Agency code (the landing folder's name).
    pub agency_id: String,
    /// Agency name.
    pub name: String,
    /// Kind of agency.
    pub agency_type: AgencyType,
    /// Reporting unit (6-digit region code) its certificates count in.
    pub region_code: String,
    /// Date of registration, if given.
    pub registered_on: Option<NaiveDate>,
    /// Date the agency left the registry (动态退出, DESIGN §18), if it has: from then on it is not counted as
    /// registered. Its certificates issued before stay.
    pub deregistered_on: Option<NaiveDate>,
}

/// The registry of evaluation agencies (`landing/agencies.csv` or `.xlsx`), keyed by agency code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    agencies: BTreeMap<String, Agency>,
}

const REGISTRY_HEADERS: [(&str, &[&str]); 6] = [
    ("agency_id", &["agency_id", "机构代码", "评价机构代码", "机构编码", "评价机构编码"]),
    ("name", &["name", "机构名称", "评价机构名称", "名称"]),
    ("agency_type", &["agency_type", "机构类型", "评价机构类型", "类型"]),
    ("region_code", &["region_code", "地区代码", "统计地区", "所属地区代码", "行政区划代码"]),
    ("registered_on", &["registered_on", "备案日期", "登记日期", "备案时间"]),
    ("deregistered_on", &["deregistered_on", "退出日期", "注销日期", "撤销备案日期"]),
];

impl Registry {
    /// Reads a registry file (CSV in UTF-8/GBK, or XLSX).
    pub fn load(path: &Path) -> Result<Self> {
        let rows = registry_rows(
            path,
            &REGISTRY_HEADERS,
            &[0, 2, 3],
            "no header with agency_id, agency_type and region_code",
        )?;
        let mut agencies = BTreeMap::new();
        for (row, [agency_id, name, agency_type, region_code, registered_on, deregistered_on]) in rows {
            let problem = |problem: String| IngestError::Reference { path: path.to_path_buf(), row, problem };
            // The registry's codes are keys like the rows' and folders': the same normal form on every side.
            let agency_id = normalize_key(&agency_id).map_err(|e| problem(format!("agency_id: {e}")))?.into_owned();
            if agency_id.is_empty() {
                continue;
            }
            let agency_type = AgencyType::parse(&agency_type)
                .ok_or_else(|| problem(format!("agency {agency_id}: agency type {agency_type:?} not recognised")))?;
            if region_code.len() != 6 || !region_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(problem(format!("agency {agency_id}: region code {region_code:?} is not six digits")));
            }
            let registered_on = parse_date(&registered_on);
            // A date that is there but cannot be read stops the batch like any unusable registry row: taken as
            // absent, the agency would count as registered for ever.
            let deregistered_on = match deregistered_on.as_str() {
                "" => None,
                text => Some(parse_date(text).ok_or_else(|| {
                    problem(format!("agency {agency_id}: deregistered_on is not a date (e.g. 2024-05-01)"))
                })?),
            };
            agencies.insert(
                agency_id.clone(),
                Agency { agency_id, name, agency_type, region_code, registered_on, deregistered_on },
            );
        }
        Ok(Self { agencies })
    }

    /// Builds a registry from agencies.
    pub fn from_agencies(agencies: impl IntoIterator<Item = Agency>) -> Self {
        Self { agencies: agencies.into_iter().map(|a| (a.agency_id.clone(), a)).collect() }
    }

    /// Adds or replaces the agencies of `other`.
    pub fn merge(&mut self, other: Registry) {
        self.agencies.extend(other.agencies);
    }

    /// Looks up an agency.
    pub fn get(&self, agency_id: &str) -> Option<&Agency> {
        self.agencies.get(agency_id)
    }

    /// Every agency, by code.
    pub fn iter(&self) -> impl Iterator<Item = &Agency> {
        self.agencies.values()
    }

    /// Number of agencies.
    pub fn len(&self) -> usize {
        self.agencies.len()
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.agencies.is_empty()
    }
}

/// A registry file's data rows: the header is the first of the first 30 rows naming every column whose index is in
/// `required` (e.g. the id, type and region columns of a registry; each with its spellings); every row after it
/// gives the folded cells of the columns in `headers`' order (empty when absent) with its 1-based row number.
/// `no_header` is the message when no such header is found.
pub(crate) fn registry_rows<const N: usize>(
    path: &Path,
    headers: &[(&str, &[&str]); N],
    required: &[usize],
    no_header: &str,
) -> Result<Vec<(usize, [String; N])>> {
    let rows = read_table_file(path)?;
    let header_of = |row: &Vec<Option<String>>| -> [Option<usize>; N] {
        let mut cols = [None; N];
        for (i, cell) in row.iter().enumerate() {
            let Some(cell) = cell else { continue };
            let cell = fold_cell(cell).to_ascii_lowercase();
            if let Some(k) = headers.iter().position(|(_, names)| names.contains(&cell.as_str())) {
                cols[k].get_or_insert(i);
            }
        }
        cols
    };
    let Some((header_index, cols)) = rows
        .iter()
        .take(30)
        .enumerate()
        .map(|(i, r)| (i, header_of(r)))
        .find(|(_, c)| required.iter().all(|k| c[*k].is_some()))
    else {
        return Err(IngestError::ReferenceUnreadable { path: path.to_path_buf(), message: no_header.into() });
    };
    let out = rows
        .iter()
        .enumerate()
        .skip(header_index + 1)
        .map(|(i, row)| {
            let cell = |k: usize| -> String {
                cols[k]
                    .and_then(|c| row.get(c).cloned().flatten())
                    .map(|s| fold_cell(&s).into_owned())
                    .unwrap_or_default()
            };
            (i + 1, std::array::from_fn(cell))
        })
        .collect();
    Ok(out)
}

/// One training provider of the registry (DESIGN §16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Provider code (the landing folder's name under `training/`).
    pub provider_id: String,
    /// Provider name (an organisation).
    pub name: String,
    /// Kind of provider.
    pub provider_type: ProviderType,
    /// Reporting unit (DESIGN §14) its trainees count in.
    pub region_code: String,
    /// Date of registration, if given.
    pub registered_on: Option<NaiveDate>,
}

/// The registry of training providers (`landing/training/providers.csv` or `.xlsx`), keyed by provider code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Providers {
    providers: BTreeMap<String, Provider>,
}

const PROVIDER_HEADERS: [(&str, &[&str]); 5] = [
    ("provider_id", &["provider_id", "培训机构代码", "机构代码", "机构编码", "培训机构编码"]),
    ("name", &["name", "培训机构名称", "机构名称", "名称"]),
    ("provider_type", &["provider_type", "培训机构类型", "机构类型", "类型"]),
    ("region_code", &["region_code", "地区代码", "统计地区", "所属地区代码", "行政区划代码"]),
    ("registered_on", &["registered_on", "备案日期", "登记日期", "备案时间"]),
];

impl Providers {
    /// Reads a provider registry file (CSV in UTF-8/GBK, or XLSX). Like the agency registry, a row that cannot be
    /// used stops the batch ([`IngestError::Reference`]): an unknown provider type, a region code that is not a
    /// reporting unit of §14, a control character in a code.
    pub fn load(path: &Path) -> Result<Self> {
        let rows = registry_rows(
            path,
            &PROVIDER_HEADERS,
            &[0, 2, 3],
            "no header with provider_id, provider_type and region_code",
        )?;
        let mut providers = BTreeMap::new();
        for (row, [provider_id, name, provider_type, region_code, registered_on]) in rows {
            let problem = |problem: String| IngestError::Reference { path: path.to_path_buf(), row, problem };
            let provider_id =
                normalize_key(&provider_id).map_err(|e| problem(format!("provider_id: {e}")))?.into_owned();
            if provider_id.is_empty() {
                continue;
            }
            let provider_type = ProviderType::parse(&provider_type).ok_or_else(|| {
                problem(format!(
                    "provider {provider_id}: provider type {provider_type:?} not recognised (企业, 院校, 社会培训机构, \
                     公共实训基地, 线上平台)"
                ))
            })?;
            if !ReportingUnit::is_known(&region_code) {
                return Err(problem(format!(
                    "provider {provider_id}: region code {region_code:?} is not a reporting unit (DESIGN §14)"
                )));
            }
            let registered_on = parse_date(&registered_on);
            providers
                .insert(provider_id.clone(), Provider { provider_id, name, provider_type, region_code, registered_on });
        }
        Ok(Self { providers })
    }

    /// Builds a registry from providers.
    pub fn from_providers(providers: impl IntoIterator<Item = Provider>) -> Self {
        Self { providers: providers.into_iter().map(|p| (p.provider_id.clone(), p)).collect() }
    }

    /// Adds or replaces the providers of `other`.
    pub fn merge(&mut self, other: Providers) {
        self.providers.extend(other.providers);
    }

    /// Looks up a provider.
    pub fn get(&self, provider_id: &str) -> Option<&Provider> {
        self.providers.get(provider_id)
    }

    /// Every provider, by code.
    pub fn iter(&self) -> impl Iterator<Item = &Provider> {
        self.providers.values()
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

/// Reads a small reference table (CSV in UTF-8/GBK, or the first sheet of an XLSX) as rows of text cells,
/// header included.
fn read_table_file(path: &Path) -> Result<Vec<Vec<Option<String>>>> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::io(path, e))?;
    let unreadable = |message: String| IngestError::ReferenceUnreadable { path: path.to_path_buf(), message };
    let format = path.extension().and_then(|e| e.to_str()).and_then(Format::from_extension);
    if format == Some(Format::Xlsx) {
        let mut rows = Vec::new();
        let mut first_sheet: Option<String> = None;
        xlsx_rows(&bytes, &XlsxLimits::default(), |sheet, _, cells| {
            if first_sheet.get_or_insert_with(|| sheet.to_string()) != sheet {
                return ControlFlow::Break(());
            }
            rows.push(cells.to_vec());
            ControlFlow::Continue(crate::read::Next::Row)
        })
        .map_err(|e| unreadable(e.to_string()))?;
        return Ok(rows);
    }
    let (text, _) = decode_text(&bytes).map_err(|e| unreadable(crate::read::ReadError::from(e).to_string()))?;
    let text = unify_line_ends(&text);
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let frame = CsvReadOptions::default()
        .with_has_header(false)
        .with_infer_schema_length(Some(0))
        .map_parse_options(|p| p.with_truncate_ragged_lines(true))
        .into_reader_with_file_handle(Cursor::new(text.as_bytes().to_vec()))
        .finish()
        .map_err(|e| unreadable(crate::read::ReadError::Csv { cause: e }.to_string()))?;
    let columns: Vec<StringChunked> = frame
        .columns()
        .iter()
        .map(|c| c.str().map(|s| s.rechunk().into_owned()))
        .collect::<PolarsResult<_>>()
        .map_err(|e| IngestError::parquet(path, e))?;
    let mut iters: Vec<_> = columns.iter().map(|c| c.iter()).collect();
    let rows = (0..frame.height())
        .map(|_| iters.iter_mut().map(|it| it.next().flatten().map(str::to_string)).collect())
        .collect();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_levels() {
        let occ = Occupations::from_entries([("4-10-01-06", Level::L5, Level::L2)]);
        assert!(occ.offers("4-10-01-06", Level::L2));
        assert!(!occ.offers("4-10-01-06", Level::L1));
        assert!(occ.offers("4-10-01-06", Level::Chief));
        assert!(!occ.offers("9-99-99-99", Level::L5));
    }
}
