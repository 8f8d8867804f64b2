//! Connections: the accept loop, with what `axum::serve` cannot do.
//!
//! - A cap on open connections (`--max-connections`): past it the loop stops accepting until one
//!   closes, so the process never runs out of file descriptors (measured before: 300 half-sent
//!   requests held forever, then "Too many open files" for everyone).
//! - A header-read timeout (`--header-timeout`): hyper arms it whenever it waits for a request head,
//!   on a new connection and between keep-alive requests alike, so it is also the idle keep-alive
//!   timeout. `axum::serve` runs hyper without a timer, which silently disables it.
//! - Malformed request heads (a NUL byte, a folded header, a header section beyond hyper's buffer)
//!   are answered by hyper itself with an empty 400/431 and no hook to change it; [`Rewrite`]
//!   recognises exactly that response on the wire and sends a JSON-RPC error body instead, then
//!   drains what the client is still sending so the answer is not lost to a TCP reset.
//!
//! The body-read deadline lives with the body checks (`body.rs`).

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time to receive a request head (and the longest idle keep-alive wait).
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// The default connection cap: at most 1024, and always 64 descriptors short of the process's
/// open-file limit (Clerk connections, the listener and logs need some too).
pub fn default_max_connections() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur as usize
    } else {
        1024
    };
    soft.saturating_sub(64).clamp(16, 1024)
}

/// Accepts connections until `stop` fires, serving each with `app`; returns once no more are
/// accepted. Connections are watched by `graceful`, which the caller drains.
pub async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    graceful: &GracefulShutdown,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut make: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        app.into_make_service_with_connect_info::<SocketAddr>();
    let mut h1 = http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = stop.cancelled() => return,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: wait a little rather
                    // than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => return,
        };
        // Small JSON-RPC answers must not wait for Nagle's algorithm (40 ms stalls on streamed replies).
        let _ = tcp.set_nodelay(true);
        let svc = match make.call(peer).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        let conn = graceful.watch(h1.serve_connection(
            TokioIo::new(Rewrite::new(tcp)),
            TowerToHyperService::new(svc),
        ));
        tokio::spawn(async move {
            // Timeouts and resets end connections all the time; nothing to report.
            let _ = conn.await;
            drop(permit);
        });
    }
}

/// What the client may still send after a rewritten error before the connection is closed.
const DRAIN_BYTES: usize = 4 * 1024 * 1024;
/// How long it may take to send it.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// The TCP stream, with hyper's bare error responses replaced by JSON-RPC ones.
pub struct Rewrite {
    inner: TcpStream,
    /// A replacement being written: the bytes, how far, and how long hyper's own response was.
    pending: Option<(Vec<u8>, usize, usize)>,
    /// Set once an error was rewritten: the connection then closes after draining.
    drain: Option<(Pin<Box<tokio::time::Sleep>>, usize)>,
    rewrote: bool,
}

impl Rewrite {
    fn new(inner: TcpStream) -> Rewrite {
        Rewrite {
            inner,
            pending: None,
            drain: None,
            rewrote: false,
        }
    }
}

/// If `buf` is exactly hyper's own error response (a 4xx status line, `connection: close`,
/// `content-length: 0`, `date`, and nothing else), the status and reason.
pub fn bare_error(buf: &[u8]) -> Option<(u16, &str)> {
    let text = std::str::from_utf8(buf).ok()?;
    let head = text.strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let rest = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?;
    let (code, reason) = rest.split_once(' ')?;
    let code: u16 = code.parse().ok()?;
    let mut names: Vec<String> = Vec::new();
    for l in lines {
        let (name, value) = l.split_once(": ")?;
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "connection" if value.eq_ignore_ascii_case("close") => {}
            "content-length" if value == "0" => {}
            "date" => {}
            _ => return None,
        }
        names.push(name);
    }
    names.sort();
    ((400..500).contains(&code) && names == ["connection", "content-length", "date"])
        .then_some((code, reason))
}

/// The JSON-RPC response sent instead of hyper's bare `code`.
pub fn replacement(code: u16, reason: &str) -> Vec<u8> {
    let message = match code {
        431 => "The request's headers are too large; nothing was processed. Send smaller headers.",
        414 => {
            "The request URI is too long; nothing was processed. MCP requests go to /mcp with a JSON body."
        }
        400 => {
            "The HTTP request is malformed (an invalid header line, e.g. a control character such as NUL or an \
             obsolete folded header); nothing was processed. Send each header on one line with visible characters."
        }
        _ => "The HTTP request could not be read; nothing was processed.",
    };
    let body = super::refusal::Refusal::new(
        axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::BAD_REQUEST),
        super::refusal::code::INVALID_REQUEST,
        message,
    )
    .body();
    format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl AsyncRead for Rewrite {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewrite {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none()
            && !this.rewrote
            && let Some((code, reason)) = bare_error(buf)
        {
            this.pending = Some((replacement(code, reason), 0, buf.len()));
            this.rewrote = true;
        }
        if let Some((bytes, pos, claimed)) = &mut this.pending {
            while *pos < bytes.len() {
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*pos..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *pos += n;
            }
            let claimed = *claimed;
            this.pending = None;
            return Poll::Ready(Ok(claimed));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.rewrote {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        // Closing with unread request bytes makes the kernel reset the connection, and a reset can
        // destroy the answer before the client reads it: say we are done writing, then read and
        // discard what the client still sends, for a bounded time and amount.
        if this.drain.is_none() {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.drain = Some((Box::pin(tokio::time::sleep(DRAIN_TIME)), 0));
        }
        let (timer, drained) = this.drain.as_mut().expect("set above");
        let mut scratch = [0u8; 8192];
        loop {
            if timer.as_mut().poll(cx).is_ready() || *drained >= DRAIN_BYTES {
                return Poll::Ready(Ok(()));
            }
            let mut rb = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => *drained += rb.filled().len(),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        // One flat write per response, so hyper's error response is seen whole.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_hypers_bare_error_response() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n";
        assert_eq!(bare_error(hyper_400), Some((400, "Bad Request")));
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n";
        assert_eq!(bare_error(hyper_431).map(|x| x.0), Some(431));
        // Our own answers carry a body, a content type, or are not errors.
        for other in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: x\r\n\r\n{}"[..],
            b"HTTP/1.1 202 Accepted\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
        ] {
            assert_eq!(bare_error(other), None, "{}", String::from_utf8_lossy(other));
        }
        let r = String::from_utf8(replacement(431, "Request Header Fields Too Large")).unwrap();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], -32600);
    }
}
