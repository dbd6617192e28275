//! `reported/reported.parquet` (docs/warehouse.md): the reported figures in force, one row per key — the latest
//! file's — with who reported each and when, and the file and row it came from.

use super::validate::{ReportedKey, ReportedRow};
use crate::error::{IngestError, Result};
use crate::warehouse::{Layout, date_column, date32, from_date32, i64_values, read_parquet, str_values, write_parquet};
use polars::prelude::*;
use std::collections::BTreeMap;

/// A figure in force with its lineage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredFigure {
    pub(crate) row: ReportedRow,
    pub(crate) source_file: String,
    pub(crate) source_row: i64,
    pub(crate) batch_id: String,
    pub(crate) content_hash: String,
}

/// The figures in force by key.
pub(crate) type Figures = BTreeMap<ReportedKey, StoredFigure>;

/// Reads the figures in force, or none when nothing was reported yet.
pub(crate) fn read_figures(layout: &Layout) -> Result<Figures> {
    let path = layout.reported_path();
    let mut figures = Figures::new();
    if !path.is_file() {
        return Ok(figures);
    }
    let frame = read_parquet(&path, None)?;
    let text = |name| str_values(&frame, &path, name);
    let (ids, regions, programmes, agency_types) =
        (text("indicator_id")?, text("region_code")?, text("programme")?, text("agency_type")?);
    let (units, by, notes, files, batches, hashes) = (
        text("unit")?,
        text("reported_by")?,
        text("source_note")?,
        text("source_file")?,
        text("batch_id")?,
        text("content_hash")?,
    );
    let (years, on, rows) = (
        i64_values(&frame, &path, "year")?,
        i64_values(&frame, &path, "reported_on")?,
        i64_values(&frame, &path, "source_row")?,
    );
    let bad = |source| IngestError::WarehouseColumn { path: path.clone(), column: "value", source };
    let values: Vec<Option<f64>> = frame.column("value").map_err(bad)?.f64().map_err(bad)?.iter().collect();
    for i in 0..frame.height() {
        let (Some(indicator_id), Some(region_code), Some(year), Some(value), Some(reported_on)) = (
            ids[i].clone(),
            regions[i].clone(),
            years[i].and_then(|y| i32::try_from(y).ok()),
            values[i],
            on[i].and_then(from_date32),
        ) else {
            continue;
        };
        let row = ReportedRow {
            indicator_id,
            region_code,
            year,
            programme: programmes[i].clone(),
            agency_type: agency_types[i].clone(),
            value,
            unit: units[i].clone().unwrap_or_default(),
            reported_by: by[i].clone().unwrap_or_default(),
            reported_on,
            source_note: notes[i].clone(),
        };
        let figure = StoredFigure {
            source_file: files[i].clone().unwrap_or_default(),
            source_row: rows[i].unwrap_or_default(),
            batch_id: batches[i].clone().unwrap_or_default(),
            content_hash: hashes[i].clone().unwrap_or_default(),
            row,
        };
        figures.insert(figure.row.key(), figure);
    }
    Ok(figures)
}

/// Writes the figures in force (not yet synced: the caller syncs before saving the ledger).
pub(crate) fn write_figures(layout: &Layout, figures: &Figures) -> Result<()> {
    let path = layout.reported_path();
    let all: Vec<&StoredFigure> = figures.values().collect();
    let build = || -> PolarsResult<DataFrame> {
        let text = |name: &str, f: &dyn Fn(&StoredFigure) -> Option<String>| {
            Column::new(name.into(), all.iter().map(|x| f(x)).collect::<Vec<_>>())
        };
        DataFrame::new(
            all.len(),
            vec![
                text("indicator_id", &|x| Some(x.row.indicator_id.clone())),
                text("region_code", &|x| Some(x.row.region_code.clone())),
                Column::new("year".into(), all.iter().map(|x| x.row.year).collect::<Vec<i32>>()),
                text("programme", &|x| x.row.programme.clone()),
                text("agency_type", &|x| x.row.agency_type.clone()),
                Column::new("value".into(), all.iter().map(|x| x.row.value).collect::<Vec<f64>>()),
                text("unit", &|x| Some(x.row.unit.clone())),
                text("reported_by", &|x| Some(x.row.reported_by.clone())),
                date_column("reported_on", all.iter().map(|x| Some(date32(x.row.reported_on))).collect())?,
                text("source_note", &|x| x.row.source_note.clone()),
                text("source_file", &|x| Some(x.source_file.clone())),
                Column::new("source_row".into(), all.iter().map(|x| x.source_row).collect::<Vec<i64>>()),
                text("batch_id", &|x| Some(x.batch_id.clone())),
                text("content_hash", &|x| Some(x.content_hash.clone())),
            ],
        )
    };
    let mut frame = build().map_err(|e| IngestError::parquet(&path, e))?;
    write_parquet(&path, &mut frame)
}
