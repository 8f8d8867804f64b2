//! Abuse limits on `/mcp`: a per-client rate limit (keyed by access token, else peer address) and the
//! shape limits on tool arguments. The body size limit is rmcp's (`max_request_body_bytes`, 413).

use super::AppState;
use super::auth::jsonrpc_error;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests per minute per client, with a burst of the same size.
pub struct ClientRateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    seen: AtomicU64,
}

impl ClientRateLimit {
    /// `None` when `per_minute` is 0 (disabled).
    pub fn new(per_minute: u32) -> Option<ClientRateLimit> {
        let n = NonZeroU32::new(per_minute)?;
        Some(ClientRateLimit {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            seen: AtomicU64::new(0),
        })
    }

    /// `Ok` or the seconds until the client may try again.
    fn check(&self, key: String) -> Result<(), u64> {
        // Forget idle clients now and then so the table cannot grow without bound.
        if self.seen.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// Who a request counts against: a digest of its bearer token (never the token), else its peer address.
fn client_key(req: &Request) -> String {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(t) => format!("token:{:x}", Sha256::digest(t.as_bytes())),
        None => match req.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
            None => "ip:unknown".into(),
        },
    }
}

/// The rate-limit middleware (outermost on `/mcp`, so token guessing is throttled too).
pub async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    state.activity.touch();
    if let Some(rl) = &state.rate_limit
        && let Err(wait) = rl.check(client_key(&req))
    {
        let mut r = jsonrpc_error(
            StatusCode::TOO_MANY_REQUESTS,
            -32000,
            &format!(
                "Rate limit exceeded: at most {} requests per minute per client; retry in {wait} s",
                state.config.rate_limit
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
        return r;
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
