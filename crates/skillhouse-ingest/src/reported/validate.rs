//! Row-level validation of reported figures (DESIGN §17), in [`ReportedRejectReason`]'s order, first failure wins;
//! `duplicate_key` needs the file's earlier rows and is judged by [`validate_file`].

use super::read::ReportedCells;
use crate::error::{IngestError, Result};
use crate::validate::echo;
use crate::warehouse::RejectRecord;
use chrono::NaiveDate;
use skillhouse_model::{
    AgencyType, Programme, REPORTED_COLUMNS, REPORTED_REQUIRED, ReportedRejectReason as Reason, fold_cell, parse_date,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// The reference file of reportable indicators, under the reference folder.
pub(crate) const REPORTABLE_FILE: &str = "reportable_indicators.csv";

/// What a reported row is judged against.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportedReference {
    /// Reportable indicator → the unit its targets use (`reportable_indicators.csv`).
    reportable: HashMap<String, String>,
    /// Indicators that exist but may not be reported: computed ones and targets' others.
    not_reportable: HashSet<String>,
    /// The province and the reporting units (`regions.csv`).
    regions: HashSet<String>,
    /// The warehouse's years, first to last.
    years: (i32, i32),
    /// Reporting dates after this are in the future.
    as_of: NaiveDate,
}

/// A reference CSV's column by name: each data row's cell (the reference files are never quoted).
fn reference_column(dir: &Path, file: &str, column: &str) -> Result<Vec<(usize, String)>> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| IngestError::io(&path, e))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().trim_start_matches('\u{feff}');
    let index = header.split(',').position(|h| h.trim() == column).ok_or_else(|| IngestError::Reference {
        path: path.clone(),
        row: 1,
        problem: format!("no `{column}` column"),
    })?;
    Ok(lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i + 2, line.split(',').nth(index).unwrap_or_default().trim().to_string()))
        .collect())
}

impl ReportedReference {
    /// Reads `reportable_indicators.csv`, `targets.csv` and `regions.csv` of `dir`.
    pub(crate) fn load(dir: &Path, computed: &BTreeSet<String>, years: (i32, i32), as_of: NaiveDate) -> Result<Self> {
        let ids = reference_column(dir, REPORTABLE_FILE, "indicator_id")?;
        let units = reference_column(dir, REPORTABLE_FILE, "unit")?;
        let mut reportable = HashMap::new();
        for ((row, id), (_, unit)) in ids.into_iter().zip(units) {
            if id.is_empty() || unit.is_empty() || computed.contains(&id) {
                return Err(IngestError::Reference {
                    path: dir.join(REPORTABLE_FILE),
                    row,
                    problem: "an indicator id and unit are required, and a computed indicator is not reportable".into(),
                });
            }
            reportable.insert(id, unit);
        }
        let mut not_reportable: HashSet<String> = computed.iter().cloned().collect();
        for (_, id) in reference_column(dir, "targets.csv", "indicator_id")? {
            if !reportable.contains_key(&id) {
                not_reportable.insert(id);
            }
        }
        let regions = reference_column(dir, "regions.csv", "region_code")?.into_iter().map(|(_, c)| c).collect();
        Ok(Self { reportable, not_reportable, regions, years, as_of })
    }
}

/// A reported figure that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportedRow {
    pub(crate) indicator_id: String,
    pub(crate) region_code: String,
    pub(crate) year: i32,
    pub(crate) programme: Option<String>,
    pub(crate) agency_type: Option<String>,
    pub(crate) value: f64,
    pub(crate) unit: String,
    pub(crate) reported_by: String,
    pub(crate) reported_on: NaiveDate,
    pub(crate) source_note: Option<String>,
}

/// The key a later figure replaces: indicator, region, year, programme, agency type.
pub(crate) type ReportedKey = (String, String, i32, Option<String>, Option<String>);

impl ReportedRow {
    pub(crate) fn key(&self) -> ReportedKey {
        (
            self.indicator_id.clone(),
            self.region_code.clone(),
            self.year,
            self.programme.clone(),
            self.agency_type.clone(),
        )
    }
}

