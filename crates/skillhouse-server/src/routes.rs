//! The router and its thin handlers: decode the request (path, query, `Accept`, `If-None-Match`), take the served
//! snapshot once, and answer from its precomputed bodies — 304 before any rendering when the ETag matches.

use crate::access::Access;
use crate::error::ApiError;
use crate::guard::guard;
use crate::paths::{DEFINITION_HEADER, SNAPSHOT_HEADER, with_snapshot};
use crate::published::{Filters, Format, Published, Resource};
use crate::state::AppState;
use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The application: every route, the guard (body limit, load shedding, timeout, tokens, metrics) and CORS when
/// origins are configured.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (route, handler) in crate::receipts::routes() {
        router = router.route(route, handler);
    }
    let mut router = router
        .route("/api/v1/indicators", get(catalogue))
        .route("/api/v1/indicators/{indicator_id}", get(indicator_values))
        .route("/api/v1/regions", get(regions))
        .route("/api/v1/programmes", get(programmes))
        .route("/api/v1/targets", get(targets))
        .route("/api/v1/targets/progress", get(progress))
        .route("/api/v1/snapshot", get(snapshot))
        .route("/api/v1/submissions", get(submissions))
        .route("/api/v1/monthly", get(monthly))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/healthz", get(healthz))
        .route("/api/v1/readyz", get(readyz))
        .route("/api/v1/metrics", get(metrics))
        .route("/", get(crate::dashboard::index))
        .route("/index.html", get(crate::dashboard::index))
        .route("/assets/{*path}", get(crate::dashboard::asset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard));
    let origins = &state.config().cors_origins;
    if !origins.is_empty() {
        let allow = if origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        };
        let cors = CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD])
            .allow_headers([header::AUTHORIZATION, header::IF_NONE_MATCH, header::ACCEPT])
            .expose_headers([header::ETAG, SNAPSHOT_HEADER, DEFINITION_HEADER]);
        router = router.layer(cors);
    }
    router.with_state(state)
}

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

async fn catalogue(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Catalogue)
}

async fn regions(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Regions)
}

async fn programmes(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Programmes)
}

async fn targets(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Targets)
}

async fn progress(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Progress)
}

async fn snapshot(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Snapshot)
}

async fn submissions(
    State(state): State<AppState>,
    access: Option<Extension<Access>>,
    headers: HeaderMap,
    query: QueryPairs,
) -> Response {
    // An agency's own token sees its own row only (the guard let no other submitter token through).
    let agency_id = match access {
        Some(Extension(Access::Submitter(submitter))) => Some(submitter.id),
        _ => None,
    };
    answer_for(&state, &headers, query, Resource::Submissions, agency_id)
}

async fn monthly(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    answer(&state, &headers, query, Resource::Monthly)
}

async fn indicator_values(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: QueryPairs,
) -> Response {
    match path {
        Ok(Path(id)) => answer(&state, &headers, query, Resource::Values(id)),
        Err(rejection) => ApiError::bad("indicator_id", rejection.body_text()).into_response(),
    }
}

/// Decodes, answers from the snapshot taken once here, encodes.
fn answer(state: &AppState, headers: &HeaderMap, query: QueryPairs, resource: Resource) -> Response {
    answer_for(state, headers, query, resource, None)
}

/// [`answer`], for one agency's rows only when `agency_id` is given.
fn answer_for(
    state: &AppState,
    headers: &HeaderMap,
    query: QueryPairs,
    resource: Resource,
    agency_id: Option<String>,
) -> Response {
    let Some(published) = state.current() else { return ApiError::NotReady.into_response() };
    match respond(state, &published, headers, query, &resource, agency_id) {
        Ok(response) => response,
        Err(error) => with_snapshot(error.into_response(), &published),
    }
}

fn respond(
    state: &AppState,
    published: &Arc<Published>,
    headers: &HeaderMap,
    query: QueryPairs,
    resource: &Resource,
    agency_id: Option<String>,
) -> Result<Response, ApiError> {
    let filter_names: &[&str] = match resource {
        Resource::Values(_) => &VALUE_FILTERS,
        Resource::Monthly => &MONTHLY_FILTERS,
        _ => &[],
    };
    let (format_param, mut filters) = parse_query(query, filter_names)?;
    filters.agency_id = agency_id;
    published.validate(resource, &filters)?;
    let format = format_param.unwrap_or_else(|| negotiate(headers));
    let etag = match (filters.is_empty(), published.prepared_etag(resource, format)) {
        (true, Some(etag)) => etag.clone(),
        _ => published.etag(resource, &filters, format),
    };
    let cache_control = HeaderValue::from_str(&state.config().cache_control)
        .map_err(|e| ApiError::Internal(format!("Cache-Control: {e}")))?;
    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = published.body(resource, &filters, format)?;
        let mut response = Body::from(body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        response
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, etag);
    out.insert(header::CACHE_CONTROL, cache_control);
    out.insert(header::VARY, HeaderValue::from_static("Accept, Authorization"));
    Ok(with_snapshot(response, published))
}

