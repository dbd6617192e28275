//! The rules of a register row (DESIGN §18), in checking order: a row is accepted or rejected with exactly one
//! [`Reason`], the first that applies.

use chrono::NaiveDate;
use skillhouse_model::{RevocationRejectReason as Reason, normalize_key, parse_date};
use std::collections::{HashMap, HashSet};

/// Which register a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterKind {
    /// `revocations.csv|.xlsx`: `cert_no, revoked_on, reason`.
    Revocations,
    /// `renewals.csv|.xlsx`: `cert_no, renewed_on, valid_until`.
    Renewals,
}

/// One row's cells as read (folded), in the register's column order: cert_no, the event date, and the third column
/// (a revocation's reason, a renewal's valid_until); empty when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegisterCells {
    pub cert_no: String,
    pub date: String,
    pub extra: String,
}

/// An accepted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegisterRow {
    /// In the warehouse's normal form (upper case), as certificates store it.
    pub cert_no: String,
    /// revoked_on or renewed_on.
    pub date: NaiveDate,
    /// A revocation's reason (as written, None when empty).
    pub reason: Option<String>,
    /// A renewal's valid_until.
    pub valid_until: Option<NaiveDate>,
}

/// What a row is judged against: the issue date of every certificate the register names, and the as-of date.
pub(crate) struct RegisterContext<'a> {
    pub kind: RegisterKind,
    /// cert_no (normal form) → issue date, for the accepted certificates of the warehouse the register names.
    pub issued: &'a HashMap<String, NaiveDate>,
    pub as_of: NaiveDate,
}

/// A rejected row: the reason, the field at fault and a sentence for the clerk.
pub(crate) type Refusal = (Reason, &'static str, String);

/// The register's rows so far: revoked certificates, (certificate, renewal date) pairs.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    revoked: HashSet<String>,
    renewed: HashSet<(String, NaiveDate)>,
}

/// The certificate number of a cell in normal form, or why not.
pub(crate) fn cert_key(raw: &str) -> Result<Option<String>, ()> {
    match normalize_key(raw) {
        Ok(key) if key.is_empty() => Ok(None),
        Ok(key) => Ok(Some(key.to_ascii_uppercase())),
        Err(_) => Err(()),
    }
}

