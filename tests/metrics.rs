//! `/metrics`: after a mixed run (tool calls that succeed and fail, a refused request, a
//! rate-limited one, a retried Clerk call), Prometheus' own `promtool check metrics` accepts the
//! scrape, the counters moved by what was done, and no label carries a key, token or id.

mod support;

use serde_json::json;
use support::fake_clerk::{FakeClerk, Fault, GOOD_KEY};
use support::server::{Client, Era, secrets, start};

const TOKEN: &str = "metrics-scenario-token-0123456789";

/// The value of the sample whose line starts with `prefix` (name and labels), or 0.
fn sample(scrape: &str, prefix: &str) -> f64 {
    scrape
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(url: &str) -> String {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "Prometheus text format"
    );
    r.text().await.unwrap()
}

fn promtool(scrape: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; .ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_run_moves_the_counters_and_promtool_accepts_the_scrape() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--rate-limit",
            "30",
            "--legacy-sessions",
        ],
        secrets(Some(GOOD_KEY), Some(TOKEN)),
    )
    .await;
    let metrics_url = format!("{}/metrics", srv.base());
    let before = scrape(&metrics_url).await;
    let get_ok = r#"clerk_mcp_tool_calls_total{tool="clerk_get_user",outcome="ok"}"#;
    let clerk_404 = r#"clerk_mcp_clerk_requests_total{operation="GetUser",status="404"}"#;

    let mut c =
        Client::new(&srv.url(), Era::Modern).header("Authorization", &format!("Bearer {TOKEN}"));
    for _ in 0..3 {
        c.ok("clerk_get_user", json!({"user_id": uid})).await;
    }
    c.err("clerk_get_user", json!({"user_id": "user_missing"}))
        .await;
    // One 503 then success: a retry.
    fake.push_fault(Fault::new(503, "{}").on("GET", "/v1/users/"));
    c.ok("clerk_get_user", json!({"user_id": uid})).await;
    // No token, then a wrong one.
    let mut anon = Client::new(&srv.url(), Era::Modern);
    assert_eq!(anon.raw("tools/list", json!({}), None).await.status, 401);
    let mut wrong = Client::new(&srv.url(), Era::Modern)
        .header("Authorization", "Bearer not-the-token-0000000000");
    assert_eq!(wrong.raw("tools/list", json!({}), None).await.status, 401);
    // A legacy session (before the burst below uses up this token's budget).
    let mut legacy =
        Client::new(&srv.url(), Era::Legacy).header("Authorization", &format!("Bearer {TOKEN}"));
    legacy.initialize().await;
    // Past the per-client limit.
    let mut limited = 0;
    for _ in 0..40 {
        if c.raw("tools/list", json!({}), None).await.status == 429 {
            limited += 1;
        }
    }
    assert!(limited > 0);

    let after = scrape(&metrics_url).await;
    promtool(&after);
    let moved = |prefix: &str| sample(&after, prefix) - sample(&before, prefix);
    assert_eq!(moved(get_ok), 4.0, "{after}");
    assert_eq!(
        moved(r#"clerk_mcp_tool_calls_total{tool="clerk_get_user",outcome="clerk_error"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(moved(clerk_404), 1.0);
    assert!(moved(r#"clerk_mcp_clerk_requests_total{operation="GetUser",status="503"}"#) >= 1.0);
    assert!(moved(r#"clerk_mcp_clerk_retries_total{operation="GetUser"}"#) >= 1.0);
    assert!(moved(r#"clerk_mcp_auth_failures_total{reason="missing"}"#) >= 1.0);
    assert!(moved(r#"clerk_mcp_auth_failures_total{reason="invalid_token"}"#) >= 1.0);
    assert!(moved("clerk_mcp_rate_limited_total") >= limited as f64);
    assert!(moved(r#"clerk_mcp_tool_call_duration_seconds_count{tool="clerk_get_user"}"#) >= 5.0);
    assert!(
        sample(&after, "clerk_mcp_legacy_sessions") >= 1.0,
        "{after}"
    );
    let info = after
        .lines()
        .find(|l| l.starts_with("clerk_mcp_build_info{"))
        .expect("build info");
    assert!(
        info.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{info}"
    );
    for secret in [
        GOOD_KEY,
        TOKEN,
        uid.as_str(),
        "user_missing",
        "not-the-token",
    ] {
        assert!(!after.contains(secret), "a label carries `{secret}`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_metrics_listener_needs_no_token_and_mcp_still_does() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--metrics-addr",
            "127.0.0.1:0",
        ],
        secrets(Some(GOOD_KEY), Some(TOKEN)),
    )
    .await;
    let addr = srv.metrics_addr.expect("a metrics listener");
    let body = scrape(&format!("http://{addr}/metrics")).await;
    promtool(&body);
    assert!(body.contains("clerk_mcp_build_info"));
    // Not on the main listener any more, and /mcp still wants the token.
    let main = reqwest::get(format!("{}/metrics", srv.base()))
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
    let mut anon = Client::new(&srv.url(), Era::Modern);
    assert_eq!(anon.raw("tools/list", json!({}), None).await.status, 401);
}

#[tokio::test]
async fn a_bad_metrics_address_stops_the_start_with_an_example() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args(["--port", "0", "--metrics-addr", "localhost:9464"])
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("MCP_METRICS_ADDR")
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--metrics-addr `localhost:9464`") && stderr.contains("0.0.0.0:9464"),
        "{stderr}"
    );
}
