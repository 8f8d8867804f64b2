//! Faults, abuse and load: Clerk misbehaving, clients misbehaving, many clients at once — with nothing
//! lost, no crash, and every failure a clear error.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::fake_clerk::{FakeClerk, Fault, GOOD_KEY};
use support::server::{Client, Era, secrets, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ERR_429: &str = r#"{"errors":[{"message":"Too many requests","long_message":"Too many requests, please retry later","code":"too_many_requests"}],"clerk_trace_id":"t429"}"#;
const ERR_5XX: &str = r#"{"errors":[{"message":"unavailable","long_message":"Service unavailable","code":"service_unavailable"}],"clerk_trace_id":"t503"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_faults_are_retried_or_reported_clearly() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--max-attempts",
            "3",
            "--timeout",
            "1",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);

    // 429 then 200: one retry after the Retry-After.
    fake.clear_requests();
    fake.push_fault(
        Fault::new(429, ERR_429)
            .on("GET", "/v1/users/")
            .header("retry-after", "1")
            .header("content-type", "application/json"),
    );
    let t = Instant::now();
    assert_eq!(
        c.ok("clerk_get_user", json!({"user_id": uid})).await["id"],
        json!(uid)
    );
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "waited only {:?}",
        t.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);

    // Repeated 503: gives up after the configured 3 attempts with Clerk's error and trace id.
    fake.clear_requests();
    for _ in 0..3 {
        fake.push_fault(
            Fault::new(503, ERR_5XX)
                .on("GET", "/v1/users/")
                .header("content-type", "application/json"),
        );
    }
    let e = c.err("clerk_get_user", json!({"user_id": uid})).await;
    assert_eq!(
        (
            e["status"].clone(),
            e["code"].clone(),
            e["clerk_trace_id"].clone()
        ),
        (json!(503), json!("service_unavailable"), json!("t503"))
    );
    assert_eq!(fake.requests().len(), 3);

    // A POST that got a 500 is not retried: it may have been applied.
    fake.clear_requests();
    fake.push_fault(Fault::new(500, ERR_5XX).on("POST", "/v1/organizations"));
    let e = c
        .err(
            "clerk_create_organization",
            json!({"body": {"name": "Once"}}),
        )
        .await;
    assert_eq!(e["status"], json!(500));
    assert_eq!(fake.requests().len(), 1, "a POST must never be sent twice");

    // A 429 on a POST is returned (with retry_after), not retried.
    fake.clear_requests();
    fake.push_fault(
        Fault::new(429, ERR_429)
            .on("POST", "/v1/organizations")
            .header("retry-after", "30"),
    );
    let e = c
        .err(
            "clerk_create_organization",
            json!({"body": {"name": "Later"}}),
        )
        .await;
    assert_eq!(
        (e["status"].clone(), e["retry_after"].clone()),
        (json!(429), json!(30))
    );
    assert_eq!(fake.requests().len(), 1);

    // A hung upstream times out (per attempt), and the server keeps serving meanwhile.
    fake.clear_requests();
    for _ in 0..3 {
        fake.push_fault(
            Fault::new(200, "{}")
                .on("GET", "/v1/users/")
                .delay(Duration::from_secs(5)),
        );
    }
    let url = srv.url();
    let hung = tokio::spawn(async move {
        Client::new(&url, Era::Modern)
            .err("clerk_get_user", json!({"user_id": "user_hang"}))
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    assert!(!c.list_tools().await.is_empty());
    assert!(c.ok("clerk_list_organizations", json!({})).await["data"].is_array());
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "other requests waited for the hung one: {:?}",
        t.elapsed()
    );
    let e = hung.await.unwrap();
    assert_eq!(
        (e["error"].clone(), e["timeout"].clone()),
        (json!("unreachable"), json!(true)),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("timed out"), "{e}");

    // Malformed JSON on a 200.
    fake.push_fault(
        Fault::new(200, "{\"id\": \"user_1\", trunc")
            .on("GET", "/v1/users/")
            .header("content-type", "application/json"),
    );
    let e = c.err("clerk_get_user", json!({"user_id": uid})).await;
    assert!(
        e["message"].as_str().unwrap().contains("not valid JSON"),
        "{e}"
    );

    // Connection refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/v1", dead.local_addr().unwrap());
    drop(dead);
    let srv2 = start(
        &["--clerk-api-url", &dead_url, "--max-attempts", "2"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let e = Client::new(&srv2.url(), Era::Modern)
        .err("clerk_get_user", json!({"user_id": uid}))
        .await;
    assert_eq!(e["error"], json!("unreachable"));
    assert!(e["message"].as_str().unwrap().contains("connection"), "{e}");
}

/// Issue 11.3: the official TypeScript SDK gives up after 60 s; a GET to a hung Clerk is tried three
/// times × 30 s. The call deadline (45 s by default) answers first, with a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_clerk_gets_the_deadline_error_before_the_client_gives_up() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let srv = start(
        &["--clerk-api-url", &fake.url, "--rate-limit", "0"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    for _ in 0..3 {
        fake.push_fault(
            Fault::new(200, "{}")
                .on("GET", "/v1/users/")
                .delay(Duration::from_secs(300)),
        );
    }
    let mut c = Client::new(&srv.url(), Era::Modern);
    // A fast deadline on a second server (and its own hung Clerk) shows the same error quickly.
    let hung = FakeClerk::start().await;
    for _ in 0..6 {
        hung.push_fault(Fault::new(200, "{}").delay(Duration::from_secs(300)));
    }
    let quick = start(
        &[
            "--clerk-api-url",
            &hung.url,
            "--rate-limit",
            "0",
            "--call-deadline",
            "2",
            "--timeout",
            "1",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let started = Instant::now();
    let (slow, fast) = tokio::join!(c.err("clerk_get_user", json!({"user_id": uid})), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        let e = Client::new(&quick.url(), Era::Modern)
            .err("clerk_list_users", json!({"limit": 1}))
            .await;
        (e, t.elapsed())
    });
    let took = started.elapsed();
    assert!(
        took <= Duration::from_secs(46) && took >= Duration::from_secs(44),
        "answered after {took:?}"
    );
    assert_eq!(slow["error"], json!("deadline_exceeded"), "{slow}");
    let msg = slow["message"].as_str().unwrap();
    assert!(
        msg.contains("did not answer in time") && msg.contains("45 s") && msg.contains("2 attempt"),
        "{msg}"
    );
    assert_eq!(slow["attempts"], json!(2));
    let (fast, fast_took) = fast;
    assert_eq!(fast["error"], json!("deadline_exceeded"), "{fast}");
    assert!(fast_took < Duration::from_secs(3), "{fast_took:?}");
}

async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).to_string()
}

fn post(body: &[u8], extra_headers: &str) -> Vec<u8> {
    let mut r = format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: clerk_get_user\r\nConnection: close\r\n{extra_headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn call_body(args: Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "clerk_get_user", "arguments": args,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string()
    .into_bytes()
}

fn status_of(resp: &str) -> u16 {
    resp.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abusive_requests_are_refused_cleanly() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &["--clerk-api-url", &fake.url, "--rate-limit", "0"],
        secrets(None, None),
    )
    .await;

    // Oversized body.
    let big = call_body(json!({"user_id": "x".repeat(2 * 1024 * 1024)}));
    assert_eq!(status_of(&raw_http(srv.addr, &post(&big, "")).await), 413);

    // 10,000 levels of nesting: refused as a parse error, no stack overflow.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let body = String::from_utf8(call_body(json!({"user_id": "PLACEHOLDER"})))
        .unwrap()
        .replace("\"PLACEHOLDER\"", &deep);
    let resp = raw_http(srv.addr, &post(body.as_bytes(), "")).await;
    let st = status_of(&resp);
    assert!((400..500).contains(&st), "deep nesting: {resp}");
    assert!(resp.contains("\"error\""), "a JSON-RPC error: {resp}");

    // 40 levels inside an object argument: parses, but the tool refuses with a clear message.
    let mut nested = json!("leaf");
    for _ in 0..40 {
        nested = json!({"n": nested});
    }
    let mut c = Client::new(&srv.url(), Era::Modern).header("X-Clerk-Secret-Key", GOOD_KEY);
    let e = c
        .err(
            "clerk_update_user_metadata",
            json!({"user_id": "user_1", "body": {"public_metadata": nested}}),
        )
        .await;
    assert!(
        e["message"].as_str().unwrap().contains("nested deeper"),
        "{e}"
    );
    let e = c
        .err("clerk_list_users", json!({"user_id": vec!["u"; 5000]}))
        .await;
    assert!(
        e["message"].as_str().unwrap().contains("5000 elements"),
        "{e}"
    );

    // Invalid UTF-8.
    let mut bad = call_body(json!({"user_id": "AAAA"}));
    let i = bad.windows(4).position(|w| w == b"AAAA").unwrap();
    bad[i] = 0xff;
    bad[i + 1] = 0xfe;
    let resp = raw_http(srv.addr, &post(&bad, "")).await;
    assert!(
        (400..500).contains(&status_of(&resp)),
        "invalid UTF-8: {resp}"
    );

    // CR/LF smuggled into the key header: refused before anything reads it; nothing reaches Clerk.
    let resp = raw_http(
        srv.addr,
        &post(
            &call_body(json!({"user_id": "u"})),
            "X-Clerk-Secret-Key: sk_test_abc\rX-Injected: 1\r\n",
        ),
    )
    .await;
    assert_eq!(status_of(&resp), 400, "{resp}");
    assert!(fake.requests().is_empty(), "nothing may reach Clerk");

    // Garbage that is not HTTP at all, then the server still works.
    let resp = raw_http(srv.addr, b"\x00\x01\x02 GARBAGE\r\n\r\n").await;
    assert!(resp.is_empty() || status_of(&resp) == 400, "{resp}");
    assert!(
        !Client::new(&srv.url(), Era::Modern)
            .list_tools()
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_returns_429_and_recovers() {
    let srv = start(&["--rate-limit", "60"], secrets(None, None)).await;
    let mut c = Client::new(&srv.url(), Era::Modern).header("X-Clerk-Secret-Key", GOOD_KEY);
    let mut limited = None;
    let began = std::time::Instant::now();
    for i in 0..70 {
        let a = c.raw("tools/list", json!({}), None).await;
        if a.status == 429 {
            limited = Some((i, a));
            break;
        }
        assert_eq!(a.status, 200);
    }
    let (i, a) = limited.expect("the 61st request within a minute is limited");
    // The burst is the per-minute quota, plus one request per whole second the burst took (a busy
    // machine can take more than a second for 60 requests).
    let refilled = began.elapsed().as_secs() as usize;
    assert!(
        (60..=60 + refilled).contains(&i),
        "limited after {i} requests in {:?}",
        began.elapsed()
    );
    assert_eq!(a.body["error"]["code"], json!(-32000));
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Rate limit"),
        "{}",
        a.text
    );
    let wait: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=2).contains(&wait),
        "one request per second replenishes: Retry-After {wait}"
    );
    // Another client (another team's key) is not affected.
    let mut other = Client::new(&srv.url(), Era::Modern).header(
        "X-Clerk-Secret-Key",
        "sk_test_anotherteamkey000000000000000",
    );
    assert_eq!(other.raw("tools/list", json!({}), None).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100 * wait)).await;
    assert_eq!(
        c.raw("tools/list", json!({}), None).await.status,
        200,
        "recovers"
    );
}

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_200_clients_by_50_calls_with_no_failure_and_memory_back() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let (mut child, pid, addr) =
        spawn_hosted(&fake.url, &["--rate-limit", "0", "--log-level", "warn"]).await;
    let url = format!("http://{addr}/mcp");
    // Warm up, then measure the baseline.
    for _ in 0..200 {
        Client::new(&url, Era::Modern)
            .ok("clerk_get_user", json!({"user_id": uid}))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kb(pid);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (url, uid) = (url.clone(), uid.clone());
        tasks.push(tokio::spawn(async move {
            let era = if i % 4 == 0 { Era::Legacy } else { Era::Modern };
            let mut c = Client::new(&url, era);
            if era == Era::Legacy {
                c.initialize().await;
            }
            let mut failures = 0;
            for j in 0..50 {
                let (tool, args) = if j % 2 == 0 {
                    ("clerk_get_user", json!({"user_id": uid}))
                } else {
                    ("clerk_list_users", json!({"limit": 5}))
                };
                let r = c.call(tool, args).await;
                if r["isError"] == json!(true) || r["structuredContent"].is_null() {
                    failures += 1;
                }
            }
            failures
        }));
    }
    let mut failures = 0;
    for t in tasks {
        failures += t.await.unwrap();
    }
    let took = t.elapsed();
    let peak_during = rss_kb(pid);
    // The server returns freed memory once traffic has been quiet for a couple of seconds.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let after = rss_kb(pid);
    eprintln!(
        "load: 10000 calls in {took:?}; RSS before {before} KB, right after {peak_during} KB, 6 s later {after} KB"
    );
    assert_eq!(failures, 0, "failed calls under load");
    assert!(
        after as f64 <= before as f64 * 1.2,
        "RSS {after} KB is more than 20% over the pre-load {before} KB"
    );
    child.kill().await.unwrap();
}

