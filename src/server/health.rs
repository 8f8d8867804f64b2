//! `GET /api/health`: mode, version and whether Clerk accepts the key.
//!
//! Clerk is probed through the cheapest authenticated read (`GetJWKS`), and every probe result is
//! cached for [`PROBE_TTL`], per key: the server's key in hosted mode, and in public mode the key a
//! probe brings in `X-Clerk-Secret-Key` (by digest; without a key the answer is `null`). Frequent
//! probes therefore never turn into a stream of Clerk calls. The route sits behind the same Host
//! check and rate limit as `/mcp`.

use super::AppState;
use super::edge::RequestKey;
use crate::clerk::{ApiError, SecretKey};
use crate::config::Mode;
use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// How long a probe result is reused.
pub const PROBE_TTL: Duration = Duration::from_secs(15);

/// Probe results by key digest.
pub struct HealthCache(moka::future::Cache<[u8; 32], Probe>);

impl Default for HealthCache {
    fn default() -> Self {
        HealthCache(
            moka::future::Cache::builder()
                .time_to_live(PROBE_TTL)
                .max_capacity(10_000)
                .build(),
        )
    }
}

impl std::fmt::Debug for HealthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HealthCache")
    }
}

/// One probe's result.
#[derive(Debug, Clone)]
pub struct Probe {
    connected: bool,
    detail: Option<String>,
}

/// The cached probe of `key`; one Clerk call per key and TTL, however many probes arrive at once.
async fn cached_probe(state: &AppState, key: &SecretKey) -> Probe {
    let digest: [u8; 32] = Sha256::digest(key.expose().as_bytes()).into();
    state.health.0.get_with(digest, probe(state, key)).await
}

async fn probe(state: &AppState, key: &SecretKey) -> Probe {
    match state
        .api
        .call(
            key,
            crate::clerk::catalog::ops::GetJWKS,
            json!({}),
            tokio::time::Instant::now() + state.config.call_deadline,
        )
        .await
        .result
    {
        Ok(_) => Probe {
            connected: true,
            detail: None,
        },
        Err(
            e @ ApiError::Clerk {
                status: 401 | 403, ..
            },
        ) => {
            let code = match &e {
                ApiError::Clerk { errors, .. } => {
                    errors.first().map(|x| x.code.clone()).unwrap_or_default()
                }
                _ => String::new(),
            };
            Probe {
                connected: false,
                detail: Some(format!(
                    "Clerk refused the key (HTTP {}{})",
                    e.status().unwrap_or(0),
                    if code.is_empty() {
                        String::new()
                    } else {
                        format!(", {code}")
                    }
                )),
            }
        }
        Err(e) => Probe {
            connected: false,
            detail: Some(e.to_string()),
        },
    }
}

/// The handler.
pub async fn health(State(state): State<Arc<AppState>>, parts: Parts) -> Json<Value> {
    let result = match state.config.mode {
        Mode::Hosted => match &state.config.server_key {
            Some(key) => Some(cached_probe(&state, key).await),
            None => None,
        },
        Mode::Public => match parts.extensions.get::<RequestKey>() {
            Some(RequestKey(Ok(key))) => Some(cached_probe(&state, key).await),
            Some(RequestKey(Err(e))) => Some(Probe {
                connected: false,
                detail: Some(format!("X-Clerk-Secret-Key: {e}")),
            }),
            None => None,
        },
    };
    let audit_broken = state.audit.as_ref().is_some_and(|a| !a.healthy());
    let redis_down = state.shared_limits.as_ref().is_some_and(|s| !s.healthy());
    let degraded = audit_broken || redis_down || result.as_ref().is_some_and(|p| !p.connected);
    let mut body = json!({
        "status": if degraded { "degraded" } else { "ok" },
        "mode": state.config.mode.as_str(),
        "clerkConnected": result.as_ref().map(|p| p.connected),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let mut details: Vec<String> = result.and_then(|p| p.detail).into_iter().collect();
    if audit_broken {
        details.push("the audit log cannot be written: writes are refused".into());
    }
    if redis_down {
        details.push(
            "Redis does not answer: each replica applies the rate limits alone until it does"
                .into(),
        );
    }
    if state.shared_limits.is_some() {
        body["sharedLimits"] = json!(if redis_down { "local" } else { "redis" });
    }
    if !details.is_empty() {
        body["detail"] = json!(details.join("; "));
    }
    Json(body)
}
