//! Abuse limits on `/mcp` and `/api/health`: a per-client rate limit and the shape limits on tool
//! arguments. Body size and read time are limited in `body.rs`; connections in `conn.rs`.
//!
//! The rate limit is keyed by who is calling, as far as the server knows it, and never by a value
//! the caller can pick freely: a verified access token; in public mode, the Clerk key together with
//! the client address (two teams behind one proxy are limited separately, and a caller cannot leave
//! its address's budget by inventing keys, since the address stays in the key); otherwise the client
//! address. A failed authentication is charged to the address it came from.
//!
//! With Redis (`--redis-url`) the limit is counted there, so it holds across replicas; when Redis
//! does not answer, each replica counts alone (`crate::ratelimit`).

use super::AppState;
use super::auth::Principal;
use super::edge::{ClientAddr, RequestKey};
use super::refusal::Refusal;
use crate::ratelimit::{Limit, Rate, Shared, ceil_secs};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Who a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// The n-th configured access token, once verified.
    Token(usize),
    /// A digest of a verified OAuth caller (subject and client).
    Subject([u8; 32]),
    /// A digest of a public-mode Clerk key, with the address it came from.
    Key([u8; 32], IpAddr),
    /// The client address.
    Addr(IpAddr),
}

impl ClientKey {
    /// The key a request counts against (see the module docs).
    pub fn of(req: &Request) -> ClientKey {
        let ext = req.extensions();
        let addr = ext
            .get::<ClientAddr>()
            .map(|a| a.0)
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        match ext.get::<Principal>() {
            Some(Principal::StaticToken(i)) => return ClientKey::Token(*i),
            Some(Principal::OAuth(c)) => {
                let who = format!("{}\n{}", c.sub, c.client_id.as_deref().unwrap_or(""));
                return ClientKey::Subject(Sha256::digest(who.as_bytes()).into());
            }
            _ => {}
        }
        match ext.get::<RequestKey>() {
            Some(RequestKey(Ok(k))) => {
                ClientKey::Key(Sha256::digest(k.expose().as_bytes()).into(), addr)
            }
            _ => ClientKey::Addr(addr),
        }
    }

    /// The key's name in Redis: the same on every replica, and no secret in it.
    fn shared_name(&self) -> String {
        match self {
            ClientKey::Token(i) => format!("client:token:{i}"),
            ClientKey::Subject(d) => format!("client:sub:{}", hex::encode(&d[..16])),
            ClientKey::Key(d, ip) => format!("client:key:{}:{ip}", hex::encode(&d[..16])),
            ClientKey::Addr(ip) => format!("client:addr:{ip}"),
        }
    }
}

/// Requests per minute per client, with a burst of the same size.
pub struct ClientRateLimit {
    limit: Limit<ClientKey>,
    per_minute: u32,
}

impl ClientRateLimit {
    /// `None` when `per_minute` is 0 (disabled).
    pub fn new(per_minute: u32, shared: Option<Arc<Shared>>) -> Option<ClientRateLimit> {
        let n = NonZeroU32::new(per_minute)?;
        let rate = Rate {
            interval: Duration::from_secs(60) / n.get(),
            burst: n.get(),
        };
        Some(ClientRateLimit {
            limit: Limit::new(rate, shared),
            per_minute,
        })
    }

    /// Counts one request against `key`; the refusal says when to retry.
    pub async fn check(&self, key: ClientKey) -> Result<(), Refusal> {
        let verdict = self.limit.check(&key, || key.shared_name()).await;
        verdict.map_err(|wait| {
            crate::telemetry::metrics::rate_limited();
            let secs = ceil_secs(wait);
            Refusal::limited(
                StatusCode::TOO_MANY_REQUESTS,
                secs,
                format!(
                    "Rate limit exceeded: at most {} requests per minute per client; retry in {secs} s",
                    self.per_minute
                ),
            )
        })
    }

    /// Charges a failed authentication (a wrong access token, a Clerk key Clerk refused) to the
    /// address it came from.
    pub async fn charge_failure(&self, addr: IpAddr) -> Result<(), Refusal> {
        self.check(ClientKey::Addr(addr)).await
    }
}

/// The rate-limit middleware: after authentication, so a verified token is the key.
pub async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(rl) = &state.rate_limit
        && let Err(r) = rl.check(ClientKey::of(&req)).await
    {
        return r.into_response();
    }
    next.run(req).await
}

/// Deepest nesting accepted in tool arguments.
pub const MAX_DEPTH: usize = 32;
/// Most elements in any one array of tool arguments.
pub const MAX_ARRAY: usize = 1000;
/// Longest string in tool arguments, in bytes.
pub const MAX_STRING: usize = 64 * 1024;

/// Checks the shape of tool arguments before anything else looks at them.
pub fn check_arguments(v: &Value) -> Result<(), String> {
    fn walk(v: &Value, depth: usize, at: &mut Vec<String>) -> Result<(), String> {
        let here = || {
            if at.is_empty() {
                "arguments".to_string()
            } else {
                at.join(".")
            }
        };
        if depth > MAX_DEPTH {
            return Err(format!(
                "{} is nested deeper than {MAX_DEPTH} levels",
                here()
            ));
        }
        match v {
            Value::Array(a) => {
                if a.len() > MAX_ARRAY {
                    return Err(format!(
                        "{} has {} elements; at most {MAX_ARRAY} are accepted",
                        here(),
                        a.len()
                    ));
                }
                a.iter().try_for_each(|x| walk(x, depth + 1, at))
            }
            Value::Object(o) => o.iter().try_for_each(|(k, x)| {
                at.push(k.clone());
                let r = walk(x, depth + 1, at);
                at.pop();
                r
            }),
            Value::String(s) if s.len() > MAX_STRING => Err(format!(
                "{} is {} bytes; at most {MAX_STRING} are accepted",
                here(),
                s.len()
            )),
            _ => Ok(()),
        }
    }
    walk(v, 0, &mut Vec::new())
}
