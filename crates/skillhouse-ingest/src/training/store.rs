//! The training files of `docs/warehouse.md`: the frame of one file's accepted trainee rows
//! ([`TRAINING_COLUMNS`]) and the provider registry's Parquet file ([`PROVIDER_COLUMNS`]).

use super::validate::TrainingRow;
use crate::error::{IngestError, Result};
use crate::reference::{Provider, Providers};
use crate::warehouse::{
    Layout, Lineage, date_column, date32, from_date32, i64_values, read_parquet, str_values, write_parquet_atomic,
};
use polars::prelude::*;
use skillhouse_model::ProviderType;
use skillhouse_model::schema::{PROVIDER_COLUMNS, TRAINING_COLUMNS};

/// Builds the training frame of one file's accepted rows of one end year (already sorted), columns as
/// [`TRAINING_COLUMNS`]. The provider's id, type and region are the registry's.
pub(crate) fn training_frame(
    rows: &[(i64, TrainingRow)],
    provider: &Provider,
    lineage: &Lineage<'_>,
) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let text = |f: &dyn Fn(&TrainingRow) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>()
    };
    let date = |f: &dyn Fn(&TrainingRow) -> chrono::NaiveDate| rows.iter().map(|(_, r)| Some(date32(f(r)))).collect();
    let hours = |f: &dyn Fn(&TrainingRow) -> i32| rows.iter().map(|(_, r)| f(r)).collect::<Vec<i32>>();
    let mut columns: Vec<Column> = Vec::with_capacity(TRAINING_COLUMNS.len());
    for column in TRAINING_COLUMNS {
        let name = column.name;
        let built = match name {
            "person_key" => Column::new(name.into(), text(&|r| Some(r.person_key.as_str()))),
            "birth_date" => date_column(name, date(&|r| r.birth_date))?,
            "gender" => Column::new(name.into(), text(&|r| Some(r.gender.code()))),
            "hukou_region" => Column::new(name.into(), text(&|r| Some(r.hukou_region.as_str()))),
            "provider_id" => Column::new(name.into(), vec![provider.provider_id.as_str(); n]),
            "provider_type" => Column::new(name.into(), vec![provider.provider_type.code(); n]),
            "region_code" => Column::new(name.into(), vec![provider.region_code.as_str(); n]),
            "class_id" => Column::new(name.into(), text(&|r| Some(r.class_id.as_str()))),
            "training_kind" => Column::new(name.into(), text(&|r| Some(r.training_kind.code()))),
            "occupation_code" => Column::new(name.into(), text(&|r| r.occupation_code.as_deref())),
            "programme" => Column::new(name.into(), text(&|r| r.programme.map(|p| p.code()))),
            "subsidised" => Column::new(name.into(), rows.iter().map(|(_, r)| r.subsidised).collect::<Vec<bool>>()),
            "voucher_no" => Column::new(name.into(), text(&|r| r.voucher_no.as_deref())),
            "organiser" => Column::new(name.into(), text(&|r| r.organiser)),
            "start_date" => date_column(name, date(&|r| r.start_date))?,
            "end_date" => date_column(name, date(&|r| r.end_date))?,
            "hours_total" => Column::new(name.into(), hours(&|r| r.hours_total)),
            "hours_practical" => Column::new(name.into(), hours(&|r| r.hours_practical)),
            "satisfaction" => {
                Column::new(name.into(), rows.iter().map(|(_, r)| r.satisfaction).collect::<Vec<Option<f64>>>())
            }
            "result" => Column::new(name.into(), text(&|r| Some(r.result.code()))),
            "source_file" => Column::new(name.into(), vec![lineage.source_file; n]),
            "source_row" => Column::new(name.into(), rows.iter().map(|(line, _)| *line).collect::<Vec<i64>>()),
            "batch_id" => Column::new(name.into(), vec![lineage.batch_id; n]),
            "content_hash" => Column::new(name.into(), vec![lineage.content_hash; n]),
            _ => polars_bail!(ComputeError: "training column {name} has no builder"),
        };
        columns.push(built);
    }
    DataFrame::new(n, columns)
}

/// Writes `providers/providers.parquet` ([`PROVIDER_COLUMNS`]).
pub(crate) fn write_providers(layout: &Layout, providers: &Providers) -> Result<()> {
    let path = layout.providers_path();
    let all: Vec<&Provider> = providers.iter().collect();
    let build = || -> PolarsResult<DataFrame> {
        let mut columns = Vec::with_capacity(PROVIDER_COLUMNS.len());
        for column in PROVIDER_COLUMNS {
            let name = column.name;
            let text = |f: &dyn Fn(&Provider) -> &str| all.iter().map(|p| f(p)).collect::<Vec<&str>>();
            columns.push(match name {
                "provider_id" => Column::new(name.into(), text(&|p| p.provider_id.as_str())),
                "name" => Column::new(name.into(), text(&|p| p.name.as_str())),
                "provider_type" => Column::new(name.into(), text(&|p| p.provider_type.code())),
                "region_code" => Column::new(name.into(), text(&|p| p.region_code.as_str())),
                "registered_on" => date_column(name, all.iter().map(|p| p.registered_on.map(date32)).collect())?,
                _ => polars_bail!(ComputeError: "provider column {name} has no builder"),
            });
        }
        DataFrame::new(all.len(), columns)
    };
    let mut frame = build().map_err(|e| IngestError::parquet(&path, e))?;
    write_parquet_atomic(&path, &mut frame)
}

/// Reads `providers/providers.parquet`, or an empty registry when there is none yet.
pub(crate) fn read_providers(layout: &Layout) -> Result<Providers> {
    let path = layout.providers_path();
    if !path.is_file() {
        return Ok(Providers::default());
    }
    let frame = read_parquet(&path, None)?;
    let ids = str_values(&frame, &path, "provider_id")?;
    let names = str_values(&frame, &path, "name")?;
    let types = str_values(&frame, &path, "provider_type")?;
    let regions = str_values(&frame, &path, "region_code")?;
    let registered = i64_values(&frame, &path, "registered_on")?;
    let mut providers = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
        let (Some(provider_id), Some(provider_type), Some(region_code)) =
            (ids[i].clone(), types[i].as_deref().and_then(ProviderType::parse), regions[i].clone())
        else {
            continue;
        };
        providers.push(Provider {
            provider_id,
            name: names[i].clone().unwrap_or_default(),
            provider_type,
            region_code,
            registered_on: registered[i].and_then(from_date32),
        });
    }
    Ok(Providers::from_providers(providers))
}
