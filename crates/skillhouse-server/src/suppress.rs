//! Small-cell suppression of published indicator values (DESIGN §7).
//!
//! *Cells.* Every published number is backed by counts: a count indicator by its own count, a share by its
//! numerator and denominator counts. Counts are keyed by a *quantity* — the thing counted — plus region, year,
//! programme and agency type, and indicators that publish the same quantity share its cells: `high_skill_share`'s
//! numerator is `high_skilled_persons`' count and its denominator is `skilled_persons`' count, so withholding a cell
//! withholds it everywhere it appears (otherwise `numerator = share × denominator` would give it back).
//!
//! *Primary suppression.* A cell whose count is below k (default 10) is withheld — zero included: the rule is
//! "below k", and a published zero next to withheld cells narrows them too.
//!
//! *Complementary suppression.* A published total equals the sum of its breakdown: regions → province (exact for
//! stocks, where each person has one principal region, and for certificate counts; near-exact for person flows,
//! where a person certified in two regions counts in both — protected as if exact), sub-programmes 2.1–2.5 →
//! programme 2 (from the programmes' `parent` column), agency types → the all-types row where one is published. In
//! every such group (the total plus its parts), exactly one withheld cell could be solved for, so while any group
//! has exactly one, the smallest published part (else the total) is withheld too, until no group has exactly one.
//!
//! *Rows.* A count row is withheld when its cell is; a share row when its numerator's or its (non-public)
//! denominator's cell is. A withheld row keeps its keys and target, and shows `value`, `numerator`,
//! `denominator` and `gap` as null, `status` as `n/a` and `suppressed: true` — never a zero.
//! Counts of agencies (organisations on a public registry) and the employment reference (a published statistic)
//! describe no person and are not suppressed.

use crate::load::ValueRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The default threshold k.
pub const DEFAULT_SUPPRESSION_K: i64 = 10;

/// How an indicator's values disclose counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disclosure {
    /// The value is a count of this quantity (persons or certificates).
    Count(&'static str),
    /// The value is a share: numerator quantity ÷ denominator quantity (`None`: a public reference figure).
    Share {
        /// Quantity counted by the numerator.
        numerator: &'static str,
        /// Quantity counted by the denominator, or `None` when it is public data.
        denominator: Option<&'static str>,
    },
    /// A count of something that is not personal data (agencies); never suppressed.
    Public,
    /// An indicator this table does not know: counts and shares are protected under their own names.
    Unknown,
}

/// The disclosure of each known indicator (DESIGN §8). New indicators fall back to [`Disclosure::Unknown`], which
/// protects them (count, or numerator and denominator for a `share` unit) without sharing cells.
pub fn disclosure(indicator_id: &str) -> Disclosure {
    match indicator_id {
        "skilled_persons" => Disclosure::Count("skilled_persons"),
        "high_skilled_persons" => Disclosure::Count("high_skilled_persons"),
        "high_skill_share" => {
            Disclosure::Share { numerator: "high_skilled_persons", denominator: Some("skilled_persons") }
        }
        "mid_high_share" => Disclosure::Share { numerator: "mid_high_persons", denominator: Some("skilled_persons") },
        "skilled_share_of_employment" => Disclosure::Share { numerator: "skilled_persons", denominator: None },
        "new_skilled" => Disclosure::Count("new_skilled"),
        "new_high_skilled" => Disclosure::Count("new_high_skilled"),
        "new_youth_technicians" => Disclosure::Count("new_youth_technicians"),
        "youth_share_new_top_grades" => {
            Disclosure::Share { numerator: "new_youth_top_grades", denominator: Some("new_top_grades") }
        }
        "programme_new_skilled" => Disclosure::Count("programme_new_skilled"),
        "programme_new_high_skilled" => Disclosure::Count("programme_new_high_skilled"),
        "cert_mix_share" => {
            Disclosure::Share { numerator: "mixed_certificates", denominator: Some("issued_certificates") }
        }
        "certs_by_agency_type" => Disclosure::Count("certs_by_agency_type"),
        "high_level_certs_by_agency_type" => Disclosure::Count("high_level_certs_by_agency_type"),
        "duplicate_claims" => Disclosure::Count("duplicate_claims"),
        "agencies_by_type" => Disclosure::Public,
        _ => Disclosure::Unknown,
    }
}

/// What suppression needs besides the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionRules {
    /// Counts below this are withheld.
    pub k: i64,
    /// Region code of the province total (`410000`).
    pub province: String,
    /// Parent of each sub-programme (`2.1` → `2`).
    pub programme_parent: HashMap<String, String>,
    /// Unit of each indicator (from the catalogue), for [`Disclosure::Unknown`] indicators.
    pub units: HashMap<String, String>,
}

/// A counted cell: quantity, region, year, programme, agency type.
pub type CellKey = (String, Option<String>, Option<i64>, Option<String>, Option<String>);

/// A total and the parts that add up to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdditiveGroup {
    /// The published total.
    pub total: CellKey,
    /// Its parts.
    pub parts: Vec<CellKey>,
}

