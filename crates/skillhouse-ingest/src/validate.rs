//! Row-level validation (DESIGN §6): every rule in the stated order, first failure wins. Duplicate certificate
//! numbers need the whole batch in path order and are judged later, in [`crate::batch`].

use crate::field::Field;
use crate::read::RowCells;
use crate::reference::{Occupations, Registry};
use chrono::{Datelike, NaiveDate};
use skillhouse_model::{
    CertType, Gender, IdNumber, IdentifierError, Level, MIN_CERTIFICATE_AGE, Programme, PseudonymKey, RejectReason,
    YOUTH_MAX_AGE, YOUTH_MIN_AGE, age_on, check_skill_level_cert_no, fold_cell, mask_id_text, normalize_key,
    parse_date,
};
use std::borrow::Cow;

/// Everything a row is judged against, for one file.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    /// The agency whose folder the file came from.
    pub folder_agency: &'a str,
    /// The registry of agencies.
    pub registry: &'a Registry,
    /// The occupation reference.
    pub occupations: &'a Occupations,
    /// Issue dates after this are in the future.
    pub as_of: NaiveDate,
    /// The pseudonymisation key.
    pub key: &'a PseudonymKey,
}

/// A row that passed every row-level rule: the canonical record, less lineage and agency columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRow {
    /// Certificate number, folded, ASCII upper-case.
    pub cert_no: String,
    /// Certificate type.
    pub cert_type: CertType,
    /// Level, for level-bearing types.
    pub level: Option<Level>,
    /// Occupation code, when given.
    pub occupation_code: Option<String>,
    /// Keyed hash of the ID number.
    pub person_key: String,
    /// From the ID number.
    pub birth_date: NaiveDate,
    /// From the ID number.
    pub gender: Gender,
    /// First six digits of the ID number.
    pub hukou_region: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Programme, when given and recognised.
    pub programme: Option<Programme>,
    /// Aged 16–35 inclusive on the issue date.
    pub is_youth: bool,
}

/// Why a row was rejected, for the reject report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The reason code.
    pub reason: RejectReason,
    /// The field at fault, if one.
    pub field: Option<Field>,
    /// A sentence a clerk can act on; never contains the raw ID number.
    pub detail: String,
}

/// The outcome of validating one row: exactly one of accepted or rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Passed every row-level rule.
    Accepted(Box<AcceptedRow>),
    /// Failed the first rule named.
    Rejected(Rejection),
}

fn reject(reason: RejectReason, field: Option<Field>, extra: impl Into<String>) -> RowOutcome {
    let extra = extra.into();
    let detail =
        if extra.is_empty() { reason.explanation().to_string() } else { format!("{} ({extra})", reason.explanation()) };
    RowOutcome::Rejected(Rejection { reason, field, detail })
}

/// A cell's folded text, `None` when empty.
pub(crate) fn cell<'a>(cells: &RowCells<'a>, field: Field) -> Option<Cow<'a, str>> {
    cells[field.index()].map(fold_cell).filter(|c| !c.is_empty())
}

/// Whether a field is compared as a key (uniqueness, registry, reference, pseudonym): such cells are put in their
/// normal form ([`normalize_key`]) before any rule looks at them, so invisible characters never make two keys of
/// one value.
fn is_key(field: Field) -> bool {
    matches!(
        field,
        Field::IdNumber
            | Field::CertNo
            | Field::OccupationCode
            | Field::AgencyId
            | Field::ProviderId
            | Field::ClassId
            | Field::VoucherNo
    )
}

/// A key cell in normal form: `None` when empty (or nothing but invisible characters), `Some(Err)` when it holds
/// a control character that cannot be removed.
pub(crate) fn key_cell<'a>(cells: &RowCells<'a>, field: Field) -> Option<Result<Cow<'a, str>, IdentifierError>> {
    let raw = cells[field.index()]?;
    match normalize_key(raw) {
        Ok(key) if key.is_empty() => None,
        other => Some(other),
    }
}

/// Whether a field has a value (a key that cannot be normalised has one: a malformed value, not a missing one).
pub(crate) fn present(cells: &RowCells<'_>, field: Field) -> bool {
    if is_key(field) { key_cell(cells, field).is_some() } else { cell(cells, field).is_some() }
}

/// The detail of a key refused for a control character: where it is and which, never the value.
pub(crate) fn key_problem(error: IdentifierError) -> String {
    match error {
        IdentifierError::ControlCharacter { position, code } => {
            format!(
                "第{position}个字符是控制字符 U+{code:04X} / control character U+{code:04X} at character {position}"
            )
        }
    }
}

/// Short, safe echo of a value for details: anything that is a valid ID number is masked, wherever it was typed.
pub(crate) fn echo(value: &str) -> String {
    if normalize_key(value).is_ok_and(|k| IdNumber::parse(&k).is_ok()) {
        return mask_id_text(value);
    }
    value.chars().take(40).collect()
}

