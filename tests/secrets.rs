//! A whole session at trace log level, with every log line and every response captured: the Clerk key
//! and the access token must never appear in any of them.

mod support;

use serde_json::{Value, json};
use std::process::Stdio;
use support::fake_clerk::FakeClerk;
use support::server::{Client, Era};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const KEY: &str = "sk_test_LEAKCANARYkey7f3a9c2e1b4d";
const TOKEN: &str = "tok-LEAKCANARYtoken-5e8d1c";

struct Spawned {
    child: tokio::process::Child,
    url: String,
    base: String,
    log: std::sync::Arc<tokio::sync::Mutex<String>>,
}

async fn spawn(envs: &[(&str, &str)], flags: &[&str]) -> Spawned {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"));
    cmd.args(["serve", "--host", "127.0.0.1", "--port", "0"])
        .args(flags)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::sync::Arc::new(tokio::sync::Mutex::new(String::new()));
    let mut lines = BufReader::new(stderr).lines();
    let mut addr = None;
    while let Some(line) = lines.next_line().await.unwrap() {
        log.lock().await.push_str(&line);
        log.lock().await.push('\n');
        if let Some(i) = line.find("listening on http://") {
            let rest = &line[i + "listening on http://".len()..];
            addr = Some(rest.split("/mcp").next().unwrap().to_string());
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("server did not start"));
    let sink = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut l = sink.lock().await;
            l.push_str(&line);
            l.push('\n');
        }
    });
    Spawned {
        child,
        url: format!("http://{addr}/mcp"),
        base: format!("http://{addr}"),
        log,
    }
}

async fn stop(mut s: Spawned) -> (Option<i32>, String) {
    let pid = s.child.id().unwrap() as i32;
    // SIGTERM: the server must drain and exit 0.
    unsafe_kill(pid);
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), s.child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    let mut out = String::new();
    if let Some(mut o) = s.child.stdout.take() {
        o.read_to_string(&mut out).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let log = s.log.lock().await.clone();
    (status.code(), format!("{log}{out}"))
}

fn unsafe_kill(pid: i32) {
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
}

fn assert_clean(what: &str, text: &str) {
    for secret in [KEY, &KEY["sk_test_".len()..], TOKEN] {
        assert!(
            !text.contains(secret),
            "{what} contains a secret ({} bytes inspected)",
            text.len()
        );
    }
}

