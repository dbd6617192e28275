//! The release gate: data tests run on a candidate snapshot before it may be published (DESIGN §11).
//!
//! Two kinds of check. *Data tests* are the SQL files of `sql/checks/` (dbt style: each returns the rows that break
//! it; none means it passes): unique cert_no, not-null keys, accepted values of every enumeration, referential
//! integrity to the dimensions. *Comparisons* against the snapshot published before, written here because they
//! compare two snapshots: no year that had certificates is empty now, the certificate count has not dropped (or
//! grown) by more than a threshold, and the indicators whose header says `-- gate: compare` (the province's stock
//! figures, which a normal night moves by a fraction of a percent; flows such as new certificates of the current
//! year legitimately jump early in a year, so they are not compared) have not moved at the province level by more
//! than a threshold. Without a previous snapshot the comparisons are skipped.
//!
//! The gate only measures; the caller decides. The report says which check failed and by how much.

use crate::catalog::{SqlCatalog, SqlFile};
use crate::error::{QueryError, Result};
use crate::gate_report::{CheckResult, CheckStatus, GateReport};
use crate::manifest::Manifest;
use datafusion::arrow::array::{Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Default largest drop of the certificate count against the previous snapshot, in percent.
pub const DEFAULT_MAX_ROW_DROP_PCT: f64 = 1.0;
/// Default largest growth of the certificate count against the previous snapshot, in percent.
pub const DEFAULT_MAX_ROW_GROWTH_PCT: f64 = 50.0;
/// Default largest change of a headline indicator against the previous snapshot, in percent.
pub const DEFAULT_MAX_INDICATOR_CHANGE_PCT: f64 = 5.0;

/// Thresholds of the release gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateConfig {
    /// Largest allowed drop of the certificate count, in percent of the previous count.
    pub max_row_drop_pct: f64,
    /// Largest allowed growth of the certificate count, in percent of the previous count.
    pub max_row_growth_pct: f64,
    /// Largest allowed change of a compared indicator (`-- gate: compare`; province, per year), in percent of its
    /// previous value.
    pub max_indicator_change_pct: f64,
    /// Publish even when a check fails (recorded in the report and the manifest).
    pub force: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            max_row_drop_pct: DEFAULT_MAX_ROW_DROP_PCT,
            max_row_growth_pct: DEFAULT_MAX_ROW_GROWTH_PCT,
            max_indicator_change_pct: DEFAULT_MAX_INDICATOR_CHANGE_PCT,
            force: false,
        }
    }
}

/// The previous snapshot, as the gate needs it.
pub(crate) struct Previous<'a> {
    pub dir: &'a Path,
    pub manifest: &'a Manifest,
}

/// Runs every check of `catalog` on the candidate registered in `ctx` (base tables, dimensions,
/// `indicator_values`), and compares the indicators the catalogue marks `-- gate: compare` with `previous`.
pub(crate) async fn run_gate(
    ctx: &SessionContext,
    catalog: &SqlCatalog,
    config: &GateConfig,
    candidate_counts: &BTreeMap<String, u64>,
    previous: Option<Previous<'_>>,
    province_code: &str,
) -> Result<GateReport> {
    let checks = &catalog.checks;
    let compared: Vec<&str> = catalog.indicators.iter().filter(|i| i.gate_compares()).map(SqlFile::id).collect();
    let mut results = Vec::with_capacity(checks.len() + 3);
    for check in checks {
        let clock = std::time::Instant::now();
        let frame = ctx.sql(&check.sql).await.map_err(|e| definition_error(check, e))?;
        let failing = frame.count().await.map_err(|e| definition_error(check, e))?;
        tracing::debug!(check = check.id(), failing, ms = clock.elapsed().as_millis() as u64, "check ran");
        results.push(CheckResult {
            id: check.id().to_string(),
            title_zh: check.get("title_zh").to_string(),
            title_en: check.get("title_en").to_string(),
            status: if failing == 0 { CheckStatus::Pass } else { CheckStatus::Fail },
            measured: Some(failing as f64),
            threshold: Some(0.0),
            detail: if failing == 0 {
                "no offending rows".to_string()
            } else {
                format!("{failing} offending rows (run sql/checks/{}.sql on the candidate to list them)", check.id())
            },
        });
    }
    match &previous {
        Some(previous) => {
            results.push(emptied_years(candidate_counts, &previous.manifest.row_counts));
            results.push(row_change(candidate_counts, &previous.manifest.row_counts, config));
            results.push(indicator_change(ctx, previous.dir, config, &compared, province_code).await?);
        }
        None => {
            for (id, zh, en) in COMPARISONS {
                results.push(CheckResult {
                    id: id.to_string(),
                    title_zh: zh.to_string(),
                    title_en: en.to_string(),
                    status: CheckStatus::Skipped,
                    measured: None,
                    threshold: None,
                    detail: "no previous snapshot to compare with".to_string(),
                });
            }
        }
    }
    let passed = results.iter().all(|c| c.status != CheckStatus::Fail);
    Ok(GateReport {
        passed,
        forced: !passed && config.force,
        previous_snapshot: previous.map(|p| p.manifest.snapshot_id.clone()),
        checks: results,
    })
}

