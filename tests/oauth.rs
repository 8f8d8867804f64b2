//! Who is asking: `/mcp` as an OAuth 2.1 resource server (RFC 9728 metadata, challenges, JWT and
//! Clerk opaque tokens, access by scope or by Clerk organization role), beside static tokens.
//!
//! The issuer here is a small authorization server on 127.0.0.1 serving RFC 8414 metadata and a
//! JWKS, whose tokens the tests sign with its test key (tests/fixtures/). The full flow with a real
//! authorization server and the Python SDK's OAuth client is in tests/oauth_e2e.rs.

mod support;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{Answer, Client, Era, TestServer, args, start};

use support::oauth::{
    ISSUER_KEY, ISSUER_PUB, Issuer, OTHER_KEY, RESOURCE, b64, claims, good, issuer, now, sign,
};

const STATIC: &str = "static-automation-token-0123456789";

async fn server(fake: &FakeClerk, iss: &Issuer, extra: &[&str]) -> TestServer {
    let mut flags = vec![
        "--clerk-api-url",
        fake.url.as_str(),
        "--oauth-issuer",
        iss.url.as_str(),
        "--resource-url",
        RESOURCE,
        "--toolsets",
        "all",
        "--rate-limit",
        "0",
    ];
    flags.extend_from_slice(extra);
    start(
        &flags,
        support::server::secrets(Some(GOOD_KEY), Some(STATIC)),
    )
    .await
}

/// Tools a read-only caller sees (`clerk_api_call` stays, limited to reads).
fn reading_tools() -> usize {
    clerk_mcp::tools::all()
        .all()
        .iter()
        .filter(|t| t.read_only || t.gates_operations)
        .count()
}

async fn list_with(srv: &TestServer, token: Option<&str>) -> Answer {
    let mut c = Client::new(&srv.url(), Era::Modern);
    if let Some(t) = token {
        c = c.header("Authorization", &format!("Bearer {t}"));
    }
    c.raw("tools/list", json!({}), None).await
}

