//! Small-cell suppression of the counts the API publishes beside the indicators: the per-agency submissions summary
//! (`/api/v1/submissions`) and the snapshot's table row counts (`/api/v1/snapshot`).
//!
//! The rule is the indicators' rule ([`crate::suppress`], DESIGN §7): a count of persons' records below k — zero
//! included — is withheld (null), never published, and enough other counts are withheld with it that no withheld
//! count can be recovered by adding or subtracting published ones.
//!
//! *Submissions.* An agency's row counts are linked: `rows_read = rows_accepted + rows_rejected`, and
//! `rows_rejected` is the sum of `rejected_by_reason`. So within a row: the reasons map is published only when every
//! reason's count is at least k (else withheld whole — a partial map would give the rest by subtraction); when
//! accepted or rejected is withheld, both are, with the reasons; when read is withheld, all are. Across rows, every
//! column adds up to a total a reader may know (the snapshot's row counts, the sum of the certificates): while a
//! column has exactly one withheld cell, the smallest published cell of that column is withheld too, and the row
//! rules applied again. File counts describe files, not persons, and are always published.
//!
//! *Row counts.* A row count below k of a table of persons' records is withheld (reference tables, the indicator
//! tables and the ledger describe no person). A table of persons' records with only a handful of rows
//! (six duplicate claims) would otherwise publish a number the indicators withheld.

use crate::load::SUBMISSION_COLUMNS;
use crate::table::{Cell, ColumnType, Table};
use std::collections::BTreeMap;

/// Columns of `/api/v1/submissions` that count persons' records, in the order they are linked: read = accepted +
/// rejected.
const READ: &str = "rows_read";
const ACCEPTED: &str = "rows_accepted";
const REJECTED: &str = "rows_rejected";
const BY_REASON: &str = "rejected_by_reason";
/// The column that says whether anything in the row was withheld.
pub(crate) const SUPPRESSED: &str = "suppressed";

/// Columns of the published `/api/v1/submissions` answer: the ledger summary's, then `suppressed`.
pub(crate) const PUBLISHED_SUBMISSION_COLUMNS: [(&str, ColumnType); 10] = {
    let mut columns = [(SUPPRESSED, ColumnType::Bool); 10];
    let mut index = 0;
    while index < SUBMISSION_COLUMNS.len() {
        columns[index] = SUBMISSION_COLUMNS[index];
        index += 1;
    }
    columns
};

/// One agency's counts, `None` once withheld.
struct Counts {
    read: Option<i64>,
    accepted: Option<i64>,
    rejected: Option<i64>,
    by_reason: Option<BTreeMap<String, i64>>,
}

impl Counts {
    /// Applies the within-row rules.
    fn close(&mut self, k: i64) {
        if self.read.is_none() {
            self.accepted = None;
            self.rejected = None;
        }
        if self.accepted.is_none() || self.rejected.is_none() {
            self.accepted = None;
            self.rejected = None;
        }
        if self.rejected.is_none() || self.by_reason.as_ref().is_some_and(|m| m.values().any(|&n| n < k)) {
            self.by_reason = None;
        }
    }

    fn withheld_anything(&self) -> bool {
        self.read.is_none() || self.accepted.is_none() || self.rejected.is_none() || self.by_reason.is_none()
    }
}

