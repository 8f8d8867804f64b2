//! Who is calling `/mcp`: the bearer token (read once by the edge) checked against `MCP_AUTH_TOKEN`,
//! giving the request a [`Principal`]. A failed check counts against the caller's address in the
//! rate limiter, so guessing tokens is throttled like any other traffic.

use super::AppState;
use super::edge::{Bearer, ClientAddr};
use super::refusal::{Refusal, code};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Who a request acts as, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No access token is configured: anyone who reaches the server.
    Anonymous,
    /// The n-th configured `MCP_AUTH_TOKEN` (its position, never its value).
    StaticToken(usize),
}

/// The position of the configured token a presented one matches, compared in constant time over
/// fixed-size digests (neither the content nor the length of a configured token leaks by timing).
pub fn token_index(presented: &str, accepted: &[crate::config::AccessToken]) -> Option<usize> {
    let p = Sha256::digest(presented.as_bytes());
    accepted.iter().enumerate().fold(None, |found, (i, t)| {
        let hit = bool::from(Sha256::digest(t.0.as_bytes()).ct_eq(&p));
        if hit { Some(i) } else { found }
    })
}

/// The access-token check, in front of `/mcp`.
pub async fn guard(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let cfg = &state.config;
    if cfg.access_tokens.is_empty() {
        req.extensions_mut().insert(Principal::Anonymous);
        return next.run(req).await;
    }
    let presented = req.extensions().get::<Bearer>().map(|b| b.0.as_str());
    match presented.and_then(|p| token_index(p, &cfg.access_tokens)) {
        Some(i) => {
            req.extensions_mut().insert(Principal::StaticToken(i));
            next.run(req).await
        }
        None => {
            if let (Some(rl), Some(ClientAddr(ip))) =
                (&state.rate_limit, req.extensions().get::<ClientAddr>())
                && let Err(r) = rl.charge_failure(*ip)
            {
                return r.into_response();
            }
            let msg = if presented.is_some() {
                "Unauthorized: the access token is not valid for this server"
            } else {
                "Unauthorized: this server requires `Authorization: Bearer <token>` (the token is the server's MCP_AUTH_TOKEN)"
            };
            Refusal::new(StatusCode::UNAUTHORIZED, code::UNAUTHORIZED, msg)
                .header(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"clerk-mcp\""),
                )
                .into_response()
        }
    }
}
