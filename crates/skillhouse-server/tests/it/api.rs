//! Endpoints, formats, caching, errors and hardening through the router.

use crate::{app_with, fixture, get, get_with, warehouse};
use axum::http::StatusCode;
use skillhouse_query::datafusion::arrow::array::{Array, BooleanArray, Float64Array, StringArray};
use skillhouse_query::datafusion::arrow::ipc::reader::StreamReader;
use skillhouse_server::Tokens;

#[tokio::test]
async fn the_catalogue_lists_every_indicator_with_its_definition() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let answer = get(&app, "/api/v1/indicators").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("x-skillhouse-snapshot"), "S1");
    assert_eq!(answer.header("content-type"), "application/json");
    let json = answer.json();
    assert_eq!(json["snapshot_id"], "S1");
    assert_eq!(json["definition_version"], "2025.1");
    let data = json["data"].as_array().expect("data");
    assert_eq!(data.len(), 7);
    let new_skilled = data.iter().find(|e| e["indicator_id"] == "new_skilled").expect("new_skilled");
    assert_eq!(new_skilled["title_zh"], "新增技能人才（取证）");
    assert_eq!(new_skilled["unit"], "persons");
    assert_eq!(new_skilled["definition_version"], "2025.1");
}

#[tokio::test]
async fn values_carry_target_gap_and_status_and_filter_by_every_key() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let json = get(&app, "/api/v1/indicators/new_skilled?region=410000&year=2024").await.json();
    let data = json["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["value"], 1000.0);
    assert_eq!(data[0]["target"], 2_400_000.0);
    assert_eq!(data[0]["gap"], 1000.0 - 2_400_000.0);
    assert_eq!(data[0]["status"], "behind");
    assert_eq!(data[0]["suppressed"], false);
    assert_eq!(json["indicator"]["title_en"], "Newly skilled persons (certified in the year)");
    assert_eq!(json["filters"]["region"], "410000");

    let years = get(&app, "/api/v1/indicators/new_skilled?year=2023").await.json();
    assert_eq!(years["data"].as_array().map(Vec::len), Some(5));
    let college = get(&app, "/api/v1/indicators/certs_by_agency_type?agency_type=college&region=410100").await.json();
    assert_eq!(college["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(college["data"][0]["value"], 400.0);
    let programme = get(&app, "/api/v1/indicators/programme_new_high_skilled?programme=1").await.json();
    assert_eq!(programme["data"][0]["value"], 500.0);
    assert_eq!(programme["data"][0]["status"], "behind");
    let none = get(&app, "/api/v1/indicators/new_skilled?year=2019").await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.json()["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_matching_etag_is_answered_304_and_filters_and_formats_have_their_own() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |c| c.cache_control = "public, max-age=5".into()).await;
    let first = get(&app, "/api/v1/indicators/new_skilled").await;
    let etag = first.header("etag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10, "strong ETag: {etag}");
    assert_eq!(first.header("cache-control"), "public, max-age=5");

    let again = get_with(&app, "/api/v1/indicators/new_skilled", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert_eq!(again.header("x-skillhouse-snapshot"), "S1");
    assert_eq!(again.header("cache-control"), "public, max-age=5");

    let stale = get_with(&app, "/api/v1/indicators/new_skilled", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(stale.status, StatusCode::OK);

    let filtered = get(&app, "/api/v1/indicators/new_skilled?year=2024&region=410100").await;
    let reordered = get(&app, "/api/v1/indicators/new_skilled?region=410100&year=2024").await;
    assert_ne!(filtered.header("etag"), etag);
    assert_eq!(filtered.header("etag"), reordered.header("etag"), "filters are normalized");
    let filtered_again = get_with(
        &app,
        "/api/v1/indicators/new_skilled?region=410100&year=2024",
        &[("if-none-match", filtered.header("etag"))],
    )
    .await;
    assert_eq!(filtered_again.status, StatusCode::NOT_MODIFIED);
    let csv = get(&app, "/api/v1/indicators/new_skilled?format=csv").await;
    assert_ne!(csv.header("etag"), etag);
}

#[tokio::test]
async fn csv_and_arrow_carry_the_same_rows_as_json() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let json = get(&app, "/api/v1/indicators/new_skilled?year=2024").await.json();
    let rows = json["data"].as_array().expect("data").len();

    let csv = get(&app, "/api/v1/indicators/new_skilled?year=2024&format=csv").await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let text = String::from_utf8(csv.body.to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "indicator_id,region_code,year,programme,agency_type,value,numerator,denominator,target,gap,status,\
         definition_version,reference_target,reference_comparator,reference_year,reference_status,suppressed,\
         elapsed_share,expected_to_date,pace_status,basis,basis_zh,basis_en,reported_by,reported_on"
    );
    assert_eq!(lines.len(), rows + 1);
    // No pace (the fixture's rows have no yearly flow target of the as-of year), basis computed.
    let computed = ",,,,computed,据记录计算,computed from the records,,";
    assert!(
        lines.contains(&format!("new_skilled,410100,2024,,,600,600,,,,n/a,2025.1,,,,,false{computed}").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("new_skilled,410200,2024,,,,,,,,n/a,2025.1,,,,,true{computed}").as_str()),
        "withheld: empty, not zero: {text}"
    );

    let by_accept = get_with(&app, "/api/v1/indicators/new_skilled?year=2024", &[("accept", "text/csv")]).await;
    assert_eq!(by_accept.body, csv.body);

    let arrow = get_with(
        &app,
        "/api/v1/indicators/new_skilled?year=2024",
        &[("accept", "application/vnd.apache.arrow.stream")],
    )
    .await;
    assert_eq!(arrow.header("content-type"), "application/vnd.apache.arrow.stream");
    let reader = StreamReader::try_new(std::io::Cursor::new(arrow.body.to_vec()), None).expect("arrow stream");
    let batches: Vec<_> = reader.collect::<Result<_, _>>().expect("batches");
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), rows);
    let batch = &batches[0];
    let regions =
        batch.column_by_name("region_code").and_then(|c| c.as_any().downcast_ref::<StringArray>()).expect("regions");
    let values = batch.column_by_name("value").and_then(|c| c.as_any().downcast_ref::<Float64Array>()).expect("values");
    let suppressed =
        batch.column_by_name("suppressed").and_then(|c| c.as_any().downcast_ref::<BooleanArray>()).expect("suppressed");
    let kaifeng = (0..batch.num_rows()).find(|i| regions.value(*i) == "410200").expect("410200");
    assert!(values.is_null(kaifeng) && suppressed.value(kaifeng));
    let arrow_param = get(&app, "/api/v1/regions?format=arrow").await;
    assert_eq!(arrow_param.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_things_are_404_and_bad_parameters_400_with_json_bodies() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let unknown = get(&app, "/api/v1/indicators/nonsense").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let json = unknown.json();
    assert_eq!(json["error"], "unknown_indicator");
    assert!(json["valid"].as_array().is_some_and(|v| v.iter().any(|i| i == "new_skilled")));
    assert!(json["message"].as_str().is_some_and(|m| m.contains("new_skilled")));

    let region = get(&app, "/api/v1/indicators/new_skilled?region=999999").await;
    assert_eq!(region.status, StatusCode::NOT_FOUND);
    assert_eq!(region.json()["error"], "unknown_region");
    assert_eq!(region.json()["valid"].as_array().map(Vec::len), Some(fixture::REGIONS.len()));

    for uri in [
        "/api/v1/indicators/new_skilled?year=twenty",
        "/api/v1/indicators/new_skilled?year=99999",
        "/api/v1/indicators/new_skilled?colour=red",
        "/api/v1/indicators/new_skilled?year=2024&year=2023",
        "/api/v1/indicators/new_skilled?format=xml",
        "/api/v1/indicators/new_skilled?region=",
        "/api/v1/indicators/new_skilled?programme=11",
        "/api/v1/indicators/new_skilled?agency_type=state",
        "/api/v1/regions?year=2024",
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        let json = answer.json();
        assert_eq!(json["error"], "bad_parameter", "{uri}");
        assert!(json["message"].is_string());
    }
    let route = get(&app, "/api/v2/everything").await;
    assert_eq!(route.status, StatusCode::NOT_FOUND);
    assert_eq!(route.json()["error"], "not_found");
    assert_eq!(route.header("x-skillhouse-snapshot"), "S1", "every answer names the snapshot");

    let post = tower::ServiceExt::oneshot(
        app.clone(),
        axum::http::Request::post("/api/v1/regions").body(axum::body::Body::empty()).expect("request"),
    )
    .await
    .expect("response");
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn reference_snapshot_and_submission_endpoints_answer() {
    let dir = warehouse();
    fixture::write_submissions(dir.path(), "S1");
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let regions = get(&app, "/api/v1/regions").await.json();
    assert_eq!(regions["data"][1]["name_zh"], "郑州市");
    let programmes = get(&app, "/api/v1/programmes").await.json();
    let two_one = programmes["data"].as_array().and_then(|d| d.iter().find(|p| p["programme"] == "2.1")).cloned();
    assert_eq!(two_one.map(|p| p["new_high_skilled_target_2025"].clone()), Some(serde_json::json!(100_000)));
    let targets = get(&app, "/api/v1/targets").await.json();
    assert_eq!(targets["data"].as_array().map(Vec::len), Some(3));

    let snapshot = get(&app, "/api/v1/snapshot").await.json();
    assert_eq!(snapshot["snapshot_id"], "S1");
    assert_eq!(snapshot["as_of"], "2025-06-30");
    assert_eq!(snapshot["row_counts"]["indicator_values"], fixture::rows().len());
    assert_eq!(snapshot["row_counts"]["dims/regions"], fixture::REGIONS.len(), "reference data is not withheld");
    assert_eq!(snapshot["suppression"]["k"], 10);

    let submissions = get(&app, "/api/v1/submissions").await;
    let text = String::from_utf8_lossy(&submissions.body).to_string();
    assert!(!text.contains("2024-01.csv"), "no file names: {text}");
    let json = submissions.json();
    let a01 = &json["data"][0];
    assert_eq!(a01["agency_id"], "A01");
    assert_eq!(
        (a01["files"].clone(), a01["files_loaded"].clone(), a01["files_superseded"].clone()),
        (2.into(), 1.into(), 1.into())
    );
    // 12 rows read are published; 2 rejects (and so the accepted count and the reasons) are below k = 10 (issue 27,
    // item 11: reject counts of 1–9 were published).
    assert_eq!(a01["rows_read"], 12);
    assert!(a01["rows_rejected"].is_null() && a01["rows_accepted"].is_null(), "{a01}");
    assert!(a01["rejected_by_reason"].is_null(), "{a01}");
    assert_eq!(a01["suppressed"], true);
    assert_eq!(json["data"][1]["files_unreadable"], 1);
    assert_eq!(json["data"][1]["rows_read"], 0, "no file loaded: its zero is no secret");
    let csv = get(&app, "/api/v1/submissions?format=csv").await;
    let csv = String::from_utf8_lossy(&csv.body).to_string();
    assert!(csv.contains("A01,2,1,1,0,12,,,,true"), "{csv}");
}

#[tokio::test]
async fn bearer_tokens_guard_the_data_but_not_the_probes() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |c| c.tokens = Tokens::from_list(["s3cret-token"])).await;
    let missing = get(&app, "/api/v1/indicators").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json()["error"], "unauthorized");
    assert_eq!(missing.header("www-authenticate"), "Bearer");
    let wrong = get_with(&app, "/api/v1/indicators", &[("authorization", "Bearer s3cret-tokeN")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = get_with(&app, "/api/v1/indicators", &[("authorization", "Bearer s3cret-token")]).await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(get(&app, "/metrics").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, "/healthz").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/readyz").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/api/v1/openapi.json").await.status, StatusCode::OK);
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_configured() {
    let dir = warehouse();
    let origin = [("origin", "https://dashboard.example")];
    let (_, closed) = app_with(dir.path(), |_| {}).await;
    let answer = get_with(&closed, "/api/v1/indicators", &origin).await;
    assert!(answer.headers.get("access-control-allow-origin").is_none());
    let (_, open) = app_with(dir.path(), |c| c.cors_origins = vec!["https://dashboard.example".into()]).await;
    let answer = get_with(&open, "/api/v1/indicators", &origin).await;
    assert_eq!(answer.header("access-control-allow-origin"), "https://dashboard.example");
}

#[tokio::test]
async fn probes_metrics_and_openapi() {
    let empty = tempfile::tempdir().expect("tempdir");
    let (_, app) = app_with(empty.path(), |_| {}).await;
    assert_eq!(get(&app, "/healthz").await.status, StatusCode::OK);
    let not_ready = get(&app, "/readyz").await;
    assert_eq!(not_ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(not_ready.json()["error"], "not_ready");
    assert_eq!(get(&app, "/api/v1/indicators").await.status, StatusCode::SERVICE_UNAVAILABLE);

    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    assert_eq!(get(&app, "/readyz").await.json()["snapshot_id"], "S1");
    get(&app, "/api/v1/indicators/new_skilled").await;
    get(&app, "/api/v1/indicators/nonsense").await;
    let metrics = get(&app, "/metrics").await;
    assert!(metrics.header("content-type").starts_with("text/plain"));
    let text = String::from_utf8(metrics.body.to_vec()).expect("utf-8");
    for expected in [
        "skillhouse_http_requests_total{route=\"/api/v1/indicators/{indicator_id}\",status=\"200\"} 1",
        "skillhouse_http_requests_total{route=\"/api/v1/indicators/{indicator_id}\",status=\"404\"} 1",
        "skillhouse_http_request_duration_seconds_bucket{route=\"/api/v1/indicators/{indicator_id}\",le=\"+Inf\"} 2",
        "skillhouse_snapshot_info{snapshot_id=\"S1\",definition_version=\"2025.1\"} 1",
        "skillhouse_snapshot_age_seconds ",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    let openapi = get(&app, "/api/v1/openapi.json").await.json();
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/v1/indicators/{indicator_id}"]["get"]["responses"]["304"].is_object());
    let regions = &openapi["components"]["parameters"]["region"]["schema"]["enum"];
    assert_eq!(regions.as_array().map(Vec::len), Some(fixture::REGIONS.len()), "the snapshot's codes are enums");
    assert!(
        openapi["components"]["parameters"]["indicator_id"]["schema"]["enum"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|i| i == "new_skilled"))
    );
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let get_answer = get(&app, "/api/v1/regions").await;
    let request = axum::http::Request::head("/api/v1/regions").body(axum::body::Body::empty()).expect("request");
    let head = tower::ServiceExt::oneshot(app.clone(), request).await.expect("response");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers().get("etag"), get_answer.headers.get("etag"));
    let body = axum::body::to_bytes(head.into_body(), 1 << 20).await.expect("body");
    assert!(body.is_empty());
}

#[tokio::test]
async fn monthly_cumulative_flows_are_served_with_small_series_withheld_whole() {
    let dir = warehouse();
    fixture::write_monthly(dir.path(), "S1");
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let province = get(&app, "/api/v1/monthly?indicator=new_skilled&region=410000&year=2024").await;
    assert_eq!(province.status, StatusCode::OK);
    let json = province.json();
    let data = json["data"].as_array().expect("data");
    let shown: Vec<(i64, f64, bool)> = data
        .iter()
        .map(|r| (r["month"].as_i64().unwrap_or(0), r["value"].as_f64().unwrap_or(-1.0), r["suppressed"] == true))
        .collect();
    assert_eq!(shown, [(1, 100.0, false), (2, 140.0, false), (3, 210.0, false)]);
    assert_eq!(data[1]["month_end"], "2024-02-29");
    assert_eq!(json["filters"]["indicator"], "new_skilled");
    // 410100's February step (3) is a small cell: the whole series is withheld, and 410300 (smallest step 13, below
    // 410200's 20) with it; 410200 stays.
    for (region, withheld) in [("410100", true), ("410200", false), ("410300", true)] {
        let json = get(&app, &format!("/api/v1/monthly?indicator=new_skilled&region={region}")).await.json();
        let data = json["data"].as_array().expect("data");
        assert_eq!(data.len(), 3, "{region}");
        assert!(
            data.iter().all(|r| r["suppressed"] == withheld && r["value"].is_null() == withheld),
            "{region}: {json}"
        );
    }
    let unknown = get(&app, "/api/v1/monthly?indicator=skilled_persons").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = get(&app, "/api/v1/monthly?agency_type=college").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let csv = get(&app, "/api/v1/monthly?format=csv&region=410200").await;
    let text = String::from_utf8(csv.body.to_vec()).expect("utf-8");
    assert_eq!(text.lines().next(), Some("indicator_id,region_code,year,month,month_end,programme,value,suppressed"));
    assert!(text.contains("new_skilled,410200,2024,2,2024-02-29,,60,false"), "{text}");
}