/// Withholds small counts in the submissions summary (columns as [`crate::load::SUBMISSION_COLUMNS`]) and adds the
/// `suppressed` column.
pub(crate) fn suppress_submissions(summary: &Table, k: i64) -> Table {
    let int_column = |name: &str| -> Vec<Option<i64>> {
        let index = summary.column_index(name);
        summary
            .rows
            .iter()
            .map(|row| match index.and_then(|i| row.get(i)) {
                Some(Cell::Int(v)) => Some(*v),
                _ => None,
            })
            .collect()
    };
    let reasons_index = summary.column_index(BY_REASON);
    let (read, accepted, rejected) = (int_column(READ), int_column(ACCEPTED), int_column(REJECTED));
    let files_loaded = int_column("files_loaded");
    let mut counts: Vec<Counts> = (0..summary.rows.len())
        .map(|row| {
            // An agency with no loaded file has read nothing, which its published file counts already say.
            let small = |n: Option<i64>| n.filter(|&n| n >= k || files_loaded[row] == Some(0));
            Counts {
                read: small(read[row]),
                accepted: small(accepted[row]),
                rejected: small(rejected[row]),
                by_reason: match reasons_index.and_then(|i| summary.rows[row].get(i)) {
                    Some(Cell::Json(value)) => serde_json::from_value(value.clone()).ok(),
                    _ => None,
                },
            }
        })
        .collect();
    // One change at a time, the row rules closed after each. Accepted and rejected are always withheld together
    // (read = accepted + rejected), so the rejected column's complement protects the accepted column too, and the
    // complement chosen is the agency with the fewest rejects rather than the fewest accepted rows.
    loop {
        for row in &mut counts {
            row.close(k);
        }
        if complement(&mut counts, |c| &mut c.read)
            || complement(&mut counts, |c| &mut c.rejected)
            || complement_reasons(&mut counts)
        {
            continue;
        }
        break;
    }
    let mut table = Table::new(&PUBLISHED_SUBMISSION_COLUMNS);
    for (row, counts) in summary.rows.iter().zip(&counts) {
        let mut out = row.clone();
        for (name, value) in [(READ, counts.read), (ACCEPTED, counts.accepted), (REJECTED, counts.rejected)] {
            if let Some(index) = summary.column_index(name) {
                out[index] = value.map_or(Cell::Null, Cell::Int);
            }
        }
        if let Some(index) = reasons_index {
            out[index] = counts.by_reason.as_ref().map_or(Cell::Null, |m| Cell::Json(serde_json::json!(m)));
        }
        out.push(Cell::Bool(counts.withheld_anything()));
        table.rows.push(out);
    }
    table
}

/// Withholds the smallest published cell of a column that has exactly one withheld cell; returns whether it did.
fn complement(counts: &mut [Counts], column: fn(&mut Counts) -> &mut Option<i64>) -> bool {
    let mut withheld = 0;
    for c in counts.iter_mut() {
        withheld += usize::from(column(c).is_none());
    }
    if withheld != 1 {
        return false;
    }
    let smallest = counts
        .iter_mut()
        .enumerate()
        .filter_map(|(index, c)| column(c).map(|n| (n, index)))
        .min()
        .map(|(_, index)| index);
    match smallest {
        Some(index) => {
            *column(&mut counts[index]) = None;
            true
        }
        None => false,
    }
}

/// The reasons maps: while exactly one agency that has rejects has its map withheld, withhold the map (and so the
/// counts) of the agency with the fewest published rejects.
fn complement_reasons(counts: &mut [Counts]) -> bool {
    let withheld = counts.iter().filter(|c| c.by_reason.is_none()).count();
    if withheld != 1 {
        return false;
    }
    let smallest = counts
        .iter()
        .enumerate()
        .filter_map(|(index, c)| c.by_reason.as_ref().map(|m| (m.values().sum::<i64>(), index)))
        .min()
        .map(|(_, index)| index);
    match smallest {
        Some(index) => {
            counts[index].by_reason = None;
            counts[index].rejected = None;
            true
        }
        None => false,
    }
}

/// Whether a snapshot table's rows are persons' records (certificates, persons, rejects, claims, models), as
/// opposed to reference data (`dims/…`), the indicator catalogue and values, the ledger (one row per file) and the
/// submissions summary (one row per agency).
fn holds_persons_records(table: &str) -> bool {
    !(table.starts_with("dims/")
        || matches!(table, "indicators" | "indicator_values" | "ledger" | "models/submissions"))
}