async fn session(c: &mut Client, fake: &FakeClerk, transcript: &mut String) {
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    for (tool, args) in [
        ("clerk_get_user", json!({"user_id": uid})),
        ("clerk_get_user", json!({"user_id": "user_missing"})),
        ("clerk_list_users", json!({"query": "ann"})),
        ("clerk_create_organization", json!({"body": {"name": ""}})),
        (
            "clerk_update_user",
            json!({"user_id": uid, "body": {"frist_name": "x"}}),
        ),
        (
            "clerk_update_user_metadata",
            json!({"user_id": uid, "body": {"private_metadata": {"plan": "gold"}}}),
        ),
        (
            "clerk_api_call",
            json!({"operation_id": "GetUser", "arguments": {"user_id": uid}}),
        ),
        ("clerk_api_search", json!({"query": "jwt template"})),
    ] {
        let r = c
            .raw(
                "tools/call",
                json!({"name": tool, "arguments": args}),
                Some(tool),
            )
            .await;
        transcript.push_str(&format!("{:?}\n{}\n", r.headers, r.text));
    }
    let r = c.raw("tools/list", json!({}), None).await;
    transcript.push_str(&r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_session_at_trace_level_leaks_nothing() {
    clerk_mcp::clerk::install_crypto_provider();
    let fake = FakeClerk::with_keys(&[KEY]).await;
    for format in ["text", "json"] {
        let srv = spawn(
            &[
                ("CLERK_SECRET_KEY", KEY),
                ("MCP_AUTH_TOKEN", TOKEN),
                ("RUST_LOG", "trace"),
                ("CLERK_API_URL", &fake.url),
            ],
            &["--log-format", format],
        )
        .await;
        let mut transcript = String::new();
        let mut c =
            Client::new(&srv.url, Era::Modern).header("Authorization", &format!("Bearer {TOKEN}"));
        session(&mut c, &fake, &mut transcript).await;
        let mut legacy =
            Client::new(&srv.url, Era::Legacy).header("Authorization", &format!("Bearer {TOKEN}"));
        legacy.initialize().await;
        session(&mut legacy, &fake, &mut transcript).await;
        // A wrong token and a request-borne key: refused, and neither echoed.
        let mut wrong =
            Client::new(&srv.url, Era::Modern).header("Authorization", &format!("Bearer {TOKEN}x"));
        transcript.push_str(&wrong.raw("tools/list", json!({}), None).await.text);
        let mut extra = Client::new(&srv.url, Era::Modern)
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .header("X-Clerk-Secret-Key", KEY);
        transcript.push_str(&extra.raw("tools/list", json!({}), None).await.text);
        transcript.push_str(
            &reqwest::get(format!("{}/api/health", srv.base))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        let (code, log) = stop(srv).await;
        assert_eq!(code, Some(0), "graceful shutdown exits 0");
        assert!(
            log.lines().count() > 50,
            "trace logging produced too little to be meaningful: {}",
            log.lines().count()
        );
        assert!(
            log.contains("tool call"),
            "the per-call log line is missing"
        );
        assert!(
            transcript.contains("resource_not_found") && transcript.contains("form_param_missing")
        );
        assert_clean("the log", &log);
        assert_clean("a response", &transcript);
        assert!(!log.contains("gold"), "metadata values must not be logged");
    }
    // The key really was used: Clerk saw it.
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.header("authorization").as_deref() == Some(&format!("Bearer {KEY}")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_session_at_trace_level_leaks_nothing() {
    clerk_mcp::clerk::install_crypto_provider();
    let fake = FakeClerk::with_keys(&[KEY]).await;
    let srv = spawn(
        &[("RUST_LOG", "trace"), ("CLERK_API_URL", &fake.url)],
        &["--legacy-sessions"],
    )
    .await;
    let mut transcript = String::new();
    let mut c = Client::new(&srv.url, Era::Modern).header("X-Clerk-Secret-Key", KEY);
    session(&mut c, &fake, &mut transcript).await;
    let mut legacy = Client::new(&srv.url, Era::Legacy).header("X-Clerk-Secret-Key", KEY);
    legacy.initialize().await;
    session(&mut legacy, &fake, &mut transcript).await;
    let probe = reqwest::Client::new()
        .get(format!("{}/api/health", srv.base))
        .header("x-clerk-secret-key", KEY)
        .send()
        .await
        .unwrap();
    let health: Value = probe.json().await.unwrap();
    assert_eq!(health["clerkConnected"], json!(true));
    transcript.push_str(&health.to_string());
    let (code, log) = stop(srv).await;
    assert_eq!(code, Some(0));
    assert!(log.contains("tool call"));
    assert!(!log.contains("gold"), "metadata values must not be logged");
    assert_clean("the log", &log);
    assert_clean("a response", &transcript);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_tokens_at_trace_level_leak_nowhere() {
    use support::oauth::{ISSUER_KEY, OTHER_KEY, claims, good, issuer, now, sign};
    clerk_mcp::clerk::install_crypto_provider();
    let fake = FakeClerk::with_keys(&[KEY]).await;
    fake.seed_oauth_token(
        "oat_LEAKCANARYopaque1",
        "user_a",
        &["clerk:read"],
        false,
        false,
    );
    let iss = issuer().await;
    let audit = std::env::temp_dir().join(format!(
        "clerk-mcp-secrets-audit-{}.jsonl",
        fastrand::u64(..)
    ));
    let srv = spawn(
        &[
            ("CLERK_SECRET_KEY", KEY),
            ("RUST_LOG", "trace"),
            ("CLERK_API_URL", &fake.url),
            ("MCP_OAUTH_ISSUER", &iss.url),
            ("MCP_RESOURCE_URL", support::oauth::RESOURCE),
            ("MCP_AUDIT_LOG", audit.to_str().unwrap()),
            ("MCP_AUDIT_READS", "true"),
        ],
        &[],
    )
    .await;
    let good_token = good(&iss.url, "clerk:read clerk:write");
    let mut expired = claims(&iss.url, "clerk:read");
    expired["exp"] = serde_json::json!(now() - 600);
    let tokens = [
        good_token.clone(),
        sign(&expired, ISSUER_KEY, Some("test-key-1")),
        sign(
            &claims(&iss.url, "clerk:read"),
            OTHER_KEY,
            Some("test-key-1"),
        ),
        "oat_LEAKCANARYopaque1".to_string(),
        "oat_LEAKCANARYunknown".to_string(),
    ];
    let mut transcript = String::new();
    for t in &tokens {
        let mut c =
            Client::new(&srv.url, Era::Modern).header("Authorization", &format!("Bearer {t}"));
        session(&mut c, &fake, &mut transcript).await;
    }
    let (code, log) = stop(srv).await;
    assert_eq!(code, Some(0));
    assert!(
        log.contains("access token refused"),
        "refusals are logged (by reason)"
    );
    assert!(
        log.contains("oauth:user_oauthsubject"),
        "the principal is in the call log line"
    );
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    let _ = std::fs::remove_file(&audit);
    for t in &tokens {
        // A JWT's signature part is its secret-most piece; none of it may show anywhere.
        let tail = t.rsplit('.').next().unwrap();
        for (what, text) in [
            ("the log", &log),
            ("a response", &transcript),
            ("the audit log", &audit_text),
        ] {
            assert!(!text.contains(t.as_str()), "{what} contains a token");
            assert!(
                tail.len() < 8 || !text.contains(tail),
                "{what} contains a token's signature"
            );
        }
    }
    assert!(!log.contains("LEAKCANARY") && !transcript.contains("LEAKCANARY"));
    assert_clean("the log", &log);
}
