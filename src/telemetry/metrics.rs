//! Prometheus metrics, through the `metrics` facade and `metrics-exporter-prometheus`.
//!
//! Every label has a bounded set of values (tool names from the registry, Clerk operationIds from
//! the catalog, HTTP statuses, outcome and reason words): never a key, a token, a user id or any
//! other value a caller chooses. Metrics are per process: one recorder, installed on first use.

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Latency buckets, seconds: from a cached answer to Clerk's slowest pages and the call deadline.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 45.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (so every server in a test process shares it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("static buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        describe();
        gauge!(
            "clerk_mcp_build_info",
            "version" => env!("CARGO_PKG_VERSION"),
            "clerk_api_version" => crate::clerk::API_VERSION.trim(),
        )
        .set(1.0);
        handle
    })
}

fn describe() {
    describe_counter!(
        "clerk_mcp_tool_calls_total",
        "Tool calls by tool and outcome (ok or the error kind)."
    );
    describe_histogram!(
        "clerk_mcp_tool_call_duration_seconds",
        Unit::Seconds,
        "Time to answer a tool call, by tool."
    );
    describe_counter!(
        "clerk_mcp_clerk_requests_total",
        "Requests sent to Clerk, by operation and HTTP status (`error` when no response came)."
    );
    describe_histogram!(
        "clerk_mcp_clerk_request_duration_seconds",
        Unit::Seconds,
        "Time of one request to Clerk, by operation."
    );
    describe_counter!(
        "clerk_mcp_clerk_retries_total",
        "Requests to Clerk tried again, by operation."
    );
    describe_counter!(
        "clerk_mcp_rate_limited_total",
        "Requests refused by the per-client rate limit."
    );
    describe_counter!(
        "clerk_mcp_auth_failures_total",
        "Requests refused by authentication, by reason (missing, invalid_token, no_access, unavailable)."
    );
    describe_gauge!("clerk_mcp_legacy_sessions", "Live 2025-11-25 sessions.");
    describe_counter!(
        "clerk_mcp_audit_write_failures_total",
        "Audit log lines that could not be written."
    );
    describe_counter!(
        "clerk_mcp_confirmations_total",
        "Destructive calls put to a person, by result (asked, accepted, declined, refused)."
    );
    describe_counter!(
        "clerk_mcp_clerk_budget_waits_total",
        "Requests to Clerk that waited for room in the instance's request budget."
    );
    describe_counter!(
        "clerk_mcp_redis_errors_total",
        "Limit checks Redis did not answer (the replica then limited alone)."
    );
    describe_gauge!(
        "clerk_mcp_build_info",
        "Always 1; the labels say which build runs."
    );
}

/// One tool call answered.
pub fn tool_call(tool: &str, outcome: &'static str, took: Duration) {
    counter!("clerk_mcp_tool_calls_total", "tool" => tool.to_string(), "outcome" => outcome)
        .increment(1);
    histogram!("clerk_mcp_tool_call_duration_seconds", "tool" => tool.to_string()).record(took);
}

/// One request to Clerk finished (`status` `None`: no response).
pub fn clerk_request(operation: &'static str, status: Option<u16>, took: Duration) {
    let status = status.map_or_else(|| "error".to_string(), |s| s.to_string());
    counter!("clerk_mcp_clerk_requests_total", "operation" => operation, "status" => status)
        .increment(1);
    histogram!("clerk_mcp_clerk_request_duration_seconds", "operation" => operation).record(took);
}

/// A request to Clerk is tried again.
pub fn clerk_retry(operation: &'static str) {
    counter!("clerk_mcp_clerk_retries_total", "operation" => operation).increment(1);
}

/// A request to Clerk waits for room in its instance's budget.
pub fn clerk_budget_wait() {
    counter!("clerk_mcp_clerk_budget_waits_total").increment(1);
}

/// Redis did not answer a limit check.
pub fn redis_error() {
    counter!("clerk_mcp_redis_errors_total").increment(1);
}

/// A request refused by the rate limit.
pub fn rate_limited() {
    counter!("clerk_mcp_rate_limited_total").increment(1);
}

/// A request refused by authentication.
pub fn auth_failure(reason: &'static str) {
    counter!("clerk_mcp_auth_failures_total", "reason" => reason).increment(1);
}

/// An audit line that could not be written.
pub fn audit_write_failure() {
    counter!("clerk_mcp_audit_write_failures_total").increment(1);
}

/// A step of a confirmation.
pub fn confirmation(result: &'static str) {
    counter!("clerk_mcp_confirmations_total", "result" => result).increment(1);
}

/// The scrape: gauges read at scrape time are set first.
pub fn render(legacy_sessions: usize) -> String {
    let h = handle();
    gauge!("clerk_mcp_legacy_sessions").set(legacy_sessions as f64);
    h.run_upkeep();
    h.render()
}
