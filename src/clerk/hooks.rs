//! Behaviour shared by every Clerk call, plugged into the generated client through progenitor's
//! `ClientHooks` (never by editing generated code): the per-call `Authorization` header, the
//! `Clerk-API-Version` header, the concurrency cap, and bounded retries.

use super::CallContext;
use super::generated::Client;
use crate::telemetry::traces;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use std::time::{Duration, SystemTime};

/// The header Clerk reads the API version from (progenitor emits `api-version`).
pub const CLERK_API_VERSION: HeaderName = HeaderName::from_static("clerk-api-version");

/// When and how often a failed attempt is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first (1 = no retries).
    pub max_attempts: u32,
    /// First backoff delay; doubles per attempt, with full jitter.
    pub base_delay: Duration,
    /// Longest single wait, for backoff and for `Retry-After`. A `Retry-After` beyond it is not
    /// waited for: the 429 goes back to the caller with its `retry_after`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// `Retry-After` in whole seconds (delta-seconds or an HTTP date).
pub fn retry_after_secs(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// Methods that may be repeated without changing the outcome (RFC 9110 §9.2.2).
fn idempotent(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    )
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        // Full jitter: spread retries of many clients over the whole window.
        exp.mul_f64(fastrand::f64()).max(Duration::from_millis(1))
    }

    /// Whether to try again after `attempt` (0-based) ended like this, and after how long.
    fn next_delay(
        &self,
        method: &Method,
        attempt: u32,
        outcome: &reqwest::Result<reqwest::Response>,
    ) -> Option<Duration> {
        if attempt + 1 >= self.max_attempts {
            return None;
        }
        match outcome {
            Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS && idempotent(method) => {
                match retry_after_secs(r.headers()) {
                    Some(s) if Duration::from_secs(s) > self.max_delay => None,
                    Some(s) => Some(Duration::from_secs(s).max(Duration::from_millis(1))),
                    None => Some(self.backoff(attempt)),
                }
            }
            Ok(r) if r.status().is_server_error() && idempotent(method) => {
                match retry_after_secs(r.headers()) {
                    Some(s) if Duration::from_secs(s) <= self.max_delay => {
                        Some(Duration::from_secs(s))
                    }
                    _ => Some(self.backoff(attempt)),
                }
            }
            // Never reached Clerk: safe to repeat whatever the method.
            Err(e) if e.is_connect() => Some(self.backoff(attempt)),
            // May have reached Clerk: only repeat what is idempotent.
            Err(e) if e.is_timeout() && idempotent(method) => Some(self.backoff(attempt)),
            _ => None,
        }
    }
}

impl ClientHooks<CallContext> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let headers = request.headers_mut();
        if let Some(v) = headers.remove("api-version") {
            headers.insert(CLERK_API_VERSION, v);
        }
        let mut auth = HeaderValue::try_from(format!("Bearer {}", self.inner().key.expose()))
            .map_err(|_| Error::Custom("the Clerk secret key cannot be sent as a header".into()))?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use crate::telemetry::metrics;
        use tracing::Instrument;
        let ctx = self.inner();
        if ctx.capture(&request) {
            // A dry run: nothing leaves the process.
            return Ok(stand_in(StatusCode::NO_CONTENT));
        }
        let method = request.method().clone();
        let operation = super::catalog::operation_id_of_method(info.operation_id);
        let mut request = request;
        let mut attempt = 0u32;
        // The answer of the attempt before, kept while the next one waits for budget: if that wait
        // cannot end before the deadline, the caller gets this answer.
        let mut previous = None;
        loop {
            if let Err(seconds) = ctx.take_budget().await {
                if let Some(answer) = previous {
                    return answer;
                }
                ctx.hold_back(seconds);
                return Ok(stand_in(StatusCode::TOO_MANY_REQUESTS));
            }
            // Budget found: the earlier answer (and its connection) can go.
            drop(previous.take());
            // Keep a copy only while another attempt is possible (bodies here are always in memory).
            let spare = if attempt + 1 < ctx.retry.max_attempts {
                request.try_clone()
            } else {
                None
            };
            let outcome = {
                let _permit = ctx
                    .limiter
                    .acquire()
                    .await
                    .expect("the limiter is never closed");
                ctx.start_attempt(attempt + 1);
                let started = std::time::Instant::now();
                let span = tracing::debug_span!(
                    target: traces::TARGET,
                    "clerk.request",
                    otel.name = %format!("clerk {operation}"),
                    otel.kind = "client",
                    clerk.operation = operation,
                    http.request.method = %method,
                    attempt = attempt + 1,
                    http.response.status_code = tracing::field::Empty,
                    clerk_trace_id = tracing::field::Empty,
                    otel.status_code = tracing::field::Empty,
                );
                traces::inject(&span, request.headers_mut());
                let outcome = match self
                    .client()
                    .execute(request)
                    .instrument(span.clone())
                    .await
                {
                    Ok(r) => traced_response(r, &span).await,
                    Err(e) => {
                        span.record("otel.status_code", "ERROR");
                        Err(e)
                    }
                };
                metrics::clerk_request(
                    operation,
                    outcome.as_ref().ok().map(|r| r.status().as_u16()),
                    started.elapsed(),
                );
                outcome
            };
            ctx.record(&outcome);
            // A wait that would end past the call's deadline is not started: the caller gets this
            // attempt's answer (with its Retry-After) instead of a timeout.
            let delay = ctx
                .retry
                .next_delay(&method, attempt, &outcome)
                .filter(|d| tokio::time::Instant::now() + *d < ctx.deadline);
            match (spare, delay) {
                (Some(again), Some(delay)) => {
                    metrics::clerk_retry(operation);
                    tracing::debug!(
                        attempt = attempt + 1,
                        delay_ms = delay.as_millis() as u64,
                        "retrying Clerk call"
                    );
                    tokio::time::sleep(delay).await;
                    request = again;
                    attempt += 1;
                    previous = Some(outcome);
                }
                _ => return outcome,
            }
        }
    }
}

/// An empty response that never left the process (a dry run, an attempt held back): the caller
/// looks at what the context recorded, not at this.
fn stand_in(status: StatusCode) -> reqwest::Response {
    reqwest::Response::from(
        http::Response::builder()
            .status(status)
            .body(Vec::<u8>::new())
            .expect("a static response"),
    )
}

/// Records a response's status in its span and, for an error with tracing on, Clerk's trace id
/// from the (small) error body, which is read here and put back unchanged for the caller.
async fn traced_response(
    r: reqwest::Response,
    span: &tracing::Span,
) -> reqwest::Result<reqwest::Response> {
    let status = r.status();
    span.record("http.response.status_code", status.as_u16());
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(r);
    }
    span.record("otel.status_code", "ERROR");
    if !traces::enabled() {
        return Ok(r);
    }
    let (version, headers) = (r.version(), r.headers().clone());
    let body = r.bytes().await?;
    if let Some(id) = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .as_ref()
        .and_then(|v| v.get("clerk_trace_id"))
        .and_then(serde_json::Value::as_str)
    {
        span.record("clerk_trace_id", id);
    }
    let mut rebuilt = http::Response::builder().status(status).version(version);
    if let Some(h) = rebuilt.headers_mut() {
        *h = headers;
    }
    Ok(reqwest::Response::from(
        rebuilt.body(body).expect("parts of a valid response"),
    ))
}