/// How many cells were withheld, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SuppressionReport {
    /// Cells below k.
    pub primary: usize,
    /// Cells withheld so that no primary cell can be recovered from a total.
    pub complementary: usize,
    /// Indicator rows withheld.
    pub rows: usize,
}

fn count_of(row: &ValueRow) -> Option<i64> {
    row.numerator.or_else(|| row.value.map(|v| v.round() as i64))
}

fn key(quantity: &str, row: &ValueRow) -> CellKey {
    (quantity.to_string(), row.region_code.clone(), row.year, row.programme.clone(), row.agency_type.clone())
}

/// The cells a row discloses: `(cell, count)` pairs; shares name the numerator first.
fn row_cells(row: &ValueRow, rules: &SuppressionRules) -> Vec<(CellKey, Option<i64>)> {
    match disclosure(&row.indicator_id) {
        Disclosure::Count(quantity) => vec![(key(quantity, row), count_of(row))],
        Disclosure::Share { numerator, denominator } => {
            let mut cells = vec![(key(numerator, row), row.numerator)];
            if let Some(denominator) = denominator {
                cells.push((key(denominator, row), row.denominator));
            }
            cells
        }
        Disclosure::Public => Vec::new(),
        Disclosure::Unknown => {
            let id = row.indicator_id.as_str();
            if rules.units.get(id).is_some_and(|unit| unit.contains("share")) {
                vec![
                    (key(&format!("{id}:numerator"), row), row.numerator),
                    (key(&format!("{id}:denominator"), row), row.denominator),
                ]
            } else {
                vec![(key(id, row), count_of(row))]
            }
        }
    }
}

/// Every cell the rows disclose, with its count (the smallest, should two rows disagree).
pub fn cells(rows: &[ValueRow], rules: &SuppressionRules) -> BTreeMap<CellKey, i64> {
    let mut cells: BTreeMap<CellKey, i64> = BTreeMap::new();
    for row in rows {
        for (cell, count) in row_cells(row, rules) {
            // A row without a count (an undefined share) discloses nothing; treat it as zero so it is withheld.
            let count = count.unwrap_or(0);
            cells.entry(cell).and_modify(|c| *c = (*c).min(count)).or_insert(count);
        }
    }
    cells
}

/// The additive groups among `cells`: regions → province, sub-programmes → programme, agency types → all types;
/// only groups whose total is itself a cell.
pub fn additive_groups(cells: &BTreeMap<CellKey, i64>, rules: &SuppressionRules) -> Vec<AdditiveGroup> {
    let mut groups: BTreeMap<CellKey, Vec<CellKey>> = BTreeMap::new();
    for cell in cells.keys() {
        let (quantity, region, year, programme, agency_type) = cell.clone();
        if region.as_ref().is_some_and(|r| *r != rules.province) {
            let total = (quantity.clone(), Some(rules.province.clone()), year, programme.clone(), agency_type.clone());
            groups.entry(total).or_default().push(cell.clone());
        }
        if let Some(parent) = programme.as_ref().and_then(|p| rules.programme_parent.get(p)) {
            let total = (quantity.clone(), region.clone(), year, Some(parent.clone()), agency_type.clone());
            groups.entry(total).or_default().push(cell.clone());
        }
        if agency_type.is_some() {
            let total = (quantity, region, year, programme, None);
            groups.entry(total).or_default().push(cell.clone());
        }
    }
    groups
        .into_iter()
        .filter(|(total, _)| cells.contains_key(total))
        .map(|(total, parts)| AdditiveGroup { total, parts })
        .collect()
}

/// The withheld cells: primary (count < k) plus complementary, until no additive group has exactly one.
pub fn withheld_cells(
    cells: &BTreeMap<CellKey, i64>,
    groups: &[AdditiveGroup],
    k: i64,
) -> (BTreeSet<CellKey>, SuppressionReport) {
    let mut withheld: BTreeSet<CellKey> =
        cells.iter().filter(|(_, count)| **count < k).map(|(cell, _)| cell.clone()).collect();
    let mut report = SuppressionReport { primary: withheld.len(), ..SuppressionReport::default() };
    loop {
        let mut changed = false;
        for group in groups {
            let hidden = group.parts.iter().chain([&group.total]).filter(|c| withheld.contains(*c)).count();
            if hidden != 1 {
                continue;
            }
            let smallest_part = group
                .parts
                .iter()
                .filter(|c| !withheld.contains(*c))
                .min_by_key(|c| (cells.get(*c).copied().unwrap_or(i64::MAX), (*c).clone()));
            let next = smallest_part.or_else(|| Some(&group.total).filter(|t| !withheld.contains(*t)));
            if let Some(cell) = next {
                withheld.insert(cell.clone());
                report.complementary += 1;
                changed = true;
            }
        }
        if !changed {
            return (withheld, report);
        }
    }
}

