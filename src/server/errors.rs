//! HTTP-level errors on `/mcp` as JSON-RPC error bodies.
//!
//! rmcp answers some refusals (unparseable body, wrong media type, body too large, bad Origin/Host,
//! unknown session) with a plain-text body. Clients expect JSON-RPC, so this layer rewraps any
//! non-JSON error response into `{"jsonrpc":"2.0","id":null,"error":{code,message}}`, keeping the
//! message; a body that could not be parsed as JSON becomes 400 / -32700 (rmcp says 415).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Longest rmcp error text kept.
const MAX_TEXT: usize = 4096;

/// The middleware.
pub async fn jsonrpc_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/json") || ct.starts_with("text/event-stream")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = match to_bytes(body, MAX_TEXT).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let unparseable = text.contains("deserialize") || text.contains("parse");
    let (status, code) = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST if unparseable => {
            (StatusCode::BAD_REQUEST, -32700)
        }
        s if s.is_server_error() => (s, -32603),
        s => (s, -32600),
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let body = serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}).to_string();
    parts.status = status;
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
