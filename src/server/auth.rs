//! Request authentication on `/mcp`: the access token (`MCP_AUTH_TOKEN`), and the per-request Clerk key.
//!
//! The key leaves the header map here and travels on as a typed [`RequestKey`] whose `Debug` is
//! redacted, so nothing downstream that logs headers can see it. The `Authorization` header is removed
//! after it has been checked for the same reason.

use super::AppState;
use crate::clerk::{KeyError, SecretKey};
use crate::config::Mode;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The header public-mode clients put their Clerk secret key in.
pub const KEY_HEADER: &str = "x-clerk-secret-key";

/// The Clerk key of the current request (public mode), or why its value is unusable.
#[derive(Clone, Debug)]
pub struct RequestKey(pub Result<SecretKey, KeyError>);

/// A JSON-RPC error response without an id, for refusals before the MCP layer.
pub fn jsonrpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// Compares a presented token with the configured ones in constant time (over fixed-size digests, so
/// neither the content nor the length of a configured token leaks through timing).
pub fn token_matches(presented: &str, accepted: &[crate::config::AccessToken]) -> bool {
    let p = Sha256::digest(presented.as_bytes());
    accepted.iter().fold(false, |found, t| {
        found | bool::from(Sha256::digest(t.0.as_bytes()).ct_eq(&p))
    })
}

/// The access-token check and key extraction, as one axum middleware in front of `/mcp`.
pub async fn guard(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let cfg = &state.config;
    if !cfg.access_tokens.is_empty() {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let ok = presented.is_some_and(|p| token_matches(p, &cfg.access_tokens));
        if !ok {
            let msg = if presented.is_some() {
                "Unauthorized: the access token is not valid for this server"
            } else {
                "Unauthorized: this server requires `Authorization: Bearer <token>` (the token is the server's MCP_AUTH_TOKEN)"
            };
            let mut r = jsonrpc_error(StatusCode::UNAUTHORIZED, -32001, msg);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"clerk-mcp\""),
            );
            return r;
        }
        req.headers_mut().remove(header::AUTHORIZATION);
    }
    let raw = req.headers_mut().remove(KEY_HEADER);
    match (cfg.mode, raw) {
        (Mode::Hosted, Some(_)) => {
            return jsonrpc_error(
                StatusCode::BAD_REQUEST,
                -32600,
                "This clerk-mcp server runs in hosted mode and uses its own Clerk key; it refuses requests that carry \
                 X-Clerk-Secret-Key so that a call meant for your instance never runs against the server owner's. \
                 Remove the header, or use a server started in public mode.",
            );
        }
        (Mode::Public, Some(v)) => {
            let parsed = match v.to_str() {
                Ok(s) => SecretKey::parse(s.trim()),
                Err(_) => Err(KeyError::BadCharacters),
            };
            req.extensions_mut().insert(RequestKey(parsed));
        }
        _ => {}
    }
    next.run(req).await
}