/// Applies small-cell suppression to the rows in place and says how much was withheld.
pub fn suppress(rows: &mut [ValueRow], rules: &SuppressionRules) -> SuppressionReport {
    let cells = cells(rows, rules);
    let groups = additive_groups(&cells, rules);
    let (withheld, mut report) = withheld_cells(&cells, &groups, rules.k);
    for row in rows.iter_mut() {
        let hide = row_cells(row, rules).iter().any(|(cell, _)| withheld.contains(cell));
        if hide {
            row.value = None;
            row.numerator = None;
            row.denominator = None;
            row.gap = None;
            row.status = "n/a".to_string();
            row.suppressed = true;
            report.rows += 1;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules(k: i64) -> SuppressionRules {
        SuppressionRules {
            k,
            province: "410000".into(),
            programme_parent: (1..=5).map(|i| (format!("2.{i}"), "2".to_string())).collect(),
            units: HashMap::new(),
        }
    }

    fn count_row(id: &str, region: &str, agency_type: Option<&str>, count: i64) -> ValueRow {
        ValueRow {
            indicator_id: id.into(),
            region_code: Some(region.into()),
            year: Some(2024),
            programme: None,
            agency_type: agency_type.map(Into::into),
            value: Some(count as f64),
            numerator: Some(count),
            denominator: None,
            target: None,
            gap: None,
            status: "n/a".into(),
            definition_version: "t".into(),
            suppressed: false,
        }
    }

    fn regions(id: &str, counts: &[i64]) -> Vec<ValueRow> {
        let mut rows = vec![count_row(id, "410000", None, counts.iter().sum())];
        rows.extend(counts.iter().enumerate().map(|(i, c)| count_row(id, &format!("41{:02}00", i + 1), None, *c)));
        rows
    }

    #[test]
    fn a_lone_small_region_takes_the_next_smallest_with_it() {
        let mut rows = regions("certs_by_agency_type", &[100, 5, 40, 30]);
        let report = suppress(&mut rows, &rules(10));
        let hidden: Vec<_> = rows.iter().filter(|r| r.suppressed).map(|r| r.region_code.clone()).collect();
        assert_eq!(hidden, vec![Some("410200".to_string()), Some("410400".to_string())]);
        assert_eq!((report.primary, report.complementary), (1, 1));
        assert!(rows.iter().filter(|r| r.suppressed).all(|r| r.value.is_none() && r.numerator.is_none()));
    }

    #[test]
    fn a_share_is_withheld_with_its_denominator_everywhere() {
        let mut rows = regions("skilled_persons", &[100, 50, 8]);
        for (region, num, den) in [("410000", 60, 158), ("410100", 40, 100), ("410200", 15, 50), ("410300", 5, 8)] {
            let mut row = count_row("high_skill_share", region, None, num);
            row.denominator = Some(den);
            row.value = Some(num as f64 / den as f64);
            rows.push(row);
        }
        suppress(&mut rows, &rules(10));
        let hidden = |id: &str, region: &str| {
            rows.iter().any(|r| r.indicator_id == id && r.region_code.as_deref() == Some(region) && r.suppressed)
        };
        // 410300 has 8 skilled persons (primary); 410200 is the complement in skilled_persons, so its share goes too.
        assert!(hidden("skilled_persons", "410300") && hidden("skilled_persons", "410200"));
        assert!(hidden("high_skill_share", "410300") && hidden("high_skill_share", "410200"));
        assert!(!hidden("high_skill_share", "410100"));
    }

    #[test]
    fn agencies_are_never_suppressed() {
        let mut rows = regions("agencies_by_type", &[3, 1]);
        assert_eq!(suppress(&mut rows, &rules(10)).rows, 0);
    }

    proptest! {
        /// After suppression, every additive group has zero or at least two withheld cells, and every count below k
        /// is withheld: no withheld cell equals its total minus the published rest.
        #[test]
        fn no_group_has_exactly_one_withheld_cell(
            region_counts in proptest::collection::vec(0i64..40, 1..8),
            types in proptest::collection::vec(proptest::collection::vec(0i64..30, 3), 1..5),
        ) {
            let mut rows = regions("new_skilled", &region_counts);
            // certificates by agency type × region with province rows: a two-way table.
            let kinds = ["enterprise", "college", "social"];
            for (t, kind) in kinds.iter().enumerate() {
                let total: i64 = types.iter().map(|r| r[t]).sum();
                rows.push(count_row("certs_by_agency_type", "410000", Some(kind), total));
                for (i, region) in types.iter().enumerate() {
                    rows.push(count_row("certs_by_agency_type", &format!("41{:02}00", i + 1), Some(kind), region[t]));
                }
            }
            let rules = rules(10);
            let original = rows.clone();
            suppress(&mut rows, &rules);
            for (before, after) in original.iter().zip(&rows) {
                if before.numerator.is_some_and(|c| c < 10) {
                    prop_assert!(after.suppressed && after.value.is_none());
                }
            }
            let cells = cells(&original, &rules);
            let hidden: BTreeSet<CellKey> = original
                .iter()
                .zip(&rows)
                .filter(|(_, after)| after.suppressed)
                .flat_map(|(before, _)| row_cells(before, &rules).into_iter().map(|(c, _)| c))
                .collect();
            for group in additive_groups(&cells, &rules) {
                let n = group.parts.iter().chain([&group.total]).filter(|c| hidden.contains(*c)).count();
                prop_assert!(n != 1, "group {:?} has exactly one withheld cell", group.total);
            }
        }
    }
}