/// Judges one row; an accepted row is added to `seen`.
pub(crate) fn validate_register_row(
    cells: &RegisterCells,
    ctx: &RegisterContext<'_>,
    seen: &mut Seen,
) -> Result<RegisterRow, Refusal> {
    let date_field = match ctx.kind {
        RegisterKind::Revocations => "revoked_on",
        RegisterKind::Renewals => "renewed_on",
    };
    let refuse = |reason: Reason, field: &'static str| Err((reason, field, reason.explanation().to_string()));
    // 1. missing_field
    let cert_no = cert_key(&cells.cert_no);
    if matches!(cert_no, Ok(None)) {
        return refuse(Reason::MissingField, "cert_no");
    }
    if cells.date.is_empty() {
        return refuse(Reason::MissingField, date_field);
    }
    // 2. date_invalid
    let Some(date) = parse_date(&cells.date) else { return refuse(Reason::DateInvalid, date_field) };
    let valid_until = match ctx.kind {
        RegisterKind::Renewals if !cells.extra.is_empty() => match parse_date(&cells.extra) {
            Some(until) => Some(until),
            None => return refuse(Reason::DateInvalid, "valid_until"),
        },
        _ => None,
    };
    // 3. cert_no_format
    let Ok(Some(cert_no)) = cert_no else { return refuse(Reason::CertNoFormat, "cert_no") };
    // 4. unknown_cert_no
    let Some(issued) = ctx.issued.get(&cert_no).copied() else {
        return refuse(Reason::UnknownCertNo, "cert_no");
    };
    // 5. date_before_issue
    if date < issued {
        return refuse(Reason::DateBeforeIssue, date_field);
    }
    // 6. date_future
    if date > ctx.as_of {
        return refuse(Reason::DateFuture, date_field);
    }
    // 7. valid_until_before_renewal
    if valid_until.is_some_and(|until| until <= date) {
        return refuse(Reason::ValidUntilBeforeRenewal, "valid_until");
    }
    // 8–9. duplicates: the first row counts
    match ctx.kind {
        RegisterKind::Revocations => {
            if !seen.revoked.insert(cert_no.clone()) {
                return refuse(Reason::DuplicateRevocation, "cert_no");
            }
        }
        RegisterKind::Renewals => {
            if !seen.renewed.insert((cert_no.clone(), date)) {
                return refuse(Reason::DuplicateRenewal, "cert_no");
            }
        }
    }
    let reason = match ctx.kind {
        // Free text kept in the warehouse: an ID number in it (the holder's, say) is masked (DESIGN §7).
        RegisterKind::Revocations => Some(crate::validate::mask_ids_in(&cells.extra)).filter(|r| !r.is_empty()),
        RegisterKind::Renewals => None,
    };
    Ok(RegisterRow { cert_no, date, reason, valid_until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn cells(cert_no: &str, date: &str, extra: &str) -> RegisterCells {
        RegisterCells { cert_no: cert_no.into(), date: date.into(), extra: extra.into() }
    }

    fn judge(kind: RegisterKind, rows: &[RegisterCells]) -> Vec<Result<RegisterRow, Reason>> {
        let issued = HashMap::from([("C1".to_string(), day(2023, 3, 10)), ("C2".to_string(), day(2020, 1, 1))]);
        let ctx = RegisterContext { kind, issued: &issued, as_of: day(2024, 10, 1) };
        let mut seen = Seen::default();
        rows.iter().map(|c| validate_register_row(c, &ctx, &mut seen).map_err(|(r, _, _)| r)).collect()
    }

    #[test]
    fn each_revocation_rule_has_its_reason() {
        let out = judge(
            RegisterKind::Revocations,
            &[
                cells("c1", "2024/6/1", "弄虚作假"),
                cells("", "2024-06-01", ""),
                cells("C2", "", ""),
                cells("C2", "June", ""),
                cells("C\u{7}2", "2024-06-01", ""),
                cells("C9", "2024-06-01", ""),
                cells("C2", "2019-12-31", ""),
                cells("C2", "2024-10-02", ""),
                cells("C1", "2024-07-01", ""),
            ],
        );
        let reasons: Vec<Option<Reason>> = out.iter().map(|r| r.as_ref().err().copied()).collect();
        assert_eq!(
            reasons,
            [
                None,
                Some(Reason::MissingField),
                Some(Reason::MissingField),
                Some(Reason::DateInvalid),
                Some(Reason::CertNoFormat),
                Some(Reason::UnknownCertNo),
                Some(Reason::DateBeforeIssue),
                Some(Reason::DateFuture),
                Some(Reason::DuplicateRevocation),
            ]
        );
        let first = out[0].as_ref().expect("accepted");
        assert_eq!(
            (first.cert_no.as_str(), first.date, first.reason.as_deref()),
            ("C1", day(2024, 6, 1), Some("弄虚作假"))
        );
    }

    #[test]
    fn renewal_rules() {
        let out = judge(
            RegisterKind::Renewals,
            &[
                cells("C2", "2023-12-01", ""),
                cells("C2", "2023-12-01", "2029-12-01"),
                cells("C2", "2024-01-05", "2024-01-05"),
                cells("C2", "2024-01-05", "later"),
                cells("C2", "2024-01-05", "2030-01-04"),
            ],
        );
        let reasons: Vec<Option<Reason>> = out.iter().map(|r| r.as_ref().err().copied()).collect();
        assert_eq!(
            reasons,
            [
                None,
                Some(Reason::DuplicateRenewal),
                Some(Reason::ValidUntilBeforeRenewal),
                Some(Reason::DateInvalid),
                None
            ]
        );
        assert_eq!(out[4].as_ref().expect("accepted").valid_until, Some(day(2030, 1, 4)));
    }
}