/// A snapshot's table row counts as published: a count of persons' records below k is withheld (`None`).
pub(crate) fn published_row_counts(row_counts: &BTreeMap<String, u64>, k: i64) -> BTreeMap<String, Option<u64>> {
    row_counts
        .iter()
        .map(|(table, &rows)| {
            let small = i64::try_from(rows).unwrap_or(i64::MAX) < k;
            (table.clone(), (!small || !holds_persons_records(table)).then_some(rows))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(rows: &[(&str, i64, i64, i64, serde_json::Value)]) -> Table {
        let mut table = Table::new(&SUBMISSION_COLUMNS);
        for (agency, read, accepted, rejected, reasons) in rows {
            table.rows.push(vec![
                Cell::Text((*agency).to_string()),
                Cell::Int(1),
                Cell::Int(i64::from(*read > 0)),
                Cell::Int(0),
                Cell::Int(0),
                Cell::Int(*read),
                Cell::Int(*accepted),
                Cell::Int(*rejected),
                Cell::Json(reasons.clone()),
            ]);
        }
        table
    }

    fn cell(table: &Table, row: usize, name: &str) -> Cell {
        table.rows[row][table.column_index(name).expect("column")].clone()
    }

    /// Issue 27, item 11: `/api/v1/submissions` published per-agency reject counts of 1–9.
    #[test]
    fn small_reject_counts_are_withheld_with_what_would_give_them_back() {
        let table = summary(&[
            ("A1", 500, 497, 3, serde_json::json!({"bad_id_checksum": 2, "bad_date": 1})),
            ("A2", 400, 380, 20, serde_json::json!({"bad_id_checksum": 20})),
            ("A3", 300, 250, 50, serde_json::json!({"bad_id_checksum": 30, "bad_date": 20})),
        ]);
        let out = suppress_submissions(&table, 10);
        // A1: 3 rejects withheld, so accepted too (read − accepted), and the reasons.
        assert_eq!(cell(&out, 0, REJECTED), Cell::Null);
        assert_eq!(cell(&out, 0, ACCEPTED), Cell::Null);
        assert_eq!(cell(&out, 0, BY_REASON), Cell::Null);
        assert_eq!(cell(&out, 0, READ), Cell::Int(500));
        assert_eq!(cell(&out, 0, SUPPRESSED), Cell::Bool(true));
        // The column totals are known elsewhere: A2, the smallest published rejects and accepted, is withheld too.
        assert_eq!(cell(&out, 1, REJECTED), Cell::Null);
        assert_eq!(cell(&out, 1, ACCEPTED), Cell::Null);
        assert_eq!(cell(&out, 1, BY_REASON), Cell::Null);
        // A3 is published whole.
        assert_eq!(cell(&out, 2, REJECTED), Cell::Int(50));
        assert_eq!(cell(&out, 2, ACCEPTED), Cell::Int(250));
        assert_eq!(cell(&out, 2, BY_REASON), Cell::Json(serde_json::json!({"bad_id_checksum": 30, "bad_date": 20})));
        assert_eq!(cell(&out, 2, SUPPRESSED), Cell::Bool(false));
        // No published count of records is below k.
        for row in 0..out.rows.len() {
            for name in [READ, ACCEPTED, REJECTED] {
                if let Cell::Int(n) = cell(&out, row, name) {
                    assert!(n >= 10, "{name} = {n} published");
                }
            }
        }
    }

    #[test]
    fn a_small_reason_withholds_the_map_but_not_the_totals() {
        let table = summary(&[
            ("A1", 500, 450, 50, serde_json::json!({"bad_id_checksum": 45, "bad_date": 5})),
            ("A2", 400, 350, 50, serde_json::json!({"bad_id_checksum": 25, "bad_date": 25})),
        ]);
        let out = suppress_submissions(&table, 10);
        assert_eq!(cell(&out, 0, BY_REASON), Cell::Null);
        // Exactly one withheld map: another agency's is withheld too, with its rejects, and so its accepted.
        assert_eq!(cell(&out, 1, BY_REASON), Cell::Null);
        assert_eq!(cell(&out, 1, REJECTED), Cell::Null);
        assert_eq!(cell(&out, 1, ACCEPTED), Cell::Null);
        // A1's rejected is now the only withheld rejected cell: withheld as well.
        assert_eq!(cell(&out, 0, REJECTED), Cell::Null);
    }

    #[test]
    fn an_agency_with_no_loaded_file_publishes_its_zeros() {
        let table = summary(&[
            ("A1", 500, 450, 50, serde_json::json!({"bad_id_checksum": 50})),
            ("A2", 0, 0, 0, serde_json::json!({})),
        ]);
        let out = suppress_submissions(&table, 10);
        assert_eq!(cell(&out, 1, READ), Cell::Int(0));
        assert_eq!(cell(&out, 1, SUPPRESSED), Cell::Bool(false));
        assert_eq!(cell(&out, 0, REJECTED), Cell::Int(50));
        assert_eq!(cell(&out, 0, SUPPRESSED), Cell::Bool(false));
    }

    #[test]
    fn row_counts_below_k_are_withheld() {
        let counts = BTreeMap::from([
            ("duplicate_claims".to_string(), 6),
            ("certificates".to_string(), 1200),
            ("dims/regions".to_string(), 5),
        ]);
        let published = published_row_counts(&counts, 10);
        assert_eq!(published["duplicate_claims"], None);
        assert_eq!(published["certificates"], Some(1200));
        assert_eq!(published["dims/regions"], Some(5), "reference data describes no person");
    }
}
