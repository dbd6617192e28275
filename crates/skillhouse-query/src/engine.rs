//! Where a build's SQL runs. By default DataFusion in this process ([`QueryConfig::session`]); another engine — the
//! Ballista scheduler and executors of `skillhouse-distributed` (issue 25) — provides its own session through
//! [`SessionProvider`] and the build registers the same tables and runs the same SQL on it.

use crate::config::QueryConfig;
use crate::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

/// A source of build sessions other than the local one (`BuildOptions::engine`).
#[async_trait::async_trait]
pub trait SessionProvider: Send + Sync {
    /// A session with SkillHouse's functions registered and no tables, configured from `config`, whose queries run
    /// on this engine.
    async fn session(&self, config: &QueryConfig) -> Result<SessionContext>;

    /// The engine's name for reports and logs (`ballista standalone`, `ballista df://host:50050`).
    fn name(&self) -> String;
}

/// SkillHouse's own functions, which every session that runs the build must know — the local one, and on a
/// Ballista cluster the scheduler's and the executors' too.
#[derive(Debug)]
pub struct BuildFunctions {
    /// Scalar functions (`fingerprint64`, the uniqueness check's).
    pub scalar: Vec<ScalarUDF>,
    /// Aggregate functions (`stock_by_year_end`, the `persons` model's).
    pub aggregate: Vec<AggregateUDF>,
}

/// The functions of [`BuildFunctions`].
pub fn build_functions() -> BuildFunctions {
    BuildFunctions {
        scalar: vec![crate::fingerprint::fingerprint64()],
        aggregate: vec![crate::stock::stock_by_year_end()],
    }
}

/// Registers the functions of [`BuildFunctions`] in a session, or in a session state (a Ballista scheduler's and
/// executors').
pub fn register_build_functions(registry: &mut dyn FunctionRegistry) -> datafusion::common::Result<()> {
    let functions = build_functions();
    for udaf in functions.aggregate {
        registry.register_udaf(std::sync::Arc::new(udaf))?;
    }
    for udf in functions.scalar {
        registry.register_udf(std::sync::Arc::new(udf))?;
    }
    Ok(())
}
