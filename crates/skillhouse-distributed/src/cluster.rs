//! The project's own Ballista cluster processes (`skillhouse scheduler`, `skillhouse executor`): the stock ones do
//! not know SkillHouse's functions nor its codec for in-memory tables, so the scheduler's session builder and the
//! executors' function registry and codec are SkillHouse's here.

use crate::Error;
use crate::codec::SkillhouseLogicalCodec;
use crate::engine::{ballista_config, server_state};
use ballista::prelude::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::prelude::SessionConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Seconds without a heartbeat after which the scheduler takes an executor for dead and reschedules its tasks
/// (Ballista's default is 180).
pub const EXECUTOR_TIMEOUT_SECONDS: u64 = 30;

/// Seconds between an executor's heartbeats (Ballista's default is 60; it must stay below the timeout).
pub const HEARTBEAT_SECONDS: u64 = 10;

/// Runs a scheduler listening on `bind` until the process ends.
pub async fn run_scheduler(bind: SocketAddr) -> Result<(), Error> {
    let mut config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECONDS,
        no_executors_grace_period_seconds: EXECUTOR_TIMEOUT_SECONDS,
        ..SchedulerConfig::default()
    }
    .with_override_config_producer(Arc::new(|| ballista_config(SessionConfig::new_with_ballista())))
    .with_override_session_builder(Arc::new(server_state));
    config.override_logical_codec = Some(Arc::new(SkillhouseLogicalCodec::default()));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| Error::Ballista("starting the scheduler", e.to_string()))?;
    start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(|e| Error::Ballista("running the scheduler", e.to_string()))
}

/// Where an executor runs and whom it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's address (`HOST:PORT`).
    pub scheduler: (String, u16),
    /// The Arrow Flight address this executor listens on (shuffle data, results); its gRPC port is the next one.
    pub bind: SocketAddr,
    /// Folder for shuffle files (default: a temporary folder).
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once (default: the cores).
    pub concurrent_tasks: Option<usize>,
}

/// Runs an executor until the process ends (or the scheduler tells it to stop).
pub async fn run_executor(options: ExecutorOptions) -> Result<(), Error> {
    let registry = BallistaFunctionRegistry::from(
        &server_state(SessionConfig::new_with_ballista())
            .map_err(|e| Error::Ballista("preparing the executor's functions", e.to_string()))?,
    );
    let grpc_port = options.bind.port().checked_add(1).ok_or(Error::Port(options.bind.port()))?;
    let defaults = ExecutorProcessConfig::default();
    let vcores = options.concurrent_tasks.unwrap_or(defaults.vcores);
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: (!options.bind.ip().is_unspecified()).then(|| options.bind.ip().to_string()),
        port: options.bind.port(),
        grpc_port,
        scheduler_host: options.scheduler.0,
        scheduler_port: options.scheduler.1,
        work_dir: options.work_dir.map(|d| d.display().to_string()),
        vcores,
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        override_function_registry: Some(Arc::new(registry)),
        override_logical_codec: Some(Arc::new(SkillhouseLogicalCodec::default())),
        ..defaults
    };
    start_executor_process(Arc::new(config)).await.map_err(|e| Error::Ballista("running the executor", e.to_string()))
}

/// `HOST:PORT` or `df://HOST:PORT` as a host and port.
pub fn parse_scheduler_address(text: &str) -> Result<(String, u16), Error> {
    let bare = text.strip_prefix("df://").unwrap_or(text).trim_end_matches('/');
    let bad = || Error::SchedulerUrl(text.to_string(), "expected HOST:PORT or df://HOST:PORT".into());
    let (host, port) = bare.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses_with_or_without_the_scheme() {
        assert_eq!(parse_scheduler_address("df://10.0.0.5:50050").ok(), Some(("10.0.0.5".into(), 50050)));
        assert_eq!(parse_scheduler_address("localhost:7000").ok(), Some(("localhost".into(), 7000)));
        assert!(parse_scheduler_address("localhost").is_err());
        assert!(parse_scheduler_address(":50050").is_err());
        assert!(parse_scheduler_address("df://host:notaport").is_err());
    }
}
