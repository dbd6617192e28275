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

#[tokio::test]
async fn serves_over_a_real_socket_and_shuts_down_cleanly() {
    let dir = warehouse();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::new(ServerConfig::new(dir.path())).expect("state");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(skillhouse_server::serve_on(listener, state, async move {
        let _ = stopped.await;
    }));

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
