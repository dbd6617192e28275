//! The build's sessions on Ballista: in-process standalone (a scheduler and an executor inside the command) or a
//! cluster's scheduler (`df://HOST:PORT`). Both start from [`QueryConfig::session`], so SkillHouse's functions
//! (`stock_by_year_end`, `fingerprint64`) are registered, and carry [`SkillhouseLogicalCodec`].

use crate::codec::SkillhouseLogicalCodec;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{FunctionRegistry, SessionState};
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
        started
            .map_err(|source| QueryError::Engine { context: format!("starting a session on {}", self.name()), source })
    }

    fn name(&self) -> String {
        match &self.target {
            Target::Standalone => "ballista standalone".into(),
            Target::Scheduler(url) => format!("ballista {url}"),
        }
    }
}

/// The local session's state (functions, memory pool, partitions) with the codec for in-memory tables.
pub fn client_state(config: &QueryConfig) -> skillhouse_query::Result<SessionState> {
    let state = config.session()?.state();
    let session_config =
        state.config().clone().with_ballista_logical_extension_codec(Arc::new(SkillhouseLogicalCodec::default()));
    Ok(SessionStateBuilder::new_from_existing(state).with_config(session_config).build())
}

/// The scheduler's and the executors' state for a session the client configured: Ballista's defaults, the
/// client's options, SkillHouse's functions.
pub fn server_state(session_config: SessionConfig) -> datafusion::common::Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(
        session_config.with_ballista_logical_extension_codec(Arc::new(SkillhouseLogicalCodec::default())),
    )?;
    let functions = skillhouse_query::build_functions();
    for udaf in functions.aggregate {
        state.register_udaf(Arc::new(udaf))?;
    }
    for udf in functions.scalar {
        state.register_udf(Arc::new(udf))?;
    }
    Ok(state)
}
