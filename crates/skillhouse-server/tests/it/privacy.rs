//! Small-cell suppression as a client sees it: withheld cells are null and flagged (never zero), and in every
//! breakdown that adds up to a published total no withheld cell can be solved for.

use crate::{app_with, get, warehouse};
use serde_json::Value;
use std::collections::BTreeMap;

fn find<'a>(
    data: &'a [Value],
    region: &str,
    year: i64,
    programme: Option<&str>,
    agency_type: Option<&str>,
) -> &'a Value {
    data.iter()
        .find(|r| {
            r["region_code"] == region
                && r["year"] == year
                && r["programme"].as_str() == programme
                && r["agency_type"].as_str() == agency_type
        })
        .unwrap_or_else(|| panic!("no row {region} {year} {programme:?} {agency_type:?}"))
}

async fn values(app: &axum::Router, id: &str) -> Vec<Value> {
    get(app, &format!("/api/v1/indicators/{id}")).await.json()["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn small_cells_and_their_complements_are_withheld_as_null_never_zero() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let new_skilled = values(&app, "new_skilled").await;
    let small = find(&new_skilled, "410200", 2024, None, None);
    assert_eq!(small["suppressed"], true);
    assert!(small["value"].is_null() && small["numerator"].is_null() && small["gap"].is_null());
    assert_eq!(small["status"], "n/a");
    let complement = find(&new_skilled, "410400", 2024, None, None);
    assert_eq!(complement["suppressed"], true, "the next-smallest region goes with it");
    assert_eq!(find(&new_skilled, "410100", 2024, None, None)["value"], 600.0);
    assert_eq!(find(&new_skilled, "410400", 2023, None, None)["value"], 100.0, "another year is its own table");

    // A share is withheld with its numerator or denominator, in every indicator that publishes them.
    let share = values(&app, "high_skill_share").await;
    assert_eq!(find(&share, "410400", 2024, None, None)["suppressed"], true);
    assert_eq!(find(&share, "410300", 2024, None, None)["suppressed"], true, "denominator 992 is a complement");
    assert!(find(&share, "410300", 2024, None, None)["denominator"].is_null());
    assert_eq!(find(&share, "410200", 2024, None, None)["value"], 0.3);
    let skilled = values(&app, "skilled_persons").await;
    assert_eq!(find(&skilled, "410300", 2024, None, None)["suppressed"], true);

    let programmes = values(&app, "programme_new_high_skilled").await;
    assert_eq!(find(&programmes, "410000", 2025, Some("2.2"), None)["suppressed"], true);
    assert_eq!(find(&programmes, "410000", 2025, Some("2.3"), None)["suppressed"], true);
    assert_eq!(find(&programmes, "410000", 2025, Some("2"), None)["value"], 300.0);

    let agencies = values(&app, "agencies_by_type").await;
    assert!(agencies.iter().all(|r| r["suppressed"] == false), "agencies are organisations, not persons");
    assert_eq!(find(&agencies, "410000", 2024, None, Some("college"))["value"], 2.0);
}

/// For every breakdown that adds up to a published total — regions → province, sub-programmes → programme,
/// agency types → all types — the withheld cells of the group (total included) number zero or at least two, so
/// `withheld = total − sum(published others)` never has a single unknown; and no published count is below k.
#[tokio::test]
async fn no_withheld_cell_is_recoverable_from_a_published_total() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let catalogue = get(&app, "/api/v1/indicators").await.json();
    let mut checked_groups = 0;
    for entry in catalogue["data"].as_array().into_iter().flatten() {
        let id = entry["indicator_id"].as_str().unwrap_or_default();
        let unit = entry["unit"].as_str().unwrap_or_default();
        if unit == "agencies" {
            continue;
        }
        let rows = values(&app, id).await;
        for row in &rows {
            let counts = [&row["numerator"], &row["denominator"]];
            assert!(
                counts.iter().all(|c| c.as_i64().is_none_or(|n| n >= 10)),
                "{id}: a published count below k: {row}"
            );
        }
        // group key → (total withheld?, parts withheld)
        let mut groups: BTreeMap<String, (Option<bool>, Vec<bool>)> = BTreeMap::new();
        let key = |row: &Value, region: &str, programme: &Value, agency: &Value| {
            format!("{}|{}|{}|{}", region, row["year"], programme, agency)
        };
        for row in &rows {
            let hidden = row["suppressed"] == true;
            let region = row["region_code"].as_str().unwrap_or_default();
            let programme = &row["programme"];
            let agency = &row["agency_type"];
            // regions → province
            let by_region = format!("R{}", key(row, "410000", programme, agency));
            if region == "410000" {
                groups.entry(by_region).or_default().0 = Some(hidden);
            } else {
                groups.entry(by_region).or_default().1.push(hidden);
            }
            // sub-programmes → programme
            if let Some(p) = programme.as_str() {
                match p.split_once('.') {
                    Some((parent, _)) => groups
                        .entry(format!("P{}", key(row, region, &Value::from(parent), agency)))
                        .or_default()
                        .1
                        .push(hidden),
                    None => {
                        groups.entry(format!("P{}", key(row, region, programme, agency))).or_default().0 = Some(hidden)
                    }
                }
            }
            // agency types → all types
            if agency.is_null() {
                groups.entry(format!("A{}", key(row, region, programme, &Value::Null))).or_default().0 = Some(hidden);
            } else {
                groups.entry(format!("A{}", key(row, region, programme, &Value::Null))).or_default().1.push(hidden);
            }
        }
        for (group, (total, parts)) in groups {
            let Some(total) = total else { continue };
            if parts.is_empty() {
                continue;
            }
            let withheld = parts.iter().filter(|h| **h).count() + usize::from(total);
            assert_ne!(withheld, 1, "{id} group {group}: exactly one withheld cell is recoverable");
            checked_groups += 1;
        }
    }
    assert!(checked_groups >= 6, "the fixture has additive groups to check ({checked_groups})");
}