const COMPARISONS: [(&str, &str, &str); 3] = [
    ("no_emptied_year", "无年度分区被清空", "No year that had certificates is empty"),
    ("certificate_row_change", "证书行数变化在阈值内", "Certificate count moves within the thresholds"),
    ("headline_indicator_change", "核心指标变化在阈值内", "Headline indicators move within the threshold"),
];

fn definition_error(file: &SqlFile, source: datafusion::error::DataFusionError) -> QueryError {
    QueryError::Definition { kind: file.kind.noun(), id: file.id().to_string(), file: file.file.clone(), source }
}

fn comparison(index: usize) -> (String, String, String) {
    let (id, zh, en) = COMPARISONS[index];
    (id.to_string(), zh.to_string(), en.to_string())
}

/// Years (`certificates/issue_year=YYYY` row counts) that had rows in the previous snapshot and have none now.
fn emptied_years(candidate: &BTreeMap<String, u64>, previous: &BTreeMap<String, u64>) -> CheckResult {
    let (id, title_zh, title_en) = comparison(0);
    let emptied: Vec<&str> = previous
        .iter()
        .filter(|(key, rows)| key.starts_with("certificates/") && **rows > 0)
        .filter(|(key, _)| candidate.get(*key).copied().unwrap_or_default() == 0)
        .filter_map(|(key, _)| key.rsplit('=').next())
        .collect();
    CheckResult {
        id,
        title_zh,
        title_en,
        status: if emptied.is_empty() { CheckStatus::Pass } else { CheckStatus::Fail },
        measured: Some(emptied.len() as f64),
        threshold: Some(0.0),
        detail: if emptied.is_empty() {
            "every year that had certificates still has them".to_string()
        } else {
            format!("issue year(s) {} had certificates and now have none", emptied.join(", "))
        },
    }
}

/// Percentage change of the certificate count.
fn row_change(candidate: &BTreeMap<String, u64>, previous: &BTreeMap<String, u64>, config: &GateConfig) -> CheckResult {
    let (id, title_zh, title_en) = comparison(1);
    let new = candidate.get("certificates").copied().unwrap_or_default();
    let Some(old) = previous.get("certificates").copied().filter(|old| *old > 0) else {
        return CheckResult {
            id,
            title_zh,
            title_en,
            status: CheckStatus::Skipped,
            measured: None,
            threshold: None,
            detail: format!("the previous snapshot had no certificates; now {new}"),
        };
    };
    let change = (new as f64 - old as f64) / old as f64 * 100.0;
    let (failed, threshold) = if change < 0.0 {
        (-change > config.max_row_drop_pct, -config.max_row_drop_pct)
    } else {
        (change > config.max_row_growth_pct, config.max_row_growth_pct)
    };
    CheckResult {
        id,
        title_zh,
        title_en,
        status: if failed { CheckStatus::Fail } else { CheckStatus::Pass },
        measured: Some(round2(change)),
        threshold: Some(threshold),
        detail: format!(
            "{old} → {new} certificates ({change:+.2}%; allowed −{}% to +{}%)",
            config.max_row_drop_pct, config.max_row_growth_pct
        ),
    }
}

/// The largest relative change of a compared indicator at the province level, over the years both snapshots have.
async fn indicator_change(
    ctx: &SessionContext,
    previous_dir: &Path,
    config: &GateConfig,
    compared: &[&str],
    province_code: &str,
) -> Result<CheckResult> {
    let (id, title_zh, title_en) = comparison(2);
    let path = previous_dir.join("indicator_values.parquet");
    if !path.is_file() {
        return Ok(CheckResult {
            id,
            title_zh,
            title_en,
            status: CheckStatus::Skipped,
            measured: None,
            threshold: None,
            detail: "the previous snapshot has no indicator values".to_string(),
        });
    }
    crate::tables::register_parquet_file(ctx, "previous_indicator_values", &path, None).await?;
    let new = headline_values(ctx, "indicator_values", compared, province_code).await?;
    let old = headline_values(ctx, "previous_indicator_values", compared, province_code).await?;
    let _ = ctx.deregister_table("previous_indicator_values");
    let mut worst: Option<(f64, &(String, i64), f64, f64)> = None;
    let mut compared = 0usize;
    for (key, new_value) in &new {
        let Some(old_value) = old.get(key).copied().filter(|v| *v != 0.0) else { continue };
        compared += 1;
        let change = (new_value - old_value) / old_value.abs() * 100.0;
        if worst.is_none_or(|(w, ..)| change.abs() > w.abs()) {
            worst = Some((change, key, old_value, *new_value));
        }
    }
    let Some((change, (indicator, year), old_value, new_value)) = worst else {
        return Ok(CheckResult {
            id,
            title_zh,
            title_en,
            status: CheckStatus::Skipped,
            measured: None,
            threshold: None,
            detail: "no headline value to compare (none in both snapshots)".to_string(),
        });
    };
    let failed = change.abs() > config.max_indicator_change_pct;
    Ok(CheckResult {
        id,
        title_zh,
        title_en,
        status: if failed { CheckStatus::Fail } else { CheckStatus::Pass },
        measured: Some(round2(change)),
        threshold: Some(config.max_indicator_change_pct),
        detail: format!(
            "largest change over {compared} values: {indicator} {year} {} → {} ({change:+.2}%; allowed ±{}%)",
            short(old_value),
            short(new_value),
            config.max_indicator_change_pct
        ),
    })
}

