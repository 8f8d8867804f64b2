//! The HTTP front door: modes, health, access token, Origin/Host checks and protocol edge cases.

mod support;

use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{Client, Era, args, secrets, start, state};
use tower::ServiceExt;

const TOKEN: &str = "test-access-token-0123456789abcdef";

#[tokio::test]
async fn health_reports_mode_and_clerk_connection() {
    let fake = FakeClerk::start().await;
    let api = ["--clerk-api-url", &fake.url];

    let hosted = start(&api, secrets(Some(GOOD_KEY), None)).await;
    let h: Value = reqwest::get(format!("{}/api/health", hosted.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        h,
        json!({"status": "ok", "mode": "hosted", "clerkConnected": true, "version": env!("CARGO_PKG_VERSION")})
    );
    // Cached: a second probe does not reach Clerk again.
    let _: Value = reqwest::get(format!("{}/api/health", hosted.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.path == "/v1/jwks")
            .count(),
        1
    );
    assert_eq!(
        fake.last_request().header("authorization").unwrap(),
        format!("Bearer {GOOD_KEY}")
    );

    let refused_key = "sk_live_thefakedoesnotknowthisone";
    let refused = start(&api, secrets(Some(refused_key), None)).await;
    let text = reqwest::get(format!("{}/api/health", refused.base()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let h: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            h["status"].clone(),
            h["mode"].clone(),
            h["clerkConnected"].clone()
        ),
        (json!("degraded"), json!("hosted"), json!(false))
    );
    assert!(h["detail"].as_str().unwrap().contains("401"), "{h}");
    assert!(
        !text.contains(refused_key) && !text.contains("thefakedoesnot"),
        "health leaks the key: {text}"
    );

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/v1", dead.local_addr().unwrap());
    drop(dead);
    let unreachable = start(
        &["--clerk-api-url", &dead_url, "--max-attempts", "1"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let h: Value = reqwest::get(format!("{}/api/health", unreachable.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (h["status"].clone(), h["clerkConnected"].clone()),
        (json!("degraded"), json!(false))
    );
    assert!(
        h["detail"].as_str().unwrap().contains("could not reach"),
        "{h}"
    );

    let public = start(&api, secrets(None, None)).await;
    let h: Value = reqwest::get(format!("{}/api/health", public.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            h["status"].clone(),
            h["mode"].clone(),
            h["clerkConnected"].clone()
        ),
        (json!("ok"), json!("public"), Value::Null)
    );
    let probe = |key: &'static str| {
        let url = format!("{}/api/health", public.base());
        async move {
            reqwest::Client::new()
                .get(url)
                .header("x-clerk-secret-key", key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(probe(GOOD_KEY).await["clerkConnected"], json!(true));
    let bad = probe("sk_test_notknown").await;
    assert_eq!(
        (bad["clerkConnected"].clone(), bad["status"].clone()),
        (json!(false), json!("degraded"))
    );
    let malformed = probe("pk_test_publishable").await;
    assert_eq!(malformed["clerkConnected"], json!(false));
    assert!(!malformed.to_string().contains("pk_test_publishable"));
}

#[tokio::test]
async fn public_mode_lists_without_a_key_and_explains_how_to_send_one() {
    let fake = FakeClerk::start().await;
    let srv = start(&["--clerk-api-url", &fake.url], secrets(None, None)).await;
    for era in [Era::Modern, Era::Legacy] {
        let mut c = Client::new(&srv.url(), era);
        if era == Era::Legacy {
            c.initialize().await;
        }
        assert!(c.list_tools().await.len() > 20);
        let e = c.err("clerk_get_user", json!({"user_id": "user_1"})).await;
        assert_eq!(e["error"], json!("missing_clerk_secret_key"));
        let msg = e["message"].as_str().unwrap();
        assert!(
            msg.contains("X-Clerk-Secret-Key") && msg.contains("claude mcp add"),
            "{msg}"
        );
    }
    assert!(fake.requests().is_empty());

    let bad = "sk_prod_notavalidshape";
    let mut c = Client::new(&srv.url(), Era::Modern).header("X-Clerk-Secret-Key", bad);
    let e = c.err("clerk_get_user", json!({"user_id": "user_1"})).await;
    assert!(e["message"].as_str().unwrap().contains("sk_test_"), "{e}");
    assert!(!e.to_string().contains(bad));

    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let mut c = Client::new(&srv.url(), Era::Modern).header("X-Clerk-Secret-Key", GOOD_KEY);
    let u = c.ok("clerk_get_user", json!({"user_id": uid})).await;
    assert_eq!(u["first_name"], json!("Ann"));
    assert_eq!(
        fake.last_request().header("authorization").unwrap(),
        format!("Bearer {GOOD_KEY}")
    );
    // The key is per request: the next request without the header has none.
    let mut anon = Client::new(&srv.url(), Era::Modern);
    assert_eq!(
        anon.err("clerk_get_user", json!({"user_id": uid})).await["error"],
        json!("missing_clerk_secret_key")
    );
}

#[tokio::test]
async fn hosted_mode_uses_the_server_key_and_refuses_request_keys() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &["--clerk-api-url", &fake.url],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let uid = fake.seed_user("Bo", "Ng", "bo@example.com");
    for era in [Era::Modern, Era::Legacy] {
        let mut c = Client::new(&srv.url(), era);
        if era == Era::Legacy {
            c.initialize().await;
        }
        assert_eq!(
            c.ok("clerk_get_user", json!({"user_id": uid})).await["id"],
            json!(uid)
        );
    }
    let mut c = Client::new(&srv.url(), Era::Modern)
        .header("X-Clerk-Secret-Key", "sk_test_someoneelseskey");
    let a = c.raw("tools/list", json!({}), None).await;
    assert_eq!(a.status, 400);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hosted mode"),
        "{}",
        a.text
    );
    assert!(!a.text.contains("someoneelseskey"));
}

#[tokio::test]
async fn hosted_on_a_public_address_needs_a_token() {
    let reg = clerk_mcp::tools::all();
    let a = args(&["--host", "0.0.0.0", "--allowed-hosts", "mcp.example.com"]);
    let err = clerk_mcp::config::Config::build(&a, &secrets(Some(GOOD_KEY), None), &reg, false)
        .unwrap_err();
    assert!(
        err.contains("MCP_AUTH_TOKEN")
            && err.contains("--allow-unauthenticated")
            && err.contains("127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains(GOOD_KEY));
    let ok = clerk_mcp::config::Config::build(
        &args(&[
            "--host",
            "0.0.0.0",
            "--allowed-hosts",
            "mcp.example.com",
            "--allow-unauthenticated",
        ]),
        &secrets(Some(GOOD_KEY), None),
        &reg,
        false,
    )
    .unwrap();
    assert!(
        ok.warnings
            .iter()
            .any(|w| w.contains("without MCP_AUTH_TOKEN"))
    );
    let err = clerk_mcp::config::Config::build(
        &args(&["--host", "0.0.0.0"]),
        &secrets(Some(GOOD_KEY), Some(TOKEN)),
        &reg,
        false,
    )
    .unwrap_err();
    assert!(err.contains("--allowed-hosts"), "{err}");
    // Public mode holds no key, so no token is demanded.
    assert!(
        clerk_mcp::config::Config::build(
            &args(&["--host", "0.0.0.0", "--allowed-hosts", "*"]),
            &secrets(None, None),
            &reg,
            false
        )
        .is_ok()
    );
}

#[tokio::test]
async fn the_binary_refuses_to_start_and_says_what_to_do() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args([
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--allowed-hosts",
            "x.example",
        ])
        .env("CLERK_SECRET_KEY", GOOD_KEY)
        .env_remove("MCP_AUTH_TOKEN")
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to start") && stderr.contains("MCP_AUTH_TOKEN"),
        "{stderr}"
    );
    assert!(!stderr.contains(GOOD_KEY));
}

/// Issue 11.11: `clerk-mcp api list | head -1` must end quietly, as other Unix tools do.
#[test]
fn cli_output_into_a_closed_pipe_exits_quietly() {
    for args in [&["api", "list"][..], &["api", "list", "--json"], &["tools"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
            .args(args)
            .env_clear()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first byte is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn access_token_is_required_when_configured() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &["--clerk-api-url", &fake.url],
        secrets(
            Some(GOOD_KEY),
            Some(&format!("other-token-aaaaaaaaaaaa,{TOKEN}")),
        ),
    )
    .await;
    let mut none = Client::new(&srv.url(), Era::Modern);
    let a = none.raw("tools/list", json!({}), None).await;
    assert_eq!(a.status, 401);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{}",
        a.text
    );
    assert!(a.headers.get("www-authenticate").is_some());
    let mut wrong = Client::new(&srv.url(), Era::Modern)
        .header("Authorization", "Bearer nope-nope-nope-nope-nope");
    assert_eq!(wrong.raw("tools/list", json!({}), None).await.status, 401);
    let mut right =
        Client::new(&srv.url(), Era::Modern).header("Authorization", &format!("Bearer {TOKEN}"));
    assert!(!right.list_tools().await.is_empty());
    let uid = fake.seed_user("Cy", "Do", "cy@example.com");
    assert_eq!(
        right.ok("clerk_get_user", json!({"user_id": uid})).await["id"],
        json!(uid)
    );
    // The health endpoint stays open for load balancers.
    assert_eq!(
        reqwest::get(format!("{}/api/health", srv.base()))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn origin_and_host_are_validated() {
    let srv = start(&[], secrets(None, None)).await;
    let mut evil = Client::new(&srv.url(), Era::Modern).header("Origin", "http://evil.example");
    assert_eq!(evil.raw("tools/list", json!({}), None).await.status, 403);
    let mut local = Client::new(&srv.url(), Era::Modern).header("Origin", "http://localhost:5173");
    assert_eq!(local.raw("tools/list", json!({}), None).await.status, 200);
    let mut rebound = Client::new(&srv.url(), Era::Modern).header("Host", "evil.example");
    assert_eq!(rebound.raw("tools/list", json!({}), None).await.status, 403);

    let custom = start(
        &[
            "--allowed-hosts",
            "127.0.0.1,mcp.example.com",
            "--allowed-origins",
            "https://app.example.com",
        ],
        secrets(None, None),
    )
    .await;
    let mut ok = Client::new(&custom.url(), Era::Modern)
        .header("Origin", "https://app.example.com")
        .header("Host", "mcp.example.com");
    assert_eq!(ok.raw("tools/list", json!({}), None).await.status, 200);
    let mut bad = Client::new(&custom.url(), Era::Modern).header("Origin", "http://localhost:3000");
    assert_eq!(bad.raw("tools/list", json!({}), None).await.status, 403);
}

async fn oneshot(router: axum::Router, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let mut req = http::Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = support::server::parse_body(&String::from_utf8_lossy(&bytes));
    (status, v)
}

fn modern(method: &str, params: Value) -> Value {
    let mut p = params;
    p["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": p})
}

#[tokio::test]
async fn protocol_edge_cases_in_process() {
    let st = state(&[], secrets(None, None));
    let app = || clerk_mcp::server::http::router(st.clone(), Default::default());
    const ACCEPT: (&str, &str) = ("accept", "application/json, text/event-stream");
    const V: (&str, &str) = ("mcp-protocol-version", "2026-07-28");
    let list = || modern("tools/list", json!({}));
    let call = |name: &str| modern("tools/call", json!({"name": name, "arguments": {}}));
    let note =
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}});
    // (what, headers, body, HTTP status, JSON-RPC error code)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Value, u16, Option<i64>);
    let cases: Vec<Case> = vec![
        (
            "wrong Accept",
            vec![("accept", "text/html"), V, ("mcp-method", "tools/list")],
            list(),
            406,
            None,
        ),
        (
            "version header vs _meta",
            vec![
                ACCEPT,
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/list"),
            ],
            list(),
            400,
            Some(-32020),
        ),
        (
            "Mcp-Method mismatch",
            vec![ACCEPT, V, ("mcp-method", "tools/call")],
            list(),
            400,
            Some(-32020),
        ),
        ("missing Mcp-Method", vec![ACCEPT, V], list(), 400, None),
        (
            "Mcp-Name mismatch",
            vec![
                ACCEPT,
                V,
                ("mcp-method", "tools/call"),
                ("mcp-name", "clerk_get_user"),
            ],
            call("clerk_list_users"),
            400,
            Some(-32020),
        ),
        (
            "unknown method",
            vec![ACCEPT, V, ("mcp-method", "no/such")],
            modern("no/such", json!({})),
            404,
            Some(-32601),
        ),
        (
            "bad cursor",
            vec![ACCEPT, V, ("mcp-method", "tools/list")],
            modern("tools/list", json!({"cursor": "bogus"})),
            200,
            Some(-32602),
        ),
        (
            "unknown tool",
            vec![
                ACCEPT,
                V,
                ("mcp-method", "tools/call"),
                ("mcp-name", "clerk_nope"),
            ],
            call("clerk_nope"),
            200,
            Some(-32602),
        ),
        (
            "notification",
            vec![ACCEPT, V, ("mcp-method", "notifications/cancelled")],
            note,
            202,
            None,
        ),
    ];
    for (what, headers, body, status, code) in cases {
        let (s, v) = oneshot(app(), &headers, body).await;
        // A JSON-RPC error on a 200 is how rmcp answers some errors; the code is what matters there.
        if status != 200 || code.is_none() {
            assert_eq!(s, status, "{what}: {v}");
        }
        if let Some(c) = code {
            assert_eq!(v["error"]["code"], json!(c), "{what}: HTTP {s} {v}");
        }
    }

    let (s, v) = oneshot(app(), &[ACCEPT, V, ("mcp-method", "tools/list")], list()).await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["cacheScope"], json!("public"));
    assert!(v["result"]["ttlMs"].as_u64().unwrap() > 0);
    let (_, v) = oneshot(
        app(),
        &[
            ACCEPT,
            V,
            ("mcp-method", "tools/list"),
            ("x-mcp-readonly", "true"),
        ],
        list(),
    )
    .await;
    assert_eq!(
        v["result"]["cacheScope"],
        json!("private"),
        "a header-narrowed list is private"
    );
}

#[tokio::test]
async fn legacy_sessions_are_optional_and_capped() {
    let stateless = start(&[], secrets(None, None)).await;
    let mut c = Client::new(&stateless.url(), Era::Legacy);
    c.initialize().await;
    assert!(
        c.session.is_none(),
        "stateless by default: no Mcp-Session-Id"
    );
    assert!(!c.list_tools().await.is_empty());

    let srv = start(
        &["--legacy-sessions", "--max-sessions", "2"],
        secrets(None, None),
    )
    .await;
    let mut a = Client::new(&srv.url(), Era::Legacy);
    a.initialize().await;
    assert!(a.session.is_some());
    assert!(!a.list_tools().await.is_empty());
    let mut b = Client::new(&srv.url(), Era::Legacy);
    b.initialize().await;
    assert_eq!(srv.state.sessions.live().await, 2);
    // A third session over the cap closes the idlest one (a's) instead of failing.
    let mut c = Client::new(&srv.url(), Era::Legacy);
    c.initialize().await;
    assert!(c.session.is_some());
    assert_eq!(srv.state.sessions.live().await, 2);
    assert_eq!(a.raw("tools/list", json!({}), None).await.status, 404);
    assert!(!b.list_tools().await.is_empty());
    // Modern clients are never affected by the session cap.
    let mut m = Client::new(&srv.url(), Era::Modern);
    assert!(!m.list_tools().await.is_empty());
    let mut no_session = Client::new(&srv.url(), Era::Legacy);
    assert_eq!(
        no_session.raw("tools/list", json!({}), None).await.status,
        400
    );
}

#[tokio::test]
async fn idle_legacy_sessions_expire() {
    let srv = start(
        &["--legacy-sessions", "--session-idle-timeout", "1"],
        secrets(None, None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Legacy);
    c.initialize().await;
    assert!(c.session.is_some());
    assert_eq!(c.raw("tools/list", json!({}), None).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let a = c.raw("tools/list", json!({}), None).await;
    assert_eq!(a.status, 404, "an idle session is gone: {}", a.text);
    assert!(
        a.body["error"]["message"].is_string(),
        "with a JSON-RPC error body: {}",
        a.text
    );
}

#[test]
fn debug_output_of_config_and_secrets_is_redacted() {
    let token = "debug-token-abcdefghijklmnop";
    let s = secrets(Some(GOOD_KEY), Some(token));
    let reg = clerk_mcp::tools::all();
    let cfg = clerk_mcp::config::Config::build(&args(&[]), &s, &reg, false).unwrap();
    let st = state(&[], secrets(Some(GOOD_KEY), Some(token)));
    for text in [
        format!("{s:?}"),
        format!("{cfg:?}"),
        format!("{:?}", st.config),
        format!("{:?}", st.api),
    ] {
        assert!(
            !text.contains(GOOD_KEY) && !text.contains(&GOOD_KEY[8..]) && !text.contains(token),
            "{text}"
        );
        assert!(
            text.contains("redacted") || text.contains("ClerkApi"),
            "{text}"
        );
    }
}
