//! Rate limits that several replicas share through Redis: the per-client limit (`server/limits.rs`)
//! and the per-Clerk-instance request budget (`clerk/budget.rs`) both count here when `--redis-url`
//! is set, and each falls back to its own in-process limiter when Redis cannot answer.
//!
//! The algorithm is GCRA (the one governor runs in process), as one Lua script so that the read and
//! the write are atomic and every replica uses Redis' clock, not its own. A Redis that is down or
//! slow costs a call at most [`TIMEOUT`], and then nothing for [`BACKOFF`]: traffic goes on under
//! local limits and health says `degraded` until Redis answers again.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Longest a limit check waits for Redis before falling back to local limits.
pub const TIMEOUT: Duration = Duration::from_millis(250);
/// How long Redis is left alone after it failed.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// A GCRA rate: one request per `interval`, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Time one request uses up.
    pub interval: Duration,
    /// Requests allowed back to back.
    pub burst: u32,
}

/// Whole seconds to wait, rounded up (what `Retry-After` and `retry_after` say).
pub fn ceil_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// One keyed limit at one rate: counted in Redis while it is shared and answering, else in this
/// process (governor, the same algorithm).
pub struct Limit<K: Hash + Eq + Clone> {
    rate: Rate,
    local: DefaultKeyedRateLimiter<K>,
    shared: Option<Arc<Shared>>,
    seen: AtomicU64,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for Limit<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limit")
            .field("rate", &self.rate)
            .field("shared", &self.shared)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> Limit<K> {
    /// A limit at `rate`, shared through `shared` when given.
    pub fn new(rate: Rate, shared: Option<Arc<Shared>>) -> Limit<K> {
        let quota = Quota::with_period(rate.interval.max(Duration::from_nanos(1)))
            .expect("a non-zero period")
            .allow_burst(NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN));
        Limit {
            rate,
            local: RateLimiter::keyed(quota),
            shared,
            seen: AtomicU64::new(0),
        }
    }

    /// Counts one request against `key` (named `shared_name()` in Redis): `Err(wait)` when it may
    /// go only after `wait`.
    pub async fn check(
        &self,
        key: &K,
        shared_name: impl FnOnce() -> String,
    ) -> Result<(), Duration> {
        if let Some(s) = &self.shared
            && let Some(verdict) = s.check(&shared_name(), self.rate).await
        {
            return verdict;
        }
        // Forget idle keys now and then so the table cannot grow without bound.
        if self.seen.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.local.retain_recent();
            self.local.shrink_to_fit();
        }
        self.local
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// GCRA in Redis. KEYS[1]: the limit's key; ARGV[1]: interval, ARGV[2]: burst tolerance
/// (interval × (burst − 1)), both in microseconds. Returns 0 when the request may go, else the
/// microseconds until it may. The theoretical arrival time is stored as an integer string (Lua
/// would print a large number in exponent form and lose precision) and expires once it is past.
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return allow_at - now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return 0
";

/// The connection to Redis and whether it is answering.
pub struct Shared {
    conn: ConnectionManager,
    script: redis::Script,
    /// Where Redis is, without credentials (for logs and health).
    pub location: String,
    prefix: String,
    healthy: AtomicBool,
    retry_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shared({})", self.location)
    }
}

impl Shared {
    /// Prepares the connection; nothing is sent yet, so a Redis that is down at start only makes
    /// the server start degraded. The error never repeats the URL (it may hold a password).
    pub fn new(url: &str, prefix: &str) -> Result<Shared, String> {
        let location = redacted(url);
        let client = redis::Client::open(url).map_err(|e| {
            format!(
                "--redis-url `{location}` is not a Redis URL ({}); expected e.g. redis://redis:6379/0 or \
                 rediss://:PASSWORD@host:6380",
                e.category()
            )
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(100));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("cannot use Redis at {location}: {}", e.category()))?;
        Ok(Shared {
            conn,
            script: redis::Script::new(GCRA),
            location,
            prefix: prefix.to_string(),
            healthy: AtomicBool::new(true),
            retry_at: Mutex::new(None),
        })
    }

    /// Whether the last exchange with Redis worked.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Counts one request against `key` under `rate`: `Some(Ok)` it may go, `Some(Err(wait))` not
    /// before `wait`, `None` Redis did not answer (the caller limits locally).
    pub async fn check(&self, key: &str, rate: Rate) -> Option<Result<(), Duration>> {
        if let Some(at) = *self.retry_at.lock().unwrap_or_else(|p| p.into_inner())
            && Instant::now() < at
        {
            return None;
        }
        let interval = rate.interval.as_micros().max(1) as u64;
        let tolerance = interval * u64::from(rate.burst.max(1) - 1);
        let mut conn = self.conn.clone();
        let mut call = self.script.prepare_invoke();
        call.key(format!("{}:{key}", self.prefix))
            .arg(interval)
            .arg(tolerance);
        let answer = tokio::time::timeout(TIMEOUT, call.invoke_async::<u64>(&mut conn)).await;
        match answer {
            Ok(Ok(wait_us)) => {
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!(redis = %self.location, "Redis answers again: limits are shared");
                }
                *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
                Some(if wait_us == 0 {
                    Ok(())
                } else {
                    Err(Duration::from_micros(wait_us))
                })
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.category().to_string(),
                    _ => format!("no answer in {} ms", TIMEOUT.as_millis()),
                };
                crate::telemetry::metrics::redis_error();
                if self.healthy.swap(false, Ordering::Relaxed) {
                    tracing::warn!(redis = %self.location, error = %why,
                        "Redis does not answer: each replica limits alone until it does");
                }
                *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + BACKOFF);
                None
            }
        }
    }
}

/// `scheme://host:port/db` of a Redis URL: user name and password left out.
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}{}", u.scheme(), u.path())
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_location_or_the_error() {
        assert_eq!(
            redacted("redis://user:hunter2secret@cache.internal:6380/2"),
            "redis://cache.internal:6380/2"
        );
        let e = Shared::new("redis://:hunter2secret@[::1", "t").unwrap_err();
        assert!(!e.contains("hunter2secret"), "{e}");
        assert!(e.contains("redis://"), "{e}");
    }
}
