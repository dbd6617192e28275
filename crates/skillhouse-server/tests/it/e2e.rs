//! One end-to-end test over a real socket on 127.0.0.1:0: plain HTTP/1.1 from a TCP stream, no client library.

use crate::warehouse;
use skillhouse_server::{AppState, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn http_get(addr: std::net::SocketAddr, path: &str, extra: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    (head.to_string(), body.to_string())
}

type Serving = tokio::task::JoinHandle<skillhouse_server::Result<()>>;

/// Serves the fixture warehouse on 127.0.0.1:0: its folder, address, stop signal and task.
async fn start() -> (tempfile::TempDir, std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, Serving) {
    let dir = warehouse();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::new(ServerConfig::new(dir.path())).expect("state");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(skillhouse_server::serve_on(listener, state, async move {
        let _ = stopped.await;
    }));
    (dir, addr, stop, server)
}

#[tokio::test]
async fn serves_over_a_real_socket_and_shuts_down_cleanly() {
    let (_dir, addr, stop, server) = start().await;

    let (head, body) = http_get(addr, "/api/v1/indicators/new_skilled?region=410100&year=2024", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("x-skillhouse-snapshot: s1"), "{head}");
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: ").or_else(|| l.strip_prefix("ETag: ")))
        .expect("an ETag")
        .to_string();
    let json: serde_json::Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(json["data"][0]["value"], 600.0);

    let (head, body) =
        http_get(addr, "/api/v1/indicators/new_skilled?region=410100&year=2024", &format!("If-None-Match: {etag}\r\n"))
            .await;
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");
    assert!(body.is_empty());

    let (head, _) = http_get(addr, "/readyz", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    stop.send(()).expect("stop");
    server.await.expect("join").expect("clean shutdown");
}

/// Sends raw bytes and reads the whole answer (the server closes the connection after a protocol error).
async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    (head.to_string(), body.to_string())
}

/// Issue 27, item 12: the answers hyper writes by itself (a malformed request, a URI over 64 KiB, too many headers)
/// had an empty body; they carry the same JSON error shape as every other error.
#[tokio::test]
async fn protocol_errors_answer_with_the_json_error_shape() {
    let (_dir, addr, stop, server) = start().await;

    let long_uri = format!("GET /api/v1/regions?x={} HTTP/1.1\r\nHost: localhost\r\n\r\n", "a".repeat(70_000));
    let many_headers = format!(
        "GET /api/v1/regions HTTP/1.1\r\nHost: localhost\r\n{}\r\n",
        (0..150).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect::<String>()
    );
    let cases: [(&[u8], &str, &str); 4] = [
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nno colon in this header\r\n\r\n", "400", "malformed_request"),
        (b"\x01\x02\x03 nonsense\r\n\r\n", "400", "malformed_request"),
        (long_uri.as_bytes(), "414", "uri_too_long"),
        (many_headers.as_bytes(), "431", "headers_too_large"),
    ];
    for (request, status, code) in cases {
        let (head, body) = raw_exchange(addr, request).await;
        assert!(head.starts_with(&format!("HTTP/1.1 {status}")), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
        assert_eq!(json["error"], code, "{body}");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }

    // A well-formed request on a fresh connection is unaffected.
    let (head, _) = http_get(addr, "/readyz", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    stop.send(()).expect("stop");
    server.await.expect("join").expect("clean shutdown");
}