fn www(a: &Answer) -> String {
    a.headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_and_the_challenge_tell_a_client_where_to_get_a_token() {
    let (fake, iss) = (FakeClerk::start().await, issuer().await);
    let srv = server(&fake, &iss, &[]).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let m: Value = reqwest::get(format!("{}{path}", srv.base()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            m,
            json!({"resource": RESOURCE, "authorization_servers": [iss.url], "scopes_supported":
                ["clerk:read", "clerk:write"], "bearer_methods_supported": ["header"], "resource_name": "clerk-mcp"})
        );
    }
    let a = list_with(&srv, None).await;
    assert_eq!(a.status, 401, "{}", a.text);
    assert_eq!(
        www(&a),
        "Bearer resource_metadata=\"https://mcp.example.test/.well-known/oauth-protected-resource/mcp\", \
         scope=\"clerk:read clerk:write\""
    );
    assert_eq!(a.body["error"]["code"], json!(-32001));
    // A static automation token keeps working beside OAuth, with write access.
    let a = list_with(&srv, Some(STATIC)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["result"]["tools"].as_array().unwrap().len(), 56);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_must_be_refused_are_refused_and_reach_nothing() {
    let (fake, iss) = (FakeClerk::start().await, issuer().await);
    let srv = server(&fake, &iss, &[]).await;
    let scope = "clerk:read clerk:write";
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(&iss.url, scope);
        f(&mut c);
        sign(&c, ISSUER_KEY, Some("test-key-1"))
    };
    let header = |h: Value, c: &Value| format!("{}.{}.", b64(&h), b64(c));
    let hs256_with_public_key = {
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some("at+jwt".into());
        h.kid = Some("test-key-1".into());
        jsonwebtoken::encode(
            &h,
            &claims(&iss.url, scope),
            &EncodingKey::from_secret(ISSUER_PUB.as_bytes()),
        )
        .unwrap()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage", "not-a-token".into(), "not a JWT"),
        (
            "expired",
            with(&|c| {
                c["exp"] = json!(now() - 3600);
                c["iat"] = json!(now() - 7200);
                c["nbf"] = json!(now() - 7200);
            }),
            "expired",
        ),
        (
            "not yet valid",
            with(&|c| c["nbf"] = json!(now() + 3600)),
            "not valid yet",
        ),
        (
            "wrong issuer",
            with(&|c| c["iss"] = json!("https://evil.example")),
            "another authorization server",
        ),
        (
            "wrong audience",
            with(&|c| c["aud"] = json!(["https://other.example/mcp"])),
            "not issued for this server",
        ),
        (
            "no audience",
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            "no audience",
        ),
        (
            "bad signature",
            sign(&claims(&iss.url, scope), OTHER_KEY, Some("test-key-1")),
            "signature",
        ),
        (
            "unknown kid",
            sign(&claims(&iss.url, scope), OTHER_KEY, Some("rotated-away")),
            "key id",
        ),
        (
            "alg none",
            header(
                json!({"alg": "none", "typ": "at+jwt"}),
                &claims(&iss.url, scope),
            ),
            "not a JWT",
        ),
        (
            "HS256 signed with the public key",
            hs256_with_public_key,
            "asymmetric",
        ),
        (
            "an ID token (typ JWT is fine, but no scope)",
            with(&|c| {
                c["scope"] = json!("openid");
            }),
            "",
        ),
    ];
    for (what, token, reason) in &cases {
        let a = list_with(&srv, Some(token)).await;
        if reason.is_empty() {
            // A genuine token that grants nothing here: 403, naming the scope to ask for.
            assert_eq!(a.status, 403, "{what}: {}", a.text);
            assert!(
                www(&a).contains("error=\"insufficient_scope\""),
                "{what}: {}",
                www(&a)
            );
            continue;
        }
        assert_eq!(a.status, 401, "{what}: {}", a.text);
        let w = www(&a);
        assert!(
            w.contains("error=\"invalid_token\"") && w.contains("resource_metadata="),
            "{what}: {w}"
        );
        assert!(
            a.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{what}: {}",
            a.text
        );
        assert!(
            !a.text.contains(token.as_str()),
            "{what}: the token is echoed"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "no refused token reaches Clerk: {:?}",
        fake.requests()
    );
    // And the good token works.
    let a = list_with(&srv, Some(&good(&iss.url, scope))).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_token_sees_and_calls_only_reads_and_gets_a_403_challenge_on_writes() {
    let (fake, iss) = (FakeClerk::start().await, issuer().await);
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let log =
        std::env::temp_dir().join(format!("clerk-mcp-oauth-audit-{}.jsonl", fastrand::u64(..)));
    let srv = server(&fake, &iss, &["--audit-log", log.to_str().unwrap()]).await;
    let read = good(&iss.url, "clerk:read");
    let listed = list_with(&srv, Some(&read)).await;
    let tools = listed.body["result"]["tools"].as_array().unwrap();
    assert_eq!(
        tools.len(),
        reading_tools(),
        "every tool that reads, and only those"
    );
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == json!(true)),
        "a read token lists only tools that read"
    );
    assert_eq!(listed.body["result"]["cacheScope"], json!("private"));
    let mut c =
        Client::new(&srv.url(), Era::Modern).header("Authorization", &format!("Bearer {read}"));
    assert_eq!(
        c.ok("clerk_get_user", json!({"user_id": uid})).await["id"],
        json!(uid)
    );
    for (tool, args) in [
        ("clerk_delete_user", json!({"user_id": uid})),
        (
            "clerk_api_call",
            json!({"operation_id": "DeleteUser", "arguments": {"user_id": uid}}),
        ),
    ] {
        let a = c
            .raw(
                "tools/call",
                json!({"name": tool, "arguments": args}),
                Some(tool),
            )
            .await;
        assert_eq!(a.status, 403, "{tool}: {}", a.text);
        let w = www(&a);
        assert!(
            w.contains("error=\"insufficient_scope\"")
                && w.contains("scope=\"clerk:read clerk:write\""),
            "{tool}: {w}"
        );
    }
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "no write reached Clerk"
    );
    let write = good(&iss.url, "clerk:read clerk:write");
    let mut w =
        Client::new(&srv.url(), Era::Modern).header("Authorization", &format!("Bearer {write}"));
    assert_eq!(
        w.ok("clerk_delete_user", json!({"user_id": uid})).await["deleted"],
        json!(true)
    );
    // The audit log names the OAuth caller (subject, client, token id), never the token.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&write) && !text.contains(&read));
    let lines = support::audit_lines(&log);
    assert_eq!(lines.len(), 1, "the refused writes never ran: {lines:?}");
    assert_eq!(
        lines[0]["principal"],
        json!({"kind": "oauth", "sub": "user_oauthsubject", "client_id": "client_claude",
            "token_id": "jti_0001", "org_id": null, "access": "write"})
    );
    let _ = std::fs::remove_file(log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_opaque_tokens_are_checked_with_clerk_and_cached() {
    let (fake, iss) = (FakeClerk::start().await, issuer().await);
    fake.seed_oauth_token(
        "oat_goodtoken0001",
        "user_a",
        &["clerk:read", "clerk:write"],
        false,
        false,
    );
    fake.seed_oauth_token(
        "oat_revokedtoken1",
        "user_a",
        &["clerk:read", "clerk:write"],
        true,
        false,
    );
    fake.seed_oauth_token("oat_expiredtoken1", "user_a", &["clerk:read"], false, true);
    let srv = server(&fake, &iss, &[]).await;
    for (token, status) in [
        ("oat_goodtoken0001", 200),
        ("oat_goodtoken0001", 200),
        ("oat_revokedtoken1", 401),
        ("oat_expiredtoken1", 401),
        ("oat_unknowntoken1", 401),
    ] {
        let a = list_with(&srv, Some(token)).await;
        assert_eq!(a.status, status, "{token}: {}", a.text);
    }
    let verifies: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/oauth_applications/access_tokens/verify")
        .collect();
    assert_eq!(
        verifies.len(),
        4,
        "the good token is checked once, then cached"
    );
    assert!(
        verifies
            .iter()
            .all(|r| r.header("authorization").unwrap() == format!("Bearer {GOOD_KEY}"))
    );
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.path.starts_with("/v1/oauth_applications")),
        "nothing else reaches Clerk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_by_clerk_organization_role() {
    let (fake, iss) = (FakeClerk::start().await, issuer().await);
    let admin = fake.seed_user("Ada", "Admin", "ada@example.com");
    let member = fake.seed_user("Max", "Member", "max@example.com");
    let outsider = fake.seed_user("Oz", "Outsider", "oz@example.com");
    let org = fake.seed_membership("Support", &admin, "org:admin");
    fake.seed_membership("Support", &member, "org:member");
    let srv = server(
        &fake,
        &iss,
        &[
            "--oauth-org",
            &org,
            "--oauth-read-roles",
            "org:member",
            "--oauth-write-roles",
            "org:admin",
        ],
    )
    .await;
    let token = |sub: &str| {
        let mut c = claims(&iss.url, "openid");
        c["sub"] = json!(sub);
        sign(&c, ISSUER_KEY, Some("test-key-1"))
    };
    let n = |a: &Answer| a.body["result"]["tools"].as_array().map_or(0, Vec::len);
    let as_admin = list_with(&srv, Some(&token(&admin))).await;
    assert_eq!((as_admin.status, n(&as_admin)), (200, 56));
    let as_member = list_with(&srv, Some(&token(&member))).await;
    assert_eq!(as_member.status, 200);
    assert_eq!(n(&as_member), reading_tools(), "a member reads");
    let mut c = Client::new(&srv.url(), Era::Modern)
        .header("Authorization", &format!("Bearer {}", token(&member)));
    let a = c
        .raw(
            "tools/call",
            json!({"name": "clerk_ban_user", "arguments": {"user_id": outsider}}),
            Some("clerk_ban_user"),
        )
        .await;
    assert_eq!(
        a.status, 403,
        "a member without the write role may not write: {}",
        a.text
    );
    let as_outsider = list_with(&srv, Some(&token(&outsider))).await;
    assert_eq!(as_outsider.status, 403, "{}", as_outsider.text);
    assert!(as_outsider.text.contains(&org));
    // Roles were looked up with the issuer key, once per user.
    let lookups = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/organization_memberships"))
        .count();
    assert_eq!(lookups, 3);
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn oauth_settings_are_checked_at_startup() {
    let reg = clerk_mcp::tools::all();
    for (flags, needle) in [
        (
            vec!["--oauth-issuer", "https://auth.example.com"],
            "--resource-url",
        ),
        (vec!["--resource-url", RESOURCE], "--oauth-issuer"),
        (
            vec![
                "--oauth-issuer",
                "https://auth.example.com",
                "--resource-url",
                "mcp.example.com/mcp",
            ],
            "not a URL",
        ),
        (
            vec![
                "--oauth-issuer",
                "https://a.example",
                "--resource-url",
                RESOURCE,
                "--oauth-org",
                "org_1",
            ],
            "roles",
        ),
    ] {
        let e = clerk_mcp::config::Config::build(
            &args(&flags),
            &support::server::secrets(None, None),
            &reg,
            false,
        )
        .unwrap_err();
        assert!(e.contains(needle), "{flags:?}: {e}");
    }
    // OAuth counts as authentication for a hosted server beyond loopback.
    let ok = clerk_mcp::config::Config::build(
        &args(&[
            "--host",
            "0.0.0.0",
            "--allowed-hosts",
            "mcp.example.com",
            "--oauth-issuer",
            "https://a.example",
            "--resource-url",
            RESOURCE,
        ]),
        &support::server::secrets(Some(GOOD_KEY), None),
        &reg,
        false,
    );
    assert!(ok.is_ok(), "{ok:?}");
}
