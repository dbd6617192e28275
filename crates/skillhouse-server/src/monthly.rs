//! The month-to-date cumulative flows (`/api/v1/monthly`, the build's `monthly_flows` model,
//! `sql/models/monthly_flows.sql`) as the server publishes them: read from the model's Parquet file, with small
//! cells withheld.
//!
//! *Suppression.* A cumulative series discloses more than its last value: the step from one month to the next is the
//! number of persons (or 人次) new in that month, often a small cell even where the year's total is large. So a
//! series — one indicator, region, year and programme, month by month — is published whole or withheld whole: its
//! cell is its *smallest monthly step* (January's value, then each month's increase, zero included), and that cell
//! goes through the same suppression as the yearly values ([`crate::suppress::suppress`]): below k it is withheld,
//! and complementary suppression withholds further series wherever a province series less its regions' (or
//! programme 2 less its sub-programmes') would give a withheld one back. A withheld series keeps its keys and months,
//! with `value` null and `suppressed` true.

use crate::error::Result;
use crate::load::ValueRow;
use crate::suppress::{SuppressionRules, suppress};
use crate::table::{Cell, ColumnType, Table, cell};
use std::collections::BTreeMap;
use std::path::Path;

/// Columns of the `/api/v1/monthly` answer.
pub const MONTHLY_COLUMNS: [(&str, ColumnType); 8] = [
    ("indicator_id", ColumnType::Text),
    ("region_code", ColumnType::Text),
    ("year", ColumnType::Int),
    ("month", ColumnType::Int),
    ("month_end", ColumnType::Text),
    ("programme", ColumnType::Text),
    ("value", ColumnType::Float),
    ("suppressed", ColumnType::Bool),
];

/// One row of `monthly_flows`: an indicator's value from 1 January to `month_end`.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyRow {
    /// The flow indicator.
    pub indicator_id: String,
    /// Region code (`410000` for the province and for programme rows).
    pub region_code: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// Month, 1–12.
    pub month: Option<i64>,
    /// The cut: the month's last day, or the as-of date in the as-of month (`YYYY-MM-DD`).
    pub month_end: Option<String>,
    /// Programme or none.
    pub programme: Option<String>,
    /// The cumulative value; `None` when withheld.
    pub value: Option<f64>,
    /// Withheld by small-cell suppression.
    pub suppressed: bool,
}

/// The model's rows from its table (`models/monthly_flows.parquet` read whole).
pub fn monthly_rows(table: &Table, path: &Path) -> Result<Vec<MonthlyRow>> {
    let required = |name: &str| table.required_column(name, path);
    let (id, region, year, month) =
        (required("indicator_id")?, required("region_code")?, required("year")?, required("month")?);
    let (month_end, programme, value) = (required("month_end")?, required("programme")?, required("value")?);
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let at = |i: usize| cell(row, i);
            MonthlyRow {
                indicator_id: at(id).text().unwrap_or_default(),
                region_code: at(region).text(),
                year: at(year).int(),
                month: at(month).int(),
                month_end: at(month_end).text(),
                programme: at(programme).text(),
                value: at(value).float(),
                suppressed: false,
            }
        })
        .collect())
}

type SeriesKey = (String, Option<String>, Option<i64>, Option<String>);

fn series_key(row: &MonthlyRow) -> SeriesKey {
    (row.indicator_id.clone(), row.region_code.clone(), row.year, row.programme.clone())
}