/// `(indicator_id, year) → value` of the compared indicators at the province level (no programme, no agency type).
async fn headline_values(
    ctx: &SessionContext,
    table: &str,
    compared: &[&str],
    province_code: &str,
) -> Result<BTreeMap<(String, i64), f64>> {
    let sql = format!(
        "SELECT indicator_id, CAST(year AS BIGINT) AS year, CAST(value AS DOUBLE) AS value FROM {table} \
         WHERE region_code = $1 AND programme IS NULL AND agency_type IS NULL AND value IS NOT NULL"
    );
    let province = datafusion::scalar::ScalarValue::Utf8(Some(province_code.to_string()));
    let batches = ctx
        .sql(&sql)
        .await
        .and_then(|f| f.with_param_values(vec![province]))
        .map_err(|e| QueryError::engine(format!("reading headline indicators of `{table}`"), e))?
        .collect()
        .await
        .map_err(|e| QueryError::engine(format!("reading headline indicators of `{table}`"), e))?;
    let mut out = BTreeMap::new();
    for batch in batches {
        let encode = |source| QueryError::Encode { what: format!("headline indicators of `{table}`"), source };
        let ids = cast(batch.column(0), &DataType::Utf8).map_err(encode)?;
        let ids = ids.as_any().downcast_ref::<StringArray>();
        let years = batch.column(1).as_any().downcast_ref::<Int64Array>();
        let values = batch.column(2).as_any().downcast_ref::<Float64Array>();
        let (Some(ids), Some(years), Some(values)) = (ids, years, values) else {
            return Err(QueryError::Internal("headline indicator columns have unexpected types".into()));
        };
        for row in 0..batch.num_rows() {
            if ids.is_null(row) || years.is_null(row) {
                continue;
            }
            let id = ids.value(row);
            if compared.contains(&id) {
                out.insert((id.to_string(), years.value(row)), values.value(row));
            }
        }
    }
    Ok(out)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A value as people read it: shares with four decimals, counts whole.
fn short(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.4}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
    }

    #[test]
    fn an_emptied_year_fails_and_a_new_year_does_not() {
        let previous = counts(&[
            ("certificates", 300),
            ("certificates/issue_year=2023", 100),
            ("certificates/issue_year=2024", 200),
        ]);
        let emptied = emptied_years(&counts(&[("certificates/issue_year=2024", 290)]), &previous);
        assert_eq!(emptied.status, CheckStatus::Fail);
        assert_eq!(emptied.measured, Some(1.0));
        assert!(emptied.detail.contains("2023"), "{}", emptied.detail);
        let grown = emptied_years(
            &counts(&[
                ("certificates/issue_year=2023", 1),
                ("certificates/issue_year=2024", 200),
                ("certificates/issue_year=2025", 5),
            ]),
            &previous,
        );
        assert_eq!(grown.status, CheckStatus::Pass);
    }

    #[test]
    fn row_changes_are_held_to_both_thresholds() {
        let config = GateConfig { max_row_drop_pct: 1.0, max_row_growth_pct: 50.0, ..GateConfig::default() };
        let previous = counts(&[("certificates", 1000)]);
        // 1000 → 989 is −1.1%: more than the 1% drop allowed.
        let drop = row_change(&counts(&[("certificates", 989)]), &previous, &config);
        assert_eq!((drop.status, drop.measured, drop.threshold), (CheckStatus::Fail, Some(-1.1), Some(-1.0)));
        // 1000 → 990 is exactly −1%: allowed.
        assert_eq!(row_change(&counts(&[("certificates", 990)]), &previous, &config).status, CheckStatus::Pass);
        // 1000 → 1500 is +50%: allowed; 1501 is not.
        assert_eq!(row_change(&counts(&[("certificates", 1500)]), &previous, &config).status, CheckStatus::Pass);
        let growth = row_change(&counts(&[("certificates", 1501)]), &previous, &config);
        assert_eq!((growth.status, growth.measured), (CheckStatus::Fail, Some(50.1)));
        let from_nothing = row_change(&counts(&[("certificates", 10)]), &counts(&[("certificates", 0)]), &config);
        assert_eq!(from_nothing.status, CheckStatus::Skipped);
    }
}
