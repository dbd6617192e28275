//! The dashboard page (DESIGN §10): a static page at `/` and its assets under `/assets/`, embedded in the binary
//! at compile time so the page works with no internet access and no files beside the binary.
//!
//! The page holds no numbers: its script reads everything from `/api/v1/...` and polls `/api/v1/snapshot` with
//! `If-None-Match`. The charting library (Apache ECharts) is built from the npm registry by
//! `scripts/build-dashboard-assets`, pinned by `web/package-lock.json`, and committed under `assets/vendor/`.
//!
//! *Headers.* Every asset has a strong ETag (a SHA-256 prefix of its bytes) and answers `If-None-Match` with 304.
//! The page itself is `no-cache` (revalidated on each load); it names the other assets with a content hash
//! (`/assets/dashboard.js?v=…`), so those are `immutable` for a year. A Content-Security-Policy allows scripts,
//! styles, images and connections from this origin only — no external origin, no inline script or style.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The Content-Security-Policy of the page and its assets: this origin only, nothing inline, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The dashboard's routes (not part of the API or its OpenAPI document); public even when bearer tokens are
/// configured, since they hold no data.
pub const ROUTES: [&str; 3] = ["/", "/index.html", "/assets/{*path}"];

/// `Cache-Control` of the page: revalidate on every load (a 304 when unchanged).
const PAGE_CACHE_CONTROL: &str = "no-cache";
/// `Cache-Control` of the content-addressed assets.
const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The assets under `/assets/`: path, media type, bytes.
const FILES: [(&str, &str, &[u8]); 12] = [
    ("dashboard.css", "text/css; charset=utf-8", include_bytes!("../assets/dashboard.css")),
    ("print.css", "text/css; charset=utf-8", include_bytes!("../assets/print.css")),
    ("targets.css", "text/css; charset=utf-8", include_bytes!("../assets/targets.css")),
    ("targets.js", "text/javascript; charset=utf-8", include_bytes!("../assets/targets.js")),
    ("dashboard.js", "text/javascript; charset=utf-8", include_bytes!("../assets/dashboard.js")),
    ("training.js", "text/javascript; charset=utf-8", include_bytes!("../assets/training.js")),
    ("map.js", "text/javascript; charset=utf-8", include_bytes!("../assets/map.js")),
    ("pace.js", "text/javascript; charset=utf-8", include_bytes!("../assets/pace.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_bytes!("../assets/i18n.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../assets/favicon.svg")),
    ("vendor/echarts.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/vendor/echarts.min.js")),
    // The boundaries of Henan's cities (issue 29), fetched by map.js: see web/README.md.
    ("vendor/henan.json", "application/json", include_bytes!("../assets/vendor/henan.json")),
];

/// The page, with `{{asset:NAME}}` placeholders for the assets' hashed URLs.
const INDEX_TEMPLATE: &str = include_str!("../assets/index.html");

/// One embedded file, ready to serve.
#[derive(Debug)]
pub struct Asset {
    /// Its path under `/assets/` (or `index.html` for the page).
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: axum::body::Bytes,
    /// Its strong ETag (quoted).
    pub etag: String,
    /// Its URL as the page names it (`/assets/NAME?v=HASH`; `/` for the page).
    pub url: String,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, bytes: Vec<u8>) -> Self {
        let hash = hex::encode(&Sha256::digest(&bytes)[..16]);
        let url = format!("/assets/{name}?v={}", &hash[..12]);
        Self { name, content_type, body: bytes.into(), etag: format!("\"{hash}\""), url }
    }
}

/// Every embedded file: the assets, then the page with their URLs filled in.
pub struct Assets {
    files: Vec<Asset>,
    index: Asset,
}

impl Assets {
    fn build() -> Self {
        let files: Vec<Asset> =
            FILES.iter().map(|(name, content_type, bytes)| Asset::new(name, content_type, bytes.to_vec())).collect();
        let mut page = INDEX_TEMPLATE.to_string();
        for file in &files {
            page = page.replace(&format!("{{{{asset:{}}}}}", file.name), &file.url);
        }
        let mut index = Asset::new("index.html", "text/html; charset=utf-8", page.into_bytes());
        index.url = "/".into();
        Self { files, index }
    }

    /// The page.
    pub fn index(&self) -> &Asset {
        &self.index
    }

    /// An asset by its path under `/assets/`.
    pub fn get(&self, name: &str) -> Option<&Asset> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Every asset under `/assets/`.
    pub fn files(&self) -> &[Asset] {
        &self.files
    }
}

/// The embedded files, hashed once.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::build);