const VALUE_FILTERS: [&str; 4] = ["region", "year", "programme", "agency_type"];
const MONTHLY_FILTERS: [&str; 4] = ["indicator", "region", "year", "programme"];

/// The `format` parameter and the filters; unknown, repeated or empty parameters are refused.
fn parse_query(query: QueryPairs, filter_names: &[&str]) -> Result<(Option<Format>, Filters), ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad("query", rejection.body_text()))?;
    let allowed: Vec<String> =
        std::iter::once("format").chain(filter_names.iter().copied()).map(String::from).collect();
    let mut format = None;
    let mut filters = Filters::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &pairs {
        if !allowed.contains(name) {
            return Err(ApiError::BadParameter {
                name: name.clone(),
                message: "unknown parameter".into(),
                valid: allowed.clone(),
            });
        }
        if seen.contains(&name.as_str()) {
            return Err(ApiError::bad(name, "given more than once"));
        }
        seen.push(name);
        if value.is_empty() {
            return Err(ApiError::bad(name, "empty value"));
        }
        match name.as_str() {
            "format" => {
                format = Some(Format::ALL.into_iter().find(|f| f.name() == value).ok_or_else(|| {
                    ApiError::BadParameter {
                        name: "format".into(),
                        message: format!("unknown format `{value}`"),
                        valid: Format::ALL.iter().map(|f| f.name().to_string()).collect(),
                    }
                })?);
            }
            "region" => filters.region = Some(value.clone()),
            "year" => {
                let year: i64 = value.parse().map_err(|_| ApiError::bad("year", format!("`{value}` is not a year")))?;
                if !(1900..=2200).contains(&year) {
                    return Err(ApiError::bad("year", format!("{year} is out of range (1900–2200)")));
                }
                filters.year = Some(year);
            }
            "programme" => filters.programme = Some(value.clone()),
            "indicator" => filters.indicator = Some(value.clone()),
            _ => filters.agency_type = Some(value.clone()),
        }
    }
    Ok((format, filters))
}

/// The format an `Accept` header prefers (highest q, then first listed); JSON when none is given or none fits.
pub(crate) fn negotiate(headers: &HeaderMap) -> Format {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return Format::Json };
    let mut best: Option<(f32, Format)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts.filter_map(|p| p.strip_prefix("q=")).find_map(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" => Format::Json,
            "text/csv" | "text/*" => Format::Csv,
            "application/vnd.apache.arrow.stream" => Format::Arrow,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Format::Xlsx,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, format));
        }
    }
    best.map_or(Format::Json, |(_, f)| f)
}

/// Whether `If-None-Match` names this ETag (weak comparison, as RFC 9110 asks for `If-None-Match`).
fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else { return false };
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    })
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.current() {
        Some(published) => {
            let body = serde_json::json!({ "status": "ready", "snapshot_id": published.id });
            with_snapshot(axum::Json(body).into_response(), &published)
        }
        None => ApiError::NotReady.into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let current = state.current();
    let text = state.inner.metrics.render(current.as_deref());
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

async fn openapi(State(state): State<AppState>) -> Response {
    let document =
        state.current().map_or_else(|| crate::openapi::DOCUMENT.clone(), |p| p.openapi_with(crate::openapi::render));
    let mut response = document.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn not_found(uri: Uri) -> Response {
    ApiError::NotFound { path: uri.path().to_string() }.into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn accept_headers_pick_the_preferred_format() {
        assert_eq!(negotiate(&HeaderMap::new()), Format::Json);
        assert_eq!(negotiate(&accept("text/csv")), Format::Csv);
        assert_eq!(negotiate(&accept("application/json;q=0.5, text/csv")), Format::Csv);
        assert_eq!(negotiate(&accept("application/vnd.apache.arrow.stream")), Format::Arrow);
        assert_eq!(negotiate(&accept("image/png")), Format::Json);
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = HeaderValue::from_static("\"abc\"");
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"abc\""));
        assert!(if_none_match(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abd\""));
        assert!(!if_none_match(&headers, &etag));
    }
}
