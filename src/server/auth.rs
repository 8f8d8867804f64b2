//! Who is calling `/mcp`: the bearer token (read once by the edge) checked against `MCP_AUTH_TOKEN`
//! and, with `--oauth-issuer`, as an OAuth access token (`oauth.rs`), giving the request a
//! [`Principal`]. Refusals follow the MCP authorization spec: 401 with a `WWW-Authenticate`
//! challenge naming the resource metadata (and `invalid_token` when one was presented), 403
//! `insufficient_scope` naming the scopes needed. A failed check counts against the caller's address
//! in the rate limiter, so guessing tokens is throttled like any other traffic.

use super::AppState;
use super::edge::{Bearer, ClientAddr, RequestKey};
use super::oauth::{Access, OAuthCaller, Refused, fingerprint};
use super::refusal::{Refusal, code};
use crate::telemetry::metrics;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Who a request acts as, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No access token is configured: anyone who reaches the server.
    Anonymous,
    /// The n-th configured `MCP_AUTH_TOKEN` (its position, never its value); may write.
    StaticToken(usize),
    /// A verified OAuth access token's caller.
    OAuth(OAuthCaller),
}

impl Principal {
    /// What the principal may do.
    pub fn access(&self) -> Access {
        match self {
            Principal::OAuth(c) => c.access,
            _ => Access::Write,
        }
    }

    /// How logs and the audit log name the principal: never a token or a key. In public mode an
    /// anonymous caller is told apart by a fingerprint of its Clerk key.
    pub fn describe(&self, key: Option<&RequestKey>) -> Value {
        match self {
            Principal::OAuth(c) => json!({"kind": "oauth", "sub": c.sub, "client_id": c.client_id,
                "token_id": c.token_id, "org_id": c.org_id, "access": c.access.as_str()}),
            Principal::StaticToken(i) => json!({"kind": "static_token", "index": i}),
            Principal::Anonymous => match key {
                Some(RequestKey(Ok(k))) => {
                    json!({"kind": "public_key", "fingerprint": fingerprint(k.expose())})
                }
                _ => json!({"kind": "anonymous"}),
            },
        }
    }

    /// One word for the per-call log line.
    pub fn label(&self, key: Option<&RequestKey>) -> String {
        match self {
            Principal::OAuth(c) => {
                format!("oauth:{}/{}", c.sub, c.client_id.as_deref().unwrap_or("-"))
            }
            Principal::StaticToken(i) => format!("token:{i}"),
            Principal::Anonymous => match key {
                Some(RequestKey(Ok(k))) => format!("key:{}", fingerprint(k.expose())),
                _ => "anonymous".into(),
            },
        }
    }
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

/// A `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3), with the resource metadata (RFC 9728).
pub fn challenge(
    state: &AppState,
    error: Option<(&str, &str)>,
    scope: Option<&str>,
) -> HeaderValue {
    let mut parts = Vec::new();
    match &state.oauth {
        Some(rs) => parts.push(format!("resource_metadata=\"{}\"", rs.metadata_url())),
        None => parts.push("realm=\"clerk-mcp\"".into()),
    }
    if let Some(s) = scope {
        parts.push(format!("scope=\"{s}\""));
    }
    if let Some((e, description)) = error {
        parts.push(format!("error=\"{e}\""));
        let d: String = description
            .chars()
            .filter(|c| *c != '"' && *c != '\\')
            .collect();
        parts.push(format!("error_description=\"{d}\""));
    }
    HeaderValue::from_str(&format!("Bearer {}", parts.join(", ")))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// 403 `insufficient_scope`: the caller is known but may not do this; the scopes say what would do.
pub fn insufficient_scope(state: &AppState, message: &str, needed: Access) -> Response {
    let scope = state.oauth.as_ref().map(|rs| rs.scopes_for(needed));
    Refusal::new(StatusCode::FORBIDDEN, code::UNAUTHORIZED, message)
        .header(
            header::WWW_AUTHENTICATE,
            challenge(
                state,
                Some(("insufficient_scope", message)),
                scope.as_deref(),
            ),
        )
        .into_response()
}

/// The access check, in front of `/mcp`.
pub async fn guard(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let cfg = &state.config;
    if cfg.access_tokens.is_empty() && state.oauth.is_none() {
        req.extensions_mut().insert(Principal::Anonymous);
        return next.run(req).await;
    }
    let presented = req.extensions().get::<Bearer>().map(|b| b.0.clone());
    if let Some(i) = presented
        .as_deref()
        .and_then(|p| token_index(p, &cfg.access_tokens))
    {
        req.extensions_mut().insert(Principal::StaticToken(i));
        return next.run(req).await;
    }
    let addr = req.extensions().get::<ClientAddr>().map(|a| a.0);
    let charge = async |state: &AppState| -> Option<Response> {
        match (&state.rate_limit, addr) {
            (Some(rl), Some(ip)) => rl
                .charge_failure(ip)
                .await
                .err()
                .map(IntoResponse::into_response),
            _ => None,
        }
    };
    // The first challenge names every scope, not the least: clients register with it, and an
    // authorization server may then allow the client nothing more, which would make a later step-up
    // to write impossible. The person still chooses at consent; a read-only grant gets a read-only
    // server.
    let scope = state.oauth.as_ref().map(|rs| rs.scopes_for(Access::Write));
    let Some(token) = presented else {
        metrics::auth_failure("missing");
        let msg = if state.oauth.is_some() {
            "Unauthorized: this server needs an OAuth access token (Authorization: Bearer …); its resource \
             metadata says where to get one"
        } else {
            "Unauthorized: this server requires `Authorization: Bearer <token>` (the token is the server's MCP_AUTH_TOKEN)"
        };
        return Refusal::new(StatusCode::UNAUTHORIZED, code::UNAUTHORIZED, msg)
            .header(
                header::WWW_AUTHENTICATE,
                challenge(&state, None, scope.as_deref()),
            )
            .into_response();
    };
    let verdict = match &state.oauth {
        Some(rs) => rs.verify(&token).await,
        None => Err(Refused::Invalid(
            "the access token is not valid for this server".into(),
        )),
    };
    match verdict {
        Ok(caller) => {
            req.extensions_mut().insert(Principal::OAuth(caller));
            next.run(req).await
        }
        Err(Refused::Invalid(why)) => {
            metrics::auth_failure("invalid_token");
            tracing::info!(reason = %why, "access token refused");
            if let Some(r) = charge(&state).await {
                return r;
            }
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                code::UNAUTHORIZED,
                format!("Unauthorized: {why}"),
            )
            .header(
                header::WWW_AUTHENTICATE,
                challenge(&state, Some(("invalid_token", &why)), scope.as_deref()),
            )
            .into_response()
        }
        Err(Refused::NoAccess(why)) => {
            metrics::auth_failure("no_access");
            tracing::info!(reason = %why, "access token grants no access");
            insufficient_scope(&state, &format!("Forbidden: {why}"), Access::Read)
        }
        Err(Refused::Unavailable(why)) => {
            metrics::auth_failure("unavailable");
            tracing::warn!(reason = %why, "cannot check access tokens now");
            Refusal::limited(
                StatusCode::SERVICE_UNAVAILABLE,
                5,
                "The authorization server cannot be reached to check the access token; retry shortly",
            )
            .into_response()
        }
    }
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: the RFC 9728 metadata.
pub async fn protected_resource(State(state): State<Arc<AppState>>) -> Response {
    match &state.oauth {
        Some(rs) => axum::Json(rs.metadata()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "this server does not use OAuth (no --oauth-issuer)"})),
        )
            .into_response(),
    }
}
