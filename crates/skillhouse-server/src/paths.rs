//! The API's surface shared by the router and the guard in front of it: every route, which of them are probes or
//! public, and the headers that name the snapshot an answer came from. The router (`routes.rs`) answers them; the
//! guard (`guard.rs`) decides by them who may ask; neither needs the other to know.

use crate::published::Published;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

/// Header naming the snapshot an answer came from.
pub const SNAPSHOT_HEADER: HeaderName = HeaderName::from_static("x-skillhouse-snapshot");
/// Header naming the definition version of the snapshot an answer came from.
pub const DEFINITION_HEADER: HeaderName = HeaderName::from_static("x-skillhouse-definition-version");

/// Every route the server answers (GET and HEAD), in the order of the OpenAPI document.
pub const ROUTES: [&str; 20] = [
    "/api/v1/indicators",
    "/api/v1/indicators/{indicator_id}",
    "/api/v1/regions",
    "/api/v1/programmes",
    "/api/v1/targets",
    "/api/v1/targets/progress",
    "/api/v1/snapshot",
    "/api/v1/submissions",
    "/api/v1/monthly",
    "/api/v1/submissions/{agency_id}/{period}/receipt.xlsx",
    "/api/v1/submissions/{agency_id}/{period}/receipt.csv",
    "/api/v1/training/submissions/{provider_id}/{period}/receipt.xlsx",
    "/api/v1/training/submissions/{provider_id}/{period}/receipt.csv",
    "/api/v1/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/healthz",
    "/api/v1/readyz",
    "/api/v1/metrics",
];

/// Routes answered without a bearer token and outside the concurrency limit (probes must answer under load).
pub(crate) fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/api/v1/healthz" | "/api/v1/readyz")
}

/// Routes answered without a bearer token.
pub(crate) fn is_public(route: &str) -> bool {
    is_probe(route) || route == "/api/v1/openapi.json" || crate::dashboard::ROUTES.contains(&route)
}

/// Names the snapshot (and its definition version) in the answer's headers.
pub(crate) fn with_snapshot(mut response: Response, published: &Published) -> Response {
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&published.id) {
        headers.insert(SNAPSHOT_HEADER, id);
    }
    if let Ok(version) = HeaderValue::from_str(published.definition_version()) {
        headers.insert(DEFINITION_HEADER, version);
    }
    response
}
