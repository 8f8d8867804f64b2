//! rmcp's own HTTP-level refusals as JSON-RPC error bodies.
//!
//! rmcp answers some refusals (wrong media type, unknown session, body errors) with a plain-text body.
//! Clients expect JSON-RPC, so this layer turns any non-JSON error response into a [`Refusal`] that
//! keeps the status and message; a body rmcp could not parse becomes 400 / -32700 (rmcp says 415).

use super::refusal::{Refusal, code};
use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
    let (parts, body) = resp.into_parts();
    let text = match to_bytes(body, MAX_TEXT).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let unparseable = text.contains("deserialize") || text.contains("parse");
    let (status, code) = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST if unparseable => {
            (StatusCode::BAD_REQUEST, code::PARSE_ERROR)
        }
        s if s.is_server_error() => (s, code::INTERNAL_ERROR),
        s => (s, code::INVALID_REQUEST),
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut refusal = Refusal::new(status, code, message);
    for (k, v) in parts.headers.iter() {
        if *k != header::CONTENT_TYPE && *k != header::CONTENT_LENGTH {
            refusal = refusal.header(k.clone(), v.clone());
        }
    }
    refusal.into_response()
}
