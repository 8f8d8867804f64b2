//! A person confirms destructive calls: real clients (the official Python SDK and the TypeScript v2
//! client) with an elicitation callback that accepts, declines or cancels, on 2026-07-28 (Multi
//! Round-Trip Requests) and on 2025-11-25 sessions (`elicitation/create`); forged, replayed and
//! swapped confirmation states; clients that cannot be asked under each `--confirm-destructive`;
//! and the bulk limit. The fake Clerk counts what reaches it.

mod support;

use serde_json::{Value, json};
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{Answer, Client, Era, TestServer, secrets, start};
use support::{python, ts_client};

async fn serve(fake: &FakeClerk, extra: &[&str]) -> TestServer {
    let mut flags = vec!["--clerk-api-url", fake.url.as_str(), "--legacy-sessions"];
    flags.extend_from_slice(extra);
    start(&flags, secrets(Some(GOOD_KEY), None)).await
}

fn deletes(fake: &FakeClerk) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count()
}

const ADA: (&str, &str, &str) = ("Ada", "Lovelace", "ada@example.com");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_user_confirms_or_refuses_a_delete_on_both_protocol_revisions() {
    for mode in ["auto", "legacy"] {
        for (answer, runs) in [("accept", 1), ("decline", 0), ("cancel", 0)] {
            let fake = FakeClerk::start().await;
            let uid = fake.seed_user(ADA.0, ADA.1, ADA.2);
            let srv = serve(&fake, &[]).await;
            let plan = json!([["clerk_delete_user", {"user_id": uid}]]);
            let out = python::http_env(&srv.url(), mode, &plan, &[], &[("ELICIT", answer)]).await;
            let asked = out["elicitations"].as_array().unwrap();
            assert_eq!(asked.len(), 1, "{mode}/{answer}: asked once: {out}");
            let q = asked[0].as_str().unwrap();
            assert!(
                q.contains("Ada Lovelace <ada@example.com>")
                    && q.contains(&uid)
                    && q.contains("cannot be undone"),
                "{mode}: the question names the person from a read, not just the id: {q}"
            );
            let r = &out["results"][0];
            assert_eq!(r["is_error"], json!(false), "{mode}/{answer}: {out}");
            assert_eq!(
                deletes(&fake),
                runs,
                "{mode}/{answer}: deleted exactly {runs} time(s)"
            );
            if runs == 0 {
                assert_eq!(r["structured"]["done"], json!(false), "{r}");
                let how = if answer == "decline" {
                    "declined"
                } else {
                    "cancelled"
                };
                assert!(r["text"].as_str().unwrap().contains(how), "{r}");
            } else {
                assert_eq!(r["structured"]["deleted"], json!(true), "{r}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_client_confirms_on_both_protocol_revisions() {
    for era in ["modern", "legacy"] {
        for (answer, runs) in [("accept", 1), ("decline", 0)] {
            let fake = FakeClerk::start().await;
            let uid = fake.seed_user(ADA.0, ADA.1, ADA.2);
            let srv = serve(&fake, &[]).await;
            let plan = json!([["clerk_ban_user", {"user_id": uid}]]);
            let out = ts_client::run(&srv.url(), era, &plan, &[("ELICIT", answer)]).await;
            let asked = out["elicitations"].as_array().unwrap();
            assert_eq!(asked.len(), 1, "{era}/{answer}: {out}");
            assert!(
                asked[0]
                    .as_str()
                    .unwrap()
                    .starts_with("Ban user: Ada Lovelace <ada@example.com>"),
                "{out}"
            );
            assert!(
                !asked[0].as_str().unwrap().contains("cannot be undone"),
                "a ban can be lifted"
            );
            assert_eq!(
                out["results"][0]["is_error"],
                json!(false),
                "{era}/{answer}: {out}"
            );
            let bans = fake
                .requests()
                .iter()
                .filter(|r| r.path.ends_with("/ban"))
                .count();
            assert_eq!(bans, runs, "{era}/{answer}");
        }
    }
}

/// A client that declares elicitation, speaking 2026-07-28 by hand, so states can be forged.
fn asker(srv: &TestServer, key: &str) -> Client {
    Client::new(&srv.url(), Era::Modern)
        .header("X-Clerk-Secret-Key", key)
        .capabilities(json!({"elicitation": {"form": {}}}))
}

async fn call(c: &mut Client, args: Value, state: Option<&str>, action: &str) -> Answer {
    let mut params = json!({"name": "clerk_delete_user", "arguments": args});
    if let Some(s) = state {
        params["requestState"] = json!(s);
        params["inputResponses"] = json!({"confirm": {"action": action, "content": {}}});
    }
    c.raw("tools/call", params, Some("clerk_delete_user")).await
}

fn state_of(a: &Answer) -> String {
    assert_eq!(
        a.body["result"]["resultType"],
        json!("input_required"),
        "{}",
        a.text
    );
    let q = &a.body["result"]["inputRequests"]["confirm"];
    assert_eq!(q["method"], json!("elicitation/create"), "{}", a.text);
    assert_eq!(q["params"]["mode"], json!("form"));
    a.body["result"]["requestState"]
        .as_str()
        .unwrap()
        .to_string()
}

fn refused(a: &Answer, needle: &str) {
    let r = &a.body["result"];
    assert_eq!(r["isError"], json!(true), "{}", a.text);
    assert!(a.text.contains(needle), "expected `{needle}`: {}", a.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_and_swapped_states_are_refused_and_nothing_reaches_clerk() {
    let fake = FakeClerk::start().await;
    let ada = fake.seed_user(ADA.0, ADA.1, ADA.2);
    let bob = fake.seed_user("Bob", "Builder", "bob@example.com");
    // Public mode: each key is its own principal.
    let srv = start(&["--clerk-api-url", &fake.url], secrets(None, None)).await;
    let mut c = asker(&srv, GOOD_KEY);
    let state = state_of(&call(&mut c, json!({"user_id": ada}), None, "").await);
    // Tampered.
    let mut t = state.clone();
    let last = t.pop().unwrap();
    t.push(if last == 'A' { 'B' } else { 'A' });
    refused(
        &call(&mut c, json!({"user_id": ada}), Some(&t), "accept").await,
        "invalid or has expired",
    );
    refused(
        &call(
            &mut c,
            json!({"user_id": ada}),
            Some("rs1.garbage.garbage"),
            "accept",
        )
        .await,
        "invalid",
    );
    // The same state for another target.
    refused(
        &call(&mut c, json!({"user_id": bob}), Some(&state), "accept").await,
        "another call",
    );
    // The same state from another principal (another team's key).
    let mut other = asker(&srv, "sk_test_anotherteamkey000000000000000");
    refused(
        &call(&mut other, json!({"user_id": ada}), Some(&state), "accept").await,
        "another call",
    );
    assert_eq!(deletes(&fake), 0, "nothing was deleted by a refused state");
    // The right call, once.
    let ok = call(&mut c, json!({"user_id": ada}), Some(&state), "accept").await;
    assert_eq!(
        ok.body["result"]["structuredContent"]["deleted"],
        json!(true),
        "{}",
        ok.text
    );
    refused(
        &call(&mut c, json!({"user_id": ada}), Some(&state), "accept").await,
        "already used",
    );
    assert_eq!(deletes(&fake), 1, "the delete ran exactly once");
    // The question itself did not reach Clerk's write endpoints, only a read of the target.
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.method == "GET" || r.method == "DELETE")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_confirm_timeout_is_refused() {
    let fake = FakeClerk::start().await;
    let ada = fake.seed_user(ADA.0, ADA.1, ADA.2);
    let srv = start(
        &["--clerk-api-url", &fake.url, "--confirm-timeout", "1"],
        secrets(None, None),
    )
    .await;
    let mut c = asker(&srv, GOOD_KEY);
    let state = state_of(&call(&mut c, json!({"user_id": ada}), None, "").await);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    refused(
        &call(&mut c, json!({"user_id": ada}), Some(&state), "accept").await,
        "invalid or has expired",
    );
    assert_eq!(deletes(&fake), 0, "an expired confirmation deletes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_cannot_be_asked_follow_confirm_destructive() {
    for (setting, runs) in [("auto", 1), ("always", 0), ("never", 1)] {
        let fake = FakeClerk::start().await;
        let uid = fake.seed_user(ADA.0, ADA.1, ADA.2);
        let srv = serve(&fake, &["--confirm-destructive", setting]).await;
        let plan = json!([["clerk_delete_user", {"user_id": uid}]]);
        // The SDK without an elicitation callback does not declare the capability.
        let out = python::http(&srv.url(), "auto", &plan, &[]).await;
        let r = &out["results"][0];
        assert_eq!(deletes(&fake), runs, "{setting}: {out}");
        if runs == 0 {
            assert_eq!(r["is_error"], json!(true), "{r}");
            let text = r["text"].as_str().unwrap();
            assert!(
                text.contains("--confirm-destructive auto") && text.contains("elicitation"),
                "{text}"
            );
        }
    }
    // `never` asks no one, even a client that could answer.
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user(ADA.0, ADA.1, ADA.2);
    let srv = serve(&fake, &["--confirm-destructive", "never"]).await;
    let plan = json!([["clerk_delete_user", {"user_id": uid}]]);
    let out = python::http_env(&srv.url(), "auto", &plan, &[], &[("ELICIT", "decline")]).await;
    assert_eq!(out["elicitations"], json!([]));
    assert_eq!(deletes(&fake), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_dry_runs_are_never_asked_about_and_bulk_calls_are_bounded() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user(ADA.0, ADA.1, ADA.2);
    let org = fake.seed_membership("Acme", &uid, "org:admin");
    let srv = serve(&fake, &["--max-bulk", "3"]).await;
    let invite = |n: usize| {
        (0..n)
            .map(|i| json!({"email_address": format!("p{i}@example.com"), "role": "org:member"}))
            .collect::<Vec<_>>()
    };
    let plan = json!([
        ["clerk_get_user", {"user_id": uid}],
        ["clerk_delete_user", {"user_id": uid, "dry_run": true}],
        ["clerk_create_organization_invitations_bulk", {"organization_id": org, "body": invite(4)}],
        ["clerk_create_organization_invitations_bulk", {"organization_id": org, "body": invite(3)}],
    ]);
    let out = python::http_env(&srv.url(), "auto", &plan, &[], &[("ELICIT", "decline")]).await;
    assert_eq!(out["elicitations"], json!([]), "nothing to confirm: {out}");
    let dry = &out["results"][1]["structured"];
    assert_eq!(dry["would_send"]["method"], json!("DELETE"), "{out}");
    assert_eq!(dry["would_send"]["path"], json!(format!("/v1/users/{uid}")));
    assert_eq!(
        dry["current"]["id"],
        json!(uid),
        "the dry run shows the user as they are"
    );
    let too_many = &out["results"][2];
    assert_eq!(too_many["is_error"], json!(true));
    let text = too_many["text"].as_str().unwrap();
    assert!(
        text.contains("4 objects") && text.contains("at most 3") && text.contains("--max-bulk"),
        "{text}"
    );
    assert_eq!(out["results"][3]["is_error"], json!(false), "{out}");
    let posts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(
        posts.len(),
        1,
        "only the bulk call within the limit was sent: {posts:?}"
    );
}
