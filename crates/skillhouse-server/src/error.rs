//! The errors of the serving edge: [`ApiError`] (what a client is told, with one exhaustive mapping to HTTP
//! status codes and stable codes) and [`ServerError`] (what stops a snapshot from loading or the server from
//! starting).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// Result alias of the server crate.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;

/// Why a snapshot could not be loaded, or the server could not start. A message says what was being done and
/// where; the cause is its `source`, printed by whoever prints the chain ([`chain`]), never twice.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Reading a file or folder failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Finding or opening a snapshot failed: `CURRENT`, the snapshot's folder, its lease or its manifest
    /// (`skillhouse_query::SnapshotFolder`).
    #[error("opening a snapshot of {warehouse}")]
    Snapshot {
        /// The warehouse directory.
        warehouse: PathBuf,
        /// The cause (boxed: the query layer's error is large, and this one is returned everywhere).
        #[source]
        source: Box<skillhouse_query::QueryError>,
    },
    /// A snapshot Parquet file is unreadable.
    #[error("reading {path}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: skillhouse_query::datafusion::parquet::errors::ParquetError,
    },
    /// A snapshot Parquet file is readable but lacks a column or has one of the wrong type.
    #[error("{path}: {message}")]
    Layout {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The snapshot's indicator catalogue says something suppression cannot act on (a malformed `disclosure`).
    #[error("indicator catalogue of snapshot {snapshot}")]
    Catalogue {
        /// The snapshot id.
        snapshot: String,
        /// The cause (boxed: the query layer's error is large, and this one is returned everywhere).
        #[source]
        source: Box<skillhouse_query::QueryError>,
    },
    /// A response body could not be built while precomputing a snapshot's answers.
    #[error("precomputing `{what}`")]
    Encode {
        /// Which answer.
        what: String,
        /// The cause.
        #[source]
        source: ApiError,
    },
    /// The token file is unreadable or empty.
    #[error("token file {path}: {message}")]
    Tokens {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The configuration is inconsistent (a bad CORS origin, a zero limit).
    #[error("configuration: {0}")]
    Config(String),
    /// Binding or serving the socket failed.
    #[error("serving on {addr}")]
    Serve {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// An error and its causes on one line, `outer: inner: …`, for a log line.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    skillhouse_query::error_chain(error)
}

impl ServerError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
}

/// What a client is told. Every variant has a stable code and one status; [`ApiError::status_and_code`] is the one
/// place that decides them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No such indicator in the published snapshot.
    #[error("unknown indicator `{id}`; valid indicators: {}", valid.join(", "))]
    UnknownIndicator {
        /// The requested id.
        id: String,
        /// The indicators there are.
        valid: Vec<String>,
    },
    /// No such region code.
    #[error("unknown region `{code}`; valid regions: {}", valid.join(", "))]
    UnknownRegion {
        /// The requested code.
        code: String,
        /// The region codes there are.
        valid: Vec<String>,
    },
    /// A query parameter is unknown, repeated or has a value that cannot be used.
    #[error("bad parameter `{name}`: {message}")]
    BadParameter {
        /// The parameter.
        name: String,
        /// What is wrong, with the valid values where there is a list.
        message: String,
        /// The accepted values, when there is a closed list.
        valid: Vec<String>,
    },
    /// No route for the path.
    #[error("no such resource: {path}")]
    NotFound {
        /// The request path.
        path: String,
    },
    /// The path exists, the method does not.
    #[error("method not allowed; use GET or HEAD")]
    MethodNotAllowed,
    /// A missing or wrong bearer token.
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    Unauthorized,
    /// A valid token that may not see this resource (another agency's receipt; a receipt asked with a dashboard
    /// token; aggregates asked with an agency's token).
    #[error("forbidden: {message}")]
    Forbidden {
        /// Why, in general terms (never whose resource it is).
        message: String,
    },
    /// A request body larger than the limit (the API takes no bodies).
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The concurrency limit is reached: shed, retry shortly.
    #[error("the server is at its concurrency limit; retry shortly")]
    Overloaded,
    /// The request took longer than the configured timeout.
    #[error("the request took longer than {seconds} s")]
    Timeout {
        /// The timeout in seconds.
        seconds: f64,
    },
    /// No snapshot is loaded yet.
    #[error("no snapshot is loaded yet; the server becomes ready once one is published")]
    NotReady,
    /// The request could not be parsed as HTTP/1.1 (a malformed request line or header); answered by hyper itself,
    /// given its body by [`crate::protocol`].
    #[error("the request is not valid HTTP/1.1 (a malformed request line or header)")]
    MalformedRequest,
    /// The request's URI is longer than the HTTP parser takes (64 KiB).
    #[error("the request URI is too long (at most 64 KiB)")]
    UriTooLong,
    /// The request's head has too many headers or is larger than the HTTP parser's buffer.
    #[error("the request headers are too large (at most 100 headers and about 400 KiB)")]
    HeadersTooLarge,
    /// A bug. The detail is logged, never returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status and the stable error code — one exhaustive match, no wildcard arm.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::UnknownIndicator { .. } => (StatusCode::NOT_FOUND, "unknown_indicator"),
            Self::UnknownRegion { .. } => (StatusCode::NOT_FOUND, "unknown_region"),
            Self::BadParameter { .. } => (StatusCode::BAD_REQUEST, "bad_parameter"),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            Self::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            Self::Timeout { .. } => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Self::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            Self::MalformedRequest => (StatusCode::BAD_REQUEST, "malformed_request"),
            Self::UriTooLong => (StatusCode::URI_TOO_LONG, "uri_too_long"),
            Self::HeadersTooLarge => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The accepted values to list in the body, if any.
    fn valid(&self) -> Option<&[String]> {
        match self {
            Self::UnknownIndicator { valid, .. }
            | Self::UnknownRegion { valid, .. }
            | Self::BadParameter { valid, .. } => (!valid.is_empty()).then_some(valid.as_slice()),
            Self::NotFound { .. }
            | Self::MethodNotAllowed
            | Self::Unauthorized
            | Self::Forbidden { .. }
            | Self::PayloadTooLarge { .. }
            | Self::Overloaded
            | Self::Timeout { .. }
            | Self::NotReady
            | Self::MalformedRequest
            | Self::UriTooLong
            | Self::HeadersTooLarge
            | Self::Internal(_) => None,
        }
    }

    /// The JSON body every error answers with: `{"error": code, "message": …}` (and `valid` where there is a list).
    pub(crate) fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({ "error": self.status_and_code().1, "message": self.to_string() });
        if let Some(valid) = self.valid() {
            body["valid"] = serde_json::json!(valid);
        }
        body
    }

    /// A bad-parameter error without a list of valid values.
    pub(crate) fn bad(name: &str, message: impl Into<String>) -> Self {
        Self::BadParameter { name: name.to_string(), message: message.into(), valid: Vec::new() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error answering a request");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Overloaded | Self::Timeout { .. } | Self::NotReady => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::MethodNotAllowed => {
                headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            Self::UnknownIndicator { .. }
            | Self::UnknownRegion { .. }
            | Self::BadParameter { .. }
            | Self::NotFound { .. }
            | Self::Forbidden { .. }
            | Self::PayloadTooLarge { .. }
            | Self::MalformedRequest
            | Self::UriTooLong
            | Self::HeadersTooLarge
            | Self::Internal(_) => {}
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
