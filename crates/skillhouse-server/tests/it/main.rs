//! Integration tests of the HTTP API: handlers through the router (`tower::ServiceExt::oneshot`) over a fixture
//! warehouse, and one end-to-end test over a real socket.

mod api;
mod built;
mod dashboard;
mod e2e;
mod fixture;
mod privacy;
mod reload;
mod rules;
mod schedule;
mod training;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use skillhouse_server::{AppState, ReloadOutcome, ServerConfig};
use std::path::Path;
use tower::ServiceExt;

/// A warehouse with snapshot `S1` published.
pub fn warehouse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::publish(dir.path(), "S1", &fixture::rows());
    dir
}

/// State and router over `warehouse` with `config` adjusted, snapshot loaded.
pub async fn app_with(warehouse: &Path, adjust: impl FnOnce(&mut ServerConfig)) -> (AppState, Router) {
    let mut config = ServerConfig::new(warehouse);
    adjust(&mut config);
    let state = AppState::new(config).expect("state");
    let outcome = state.reload().await.expect("reload");
    assert!(matches!(outcome, ReloadOutcome::Loaded(_) | ReloadOutcome::NothingPublished), "{outcome:?}");
    let router = skillhouse_server::router(state.clone());
    (state, router)
}

/// A GET answer.
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// A header as text (empty if absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// Sends a GET with extra headers through the router.
pub async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 16 << 20).await.expect("body");
    Answer { status, headers, body }
}

/// Sends a GET through the router.
pub async fn get(app: &Router, uri: &str) -> Answer {
    get_with(app, uri, &[]).await
}