/// Starts the real binary in hosted mode against `api`; returns it with its pid and listening address.
async fn spawn_hosted(
    api: &str,
    flags: &[&str],
) -> (tokio::process::Child, u32, std::net::SocketAddr) {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args(["--host", "127.0.0.1", "--port", "0", "--clerk-api-url", api])
        .args(["--clerk-rate-limit", "0"])
        .args(flags)
        .env("CLERK_SECRET_KEY", GOOD_KEY)
        .current_dir(std::env::temp_dir())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    // The listening line may be filtered out by --log-level; ask the kernel which port it listens on.
    let addr = support::server::wait_for_listen_port(pid).await;
    (child, pid, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_calls_finish() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    slow_next_get_user(&fake, &uid, Duration::from_millis(1500)).await;
    let (mut child, pid, addr) = spawn_hosted(&fake.url, &["--shutdown-grace", "5"]).await;
    let url = format!("http://{addr}/mcp");
    let call = tokio::spawn(async move {
        Client::new(&url, Era::Modern)
            .ok("clerk_get_user", json!({"user_id": uid}))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let done = call.await.expect("the in-flight call completed");
    assert!(done["id"].is_string());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    // New connections are refused once it stopped.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Makes the fake's next `GET /v1/users/…` answer with `uid`'s real body after `delay`.
async fn slow_next_get_user(fake: &FakeClerk, uid: &str, delay: Duration) {
    clerk_mcp::clerk::install_crypto_provider();
    let body = reqwest::Client::new()
        .get(format!("{}/users/{uid}", fake.url))
        .bearer_auth(GOOD_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fake.push_fault(
        Fault::new(200, body)
            .on("GET", "/v1/users/")
            .header("content-type", "application/json")
            .delay(delay),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_reused_while_in_flight_is_refused_and_nothing_hangs() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    slow_next_get_user(&fake, &uid, Duration::from_millis(1000)).await;
    let srv = start(
        &["--clerk-api-url", &fake.url, "--legacy-sessions"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut first = Client::new(&srv.url(), Era::Legacy);
    first.initialize().await;
    let mut second = Client::new(&srv.url(), Era::Legacy);
    second.session = first.session.clone();
    (first.next_id, second.next_id) = (7, 7);
    let args = json!({"user_id": uid});
    let slow = {
        let args = args.clone();
        tokio::spawn(async move { first.call("clerk_get_user", args).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dup = tokio::time::timeout(
        Duration::from_secs(5),
        second.raw(
            "tools/call",
            json!({"name": "clerk_get_user", "arguments": args}),
            None,
        ),
    )
    .await
    .expect("the reused id is answered, not left hanging");
    assert!(
        !slow.is_finished(),
        "the refusal came before the first call ended"
    );
    assert_eq!(dup.body["id"], json!(7), "{}", dup.text);
    assert_eq!(dup.body["error"]["code"], json!(-32600), "{}", dup.text);
    assert!(
        dup.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already used by an unfinished request"),
        "{}",
        dup.text
    );
    // The first request still gets its own answer.
    let r = tokio::time::timeout(Duration::from_secs(5), slow)
        .await
        .expect("the first call is answered")
        .unwrap();
    assert_eq!(r["structuredContent"]["id"], json!(uid), "{r}");
    // Once answered, the id is free again.
    second.next_id = 7;
    let again = second.call("clerk_get_user", json!({"user_id": uid})).await;
    assert_eq!(again["structuredContent"]["id"], json!(uid), "{again}");
    srv.stop().await;
}
