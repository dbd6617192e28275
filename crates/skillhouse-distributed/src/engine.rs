//! The build's sessions on Ballista: in-process standalone (a scheduler and an executor inside the command) or a
//! cluster's scheduler (`df://HOST:PORT`). Both start from [`QueryConfig::session`], so SkillHouse's functions
//! (`stock_by_year_end`, `fingerprint64`) are registered, and carry [`SkillhouseLogicalCodec`].

use crate::codec::SkillhouseLogicalCodec;
use crate::leaves::LeavesAsMemoryScans;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::execution::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use skillhouse_query::{QueryConfig, QueryError, SessionProvider};
use std::sync::Arc;

/// Where Ballista runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A scheduler and an executor inside this process.
    Standalone,
    /// The scheduler at this URL (`df://HOST:PORT`), with its executors.
    Scheduler(String),
}

impl Target {
    /// `None` → standalone; `Some("df://host:port")` → that scheduler. Anything but a `df://` URL with a host is an
    /// error.
    pub fn parse(scheduler: Option<&str>) -> Result<Self, crate::Error> {
        let Some(text) = scheduler else { return Ok(Self::Standalone) };
        let url = url::Url::parse(text).map_err(|e| crate::Error::SchedulerUrl(text.to_string(), e.to_string()))?;
        if url.scheme() != "df" || url.host_str().is_none_or(str::is_empty) {
            return Err(crate::Error::SchedulerUrl(text.to_string(), "expected df://HOST:PORT".into()));
        }
        Ok(Self::Scheduler(text.to_string()))
    }
}

/// Ballista as a [`SessionProvider`] for the build and for analysts' SQL.
#[derive(Debug, Clone)]
pub struct Ballista {
    target: Target,
}

impl Ballista {
    /// Ballista at `target`.
    pub fn new(target: Target) -> Self {
        Self { target }
    }
}

#[async_trait::async_trait]
impl SessionProvider for Ballista {
    async fn session(&self, config: &QueryConfig) -> skillhouse_query::Result<SessionContext> {
        let state = client_state(config)?;
        let started = match &self.target {
            Target::Standalone => SessionContext::standalone_with_state(state).await,
            Target::Scheduler(url) => SessionContext::remote_with_state(url, state).await,
        };
        let mut ctx = started.map_err(|source| QueryError::Engine {
            context: format!("starting a session on {}", self.name()),
            source,
        })?;
        // Ballista's upgrade of the state replaces its functions with Ballista's defaults: SkillHouse's go back.
        skillhouse_query::register_build_functions(&mut ctx)
            .map_err(|source| QueryError::Engine { context: "registering SkillHouse's functions".into(), source })?;
        Ok(ctx)
    }

    fn name(&self) -> String {
        match &self.target {
            Target::Standalone => "ballista standalone".into(),
            Target::Scheduler(url) => format!("ballista {url}"),
        }
    }
}

/// The local session's state (functions, memory pool, partitions) with the codec for in-memory tables and the rule
/// that keeps every task of a stage reporting the same operators ([`LeavesAsMemoryScans`]). In standalone mode the
/// in-process scheduler plans with this state.
pub fn client_state(config: &QueryConfig) -> skillhouse_query::Result<SessionState> {
    let state = config.session()?.state();
    let session_config = ballista_config(state.config().clone());
    Ok(SessionStateBuilder::new_from_existing(state)
        .with_config(session_config)
        .with_physical_optimizer_rule(Arc::new(LeavesAsMemoryScans))
        .build())
}

/// The scheduler's and the executors' state for a session the client configured: Ballista's defaults, the
/// client's options, SkillHouse's functions, and [`LeavesAsMemoryScans`] (the scheduler plans with it).
pub fn server_state(session_config: SessionConfig) -> datafusion::common::Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(ballista_config(session_config))?;
    skillhouse_query::register_build_functions(&mut state)?;
    Ok(SessionStateBuilder::new_from_existing(state)
        .with_physical_optimizer_rule(Arc::new(LeavesAsMemoryScans))
        .build())
}

/// Ballista's options as SkillHouse runs it, on top of `config`: the codec for in-memory tables, and the static
/// distributed planner. Ballista 55's adaptive planner (its default) never finishes the build's models: from the
/// first join models on it re-plans without end, creating stage after stage ("there are stages to be cancelled but
/// its not implemented", stage ids past 14,000 after ten minutes on the sample). The static planner plans every
/// stage once, before the job starts.
///
/// Dynamic filters are off too: the static planner re-runs its own join selection on a stage once its inputs have
/// run, and swapping the sides of a hash join whose dynamic filter DataFusion already built is refused ("Cannot swap
/// HashJoinExec inputs after dynamic filters have been constructed"); Ballista drops that task status update and the
/// job hangs. A dynamic filter only prunes early; the rows are the same without it.
///
/// And one partition per stage: Ballista 55 gives each task of a stage a copy of the stage's plan cut down to the
/// task's partitions, and with more than one partition the cut-down plans of the indicators that cross three tables
/// (`areas × year_ends × agency_types`: `certs_by_agency_type`, `agencies_by_type`, `training_persons`, …) return some
/// rows twice or three times — on the sample, 6,821 value rows against the local engine's 4,921 (at two partitions;
/// not always the same indicators from run to run). With one partition a stage is one task and nothing is cut down;
/// the stages themselves still run on any executor, independent ones side by side. This costs the parallelism inside a
/// stage and is the first thing to lift once Ballista's per-task plans are right (docs/distributed.md).
pub fn ballista_config(config: SessionConfig) -> SessionConfig {
    let mut config = config
        .with_target_partitions(1)
        .with_ballista_logical_extension_codec(Arc::new(SkillhouseLogicalCodec::default()))
        .with_ballista_adaptive_query_planner(false);
    for filter in ["", "join_", "topk_", "aggregate_"] {
        config = config.set_bool(&format!("datafusion.optimizer.enable_{filter}dynamic_filter_pushdown"), false);
    }
    config
}
