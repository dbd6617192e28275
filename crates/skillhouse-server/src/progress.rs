//! The all-targets table (DESIGN §17, `/api/v1/targets/progress`): every row of the snapshot's `targets` with the
//! value row of its key — value, gap, status and basis as the build decided them, after suppression — and what a
//! reader needs to place it: the seed document (`000`–`004`, the target id's prefix) and clause, the indicator's
//! titles (the catalogue's, or for a reported indicator `reportable_indicators`'), the region's name. The page's
//! all-targets section and its XLSX and CSV exports are this table; nothing here decides a status.

use crate::load::ValueRow;
use crate::published::basis_words;
use crate::table::{Cell, ColumnType, Table};
use std::collections::{BTreeMap, HashMap};

/// Columns of `/api/v1/targets/progress`, in order.
pub const PROGRESS_COLUMNS: [(&str, ColumnType); 26] = [
    ("document", ColumnType::Text),
    ("source_doc", ColumnType::Text),
    ("clause", ColumnType::Text),
    ("target_id", ColumnType::Text),
    ("indicator_id", ColumnType::Text),
    ("title_zh", ColumnType::Text),
    ("title_en", ColumnType::Text),
    ("region_code", ColumnType::Text),
    ("region_zh", ColumnType::Text),
    ("region_en", ColumnType::Text),
    ("year", ColumnType::Int),
    ("programme", ColumnType::Text),
    ("agency_type", ColumnType::Text),
    ("comparator", ColumnType::Text),
    ("target", ColumnType::Float),
    ("unit", ColumnType::Text),
    ("value", ColumnType::Float),
    ("gap", ColumnType::Float),
    ("status", ColumnType::Text),
    ("basis", ColumnType::Text),
    ("basis_zh", ColumnType::Text),
    ("basis_en", ColumnType::Text),
    ("reported_by", ColumnType::Text),
    ("reported_on", ColumnType::Text),
    ("suppressed", ColumnType::Bool),
    ("note", ColumnType::Text),
];

type Key = (String, Option<String>, Option<i64>, Option<String>, Option<String>);

fn float_at(table: &Table, row: &[Cell], name: &str) -> Option<f64> {
    table.column_index(name).and_then(|i| row.get(i)).and_then(Cell::float)
}

/// indicator id → (title_zh, title_en) from a table with `indicator_id`, `title_zh`, `title_en` columns.
fn titles(table: &Table) -> HashMap<String, (Option<String>, Option<String>)> {
    let ids = table.text_column("indicator_id");
    let zh = table.text_column("title_zh");
    let en = table.text_column("title_en");
    ids.into_iter().zip(zh.into_iter().zip(en)).filter_map(|(id, names)| Some((id?, names))).collect()
}

/// Builds the table: one row per target, in target id order (document, then the order of its clauses).
pub fn progress_table(
    targets: &Table,
    values: &BTreeMap<String, Vec<ValueRow>>,
    catalogue: &Table,
    reportable: &Table,
    regions: &Table,
) -> Table {
    let by_key: HashMap<Key, &ValueRow> = values
        .values()
        .flatten()
        .map(|row| {
            let key = (
                row.indicator_id.clone(),
                row.region_code.clone(),
                row.year,
                row.programme.clone(),
                row.agency_type.clone(),
            );
            (key, row)
        })
        .collect();
    let mut names = titles(reportable);
    names.extend(titles(catalogue));
    let region_names: HashMap<String, (Option<String>, Option<String>)> = regions
        .text_column("region_code")
        .into_iter()
        .zip(regions.text_column("name_zh").into_iter().zip(regions.text_column("name_en")))
        .filter_map(|(code, names)| Some((code?, names)))
        .collect();
    let text = |name: &str| targets.text_column(name);
    let (ids, indicators, region_codes, programmes, agency_types) =
        (text("target_id"), text("indicator_id"), text("region_code"), text("programme"), text("agency_type"));
    let (comparators, units, docs, clauses, notes) =
        (text("comparator"), text("unit"), text("source_doc"), text("clause"), text("note"));
    let years = targets.int_column("year");
    let mut table = Table::new(&PROGRESS_COLUMNS);
    let mut order: Vec<usize> = (0..targets.rows.len()).collect();
    order.sort_by(|a, b| ids[*a].cmp(&ids[*b]));
    for i in order {
        let indicator = indicators[i].clone().unwrap_or_default();
        let key =
            (indicator.clone(), region_codes[i].clone(), years[i], programmes[i].clone(), agency_types[i].clone());
        let value = by_key.get(&key);
        let basis = value.map_or("no_data", |v| v.basis.as_str());
        let (basis_zh, basis_en) = basis_words(basis);
        let (title_zh, title_en) = names.get(&indicator).cloned().unwrap_or_default();
        let (region_zh, region_en) =
            region_codes[i].as_ref().and_then(|c| region_names.get(c)).cloned().unwrap_or_default();
        let document = ids[i].as_deref().and_then(|id| id.split('-').next()).map(str::to_string);
        table.rows.push(vec![
            document.into(),
            docs[i].clone().into(),
            clauses[i].clone().into(),
            ids[i].clone().into(),
            Cell::Text(indicator),
            title_zh.into(),
            title_en.into(),
            region_codes[i].clone().into(),
            region_zh.into(),
            region_en.into(),
            years[i].into(),
            programmes[i].clone().into(),
            agency_types[i].clone().into(),
            comparators[i].clone().into(),
            float_at(targets, &targets.rows[i], "target").into(),
            units[i].clone().into(),
            value.and_then(|v| v.value).into(),
            value.and_then(|v| v.gap).into(),
            Cell::Text(value.map_or_else(|| "n/a".to_string(), |v| v.status.clone())),
            Cell::Text(basis.to_string()),
            Cell::Text(basis_zh.to_string()),
            Cell::Text(basis_en.to_string()),
            value.and_then(|v| v.reported_by.clone()).into(),
            value.and_then(|v| v.reported_on.clone()).into(),
            Cell::Bool(value.is_some_and(|v| v.suppressed)),
            notes[i].clone().into(),
        ]);
    }
    table
}
