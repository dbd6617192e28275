//! Builds and publishes a snapshot of a warehouse, printing the timings: the query layer's part of
//! `skillhouse rebuild`, runnable alone for measurements.
//!
//! `cargo run --release -p skillhouse-query --example build -- WAREHOUSE REFERENCE_DIR AS_OF [MEMORY_GIB]`

use chrono::{NaiveDate, Utc};
use skillhouse_query::{BuildParams, QueryConfig, SqlCatalog};
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [warehouse, reference, as_of, rest @ ..] = args.as_slice() else {
        return Err("usage: build WAREHOUSE REFERENCE_DIR AS_OF [MEMORY_GIB]".into());
    };
    let warehouse = PathBuf::from(warehouse);
    let as_of: NaiveDate = as_of.parse()?;
    let mut config = QueryConfig::default();
    if let Some(gib) = rest.first() {
        config.memory_limit = gib.parse::<usize>()? << 30;
    }
    let id = skillhouse_query::new_snapshot_id(Utc::now());
    let snapshot_dir = warehouse.join("snapshots").join(&id);
    let report = skillhouse_query::build_snapshot_with(
        &warehouse,
        &PathBuf::from(reference),
        &snapshot_dir,
        &BuildParams::new(as_of),
        &SqlCatalog::bundled()?,
        &config,
    )
    .await?;
    skillhouse_query::publish_snapshot(&warehouse, &id)?;
    for (table, ms) in &report.timings_ms {
        let rows = report.manifest.row_counts.get(table).map(u64::to_string).unwrap_or_default();
        println!("{table:<48} {ms:>8} ms {rows:>12} rows");
    }
    println!("total {} ms; published {id}", report.elapsed_ms);
    Ok(())
}
