//! Session configuration: memory pool, parallelism, and the read-only SQL options.

use crate::error::{QueryError, Result};
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::path::PathBuf;

/// Default memory pool: 8 GiB, a third of the 24 GiB machine, leaving room for the OS page cache that serves the
/// Parquet files and for the engines of the other commands. Operators that exceed it spill or fail cleanly.
pub const DEFAULT_MEMORY_LIMIT: usize = 8 << 30;

/// Bytes of Parquet footers kept between reads of the same files (DataFusion's default is 50 MB).
const METADATA_CACHE_LIMIT: usize = 256 << 20;

/// Default number of partitions a plan is split into: one per core of the 2-core target machine.
pub const DEFAULT_TARGET_PARTITIONS: usize = 2;

/// Knobs of a DataFusion session over a warehouse or snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryConfig {
    /// Upper bound of the memory pool in bytes (hash tables, sorts, aggregations).
    pub memory_limit: usize,
    /// Partitions per plan (≈ cores used).
    pub target_partitions: usize,
    /// Folder for spill files; `None` uses the OS temporary directory.
    pub spill_dir: Option<PathBuf>,
}

impl Default for QueryConfig {
    fn default() -> Self {
        Self { memory_limit: DEFAULT_MEMORY_LIMIT, target_partitions: DEFAULT_TARGET_PARTITIONS, spill_dir: None }
    }
}

impl QueryConfig {
    /// A new DataFusion session with this configuration, no tables and SkillHouse's own functions
    /// ([`crate::stock`]'s `stock_by_year_end`, which the `persons` model uses, and [`crate::fingerprint`]'s
    /// `fingerprint64`, which the uniqueness check uses). `information_schema` is on so
    /// analysts can `SHOW TABLES` and `SHOW COLUMNS FROM certificates`.
    pub fn session(&self) -> Result<SessionContext> {
        // DataFusion's own options may be tuned from the environment (`DATAFUSION_EXECUTION_BATCH_SIZE=…`, see
        // DataFusion's configuration reference), the partitions too when `DATAFUSION_EXECUTION_TARGET_PARTITIONS`
        // is set; otherwise they are this configuration's.
        let mut config = SessionConfig::from_env()
            .map_err(|e| QueryError::engine("reading DATAFUSION_* settings from the environment", e))?
            .with_information_schema(true);
        if std::env::var_os("DATAFUSION_EXECUTION_TARGET_PARTITIONS").is_none() {
            config = config.with_target_partitions(self.target_partitions.max(1));
        }
        // Parquet footers read once serve both the planning (file statistics) and the scan: a build reads the
        // footers of ~8,400 base files, more than DataFusion's default 50 MB cache holds at 30M rows.
        let mut runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(self.memory_limit, 1.0)
            .with_metadata_cache_limit(METADATA_CACHE_LIMIT);
        if let Some(dir) = &self.spill_dir {
            runtime = runtime.with_temp_file_path(dir.clone());
        }
        let runtime = runtime.build_arc().map_err(|e| QueryError::engine("creating the query runtime", e))?;
        let mut ctx = SessionContext::new_with_config_rt(config, runtime);
        crate::engine::register_build_functions(&mut ctx)
            .map_err(|e| QueryError::engine("registering SkillHouse's functions", e))?;
        Ok(ctx)
    }
}

/// The SQL analysts may run: queries only — no DDL (`CREATE`, `DROP`), no DML (`INSERT`, `COPY`), no `SET`.
pub fn read_only_sql_options() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}
