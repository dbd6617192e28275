//! The shared state: settings, the served snapshot behind an atomic pointer, the request capacity and the metrics;
//! and hot reload.
//!
//! Reload loads a newly published snapshot completely (files read, suppressed, every answer precomputed) on a
//! blocking thread, and only then swaps the pointer. A request takes its `Arc<Published>` once, at its start, and
//! answers from it alone: it finishes on the snapshot it started with, whatever is swapped meanwhile, and no answer
//! ever mixes two snapshots.

use crate::config::ServerConfig;
use crate::error::{Result, ServerError};
use crate::load::{current_snapshot_id, read_snapshot};
use crate::metrics::Metrics;
use crate::published::Published;
use arc_swap::ArcSwapOption;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// Nothing is published yet.
    NothingPublished,
    /// The published snapshot is the one already served.
    Unchanged(String),
    /// A new snapshot is now served.
    Loaded(String),
}

pub(crate) struct Inner {
    pub(crate) config: ServerConfig,
    pub(crate) current: ArcSwapOption<Published>,
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) metrics: Metrics,
    /// The last snapshot id that failed to load, so a broken snapshot is logged once, not every poll.
    failed: Mutex<Option<String>>,
    /// Serialises reloads (the poller and explicit calls).
    reloading: tokio::sync::Mutex<()>,
}

/// The state every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.current().map(|p| p.id.clone());
        f.debug_struct("AppState").field("snapshot", &id).finish_non_exhaustive()
    }
}

impl AppState {
    /// State with no snapshot loaded yet (call [`AppState::reload`]).
    pub fn new(config: ServerConfig) -> Result<Self> {
        config.validate()?;
        let permits = Arc::new(Semaphore::new(config.max_concurrency));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                current: ArcSwapOption::empty(),
                permits,
                metrics: Metrics::default(),
                failed: Mutex::new(None),
                reloading: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The snapshot served now. Hold the `Arc` for the whole of a request.
    pub fn current(&self) -> Option<Arc<Published>> {
        self.inner.current.load_full()
    }

    /// Loads the published snapshot if it is not the one served; on success swaps it in atomically. On failure the
    /// served snapshot stays.
    pub async fn reload(&self) -> Result<ReloadOutcome> {
        let _one_at_a_time = self.inner.reloading.lock().await;
        let warehouse = self.inner.config.warehouse.clone();
        let Some(id) = current_snapshot_id(&warehouse)? else { return Ok(ReloadOutcome::NothingPublished) };
        if self.current().is_some_and(|p| p.id == id) {
            return Ok(ReloadOutcome::Unchanged(id));
        }
        let k = self.inner.config.suppress_k;
        let load_id = id.clone();
        let loaded = tokio::task::spawn_blocking(move || Published::build(read_snapshot(&warehouse, &load_id)?, k))
            .await
            .map_err(|e| ServerError::Config(format!("the snapshot loader stopped: {e}")));
        match loaded.and_then(|r| r) {
            Ok(published) => {
                tracing::info!(snapshot = %id, suppressed_rows = published.suppression.rows, "serving snapshot");
                self.inner.current.store(Some(Arc::new(published)));
                self.inner.metrics.reloads.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut failed) = self.inner.failed.lock() {
                    *failed = None;
                }
                Ok(ReloadOutcome::Loaded(id))
            }
            Err(error) => {
                self.inner.metrics.reload_failures.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut failed) = self.inner.failed.lock() {
                    *failed = Some(id);
                }
                Err(error)
            }
        }
    }

    /// Polls `CURRENT` every `poll_interval` for the life of the runtime, loading newly published snapshots.
    /// A snapshot that fails to load is logged once and retried on later polls; the served one stays.
    pub fn spawn_reloader(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(state.inner.config.poll_interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let already_failed = state.inner.failed.lock().ok().and_then(|f| f.clone());
                match state.reload().await {
                    Ok(ReloadOutcome::Loaded(_) | ReloadOutcome::Unchanged(_) | ReloadOutcome::NothingPublished) => {}
                    Err(error) => {
                        let now_failed = state.inner.failed.lock().ok().and_then(|f| f.clone());
                        if already_failed.is_none() || already_failed != now_failed {
                            tracing::error!(error = %crate::error::chain(&error), "loading the published snapshot failed; still serving the previous one");
                        }
                    }
                }
            }
        })
    }
}
