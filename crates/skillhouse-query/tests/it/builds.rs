//! Building a snapshot of a test warehouse with the bundled SQL, and a session over one: the steps the lifecycle,
//! revocation and training tests share.

use chrono::NaiveDate;
use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::{BuildOptions, BuildParams, Manifest, QueryConfig, SqlCatalog};
use std::path::Path;

/// Builds `snapshots/<id>` of `warehouse` as of `as_of`, on top of `snapshots/<previous>` if given; `options` gives
/// the rest (gate, full), its `previous` is replaced.
pub async fn build(
    warehouse: &Path,
    reference: &Path,
    id: &str,
    as_of: NaiveDate,
    previous: Option<&str>,
    options: BuildOptions<'_>,
) -> Manifest {
    let previous_dir = previous.map(|p| warehouse.join("snapshots").join(p));
    let options = BuildOptions { previous: previous_dir.as_deref(), ..options };
    skillhouse_query::build_snapshot_with_options(
        warehouse,
        reference,
        &warehouse.join("snapshots").join(id),
        &BuildParams::new(as_of),
        &SqlCatalog::bundled().expect("bundled SQL"),
        &QueryConfig::default(),
        &options,
    )
    .await
    .expect("snapshot builds")
    .manifest
}

/// A session over `snapshots/<snapshot>` of `warehouse`.
pub async fn session(warehouse: &Path, snapshot: &str) -> SessionContext {
    let ctx = SessionContext::new();
    skillhouse_query::register_snapshot(&ctx, warehouse, &warehouse.join("snapshots").join(snapshot))
        .await
        .expect("register snapshot");
    ctx
}
