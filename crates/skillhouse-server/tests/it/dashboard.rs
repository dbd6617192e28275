//! The dashboard page and its embedded assets through the router: media types, ETags and 304s, caching, the
//! Content-Security-Policy, and access when bearer tokens guard the API.

use crate::{app_with, get, get_with, warehouse};
use axum::http::StatusCode;
use skillhouse_server::Tokens;
use skillhouse_server::{ASSETS, CONTENT_SECURITY_POLICY};

/// The `src`/`href` URLs of the page's own assets.
fn asset_urls(page: &str) -> Vec<String> {
    page.split(['"', '\'']).filter(|part| part.starts_with("/assets/")).map(str::to_string).collect()
}

#[tokio::test]
async fn the_page_is_served_at_the_root_with_a_strict_policy_and_revalidation() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-cache");
    assert_eq!(page.header("content-security-policy"), CONTENT_SECURITY_POLICY);
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    let policy = page.header("content-security-policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self';"), "{policy}");
    assert!(
        !policy.contains("http") && !policy.contains('*') && !policy.contains("unsafe"),
        "no external origin: {policy}"
    );
    let text = String::from_utf8(page.body.to_vec()).expect("utf-8");
    assert!(text.contains("<html lang=\"zh-CN\">"), "Chinese first");
    assert!(!text.contains("https://") && !text.contains("http://"), "nothing loaded from elsewhere");

    let etag = page.header("etag").to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "strong ETag: {etag}");
    let again = get_with(&app, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert_eq!(get(&app, "/index.html").await.body, page.body);
}

#[tokio::test]
async fn every_asset_the_page_names_is_served_with_its_type_and_cached_for_good() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |_| {}).await;
    let page = String::from_utf8(get(&app, "/").await.body.to_vec()).expect("utf-8");
    let urls = asset_urls(&page);
    assert_eq!(urls.len(), ASSETS.files().len(), "the page names every embedded asset once: {urls:?}");
    for url in urls {
        let answer = get(&app, &url).await;
        assert_eq!(answer.status, StatusCode::OK, "{url}");
        let name = url.trim_start_matches("/assets/").split('?').next().unwrap_or_default();
        let expected_type = match name.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            Some("json") => "application/json",
            other => panic!("unexpected asset type {other:?}"),
        };
        assert_eq!(answer.header("content-type"), expected_type, "{url}");
        assert_eq!(answer.header("cache-control"), "public, max-age=31536000, immutable", "{url}");
        assert_eq!(answer.header("content-security-policy"), CONTENT_SECURITY_POLICY, "{url}");
        let hash = url.split("?v=").nth(1).expect("a content hash in the URL");
        assert!(answer.header("etag").trim_matches('"').starts_with(hash), "{url}: ETag and URL hash agree");
        let again = get_with(&app, &url, &[("if-none-match", answer.header("etag"))]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{url}");
    }
    let echarts = get(&app, "/assets/vendor/echarts.min.js").await;
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/vendor/echarts.min.js")).expect("file");
    assert_eq!(echarts.body.to_vec(), committed, "the served library is the committed build");
}

#[tokio::test]
async fn unknown_assets_are_404_and_the_page_stays_public_when_tokens_guard_the_api() {
    let dir = warehouse();
    let (_, app) = app_with(dir.path(), |c| c.tokens = Tokens::from_list(["s3cret-token"])).await;
    let missing = get(&app, "/assets/../Cargo.toml").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "not_found");
    assert_eq!(get(&app, "/assets/nothing.js").await.status, StatusCode::NOT_FOUND);
    // The page and its assets hold no data; the API behind them still wants the token.
    assert_eq!(get(&app, "/").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/assets/dashboard.js").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/api/v1/snapshot").await.status, StatusCode::UNAUTHORIZED);
}
