//! A published snapshot as an SQL session: every table of DESIGN §15 registered from the snapshot's own files —
//! the base files it links, so a later ingest never shows through; its `dims/`, `models/`, indicator values and
//! catalogue — read through [`SnapshotFolder`], the one reader of a snapshot.

use crate::base;
use crate::carry;
use crate::config::{QueryConfig, read_only_sql_options};
use crate::error::{QueryError, Result};
use crate::manifest::Manifest;
use crate::reader::SnapshotFolder;
use crate::tables;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use skillhouse_model::layout;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A published snapshot with every table of DESIGN §15 registered.
#[derive(Clone)]
pub struct Snapshot {
    /// The snapshot id.
    pub id: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The session; register nothing writable on it.
    pub ctx: SessionContext,
    /// The folder as read, holding the reader's lease: retention leaves the snapshot alone while any clone lives.
    folder: SnapshotFolder,
}

impl Snapshot {
    /// Whether this session holds a lease on its snapshot (false only for snapshots built before leases).
    pub fn is_leased(&self) -> bool {
        self.folder.is_leased()
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("id", &self.id).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Runs every statement of `sql` read-only (no DDL, DML, COPY or SET) and returns each statement's rows.
    pub async fn query_script(&self, sql: &str) -> Result<Vec<Vec<RecordBatch>>> {
        let statements =
            datafusion::sql::parser::DFParser::parse_sql(sql).map_err(|source| QueryError::Sql { source })?;
        let options = read_only_sql_options();
        let state = self.ctx.state();
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            let plan = state.statement_to_plan(statement).await.map_err(|source| QueryError::Sql { source })?;
            options.verify_plan(&plan).map_err(|source| QueryError::Sql { source })?;
            let frame = self.ctx.execute_logical_plan(plan).await.map_err(|source| QueryError::Sql { source })?;
            results.push(frame.collect().await.map_err(|source| QueryError::Sql { source })?);
        }
        Ok(results)
    }

    /// Runs one read-only statement.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let frame = self
            .ctx
            .sql_with_options(sql, read_only_sql_options())
            .await
            .map_err(|source| QueryError::Sql { source })?;
        frame.collect().await.map_err(|source| QueryError::Sql { source })
    }
}

/// Opens the published snapshot of a warehouse (`WAREHOUSE/CURRENT`) with the default configuration.
pub async fn open_snapshot(warehouse_dir: &Path) -> Result<Snapshot> {
    open_snapshot_with(warehouse_dir, &QueryConfig::default()).await
}

/// [`open_snapshot`] with an explicit configuration.
///
/// The snapshot is leased (a shared lock on its `.readers` file) before anything is read, so retention cannot
/// remove it while the returned [`Snapshot`] or a clone of it lives ([`SnapshotFolder::open_current`]).
pub async fn open_snapshot_with(warehouse_dir: &Path, config: &QueryConfig) -> Result<Snapshot> {
    let warehouse = warehouse_dir.to_path_buf();
    let folder = tokio::task::spawn_blocking(move || SnapshotFolder::open_current(&warehouse))
        .await
        .map_err(|e| QueryError::Internal(format!("opening the published snapshot: {e}")))??;
    let ctx = config.session()?;
    register_snapshot(&ctx, warehouse_dir, &folder.dir).await?;
    Ok(Snapshot { id: folder.id.clone(), dir: folder.dir.clone(), manifest: folder.manifest.clone(), ctx, folder })
}

/// Registers a snapshot's tables on a session: `certificates` (and `certificate_files`, `duplicate_claims`),
/// `rejects`, `ledger`, `training` and `training_rejects` from the base files the snapshot links (so a later ingest
/// never shows through); `dims/*` (`agencies` and `providers` among them), `models/*`, `indicator_values` and
/// `indicators` from the files the build wrote. A snapshot built before snapshots carried their base files (no
/// `certificates/` folder) reads them from the warehouse.
pub async fn register_snapshot(ctx: &SessionContext, warehouse_dir: &Path, snapshot_dir: &Path) -> Result<()> {
    let base = if snapshot_dir.join(layout::CERTIFICATES_DIR).is_dir() { snapshot_dir } else { warehouse_dir };
    tables::register_warehouse(ctx, base).await?;
    let mut names: HashMap<String, PathBuf> = HashMap::new();
    for sub in [layout::DIMS_DIR, layout::MODELS_DIR] {
        for entry in base::sorted_entries(&snapshot_dir.join(sub))? {
            let stem = entry.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            let per_year = entry.is_dir();
            if per_year || entry.extension().is_some_and(|e| e == "parquet") {
                names.insert(stem, entry);
            }
        }
    }
    names.insert("indicator_values".into(), snapshot_dir.join(layout::INDICATOR_VALUES_FILE));
    names.insert("indicators".into(), snapshot_dir.join(layout::INDICATORS_FILE));
    for (table, path) in names {
        if path.is_dir() {
            tables::register_parquet_dir(ctx, &table, &path, None).await?;
        } else {
            tables::register_parquet_file(ctx, &table, &path, None).await?;
        }
    }
    tables::register_missing_registries(ctx, snapshot_dir).await?;
    // Snapshots built before the compacted copies existed keep reading the base files; those built before the
    // per-year layout read their one file of certificates.
    for compact in [snapshot_dir.join(carry::COMPACT_DIR), snapshot_dir.join(tables::COMPACT_CERTIFICATES_FILE)] {
        if compact.exists() {
            tables::use_compact_certificates(ctx, &compact).await?;
            break;
        }
    }
    let training = snapshot_dir.join(tables::COMPACT_TRAINING_FILE);
    if training.is_file() {
        tables::use_compact_training(ctx, &training).await?;
    }
    Ok(())
}
