//! The OpenAPI 3.1 document, written by hand from the same constants the router and the encoders use
//! ([`crate::paths::ROUTES`], [`crate::published::VALUE_COLUMNS`], …); a test checks that its paths are exactly
//! the router's. Once a snapshot is loaded, the document lists its indicator ids, region codes, programmes and
//! agency types as enums, so a client (or schemathesis) knows the values that are answered 200.

use crate::monthly::MONTHLY_COLUMNS;
use crate::progress::PROGRESS_COLUMNS;
use crate::published::{Format, Published, SNAPSHOT_COLUMNS, VALUE_COLUMNS};
use crate::small_counts::PUBLISHED_SUBMISSION_COLUMNS;
use crate::table::ColumnType;
use axum::body::Bytes;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The document before any snapshot is loaded, serialised once.
pub static DOCUMENT: LazyLock<Bytes> =
    LazyLock::new(|| Bytes::from(serde_json::to_vec_pretty(&document(None)).unwrap_or_default()));

/// The document of a loaded snapshot (its indicator ids, regions and codes as enums), serialised.
pub fn render(snapshot: &Published) -> Bytes {
    Bytes::from(serde_json::to_vec_pretty(&document(Some(snapshot))).unwrap_or_default())
}

fn row_schema(columns: &[(&str, ColumnType)]) -> Value {
    let properties: serde_json::Map<String, Value> = columns
        .iter()
        .map(|(name, column_type)| ((*name).to_string(), json!({ "type": [column_type.json_type(), "null"] })))
        .collect();
    let required: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn data_content(json_schema: Value) -> Value {
    let mut content = serde_json::Map::new();
    for format in Format::ALL {
        let media = format.content_type().split(';').next().unwrap_or_default().to_string();
        let schema = match format {
            Format::Json => json_schema.clone(),
            Format::Csv => json!({ "type": "string" }),
            Format::Arrow | Format::Xlsx => json!({ "type": "string", "contentEncoding": "binary" }),
        };
        content.insert(media, json!({ "schema": schema }));
    }
    Value::Object(content)
}

fn data_operation(summary: &str, json_schema: Value, filters: bool, tag: &str) -> Value {
    let mut parameters = vec![json!({ "$ref": "#/components/parameters/format" })];
    if filters {
        parameters.insert(0, json!({ "$ref": "#/components/parameters/indicator_id" }));
        for name in ["region", "year", "programme", "agency_type"] {
            parameters.push(json!({ "$ref": format!("#/components/parameters/{name}") }));
        }
    }
    parameters.push(json!({ "$ref": "#/components/parameters/if_none_match" }));
    let mut responses = json!({
        "200": {
            "description": "The answer from the served snapshot.",
            "headers": {
                "ETag": { "$ref": "#/components/headers/ETag" },
                "X-SkillHouse-Snapshot": { "$ref": "#/components/headers/Snapshot" }
            },
            "content": data_content(json_schema)
        },
        "304": { "description": "Not modified: the If-None-Match ETag is current." },
        "400": error_response("A bad parameter (`bad_parameter`), or a request that is not valid HTTP/1.1 (`malformed_request`)."),
        "401": error_response("A bearer token is required (`unauthorized`), when tokens are configured."),
        "403": error_response("An agency's or provider's own token, which sees its receipts and its row of `/api/v1/submissions` only (`forbidden`)."),
        "414": error_response("The request URI is longer than 64 KiB (`uri_too_long`)."),
        "431": error_response("Too many or too large request headers (`headers_too_large`)."),
        "503": error_response("Not ready, overloaded or timed out (`not_ready`, `overloaded`, `timeout`).")
    });
    if filters {
        responses["404"] = error_response("Unknown indicator or region (`unknown_indicator`, `unknown_region`).");
    }
    json!({ "summary": summary, "tags": [tag], "parameters": parameters, "responses": responses })
}

/// `/api/v1/monthly`: the data operation with the monthly filters (the indicator as a query parameter).
fn monthly_operation(json_schema: Value) -> Value {
    let mut operation = data_operation(
        "Month-to-date cumulative values of the flow indicators (sql/models/monthly_flows.sql): for every year and \
         month (in the as-of year to the as-of month, cut at the as-of date), the value from 1 January to month_end, \
         persons counted once. A series (indicator, region, year, programme) whose smallest monthly step is below k is \
         withheld whole, with complementary suppression: value null, suppressed true.",
        json_schema,
        false,
        "indicators",
    );
    let mut parameters = vec![json!({ "$ref": "#/components/parameters/monthly_indicator" })];
    for name in ["region", "year", "programme", "format", "if_none_match"] {
        parameters.push(json!({ "$ref": format!("#/components/parameters/{name}") }));
    }
    operation["parameters"] = Value::Array(parameters);
    operation["responses"]["404"] =
        error_response("Unknown indicator or region (`unknown_indicator`, `unknown_region`).");
    operation
}

/// A receipt route (issue 24): one submitter's file of one month, only to that submitter's token.
fn receipt_operation(route: &str, input: skillhouse_receipts::Input) -> Value {
    let (who, id) = match input {
        skillhouse_receipts::Input::Certificates => ("evaluation agency's certificate file", "agency_id"),
        skillhouse_receipts::Input::Training => ("training provider's trainee file", "provider_id"),
    };
    let (media, schema) = if route.ends_with(".xlsx") {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            json!({ "type": "string", "contentEncoding": "binary" }),
        )
    } else {
        ("text/csv", json!({ "type": "string" }))
    };
    json!({
        "summary": format!(
            "The receipt (回执) of an {who} for one month, in Chinese: files submitted, rows read, accepted and \
             rejected, rejects by reason with what to do, and every rejected row with its row number and the ID \
             number masked (first 6 and last 1 shown). Only to that submitter's own token."
        ),
        "tags": ["receipts"],
        "security": [{ "bearer": [] }],
        "parameters": [
            { "name": id, "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "period", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$" } }
        ],
        "responses": {
            "200": {
                "description": "The receipt, from the served snapshot's ledger and reject file.",
                "headers": { "X-SkillHouse-Snapshot": { "$ref": "#/components/headers/Snapshot" } },
                "content": { media: { "schema": schema } }
            },
            "400": error_response("The period is not a month (`bad_parameter`)."),
            "401": error_response("No token, or one nobody was given (`unauthorized`)."),
            "403": error_response("Another submitter's receipt, or a dashboard token (`forbidden`)."),
            "404": error_response("No file of that submitter and month in the served snapshot (`not_found`)."),
            "503": error_response("No snapshot loaded yet (`not_ready`).")
        }
    })
}