type Rejected = (Reason, &'static str, String);

fn column_index(name: &str) -> usize {
    REPORTED_COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

fn reject(reason: Reason, column: &'static str, extra: impl Into<String>) -> Rejected {
    let extra = extra.into();
    let detail =
        if extra.is_empty() { reason.explanation().to_string() } else { format!("{} ({extra})", reason.explanation()) };
    (reason, column, detail)
}

/// Validates one row against every row-level rule of DESIGN §17, in order.
pub(crate) fn validate_row(cells: &ReportedCells, reference: &ReportedReference) -> Result<ReportedRow, Rejected> {
    let text = |name: &str| cells[column_index(name)].as_deref().map(fold_cell).map(|c| c.trim().to_string());
    for (name, column) in REPORTED_REQUIRED.iter().map(|r| (*r, REPORTED_COLUMNS[column_index(r)])) {
        if text(name).is_none_or(|t| t.is_empty()) {
            return Err(reject(Reason::MissingField, column, format!("{name} 为空 / is empty")));
        }
    }
    let required = |name: &str| text(name).unwrap_or_default();
    let indicator_id = required("indicator_id");
    let Some(target_unit) = reference.reportable.get(&indicator_id) else {
        let reason = if reference.not_reportable.contains(&indicator_id) {
            Reason::IndicatorNotReportable
        } else {
            Reason::UnknownIndicator
        };
        return Err(reject(reason, "indicator_id", echo(&indicator_id)));
    };
    let region_code = required("region_code");
    if !reference.regions.contains(&region_code) {
        return Err(reject(Reason::UnknownRegion, "region_code", echo(&region_code)));
    }
    let programme = match text("programme").filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match Programme::parse(&p) {
            Some(programme) => Some(programme.code().to_string()),
            None => return Err(reject(Reason::UnknownProgramme, "programme", echo(&p))),
        },
    };
    let agency_type = match text("agency_type").filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match AgencyType::parse(&a) {
            Some(agency_type) => Some(agency_type.code().to_string()),
            None => return Err(reject(Reason::UnknownAgencyType, "agency_type", echo(&a))),
        },
    };
    let year_text = required("year");
    let year = year_text
        .strip_suffix(".0")
        .unwrap_or(&year_text)
        .parse::<i32>()
        .map_err(|_| reject(Reason::YearInvalid, "year", echo(&year_text)))?;
    let (first, last) = reference.years;
    if !(first..=last).contains(&year) {
        return Err(reject(Reason::YearOutOfRange, "year", format!("{year} ∉ {first}–{last}")));
    }
    let unit = required("unit");
    if unit != *target_unit {
        return Err(reject(Reason::UnitMismatch, "unit", format!("{} ≠ {target_unit}", echo(&unit))));
    }
    let value_text = required("value");
    let value = value_text
        .replace([',', ' '], "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| reject(Reason::ValueNotNumeric, "value", echo(&value_text)))?;
    if value < 0.0 {
        return Err(reject(Reason::ValueNegative, "value", echo(&value_text)));
    }
    let date_text = required("reported_on");
    let reported_on =
        parse_date(&date_text).ok_or_else(|| reject(Reason::ReportedOnInvalid, "reported_on", echo(&date_text)))?;
    if reported_on > reference.as_of {
        return Err(reject(Reason::ReportedOnInvalid, "reported_on", format!("{reported_on} > {}", reference.as_of)));
    }
    Ok(ReportedRow {
        indicator_id,
        region_code,
        year,
        programme,
        agency_type,
        value: if value == 0.0 { 0.0 } else { value },
        unit,
        reported_by: required("reported_by"),
        reported_on,
        source_note: text("source_note").filter(|n| !n.is_empty()),
    })
}

/// The row as JSON for the rejects file, with any ID number masked wherever it was typed.
fn row_json(cells: &ReportedCells) -> String {
    let mut object = serde_json::Map::new();
    for (column, cell) in REPORTED_COLUMNS.iter().zip(cells) {
        let Some(raw) = cell else { continue };
        object.insert((*column).to_string(), serde_json::Value::String(crate::validate::mask_ids_in(raw)));
    }
    serde_json::Value::Object(object).to_string()
}

/// A file's rows judged: the accepted ones (with their row numbers) and the rejects; the second row of a key in
/// one file is `duplicate_key`.
pub(crate) fn validate_file(
    rows: &[(i64, ReportedCells)],
    reference: &ReportedReference,
) -> (Vec<(i64, ReportedRow)>, Vec<RejectRecord<Reason>>) {
    let mut accepted = Vec::new();
    let mut rejects = Vec::new();
    let mut keys: HashSet<ReportedKey> = HashSet::new();
    for (line, cells) in rows {
        let outcome = validate_row(cells, reference).and_then(|row| {
            if keys.insert(row.key()) {
                Ok(row)
            } else {
                let key = format!("{} {} {}", row.indicator_id, row.region_code, row.year);
                Err(reject(Reason::DuplicateKey, "indicator_id", key))
            }
        });
        match outcome {
            Ok(row) => accepted.push((*line, row)),
            Err((reason, column, detail)) => rejects.push(RejectRecord {
                source_row: *line,
                reason,
                field: Some(column),
                detail,
                row_json: row_json(cells),
            }),
        }
    }
    (accepted, rejects)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> ReportedReference {
        ReportedReference {
            reportable: HashMap::from([("national_high_skill_bases_new".to_string(), "bases".to_string())]),
            not_reportable: HashSet::from(["new_skilled".to_string()]),
            regions: HashSet::from(["410000".to_string(), "410100".to_string()]),
            years: (2021, 2025),
            as_of: NaiveDate::from_ymd_opt(2025, 6, 30).expect("date"),
        }
    }

    fn cells(values: [&str; 10]) -> ReportedCells {
        values.map(|v| Some(v.to_string()).filter(|v| !v.is_empty()))
    }

    const GOOD: [&str; 10] =
        ["national_high_skill_bases_new", "410000", "2025", "", "", "5", "bases", "省人社厅", "2025-06-30", "note"];

    fn reason_of(change: impl FnOnce(&mut [&str; 10])) -> Option<Reason> {
        let mut row = GOOD;
        change(&mut row);
        validate_row(&cells(row), &reference()).err().map(|(reason, _, _)| reason)
    }

    #[test]
    fn a_good_row_is_accepted_as_written() {
        let row = validate_row(&cells(GOOD), &reference()).expect("accepted");
        assert_eq!((row.value, row.year, row.unit.as_str()), (5.0, 2025, "bases"));
        assert_eq!(row.source_note.as_deref(), Some("note"));
    }

    #[test]
    fn each_rule_has_its_reason() {
        assert_eq!(reason_of(|r| r[7] = ""), Some(Reason::MissingField));
        assert_eq!(reason_of(|r| r[0] = "bases_built"), Some(Reason::UnknownIndicator));
        assert_eq!(reason_of(|r| r[0] = "new_skilled"), Some(Reason::IndicatorNotReportable));
        assert_eq!(reason_of(|r| r[1] = "410000-YL"), Some(Reason::UnknownRegion));
        assert_eq!(reason_of(|r| r[3] = "11"), Some(Reason::UnknownProgramme));
        assert_eq!(reason_of(|r| r[4] = "school"), Some(Reason::UnknownAgencyType));
        assert_eq!(reason_of(|r| r[2] = "二〇二五"), Some(Reason::YearInvalid));
        assert_eq!(reason_of(|r| r[2] = "2020"), Some(Reason::YearOutOfRange));
        assert_eq!(reason_of(|r| r[6] = "个"), Some(Reason::UnitMismatch));
        assert_eq!(reason_of(|r| r[5] = "five"), Some(Reason::ValueNotNumeric));
        assert_eq!(reason_of(|r| r[5] = "-1"), Some(Reason::ValueNegative));
        assert_eq!(reason_of(|r| r[8] = "2025-07-01"), Some(Reason::ReportedOnInvalid));
        assert_eq!(reason_of(|r| r[8] = "soon"), Some(Reason::ReportedOnInvalid));
    }

    #[test]
    fn the_second_row_of_a_key_in_a_file_is_a_duplicate() {
        let rows = vec![(2, cells(GOOD)), (3, cells(GOOD))];
        let (accepted, rejects) = validate_file(&rows, &reference());
        assert_eq!(accepted.len(), 1);
        assert_eq!((rejects[0].source_row, rejects[0].reason), (3, Reason::DuplicateKey));
    }
}
