//! The guard around every route: body-size limit, load shedding at the concurrency limit (503 at once, never a
//! queue), bearer tokens and what each may see ([`crate::access`]), the request timeout, the snapshot header on
//! every answer, and metrics.

use crate::error::ApiError;
use crate::paths::{SNAPSHOT_HEADER, is_probe, with_snapshot};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The middleware function (installed by [`crate::router`]).
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let mut response = guarded(&state, &route, request, next).await;
    if !response.headers().contains_key(SNAPSHOT_HEADER)
        && let Some(published) = state.current()
    {
        response = with_snapshot(response, &published);
    }
    state.inner.metrics.record(&route, response.status().as_u16(), started.elapsed());
    response
}

async fn guarded(state: &AppState, route: &str, mut request: Request, next: Next) -> Response {
    let config = state.config();
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > config.body_limit) {
        return ApiError::PayloadTooLarge { limit: config.body_limit }.into_response();
    }
    let _permit = if is_probe(route) {
        None
    } else {
        match state.inner.permits.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                state.inner.metrics.shed.fetch_add(1, Ordering::Relaxed);
                return ApiError::Overloaded.into_response();
            }
        }
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match crate::access::decide(route, presented, config) {
        Ok(access) => {
            request.extensions_mut().insert(access);
        }
        Err(error) => return error.into_response(),
    }
    match tokio::time::timeout(config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            state.inner.metrics.timeouts.fetch_add(1, Ordering::Relaxed);
            ApiError::Timeout { seconds: config.request_timeout.as_secs_f64() }.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ServerConfig;
    use crate::state::AppState;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn error_code(response: axum::response::Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        json["error"].as_str().unwrap_or_default().to_string()
    }

    #[tokio::test]
    async fn requests_beyond_the_limit_are_shed_at_once_and_probes_still_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::new(dir.path());
        config.max_concurrency = 1;
        let state = AppState::new(config).expect("state");
        let app = crate::router(state.clone());
        let held = state.inner.permits.clone().try_acquire_owned().expect("the one permit");

        let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");
        let started = std::time::Instant::now();
        let shed = app.clone().oneshot(get("/api/v1/regions")).await.expect("response");
        assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(shed.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
        assert_eq!(error_code(shed).await, "overloaded");
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "shedding must not wait");
        let probe = app.clone().oneshot(get("/healthz")).await.expect("response");
        assert_eq!(probe.status(), StatusCode::OK);

        drop(held);
        let after = app.oneshot(get("/api/v1/regions")).await.expect("response");
        // Capacity is back; with no snapshot loaded the answer is "not ready", not "overloaded".
        assert_eq!(error_code(after).await, "not_ready");
        let metrics = state.inner.metrics.render(None);
        assert!(metrics.contains("skillhouse_http_requests_shed_total 1"), "{metrics}");
    }

    #[tokio::test]
    async fn a_slow_handler_is_answered_503_timeout_once_the_configured_timeout_passes() {
        // Every real handler answers from memory, so the timeout is proven on a route built for it, behind the
        // same guard `crate::router` installs.
        use axum::routing::get;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::new(dir.path());
        config.request_timeout = std::time::Duration::from_millis(100);
        let state = AppState::new(config).expect("state");
        let app = axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    "too late"
                }),
            )
            .route("/fast", get(|| async { "in time" }))
            .layer(axum::middleware::from_fn_with_state(state.clone(), super::guard));
        let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");

        let started = std::time::Instant::now();
        let slow = app.clone().oneshot(get("/slow")).await.expect("response");
        let waited = started.elapsed();
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(slow.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
        assert_eq!(slow.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
        let bytes = axum::body::to_bytes(slow.into_body(), 1 << 20).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(json["error"], "timeout");
        assert_eq!(json["message"], "the request took longer than 0.1 s");
        assert!(waited >= std::time::Duration::from_millis(100), "answered before the timeout: {waited:?}");
        assert!(waited < std::time::Duration::from_secs(10), "the handler's 30 s were awaited: {waited:?}");

        let fast = app.oneshot(get("/fast")).await.expect("response");
        assert_eq!(fast.status(), StatusCode::OK);
        let metrics = state.inner.metrics.render(None);
        assert!(metrics.contains("skillhouse_http_request_timeouts_total 1"), "{metrics}");
        assert!(metrics.contains(r#"skillhouse_http_requests_total{route="/slow",status="503"} 1"#), "{metrics}");
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::new(dir.path());
        config.body_limit = 8;
        let app = crate::router(AppState::new(config).expect("state"));
        let request = Request::get("/api/v1/regions")
            .header("content-length", "100")
            .body(Body::from(vec![b'x'; 100]))
            .expect("request");
        let response = app.oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_code(response).await, "payload_too_large");
    }
}
