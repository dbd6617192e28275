//! The receipt routes: one agency's (or training provider's) receipt for one month, as XLSX or CSV, read when asked
//! from the served snapshot's own ledger and reject file (`skillhouse_receipts`), to that submitter's token only.
//! Not precomputed: a receipt is asked for rarely, by one agency, and lists rows a dashboard never sees.

use crate::access::{Access, RECEIPT_ROUTES};
use crate::error::ApiError;
use crate::paths::with_snapshot;
use crate::state::AppState;
use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use skillhouse_query::SnapshotFolder;
use skillhouse_receipts::{Input, Receipt, SubmissionKey, read_ledger};

/// The media type of an XLSX workbook.
const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xlsx,
    Csv,
}

/// Every receipt route with its handler.
pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    RECEIPT_ROUTES
        .iter()
        .map(|(route, input)| {
            let input = *input;
            let kind = if route.ends_with(".xlsx") { Kind::Xlsx } else { Kind::Csv };
            let handler = move |State(state): State<AppState>,
                                access: Option<Extension<Access>>,
                                path: Result<Path<(String, String)>, PathRejection>| async move {
                answer(&state, access.map(|Extension(a)| a), path, input, kind).await
            };
            (*route, get(handler))
        })
        .collect()
}

async fn answer(
    state: &AppState,
    access: Option<Access>,
    path: Result<Path<(String, String)>, PathRejection>,
    input: Input,
    kind: Kind,
) -> Response {
    let Some(published) = state.current() else { return ApiError::NotReady.into_response() };
    let result = async {
        let Path((agency_id, period)) = path.map_err(|r| ApiError::bad("path", r.body_text()))?;
        // The guard let only a submitter's token through; which submitter is checked here, against the path.
        let allowed = matches!(&access, Some(Access::Submitter(s)) if s.input == input && s.id == agency_id);
        if !allowed {
            return Err(ApiError::Forbidden { message: "a token may read its own agency's receipts only".into() });
        }
        let key = SubmissionKey { input, agency_id, period };
        if !key.has_month() {
            return Err(ApiError::bad("period", "expected a month as YYYY-MM"));
        }
        let warehouse = state.config().warehouse.clone();
        let snapshot_id = published.id.clone();
        let lookup = key.clone();
        let receipt = tokio::task::spawn_blocking(move || read(&warehouse, &snapshot_id, &lookup, kind))
            .await
            .map_err(|e| ApiError::Internal(format!("receipt task: {e}")))??;
        let Some(body) = receipt else {
            return Err(ApiError::NotFound { path: format!("receipt of {} in the served snapshot", key.slice()) });
        };
        let (media, extension) = match kind {
            Kind::Xlsx => (XLSX_MEDIA_TYPE, "xlsx"),
            Kind::Csv => ("text/csv; charset=utf-8", "csv"),
        };
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        let name = format!("{}_{}_receipt.{extension}", ascii_name(&key.agency_id), key.period);
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        Ok(response)
    }
    .await;
    with_snapshot(result.unwrap_or_else(IntoResponse::into_response), &published)
}

/// Reads and renders a receipt from snapshot `id` (leased while read). Blocking.
fn read(warehouse: &std::path::Path, id: &str, key: &SubmissionKey, kind: Kind) -> Result<Option<Vec<u8>>, ApiError> {
    let internal = |what: &str, e: &(dyn std::error::Error + 'static)| {
        ApiError::Internal(format!("{what} of {}: {}", key.slice(), crate::error::chain(e)))
    };
    let folder = SnapshotFolder::open(warehouse, id).map_err(|e| internal("opening the snapshot", &e))?;
    let ledger = read_ledger(folder.base_dir()).map_err(|e| internal("reading the ledger", &e))?;
    let Some(receipt) =
        Receipt::read(folder.base_dir(), id, &ledger, key).map_err(|e| internal("reading the receipt", &e))?
    else {
        return Ok(None);
    };
    match kind {
        Kind::Csv => Ok(Some(receipt.csv().into_bytes())),
        Kind::Xlsx => receipt.xlsx().map(Some).map_err(|e| internal("writing the workbook", &e)),
    }
}

/// A code as a file name: ASCII letters, digits, `-` and `_` kept, anything else `_`.
fn ascii_name(code: &str) -> String {
    code.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}