/// Validates one row against every row-level rule of DESIGN §6, in order.
pub fn validate_row(cells: &RowCells<'_>, ctx: &RowContext<'_>) -> RowOutcome {
    // 1. missing_field
    for field in Field::REQUIRED {
        if !present(cells, field) {
            return reject(RejectReason::MissingField, Some(field), format!("{} 为空 / is empty", field.header_zh()));
        }
    }
    let (Some(id_key), Some(cert_no), Some(type_text), Some(date_text)) = (
        key_cell(cells, Field::IdNumber),
        key_cell(cells, Field::CertNo),
        cell(cells, Field::CertType),
        cell(cells, Field::IssueDate),
    ) else {
        return reject(RejectReason::MissingField, None, "");
    };
    // 2–3. id_format, id_checksum
    let id_text = match id_key {
        Ok(text) => text,
        Err(e) => return reject(RejectReason::IdFormat, Some(Field::IdNumber), key_problem(e)),
    };
    let id = match IdNumber::parse(&id_text) {
        Ok(id) => id,
        Err(e) => return reject(e.reason(), Some(Field::IdNumber), format!("{}: {e}", mask_id_text(&id_text))),
    };
    // 4. unknown_cert_type
    let Some(cert_type) = CertType::parse(&type_text) else {
        return reject(RejectReason::UnknownCertType, Some(Field::CertType), echo(&type_text));
    };
    // 5. unknown_level
    let level_text = cell(cells, Field::Level);
    let level = match (cert_type.bears_level(), level_text) {
        (true, None) => return reject(RejectReason::UnknownLevel, Some(Field::Level), "等级为空 / level is empty"),
        (true, Some(text)) => match Level::parse(&text) {
            Some(level) => Some(level),
            None => return reject(RejectReason::UnknownLevel, Some(Field::Level), echo(&text)),
        },
        (false, Some(text)) => {
            return reject(
                RejectReason::UnknownLevel,
                Some(Field::Level),
                format!("{} 不设等级 / {cert_type} has no level: {}", cert_type.name_zh(), echo(&text)),
            );
        }
        (false, None) => None,
    };
    // 6. unknown_occupation
    let occupation_code = match key_cell(cells, Field::OccupationCode).transpose() {
        Ok(code) => code.map(Cow::into_owned),
        Err(e) => return reject(RejectReason::UnknownOccupation, Some(Field::OccupationCode), key_problem(e)),
    };
    match &occupation_code {
        None if cert_type.bears_level() => {
            return reject(RejectReason::UnknownOccupation, Some(Field::OccupationCode), "职业编码为空 / empty");
        }
        Some(code) if !ctx.occupations.contains(code) => {
            return reject(RejectReason::UnknownOccupation, Some(Field::OccupationCode), echo(code));
        }
        _ => {}
    }
    // 7. level_not_offered
    if let (Some(level), Some(code)) = (level, &occupation_code)
        && !ctx.occupations.offers(code, level)
    {
        return reject(RejectReason::LevelNotOffered, Some(Field::Level), format!("{code} {level}"));
    }
    // 8. issue_date_invalid
    let Some(issue_date) = parse_date(&date_text) else {
        return reject(RejectReason::IssueDateInvalid, Some(Field::IssueDate), echo(&date_text));
    };
    // 9. issue_date_future
    if issue_date > ctx.as_of {
        return reject(RejectReason::IssueDateFuture, Some(Field::IssueDate), format!("{issue_date} > {}", ctx.as_of));
    }
    // 10. under_age
    let age = age_on(id.birth_date(), issue_date);
    if age.is_none_or(|a| a < MIN_CERTIFICATE_AGE) {
        return reject(RejectReason::UnderAge, Some(Field::IssueDate), "");
    }
    // 11. agency_mismatch
    match key_cell(cells, Field::AgencyId) {
        Some(Err(e)) => return reject(RejectReason::AgencyMismatch, Some(Field::AgencyId), key_problem(e)),
        Some(Ok(row_agency)) if row_agency != ctx.folder_agency => {
            return reject(
                RejectReason::AgencyMismatch,
                Some(Field::AgencyId),
                format!("{} ≠ {}", echo(&row_agency), ctx.folder_agency),
            );
        }
        _ => {}
    }
    // 12. unknown_agency
    if ctx.registry.get(ctx.folder_agency).is_none() {
        return reject(RejectReason::UnknownAgency, Some(Field::AgencyId), ctx.folder_agency.to_string());
    }
    // 13. cert_no_format: a control character inside the number, whatever the type
    let cert_no = match cert_no {
        Ok(cert_no) => cert_no,
        Err(e) => return reject(RejectReason::CertNoFormat, Some(Field::CertNo), key_problem(e)),
    };
    // 13–15. cert_no rules, for skill_level certificates at l5–l1
    if cert_type == CertType::SkillLevel
        && let Some(level) = level
        && let Err(e) = check_skill_level_cert_no(&cert_no, issue_date.year(), level)
    {
        return reject(e.reason(), Some(Field::CertNo), format!("{}: {e}", echo(&cert_no)));
    }
    let is_youth = age.is_some_and(|a| (YOUTH_MIN_AGE..=YOUTH_MAX_AGE).contains(&a));
    RowOutcome::Accepted(Box::new(AcceptedRow {
        cert_no: cert_no.to_ascii_uppercase(),
        cert_type,
        level,
        occupation_code,
        person_key: ctx.key.person_key(&id),
        birth_date: id.birth_date(),
        gender: id.gender(),
        hukou_region: id.hukou_region().to_string(),
        issue_date,
        programme: cell(cells, Field::Programme).and_then(|p| Programme::parse(&p)),
        is_youth,
    }))
}

