//! Small-cell suppression of published indicator values (DESIGN §7).
//!
//! *Cells.* Every published number is backed by counts: a count indicator by its own count, a share by its
//! numerator and denominator counts. Counts are keyed by a *quantity* — the thing counted — plus region, year,
//! programme and agency type, and indicators that publish the same quantity share its cells: `high_skill_share`'s
//! numerator is `high_skilled_persons`' count and its denominator is `skilled_persons`' count, so withholding a cell
//! withholds it everywhere it appears (otherwise `numerator = share × denominator` would give it back). Which
//! quantities an indicator's values are made of is part of its definition: the `-- disclosure:` line of its `.sql`
//! header, carried into the catalogue's `disclosure` column ([`disclosures`]); nothing here knows indicator ids.
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
//! `denominator` and `gap` as null, `status` (and a `reference_status`, a `pace_status`) as `n/a` and `suppressed: true` — never a
//! zero.
//! Counts of agencies (organisations on a public registry) and the employment reference (a published statistic)
//! describe no person and are not suppressed.

use crate::error::{Result, ServerError};
use crate::load::ValueRow;
use crate::table::Table;
use skillhouse_query::{Disclosure, SqlCatalog};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The default threshold k.
pub const DEFAULT_SUPPRESSION_K: i64 = 10;

/// What suppression needs besides the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionRules {
    /// Counts below this are withheld.
    pub k: i64,
    /// Region code of the province total (`410000`).
    pub province: String,
    /// Parent of each sub-programme (`2.1` → `2`).
    pub programme_parent: HashMap<String, String>,
    /// What each indicator's values disclose, from the catalogue (see [`disclosures`]).
    pub disclosures: HashMap<String, Disclosure>,
}

