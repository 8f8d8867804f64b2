//! The whole MCP authorization flow with parties nobody here wrote: npm `oidc-provider` as the
//! authorization server (tests/e2e/oidc.mjs) and the official MCP Python SDK's `OAuthClientProvider`
//! as the client. The client starts with nothing but the server URL: the 401 challenge leads it to
//! our protected resource metadata, then to the authorization server, dynamic registration,
//! authorization code + PKCE with the resource indicator, and back with a JWT this server verifies.

mod support;

use serde_json::json;
use std::process::Stdio;
use support::audit_lines;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{TestServer, free_port, secrets, start};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A running oidc-provider; killed when dropped.
struct AuthServer {
    issuer: String,
    _child: tokio::process::Child,
}

async fn auth_server(resource: &str, grant: &str) -> AuthServer {
    let node = support::node::node_bin().join("node");
    let script = format!("{}/tests/e2e/oidc.mjs", env!("CARGO_MANIFEST_DIR"));
    let mut child = tokio::process::Command::new(node)
        .arg(script)
        .arg("0")
        .env("RESOURCE", resource)
        .env("GRANT_SCOPES", grant)
        .env(
            "OIDC_PROVIDER_PREFIX",
            support::node::tool_dir().join("oidc"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("oidc-provider listening within 30 s")
        .unwrap()
        .expect("oidc-provider printed its issuer (is it installed? run scripts/test-deps)");
    let issuer = line
        .strip_prefix("LISTENING ")
        .expect("LISTENING line")
        .to_string();
    // Keep reading its stdout: a closed pipe would kill it on its next write.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    AuthServer {
        issuer,
        _child: child,
    }
}

struct Setup {
    fake: FakeClerk,
    srv: TestServer,
    _auth: AuthServer,
    log: std::path::PathBuf,
}

async fn setup(grant: &str) -> Setup {
    let fake = FakeClerk::start().await;
    let port = free_port().to_string();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let auth = auth_server(&resource, grant).await;
    let log = std::env::temp_dir().join(format!("clerk-mcp-oauth-e2e-{}.jsonl", fastrand::u64(..)));
    let srv = start(
        &[
            "--port",
            &port,
            "--clerk-api-url",
            fake.url.as_str(),
            "--oauth-issuer",
            &auth.issuer,
            "--resource-url",
            &resource,
            "--audit-log",
            log.to_str().unwrap(),
            "--rate-limit",
            "0",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    Setup {
        fake,
        srv,
        _auth: auth,
        log,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_signs_in_with_a_real_authorization_server_and_writes_are_audited() {
    let s = setup("clerk:read clerk:write").await;
    let uid = s.fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let plan = json!([["clerk_get_user", {"user_id": uid}], ["clerk_ban_user", {"user_id": uid}]]);
    for mode in ["auto", "legacy"] {
        let out = support::python::oauth(&s.srv.url(), mode, &plan).await;
        assert_eq!(
            out["oauth"],
            json!({"scope": "clerk:read clerk:write", "refresh_token": true, "registered": true}),
            "{mode}: {out}"
        );
        let r = &out["results"];
        assert_eq!(r[0]["is_error"], json!(false), "{mode}: {out}");
        assert_eq!(r[0]["structured"]["id"], json!(uid));
        assert_eq!(r[1]["is_error"], json!(false), "{mode}: {out}");
        let tools = out["tools"].as_array().unwrap();
        assert!(
            tools.iter().any(|t| t["name"] == "clerk_ban_user"),
            "a write token lists writes"
        );
    }
    let bans = s
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(bans, 2, "one ban per client run");
    let lines = audit_lines(&s.log);
    assert_eq!(lines.len(), 2, "{lines:?}");
    for l in &lines {
        assert_eq!(l["tool"], json!("clerk_ban_user"));
        assert_eq!(l["principal"]["kind"], json!("oauth"));
        assert_eq!(
            l["principal"]["sub"],
            json!("user_test"),
            "the subject oidc-provider signed in"
        );
        assert_eq!(l["principal"]["access"], json!("write"));
        assert!(
            l["principal"]["client_id"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{l}"
        );
    }
    let _ = std::fs::remove_file(&s.log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_grants_only_read_gets_a_read_only_server() {
    let s = setup("clerk:read").await;
    let uid = s.fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let plan = json!([["clerk_get_user", {"user_id": uid}], ["clerk_ban_user", {"user_id": uid}]]);
    let out = support::python::oauth(&s.srv.url(), "auto", &plan).await;
    assert_eq!(out["oauth"]["scope"], json!("clerk:read"), "{out}");
    let tools = out["tools"].as_array().unwrap();
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == json!(true)),
        "only reads are listed: {tools:?}"
    );
    assert_eq!(out["results"][0]["structured"]["id"], json!(uid), "{out}");
    // The write is refused with 403 insufficient_scope; the SDK tries to step up once, the user
    // again grants only read, and the call fails without reaching Clerk.
    let refused = &out["results"][1];
    assert!(
        refused["protocol_error"].is_object() || refused["is_error"] == json!(true),
        "{out}"
    );
    assert!(
        s.fake.requests().iter().all(|r| r.method == "GET"),
        "no write reached Clerk"
    );
    assert!(
        audit_lines(&s.log).is_empty(),
        "nothing was written, so nothing is audited"
    );
    let _ = std::fs::remove_file(&s.log);
}