/// What validating a file's rows gave: rows read (filler rows not counted), the accepted rows with their index in
/// the table and the row number a clerk sees, and the rejects with the masked input row.
pub(crate) struct ValidatedRows<T, R> {
    pub rows_read: u64,
    pub accepted: Vec<(usize, i64, T)>,
    pub rejects: Vec<crate::warehouse::RejectRecord<R>>,
}

/// Runs `validate` over every row of `table` but filler rows: each ends accepted or rejected (reason, field at
/// fault, sentence for the clerk) — the one row loop of certificate and training files.
pub(crate) fn validate_rows<T, R>(
    table: &crate::read::RawTable,
    mut validate: impl FnMut(&RowCells<'_>) -> Result<T, (R, Option<Field>, String)>,
) -> Result<ValidatedRows<T, R>, crate::read::ReadError> {
    let mut out = ValidatedRows { rows_read: 0, accepted: Vec::new(), rejects: Vec::new() };
    let mut index = 0usize;
    table
        .for_each_row(|source_row, cells| {
            let row_index = index;
            index += 1;
            if crate::read::is_filler_row(cells) {
                return;
            }
            out.rows_read += 1;
            match validate(cells) {
                Ok(row) => out.accepted.push((row_index, source_row, row)),
                Err((reason, field, detail)) => out.rejects.push(crate::warehouse::RejectRecord {
                    source_row,
                    reason,
                    field: field.map(Field::code),
                    detail,
                    row_json: masked_row_json(cells),
                }),
            }
        })
        .map_err(|cause| crate::read::ReadError::Csv { cause })?;
    Ok(out)
}

/// The input row as canonical field → raw text, the ID masked and the name dropped (DESIGN §7).
pub fn masked_row_json(cells: &RowCells<'_>) -> String {
    let mut object = serde_json::Map::new();
    for field in Field::ALL {
        let Some(raw) = cells[field.index()] else { continue };
        let value = match field {
            Field::Name => continue,
            Field::IdNumber => mask_id_text(raw),
            // An ID typed into another column is masked too, invisible characters in it or not.
            _ => mask_ids_in(raw),
        };
        object.insert(field.code().to_string(), serde_json::Value::String(value));
    }
    serde_json::Value::Object(object).to_string()
}

/// A cell as it may be kept (a reject's row, a register's free-text reason): an ID number typed in it — the whole
/// cell, invisible characters in it or not, or 18 characters inside other text — masked as the ID column is
/// (DESIGN §7); anything else unchanged.
pub(crate) fn mask_ids_in(raw: &str) -> String {
    if normalize_key(raw).is_ok_and(|k| IdNumber::parse(&k).is_ok()) {
        return mask_id_text(raw);
    }
    const ID_LEN: usize = 18;
    let chars: Vec<char> = fold_cell(raw).chars().collect();
    let in_id = |c: char| c.is_ascii_digit() || c == 'X' || c == 'x';
    let (mut out, mut found, mut i) = (String::with_capacity(raw.len()), false, 0);
    while i < chars.len() {
        let window = chars.get(i..i + ID_LEN).filter(|w| w.iter().all(|&c| in_id(c)));
        let bounded = (i == 0 || !chars[i - 1].is_ascii_alphanumeric())
            && chars.get(i + ID_LEN).is_none_or(|c| !c.is_ascii_alphanumeric());
        if let Some(window) = window.filter(|_| bounded) {
            let candidate: String = window.iter().collect::<String>().to_ascii_uppercase();
            if IdNumber::parse(&candidate).is_ok() {
                out.push_str(&mask_id_text(&candidate));
                found = true;
                i += ID_LEN;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    if found { out } else { raw.to_string() }
}

#[cfg(test)]
mod tests;