fn list_schema(row: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "snapshot_id": { "type": "string" },
            "definition_version": { "type": "string" },
            "data": { "type": "array", "items": row }
        },
        "required": ["snapshot_id", "definition_version", "data"]
    })
}

fn plain_operation(summary: &str, media: &str, schema: Value, may_be_unavailable: bool) -> Value {
    let mut responses = json!({ "200": { "description": "OK", "content": { media: { "schema": schema } } } });
    if may_be_unavailable {
        responses["503"] = error_response("No snapshot loaded yet (`not_ready`).");
    }
    json!({ "summary": summary, "tags": ["operations"], "responses": responses })
}

/// The OpenAPI 3.1 document of the server; with a snapshot, its valid ids and codes as enums.
pub fn document(snapshot: Option<&Published>) -> Value {
    let any_row = json!({ "type": "object" });
    let values = json!({
        "type": "object",
        "properties": {
            "snapshot_id": { "type": "string" },
            "definition_version": { "type": "string" },
            "indicator": { "type": "object" },
            "suppression_k": { "type": "integer" },
            "filters": { "type": "object" },
            "data": { "type": "array", "items": row_schema(&VALUE_COLUMNS) }
        },
        "required": ["snapshot_id", "definition_version", "indicator", "suppression_k", "filters", "data"]
    });
    let monthly = json!({
        "type": "object",
        "properties": {
            "snapshot_id": { "type": "string" },
            "definition_version": { "type": "string" },
            "as_of": { "type": "string" },
            "suppression_k": { "type": "integer" },
            "filters": { "type": "object" },
            "data": { "type": "array", "items": row_schema(&MONTHLY_COLUMNS) }
        },
        "required": ["snapshot_id", "definition_version", "as_of", "suppression_k", "filters", "data"]
    });
    let snapshot_schema = json!({
        "type": "object",
        "properties": {
            "snapshot_id": { "type": "string" },
            "definition_version": { "type": "string" },
            "as_of": { "type": "string" },
            "built_at": { "type": "string" },
            "row_counts": {
                "type": "object",
                "description": "Rows per stored table; a count below the suppression threshold k is null.",
                "additionalProperties": { "type": ["integer", "null"] }
            },
            "suppression": { "type": "object" }
        },
        "required": ["snapshot_id", "definition_version", "as_of", "built_at", "row_counts", "suppression"],
        "x-csv-columns": SNAPSHOT_COLUMNS.iter().map(|(n, _)| *n).collect::<Vec<_>>()
    });
    let health = json!({ "type": "object", "properties": { "status": { "type": "string" } }, "required": ["status"] });
    let ready = json!({
        "type": "object",
        "properties": { "status": { "type": "string" }, "snapshot_id": { "type": "string" } },
        "required": ["status", "snapshot_id"]
    });
    let mut paths = serde_json::Map::new();
    let mut put = |path: &str, operation: Value| {
        paths.insert(path.to_string(), json!({ "get": operation }));
    };
    put(
        "/api/v1/indicators",
        data_operation("The indicator catalogue.", list_schema(any_row.clone()), false, "indicators"),
    );
    put(
        "/api/v1/indicators/{indicator_id}",
        data_operation(
            "An indicator's values, with target, gap and status, and for a yearly flow target of the as-of year \
             序时进度 (pace against the calendar, docs/pace.md): elapsed_share (day of year of the as-of date ÷ days \
             in the year), expected_to_date (target × elapsed_share) and pace_status (ahead, on_pace, behind_pace; \
             n/a when withheld; null where pace does not apply); small cells withheld. Every target has a row \
             (DESIGN §17): `basis` says where its value comes from — `computed` from the records, `reported` by an \
             office (`reported_by`, `reported_on`), or `no_data` (no value yet, status `n/a`) — and `basis_zh` / \
             `basis_en` say so in Chinese and English (据记录计算 / 单位上报 / 暂无数据).",
            values,
            true,
            "indicators",
        ),
    );
    put(
        "/api/v1/regions",
        data_operation("Reporting units and the province.", list_schema(any_row.clone()), false, "reference"),
    );
    put(
        "/api/v1/programmes",
        data_operation("Special programmes with their 2025 targets.", list_schema(any_row.clone()), false, "reference"),
    );
    put("/api/v1/monthly", monthly_operation(monthly));
    put("/api/v1/targets", data_operation("Reference targets.", list_schema(any_row), false, "reference"));
    put(
        "/api/v1/targets/progress",
        data_operation(
            "Every seed target (DESIGN §17) with its value, gap, status and basis, in target id order (seed document \
             000–004, then clause): `basis` is `computed` from the records, `reported` by an office (`reported_by`, \
             `reported_on`) or `no_data` (no value yet, status `n/a`), said in Chinese and English in `basis_zh` / \
             `basis_en` (据记录计算 / 单位上报 / 暂无数据). The dashboard's all-targets section; `?format=xlsx` or \
             `csv` exports it.",
            list_schema(row_schema(&PROGRESS_COLUMNS)),
            false,
            "indicators",
        ),
    );
    put(
        "/api/v1/snapshot",
        data_operation("The served snapshot: id, as-of, build time, row counts.", snapshot_schema, false, "snapshot"),
    );
    put(
        "/api/v1/submissions",
        data_operation(
            "Per-agency ledger summary: files and rows by outcome. Row counts below the suppression threshold k are \
             null, with whatever would give them back (DESIGN §7); `suppressed` says a row withheld something. \
             Asked with an agency's own token: that agency's row only.",
            list_schema(row_schema(&PUBLISHED_SUBMISSION_COLUMNS)),
            false,
            "snapshot",
        ),
    );
    for (route, input) in crate::access::RECEIPT_ROUTES {
        put(route, receipt_operation(route, input));
    }
    put(
        "/api/v1/openapi.json",
        plain_operation("This document.", "application/json", json!({ "type": "object" }), false),
    );
    for prefix in ["", "/api/v1"] {
        put(&format!("{prefix}/healthz"), plain_operation("Liveness.", "application/json", health.clone(), false));
        put(
            &format!("{prefix}/readyz"),
            plain_operation("Readiness: a snapshot is loaded.", "application/json", ready.clone(), true),
        );
        put(
            &format!("{prefix}/metrics"),
            plain_operation("Prometheus metrics.", "text/plain", json!({ "type": "string" }), false),
        );
    }
    let text_parameter = |name: &str, description: &str, values: Option<Vec<String>>| {
        let schema = match values {
            Some(values) => json!({ "type": "string", "enum": values }),
            None => json!({ "type": "string", "minLength": 1 }),
        };
        json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
    };
    let indicator_schema = match snapshot {
        Some(s) => json!({ "type": "string", "enum": s.indicator_ids() }),
        None => json!({ "type": "string" }),
    };
    let monthly_indicator_schema = match snapshot {
        Some(s) => json!({ "type": "string", "enum": s.monthly_indicator_ids() }),
        None => json!({ "type": "string", "minLength": 1 }),
    };
    json!({
        "openapi": "3.1.0",
        "servers": [{ "url": "/" }],
        "info": {
            "title": "SkillHouse API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Skill-certificate indicators of Henan province (人人持证、技能河南), served from the published snapshot. \
                Counts below k (and shares built on them) are withheld with complementary suppression: value null, suppressed true."
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": { "type": "string" },
                        "message": { "type": "string" },
                        "valid": { "type": "array", "items": { "type": "string" } }
                    },
                    "required": ["error", "message"]
                }
            },
            "parameters": {
                "indicator_id": { "name": "indicator_id", "in": "path", "required": true, "schema": indicator_schema },
                "monthly_indicator": {
                    "name": "indicator", "in": "query", "required": false,
                    "description": "A flow indicator with monthly values; unknown ids are 404.",
                    "schema": monthly_indicator_schema
                },
                "format": {
                    "name": "format", "in": "query", "required": false,
                    "description": "Overrides the Accept header.",
                    "schema": { "type": "string", "enum": Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>() }
                },
                "region": text_parameter("region", "Region code (410000 = province); unknown codes are 404.", snapshot.map(Published::region_codes)),
                "year": { "name": "year", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1900, "maximum": 2200 } },
                "programme": text_parameter("programme", "Programme code (1–10, 2.1–2.5).", snapshot.map(Published::programme_codes)),
                "agency_type": text_parameter("agency_type", "Agency type (enterprise, college, social, special_competence).", snapshot.map(Published::agency_type_codes)),
                "if_none_match": { "name": "If-None-Match", "in": "header", "required": false, "schema": { "type": "string" } }
            },
            "headers": {
                "ETag": { "description": "Strong ETag of the answer.", "schema": { "type": "string" } },
                "Snapshot": { "description": "The snapshot that produced the answer.", "schema": { "type": "string" } }
            },
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_exactly_the_routes() {
        let doc = document(None);
        let mut documented: Vec<&str> =
            doc["paths"].as_object().map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut routes = crate::paths::ROUTES.to_vec();
        documented.sort_unstable();
        routes.sort_unstable();
        assert_eq!(documented, routes);
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
