//! End to end with a client nobody here wrote: the official MCP Python SDK, over streamable HTTP in
//! both protocol eras and over stdio, against the fake Clerk.

mod support;

use serde_json::{Value, json};
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::python;
use support::server::{secrets, start};

fn names(out: &Value) -> Vec<String> {
    out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

fn check(out: &Value, want_version: &str, uid: &str) {
    assert_eq!(out["protocol_version"], json!(want_version), "{out}");
    assert_eq!(out["server"]["name"], json!("clerk-mcp"));
    let names = names(out);
    assert!(
        names.contains(&"clerk_get_user".to_string())
            && names.contains(&"clerk_api_call".to_string()),
        "{names:?}"
    );
    let got = &out["results"][0];
    assert_eq!(got["is_error"], json!(false), "{got}");
    assert_eq!(got["structured"]["id"], json!(uid));
    let list = &out["results"][1];
    assert_eq!(list["structured"]["total_count"], json!(1), "{list}");
    assert_eq!(list["structured"]["data"][0]["id"], json!(uid));
    let missing = &out["results"][2];
    assert_eq!(missing["is_error"], json!(true));
    assert!(
        missing["text"]
            .as_str()
            .unwrap()
            .contains("resource_not_found"),
        "{missing}"
    );
}

fn plan(uid: &str) -> Value {
    json!([["clerk_get_user", {"user_id": uid}], ["clerk_list_users", {"email_address": ["ann@example.com"]}], ["clerk_get_user", {"user_id": "user_missing"}]])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_mode_with_the_header_in_both_eras() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let srv = start(&["--clerk-api-url", &fake.url], secrets(None, None)).await;
    for (mode, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
        let out = python::http(
            &srv.url(),
            mode,
            &plan(&uid),
            &[("X-Clerk-Secret-Key", GOOD_KEY)],
        )
        .await;
        check(&out, version, &uid);
    }
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.header("authorization").unwrap() == format!("Bearer {GOOD_KEY}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_mode_in_both_eras_with_and_without_sessions() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    for flags in [
        vec!["--clerk-api-url", &fake.url],
        vec!["--clerk-api-url", &fake.url, "--legacy-sessions"],
    ] {
        let srv = start(&flags, secrets(Some(GOOD_KEY), None)).await;
        for (mode, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
            let out = python::http(&srv.url(), mode, &plan(&uid), &[]).await;
            check(&out, version, &uid);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_in_both_eras() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    for (mode, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
        let out = python::stdio(
            mode,
            &plan(&uid),
            &[("CLERK_SECRET_KEY", GOOD_KEY), ("CLERK_API_URL", &fake.url)],
        )
        .await;
        check(&out, version, &uid);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_through_the_sdk() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let token = "e2e-access-token-0123456789";
    let srv = start(
        &["--clerk-api-url", &fake.url],
        secrets(Some(GOOD_KEY), Some(token)),
    )
    .await;
    let out = python::http(
        &srv.url(),
        "auto",
        &plan(&uid),
        &[("Authorization", &format!("Bearer {token}"))],
    )
    .await;
    check(&out, "2026-07-28", &uid);
}
