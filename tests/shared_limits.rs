//! Limits shared through a real `redis-server`: two servers (replicas) with the same `--redis-url`
//! count one per-client limit and one per-Clerk-instance budget; when Redis stops, each goes on
//! alone and health says so; nothing of a key or token reaches Redis.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::redis::RedisServer;
use support::server::{Client, Era, TestServer, secrets, start};

const TOKEN: &str = "shared-limits-token-0123456789abcdef";

async fn health(srv: &TestServer) -> Value {
    reqwest::get(format!("{}/api/health", srv.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn client(srv: &TestServer) -> Client {
    Client::new(&srv.url(), Era::Modern).header("Authorization", &format!("Bearer {TOKEN}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_count_one_client_limit_and_go_on_alone_without_redis() {
    let mut redis = RedisServer::start();
    let fake = FakeClerk::start().await;
    let url = redis.url();
    let flags = [
        "--clerk-api-url",
        &fake.url,
        "--rate-limit",
        "10",
        "--redis-url",
        &url,
    ];
    let a = start(&flags, secrets(Some(GOOD_KEY), Some(TOKEN))).await;
    let b = start(&flags, secrets(Some(GOOD_KEY), Some(TOKEN))).await;
    let (mut ca, mut cb) = (client(&a), client(&b));

    // Ten requests, alternating replicas: the burst of 10 is one budget, not two.
    for i in 0..10 {
        let c = if i % 2 == 0 { &mut ca } else { &mut cb };
        assert_eq!(
            c.raw("tools/list", json!({}), None).await.status,
            200,
            "request {i}"
        );
    }
    for c in [&mut ca, &mut cb] {
        let r = c.raw("tools/list", json!({}), None).await;
        assert_eq!(
            r.status, 429,
            "the 11th request, whichever replica gets it: {}",
            r.text
        );
        assert!(r.headers.get("retry-after").is_some());
    }
    let h = health(&a).await;
    assert_eq!(
        (h["status"].as_str(), h["sharedLimits"].as_str()),
        (Some("ok"), Some("redis")),
        "{h}"
    );
    let keys = redis.keys();
    assert!(
        keys.iter().any(|k| k == "clerk-mcp:client:token:0"),
        "{keys:?}"
    );
    for k in &keys {
        assert!(!k.contains(TOKEN) && !k.contains(GOOD_KEY), "{k}");
    }

    // Redis goes away: traffic goes on under each replica's own limit, and health says so.
    redis.stop();
    assert_eq!(ca.raw("tools/list", json!({}), None).await.status, 200);
    assert_eq!(cb.raw("tools/list", json!({}), None).await.status, 200);
    let h = health(&b).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["sharedLimits"], "local", "{h}");
    assert!(h["detail"].as_str().unwrap().contains("Redis"), "{h}");
    assert!(
        !h.to_string().contains(&url),
        "no Redis address in health: {h}"
    );
    // Local limits still hold: A alone has 10 in its burst and used 1.
    let mut limited = 0;
    for _ in 0..12 {
        if ca.raw("tools/list", json!({}), None).await.status == 429 {
            limited += 1;
        }
    }
    assert!(
        limited >= 2,
        "the local limit applies while Redis is down ({limited})"
    );

    // Redis is back: after the back-off, limits are shared again.
    redis.resume();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut status = String::new();
    for _ in 0..20 {
        let h = health(&a).await;
        status = h["status"].as_str().unwrap_or("").to_string();
        if status == "ok" && h["sharedLimits"] == "redis" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_wait_for_the_instance_budget_instead_of_meeting_clerks_429() {
    let redis = RedisServer::start();
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    // The fake Clerk allows 50 requests in any 10 s, and both replicas are told so.
    fake.set_rate_limit(50, Duration::from_secs(10));
    let url = redis.url();
    let flags = [
        "--clerk-api-url",
        &fake.url,
        "--rate-limit",
        "0",
        "--clerk-rate-limit",
        "50",
        "--redis-url",
        &url,
    ];
    let a = start(&flags, secrets(Some(GOOD_KEY), None)).await;
    let b = start(&flags, secrets(Some(GOOD_KEY), None)).await;

    // 30 calls at once, half on each replica: 5 go at once, the rest at 4.5 per second.
    let started = Instant::now();
    let mut calls = Vec::new();
    for i in 0..30 {
        let url = if i % 2 == 0 { a.url() } else { b.url() };
        let uid = uid.clone();
        calls.push(tokio::spawn(async move {
            let mut c = Client::new(&url, Era::Modern);
            c.call("clerk_get_user", json!({"user_id": uid})).await
        }));
    }
    for (i, call) in calls.into_iter().enumerate() {
        let r = call.await.unwrap();
        assert_ne!(r["isError"], json!(true), "call {i}: {r}");
    }
    let took = started.elapsed();
    assert_eq!(fake.throttled(), 0, "Clerk never had to say 429");
    assert_eq!(fake.requests().len(), 30, "no retries were needed");
    assert!(
        took >= Duration::from_secs(5),
        "the calls waited for the budget ({took:?})"
    );
    assert!(
        redis
            .keys()
            .iter()
            .any(|k| k.starts_with("clerk-mcp:clerk:"))
    );

    // The control: a replica without the budget meets Clerk's limit at once.
    let c = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--rate-limit",
            "0",
            "--clerk-rate-limit",
            "0",
            "--max-attempts",
            "1",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut direct = Client::new(&c.url(), Era::Modern);
    for _ in 0..30 {
        direct.call("clerk_get_user", json!({"user_id": uid})).await;
    }
    assert!(fake.throttled() > 0, "without the budget Clerk answers 429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_with_no_room_before_the_deadline_sends_nothing_and_says_when() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--clerk-rate-limit",
            "1",
            "--call-deadline",
            "2",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    c.ok("clerk_get_user", json!({"user_id": uid})).await;
    let started = Instant::now();
    let e = c.err("clerk_get_user", json!({"user_id": uid})).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "it does not wait when waiting cannot help"
    );
    let text = e.to_string();
    assert!(
        text.contains("rate_limited") && text.contains("not sent"),
        "{e}"
    );
    assert!(text.contains("retry in"), "{e}");
    assert_eq!(
        fake.requests().len(),
        1,
        "the second call never reached Clerk"
    );
}