/// Withholds every series whose smallest monthly step is a small cell, and whatever would give one back (see the
/// module's comment). Returns how many rows were withheld.
pub fn suppress_monthly(rows: &mut [MonthlyRow], rules: &SuppressionRules) -> usize {
    let mut series: BTreeMap<SeriesKey, Vec<(i64, f64)>> = BTreeMap::new();
    for row in rows.iter() {
        series.entry(series_key(row)).or_default().push((row.month.unwrap_or(0), row.value.unwrap_or(0.0)));
    }
    let mut cells: Vec<ValueRow> = series
        .iter()
        .map(|((indicator_id, region_code, year, programme), months)| {
            let mut months = months.clone();
            months.sort_by_key(|(month, _)| *month);
            let mut previous = 0.0;
            let mut smallest = i64::MAX;
            for (_, value) in months {
                smallest = smallest.min((value - previous).round() as i64);
                previous = value;
            }
            let smallest = if smallest == i64::MAX { 0 } else { smallest };
            ValueRow {
                indicator_id: indicator_id.clone(),
                region_code: region_code.clone(),
                year: *year,
                programme: programme.clone(),
                agency_type: None,
                value: Some(smallest as f64),
                numerator: Some(smallest),
                denominator: None,
                target: None,
                gap: None,
                status: "n/a".into(),
                definition_version: String::new(),
                reference_target: None,
                reference_comparator: None,
                reference_year: None,
                reference_status: None,
                elapsed_share: None,
                expected_to_date: None,
                pace_status: None,
                basis: "computed".into(),
                reported_by: None,
                reported_on: None,
                suppressed: false,
            }
        })
        .collect();
    suppress(&mut cells, rules);
    let withheld: std::collections::BTreeSet<SeriesKey> = cells
        .iter()
        .filter(|c| c.suppressed)
        .map(|c| (c.indicator_id.clone(), c.region_code.clone(), c.year, c.programme.clone()))
        .collect();
    let mut count = 0;
    for row in rows.iter_mut() {
        if withheld.contains(&series_key(row)) {
            row.value = None;
            row.suppressed = true;
            count += 1;
        }
    }
    count
}

/// The rows given, as the answer's table.
pub fn monthly_table<'a>(rows: impl Iterator<Item = &'a MonthlyRow>) -> Table {
    let mut table = Table::new(&MONTHLY_COLUMNS);
    for row in rows {
        table.rows.push(vec![
            Cell::Text(row.indicator_id.clone()),
            row.region_code.clone().into(),
            row.year.into(),
            row.month.into(),
            row.month_end.clone().into(),
            row.programme.clone().into(),
            row.value.into(),
            Cell::Bool(row.suppressed),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillhouse_query::Disclosure;
    use std::collections::HashMap;

    fn row(region: &str, month: i64, value: f64) -> MonthlyRow {
        MonthlyRow {
            indicator_id: "new_skilled".into(),
            region_code: Some(region.into()),
            year: Some(2025),
            month: Some(month),
            month_end: None,
            programme: None,
            value: Some(value),
            suppressed: false,
        }
    }

    fn rules() -> SuppressionRules {
        let disclosures =
            HashMap::from([("new_skilled".to_string(), Disclosure::Count { quantity: "new_skilled".into() })]);
        SuppressionRules { k: 10, province: "410000".into(), programme_parent: HashMap::new(), disclosures }
    }

    #[test]
    fn a_series_with_a_small_monthly_step_is_withheld_whole_and_its_complement_too() {
        // 410100 steps 20, 15, 30: published. 410200 steps 40, 3 (a small month), 40: withheld, and since the
        // province less 410100 would give 410200 back, the smaller published part of the group goes too.
        let mut rows = vec![
            row("410000", 1, 100.0),
            row("410000", 2, 140.0),
            row("410000", 3, 210.0),
            row("410100", 1, 20.0),
            row("410100", 2, 35.0),
            row("410100", 3, 65.0),
            row("410200", 1, 40.0),
            row("410200", 2, 43.0),
            row("410200", 3, 83.0),
            row("410300", 1, 40.0),
            row("410300", 2, 62.0),
            row("410300", 3, 62.0 + 40.0),
        ];
        let withheld = suppress_monthly(&mut rows, &rules());
        let hidden: Vec<(&str, bool)> = rows
            .iter()
            .filter(|r| r.month == Some(1))
            .map(|r| (r.region_code.as_deref().unwrap_or(""), r.suppressed))
            .collect();
        assert_eq!(hidden, [("410000", false), ("410100", true), ("410200", true), ("410300", false)]);
        assert_eq!(withheld, 6);
        assert!(rows.iter().filter(|r| r.suppressed).all(|r| r.value.is_none()));
    }

    #[test]
    fn a_flat_month_is_a_zero_cell() {
        let mut rows = vec![row("410000", 1, 50.0), row("410000", 2, 50.0)];
        suppress_monthly(&mut rows, &rules());
        assert!(rows.iter().all(|r| r.suppressed));
    }
}
