//! `GET /api/health`: mode, version and whether Clerk accepts the key.
//!
//! Hosted mode probes Clerk with the server's key through the cheapest authenticated read (`GetJWKS`),
//! cached for [`PROBE_TTL`] so frequent probes do not hammer Clerk. Public mode reports `null` unless
//! the probe itself carries `X-Clerk-Secret-Key`, which is then checked (and not cached).

use super::AppState;
use super::auth::KEY_HEADER;
use crate::clerk::{ApiError, SecretKey};
use crate::config::Mode;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long a hosted-mode probe result is reused.
pub const PROBE_TTL: Duration = Duration::from_secs(15);

/// The cached hosted-mode probe.
#[derive(Debug, Default)]
pub struct HealthCache(Mutex<Option<(Instant, Probe)>>);

/// One probe's result.
#[derive(Debug, Clone)]
pub struct Probe {
    connected: bool,
    detail: Option<String>,
}

async fn probe(state: &AppState, key: &SecretKey) -> Probe {
    match state
        .api
        .call(key, crate::clerk::catalog::ops::GetJWKS, json!({}))
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
pub async fn health(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Json<Value> {
    let result = match state.config.mode {
        Mode::Hosted => match &state.config.server_key {
            Some(key) => {
                let mut cache = state.health.0.lock().await;
                match cache.as_ref() {
                    Some((at, p)) if at.elapsed() < PROBE_TTL => Some(p.clone()),
                    _ => {
                        let p = probe(&state, key).await;
                        *cache = Some((Instant::now(), p.clone()));
                        Some(p)
                    }
                }
            }
            None => None,
        },
        Mode::Public => match headers
            .get(KEY_HEADER)
            .map(|v| v.to_str().map(|s| SecretKey::parse(s.trim())))
        {
            Some(Ok(Ok(key))) => Some(probe(&state, &key).await),
            Some(Ok(Err(e))) => Some(Probe {
                connected: false,
                detail: Some(format!("X-Clerk-Secret-Key: {e}")),
            }),
            Some(Err(_)) => Some(Probe {
                connected: false,
                detail: Some("X-Clerk-Secret-Key is not valid text".into()),
            }),
            None => None,
        },
    };
    let mut body = json!({
        "status": if result.as_ref().is_some_and(|p| !p.connected) { "degraded" } else { "ok" },
        "mode": state.config.mode.as_str(),
        "clerkConnected": result.as_ref().map(|p| p.connected),
        "version": env!("CARGO_PKG_VERSION"),
    });
    if let Some(d) = result.and_then(|p| p.detail) {
        body["detail"] = json!(d);
    }
    Json(body)
}
