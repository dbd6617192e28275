//! The JSON error shape for the answers hyper writes by itself.
//!
//! A request hyper cannot parse — a malformed request line or header (400), a URI longer than 64 KiB (414), a head
//! over its buffer or header-count limit (431) — never reaches the router: hyper answers it on its own with a status
//! line and an empty body, and closes the connection (`proto/h1/role.rs`, `Server::on_error`). hyper has no hook to
//! shape that answer, so the listener wraps every connection's IO in [`JsonProtocolErrors`], which recognises that
//! exact automatic head (one of those three statuses, `content-length: 0`, written as the connection's answer before
//! any request was served on it) and writes it out with the same `{"error", "message"}` body as every other error,
//! built from [`ApiError`]. Every other byte passes through untouched.

use crate::error::ApiError;
use axum::http::StatusCode;
use axum::serve::Listener;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A listener whose connections answer hyper's automatic protocol errors in the API's JSON error shape.
pub(crate) struct JsonErrorListener<L>(pub(crate) L);

impl<L: Listener> Listener for JsonErrorListener<L> {
    type Io = JsonProtocolErrors<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.0.accept().await;
        (JsonProtocolErrors::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection's IO that rewrites hyper's automatic error answers (see the module documentation).
pub(crate) struct JsonProtocolErrors<S> {
    inner: S,
    /// A rewritten answer not yet fully written to `inner`, and how much of it has been.
    pending: Vec<u8>,
    written: usize,
}

impl<S> JsonProtocolErrors<S> {
    fn new(inner: S) -> Self {
        Self { inner, pending: Vec::new(), written: 0 }
    }
}

/// The error an automatic answer with `status` stands for, if it is one hyper writes on a parse error.
fn automatic_error(status: u16) -> Option<ApiError> {
    match status {
        400 => Some(ApiError::MalformedRequest),
        414 => Some(ApiError::UriTooLong),
        431 => Some(ApiError::HeadersTooLarge),
        _ => None,
    }
}

/// `head` rewritten with a JSON body, when it is exactly one of hyper's automatic error heads: an HTTP/1.x status
/// line with one of the automatic statuses, a `content-length: 0` header, and nothing after the blank line. The
/// API's own 400s always carry a JSON body, so they never match.
fn rewrite_automatic_head(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let (head_text, rest) = text.split_once("\r\n\r\n")?;
    if !rest.is_empty() {
        return None;
    }
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()?;
    let error = automatic_error(status)?;
    let headers: Vec<&str> = lines.collect();
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("content-length: 0")) {
        return None;
    }
    debug_assert_eq!(error.status_and_code().0, StatusCode::from_u16(status).ok()?);
    let body = error.body().to_string();
    let mut out = String::with_capacity(head.len() + body.len() + 128);
    out.push_str(status_line);
    out.push_str("\r\n");
    for header in headers.iter().filter(|h| {
        let name = h.split(':').next().unwrap_or_default();
        !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("connection")
    }) {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str("content-type: application/json\r\ncache-control: no-store\r\nconnection: close\r\n");
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    out.push_str(&body);
    Some(out.into_bytes())
}

impl<S: AsyncWrite + Unpin> JsonProtocolErrors<S> {
    /// Writes what is left of a rewritten answer; ready once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonProtocolErrors<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonProtocolErrors<S> {
    // Not vectored (the trait's default): hyper then flattens a response head into one buffer, so an automatic
    // error head arrives whole in one `poll_write`.
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if buf.starts_with(b"HTTP/1.")
            && let Some(rewritten) = rewrite_automatic_head(buf)
        {
            this.pending = rewritten;
            this.written = 0;
            // The caller's bytes are taken; the rewritten answer is written here or by the next flush.
            if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
                return Poll::Ready(Err(error));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_automatic_head_gets_the_json_error_body() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 04:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite_automatic_head(head).expect("rewritten")).expect("utf-8");
        let (head, body) = out.split_once("\r\n\r\n").expect("a head and a body");
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert!(head.contains("date: Mon"), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["error"], "headers_too_large");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    #[test]
    fn answers_with_a_body_or_other_statuses_pass_through() {
        assert!(rewrite_automatic_head(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 41\r\n\r\n").is_none());
        assert!(rewrite_automatic_head(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}").is_none());
        assert!(rewrite_automatic_head(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite_automatic_head(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        let rewritten = rewrite_automatic_head(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        assert!(rewritten.is_some_and(|r| r.ends_with(b"}")));
    }
}