/// What each indicator of a snapshot's catalogue discloses: its `disclosure` column, which the build copies from the
/// indicator's `-- disclosure:` header line (and refuses an indicator without). A snapshot built before the column
/// existed takes the line of this binary's bundled definition of the same id; an id known to neither is protected
/// under its own name — a share as its own numerator and denominator, anything else as its own count — which
/// withholds its small cells but cannot share them with other indicators.
pub fn disclosures(catalogue: &Table, snapshot: &str) -> Result<HashMap<String, Disclosure>> {
    let refuse = |source| ServerError::Catalogue { snapshot: snapshot.to_string(), source: Box::new(source) };
    let bundled: HashMap<String, Disclosure> = SqlCatalog::bundled()
        .map_err(refuse)?
        .indicators
        .iter()
        .filter_map(|file| Some((file.id().to_string(), file.disclosure()?)))
        .collect();
    let ids = catalogue.text_column("indicator_id");
    let (files, lines) = (catalogue.text_column("file"), catalogue.text_column("disclosure"));
    let units = catalogue.text_column("unit");
    let mut out = HashMap::new();
    for (row, id) in ids.into_iter().enumerate() {
        let Some(id) = id else { continue };
        let file = files.get(row).cloned().flatten().unwrap_or_else(|| format!("indicators/{id}.sql"));
        let disclosure = match lines.get(row).cloned().flatten() {
            Some(line) => Disclosure::parse(&line, &file, 0).map_err(refuse)?,
            None => match bundled.get(&id) {
                Some(known) => known.clone(),
                None if units.get(row).cloned().flatten().is_some_and(|unit| unit.contains("share")) => {
                    Disclosure::Share {
                        numerator: format!("{id}:numerator"),
                        denominator: Some(format!("{id}:denominator")),
                    }
                }
                None => Disclosure::Count { quantity: id.clone() },
            },
        };
        out.insert(id, disclosure);
    }
    Ok(out)
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

/// The cells a row discloses: `(cell, count)` pairs; shares name the numerator first. A row of an indicator the
/// catalogue does not list is protected under its own name, as a count (it has no unit to say otherwise).
fn row_cells(row: &ValueRow, rules: &SuppressionRules) -> Vec<(CellKey, Option<i64>)> {
    // A figure an office reported is published by that office; a `no_data` row has no figure (DESIGN §17). Neither
    // is made of the records' counts.
    if row.basis != "computed" {
        return Vec::new();
    }
    match rules.disclosures.get(&row.indicator_id) {
        Some(Disclosure::Count { quantity }) => vec![(key(quantity, row), count_of(row))],
        Some(Disclosure::Share { numerator, denominator }) => {
            let mut cells = vec![(key(numerator, row), row.numerator)];
            if let Some(denominator) = denominator {
                cells.push((key(denominator, row), row.denominator));
            }
            cells
        }
        Some(Disclosure::Public) => Vec::new(),
        None => vec![(key(&row.indicator_id, row), count_of(row))],
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
            // Met or behind against a reference would tell which side of it the withheld value lies.
            if row.reference_status.is_some() {
                row.reference_status = Some("n/a".to_string());
            }
            // Likewise ahead or behind the calendar (序时进度); the elapsed share and the expected value stay: they
            // are the target's and the date's, not the count's.
            if row.pace_status.is_some() {
                row.pace_status = Some("n/a".to_string());
            }
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
            disclosures: bundled_disclosures(),
        }
    }

    /// The disclosures of the bundled `sql/indicators/*.sql` headers, as a catalogue built from them carries.
    fn bundled_disclosures() -> HashMap<String, Disclosure> {
        let catalog = SqlCatalog::bundled().expect("bundled SQL parses");
        catalog
            .indicators
            .iter()
            .map(|f| (f.id().to_string(), f.disclosure().expect("checked by the parser")))
            .collect()
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
            reference_target: None,
            reference_comparator: None,
            reference_year: None,
            reference_status: None,
            elapsed_share: None,
            expected_to_date: None,
            pace_status: None,
            suppressed: false,
            basis: "computed".into(),
            reported_by: None,
            reported_on: None,
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
    fn disclosures_come_from_the_catalogue_table() {
        use crate::table::{Cell, ColumnType};
        let text = |v: Option<&str>| v.map_or(Cell::Null, |v| Cell::Text(v.into()));
        let mut catalogue = Table::new(&[
            ("indicator_id", ColumnType::Text),
            ("unit", ColumnType::Text),
            ("file", ColumnType::Text),
            ("disclosure", ColumnType::Text),
        ]);
        for (id, unit, disclosure) in [
            ("new_share", "share", Some("share new_skilled / skilled_persons")),
            ("high_skill_share", "share", None),
            ("unheard_of", "share", None),
            ("unheard_count", "persons", None),
        ] {
            catalogue.rows.push(vec![text(Some(id)), text(Some(unit)), text(None), text(disclosure)]);
        }
        let found = disclosures(&catalogue, "S1").expect("valid catalogue");
        let share = |n: &str, d: &str| Disclosure::Share { numerator: n.into(), denominator: Some(d.into()) };
        assert_eq!(found["new_share"], share("new_skilled", "skilled_persons"));
        // A catalogue from before the column: the bundled header of the same id, else its own name.
        assert_eq!(found["high_skill_share"], share("high_skilled_persons", "skilled_persons"));
        assert_eq!(found["unheard_of"], share("unheard_of:numerator", "unheard_of:denominator"));
        assert_eq!(found["unheard_count"], Disclosure::Count { quantity: "unheard_count".into() });

        catalogue.rows[0][3] = text(Some("share new_skilled"));
        let error = disclosures(&catalogue, "S1").expect_err("a malformed disclosure");
        assert!(matches!(&error, ServerError::Catalogue { snapshot, .. } if snapshot == "S1"), "{error}");
        assert!(crate::error::chain(&error).contains("indicators/new_share.sql"), "{error}");
    }

    #[test]
    fn a_withheld_row_shows_no_decision_against_its_reference() {
        let mut rows = regions("skilled_persons", &[100, 50, 8]);
        for row in &mut rows {
            row.reference_target = Some(40.0);
            row.reference_status = Some(if row.value >= Some(40.0) { "met" } else { "behind" }.into());
        }
        suppress(&mut rows, &rules(10));
        let statuses: Vec<_> = rows.iter().map(|r| (r.suppressed, r.reference_status.clone())).collect();
        assert_eq!(
            statuses,
            [
                (false, Some("met".to_string())),
                (false, Some("met".to_string())),
                (true, Some("n/a".to_string())),
                (true, Some("n/a".to_string()))
            ]
        );
        assert!(rows.iter().all(|r| r.reference_target == Some(40.0)), "a target is public");
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