/// `GET /` and `/index.html`.
pub(crate) async fn index(headers: HeaderMap) -> Response {
    serve(&headers, ASSETS.index(), PAGE_CACHE_CONTROL)
}

/// `GET /assets/{*path}`.
pub(crate) async fn asset(headers: HeaderMap, Path(path): Path<String>) -> Response {
    match ASSETS.get(&path) {
        Some(asset) => serve(&headers, asset, ASSET_CACHE_CONTROL),
        None => crate::error::ApiError::NotFound { path: format!("/assets/{path}") }.into_response(),
    }
}

fn serve(headers: &HeaderMap, asset: &Asset, cache_control: &'static str) -> Response {
    let fresh = headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == asset.etag)
    });
    let mut response =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.body.clone().into_response() };
    let out = response.headers_mut();
    if !fresh {
        out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    }
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        out.insert(header::ETAG, etag);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_asset_by_its_hashed_url_and_nothing_external() {
        let page = std::str::from_utf8(&ASSETS.index().body).expect("utf-8");
        assert!(!page.contains("{{asset:"), "an unfilled placeholder: {page}");
        for file in ASSETS.files() {
            assert!(page.contains(&file.url), "the page does not name {}", file.url);
        }
        for external in ["http://", "https://", "//cdn", "<script>", " style=\""] {
            assert!(!page.contains(external), "the page holds `{external}`");
        }
    }

    #[test]
    fn the_bundled_vendor_files_are_the_ones_recorded_in_sha256sums() {
        let sums = include_str!("../assets/vendor/SHA256SUMS");
        for name in ["echarts.min.js", "henan.json"] {
            let recorded = sums
                .lines()
                .find_map(|l| l.strip_suffix(&format!("  {name}")))
                .unwrap_or_else(|| panic!("{name} in SHA256SUMS"));
            let bundled = ASSETS.get(&format!("vendor/{name}")).expect("embedded");
            assert_eq!(hex::encode(Sha256::digest(&bundled.body)), recorded, "{name}");
        }
    }

    /// `(region_code, name_zh, kind)` of every row of the reference regions table.
    fn reference_regions() -> Vec<(String, String, String)> {
        let csv = include_str!("../../../datasets/reference/regions.csv");
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).expect("column");
        let (code, name, kind) = (column("region_code"), column("name_zh"), column("kind"));
        lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let fields: Vec<&str> = l.split(',').collect();
                (fields[code].to_string(), fields[name].to_string(), fields[kind].to_string())
            })
            .collect()
    }

    /// The map's boundaries (issue 29) name the cities of `datasets/reference/regions.csv`: each feature's `id`
    /// is a city's or 济源's region code (map.js finds values by it) and its name is that region's name — the
    /// same, or for 济源 the older 济源市 of the file for today's 济源示范区 — and every reporting unit has a
    /// boundary except 郑州航空港区, which lies inside 郑州 and is drawn as a point.
    #[test]
    fn the_map_features_are_the_reference_regions() {
        let geo: serde_json::Value = serde_json::from_slice(&ASSETS.get("vendor/henan.json").expect("embedded").body)
            .expect("henan.json is JSON");
        assert_eq!(geo["type"], "FeatureCollection");
        assert_eq!(geo["UTF8Encoding"], true, "ECharts' compressed GeoJSON, which registerMap decodes");
        let features = geo["features"].as_array().expect("features");
        assert_eq!(features.len(), 18, "17 cities and 济源");
        let regions = reference_regions();
        let mut matched = Vec::new();
        let mut older_names = Vec::new();
        for feature in features {
            let id = feature["id"].as_str().expect("a feature id");
            let name = feature["properties"]["name"].as_str().expect("a feature name");
            let (code, name_zh, kind) = regions
                .iter()
                .find(|(code, _, _)| code == id)
                .unwrap_or_else(|| panic!("feature {id} {name} is not in regions.csv"));
            assert!(kind == "city" || kind == "zone", "{code} {name_zh} is a {kind}");
            if name != name_zh {
                let stem = name.strip_suffix('市').unwrap_or(name);
                assert!(name_zh.starts_with(stem), "feature {id} is {name}, regions.csv names {code} {name_zh}");
                older_names.push(format!("{name}→{name_zh}"));
            }
            assert!(!matched.contains(&id), "feature {id} twice");
            matched.push(id);
        }
        assert_eq!(older_names, ["济源市→济源示范区"]);
        let without: Vec<String> = regions
            .iter()
            .filter(|(code, _, kind)| kind != "province" && !matched.contains(&code.as_str()))
            .map(|(code, name, _)| format!("{code} {name}"))
            .collect();
        assert_eq!(without, ["410173 郑州航空港区"], "reporting units without a boundary");
    }
}
