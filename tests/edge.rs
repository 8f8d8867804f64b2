//! The request edge under attack: duplicate and malformed headers, rate-limit keys, stalled sockets,
//! session exhaustion, and `/api/health` as a side door — over real sockets, with nothing reaching
//! Clerk that should not.

mod support;

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::fake_clerk::{FakeClerk, Fault, GOOD_KEY};
use support::server::{Client, Era, secrets, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "edge-test-access-token-0123456789";
const OTHER_KEY: &str = "sk_test_secondteamkey0000000000000000000";

/// Sends raw bytes and reads the whole answer (the connection is closed by `Connection: close`).
async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, Value, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| support::server::parse_body(b))
        .unwrap_or(Value::Null);
    (status, body, text)
}

fn list_body() -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string()
}

fn post(body: &str, method: &str, extra: &str) -> Vec<u8> {
    format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: {method}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn assert_jsonrpc_error(what: &str, status: u16, body: &Value, want_status: u16, want_code: i64) {
    assert_eq!(status, want_status, "{what}: {body}");
    assert_eq!(body["jsonrpc"], json!("2.0"), "{what}: {body}");
    assert_eq!(body["error"]["code"], json!(want_code), "{what}: {body}");
    assert!(
        body["error"]["message"].as_str().unwrap().len() > 10,
        "{what}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_and_malformed_requests_get_clear_json_rpc_refusals() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &["--clerk-api-url", &fake.url, "--rate-limit", "0"],
        secrets(None, None),
    )
    .await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "clerk_get_user",
        "arguments": {"user_id": "user_1"},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string();
    // The same header twice: the server cannot know which one a proxy in front looked at.
    for (what, extra) in [
        (
            "two keys",
            format!("X-Clerk-Secret-Key: {GOOD_KEY}\r\nX-Clerk-Secret-Key: {OTHER_KEY}\r\n"),
        ),
        (
            "two bearers",
            "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n".to_string(),
        ),
        ("two hosts", "Host: evil.example\r\n".to_string()),
        (
            "two origins",
            "Origin: http://localhost:3000\r\nOrigin: http://evil.example\r\n".to_string(),
        ),
    ] {
        let (st, body, _) = raw(
            srv.addr,
            &post(
                &call,
                "tools/call",
                &format!("Mcp-Name: clerk_get_user\r\n{extra}"),
            ),
        )
        .await;
        assert_jsonrpc_error(what, st, &body, 400, -32600);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("more than one"),
            "{what}: {body}"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "nothing reaches Clerk: {:?}",
        fake.requests()
    );

    // JSON-RPC shapes rmcp answered with the wrong code.
    let batch = format!("[{}]", list_body());
    let (st, body, _) = raw(srv.addr, &post(&batch, "tools/list", "")).await;
    assert_jsonrpc_error("batch", st, &body, 400, -32600);
    let null_id = list_body().replace("\"id\":1", "\"id\":null");
    assert!(null_id.contains("null"));
    let (st, body, _) = raw(srv.addr, &post(&null_id, "tools/list", "")).await;
    assert_jsonrpc_error("id null", st, &body, 400, -32600);
    let array_args = call.replace("{\"user_id\":\"user_1\"}", "[1,2]");
    assert!(array_args.contains("[1,2]"));
    let (st, body, _) = raw(
        srv.addr,
        &post(&array_args, "tools/call", "Mcp-Name: clerk_get_user\r\n"),
    )
    .await;
    assert_jsonrpc_error("arguments [1,2]", st, &body, 400, -32602);

    // Heads hyper refuses before any handler runs: still a JSON-RPC body.
    let nul =
        b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n";
    let (st, body, text) = raw(srv.addr, nul).await;
    assert_jsonrpc_error(&format!("NUL in a header: {text}"), st, &body, 400, -32600);
    let folded = b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nX-Long: a\r\n  folded\r\nContent-Length: 0\r\n\r\n";
    let (st, body, _) = raw(srv.addr, folded).await;
    assert_jsonrpc_error("folded header", st, &body, 400, -32600);
    let mut huge = b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1024 * 1024));
    huge.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let (st, body, text) = raw(srv.addr, &huge).await;
    assert_jsonrpc_error(
        &format!("1 MiB header: {}", &text[..text.len().min(200)]),
        st,
        &body,
        431,
        -32600,
    );

    // A Content-Length above the limit is refused at once, not waited on.
    let started = Instant::now();
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(
        b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{",
    )
    .await
    .unwrap();
    let mut out = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut out))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    let text = String::from_utf8_lossy(&out[..n]).to_string();
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"code\":-32600"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // The server still serves.
    let mut c = Client::new(&srv.url(), Era::Modern);
    assert!(!c.list_tools().await.is_empty());
    assert!(fake.requests().is_empty());
}

async fn status(c: &mut Client) -> u16 {
    c.raw("tools/list", json!({}), None).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_keys_follow_who_is_calling() {
    let fake = FakeClerk::with_keys(&[GOOD_KEY, OTHER_KEY]).await;
    let api = ["--clerk-api-url", fake.url.as_str()];

    // Public mode: two teams' keys from one address are limited separately.
    let public = start(
        &[&api[..], &["--rate-limit", "5"]].concat(),
        secrets(None, None),
    )
    .await;
    let mut a = Client::new(&public.url(), Era::Modern).header("X-Clerk-Secret-Key", GOOD_KEY);
    let mut b = Client::new(&public.url(), Era::Modern).header("X-Clerk-Secret-Key", OTHER_KEY);
    for _ in 0..5 {
        assert_eq!(status(&mut a).await, 200);
    }
    assert_eq!(status(&mut a).await, 429, "key A is over its budget");
    assert_eq!(status(&mut b).await, 200, "key B has its own");

    // Random bearer tokens (unverified) do not buy a fresh budget: keyed by address.
    let public2 = start(
        &[&api[..], &["--rate-limit", "5"]].concat(),
        secrets(None, None),
    )
    .await;
    let mut codes = Vec::new();
    for i in 0..7 {
        let mut c = Client::new(&public2.url(), Era::Modern).header(
            "Authorization",
            &format!("Bearer random-{i}-{}", fastrand::u64(..)),
        );
        codes.push(status(&mut c).await);
    }
    assert_eq!(codes, [200, 200, 200, 200, 200, 429, 429], "{codes:?}");

    // Hosted with a token: failed authentications are charged to the address and throttled...
    let hosted = start(
        &[&api[..], &["--rate-limit", "5"]].concat(),
        secrets(Some(GOOD_KEY), Some(TOKEN)),
    )
    .await;
    let mut codes = Vec::new();
    for i in 0..7 {
        let mut c = Client::new(&hosted.url(), Era::Modern).header(
            "Authorization",
            &format!("Bearer wrong-token-{i}-0123456789"),
        );
        codes.push(status(&mut c).await);
    }
    assert_eq!(codes, [401, 401, 401, 401, 401, 429, 429], "{codes:?}");
    // ...while the verified token has its own budget.
    let mut ok =
        Client::new(&hosted.url(), Era::Modern).header("Authorization", &format!("bearer {TOKEN}"));
    assert_eq!(status(&mut ok).await, 200, "lower-case scheme accepted too");

    // Behind a proxy: the forwarded address counts only when the proxy is trusted.
    for (trusted, separate) in [(true, true), (false, false)] {
        let mut flags = vec!["--rate-limit", "3"];
        if trusted {
            flags.extend(["--trusted-proxies", "127.0.0.0/8"]);
        }
        let srv = start(&[&api[..], &flags].concat(), secrets(None, None)).await;
        let mut first =
            Client::new(&srv.url(), Era::Modern).header("X-Forwarded-For", "203.0.113.1");
        for _ in 0..3 {
            assert_eq!(status(&mut first).await, 200);
        }
        assert_eq!(status(&mut first).await, 429);
        let mut second = Client::new(&srv.url(), Era::Modern)
            .header("X-Forwarded-For", "203.0.113.2")
            .header("Forwarded", "for=198.51.100.7");
        let got = status(&mut second).await;
        assert_eq!(
            got == 200,
            separate,
            "trusted proxy {trusted}: second client got {got}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_behind_the_host_check_and_the_limit_and_caches_key_probes() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &["--clerk-api-url", &fake.url, "--rate-limit", "5"],
        secrets(None, None),
    )
    .await;
    let health = |host: &str, key: Option<&str>| {
        let mut req = format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if let Some(k) = key {
            req.push_str(&format!("X-Clerk-Secret-Key: {k}\r\n"));
        }
        req.push_str("\r\n");
        let addr = srv.addr;
        async move { raw(addr, req.as_bytes()).await }
    };
    let (st, body, _) = health("evil.example", None).await;
    assert_jsonrpc_error("foreign Host on health", st, &body, 403, -32600);
    // Four key probes with one key: one Clerk call.
    for _ in 0..4 {
        let (st, body, _) = health("localhost", Some(GOOD_KEY)).await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["clerkConnected"], json!(true));
    }
    assert_eq!(fake.requests().len(), 1, "key probes are cached");
    // The fifth request of that client is its last; health shares the limit with /mcp.
    let mut c = Client::new(&srv.url(), Era::Modern).header("X-Clerk-Secret-Key", GOOD_KEY);
    assert_eq!(c.raw("tools/list", json!({}), None).await.status, 200);
    assert_eq!(c.raw("tools/list", json!({}), None).await.status, 429);
    let (st, body, _) = health("localhost", Some(GOOD_KEY)).await;
    assert_jsonrpc_error("health after /mcp was limited", st, &body, 429, -32000);
    assert_eq!(fake.requests().len(), 1);
}

/// Opens a socket that sends part of a request head and then nothing.
async fn stall(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /mcp HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();
    s
}

/// Whether the server has closed `s` (EOF or reset) within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_and_capped_while_a_client_is_served() {
    let srv = start(
        &[
            "--header-timeout",
            "2",
            "--body-timeout",
            "2",
            "--max-connections",
            "40",
            "--rate-limit",
            "0",
        ],
        secrets(None, None),
    )
    .await;
    let started = Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..150 {
        stalled.push(stall(srv.addr).await);
    }
    // A normal client, queued behind 150 stalled sockets and a cap of 40, is still served.
    let mut c = Client::new(&srv.url(), Era::Modern);
    let served = tokio::time::timeout(Duration::from_secs(20), c.list_tools())
        .await
        .expect("a normal client is served while stalled sockets wait");
    assert!(!served.is_empty());
    // Every stalled socket is closed: at most 4 waves of 40 at 2 s each.
    for (i, s) in stalled.iter_mut().enumerate() {
        let left = Duration::from_secs(16).saturating_sub(started.elapsed());
        assert!(
            closed_within(s, left.max(Duration::from_millis(10))).await,
            "stalled socket {i} still open after {:?}",
            started.elapsed()
        );
    }

    // An idle keep-alive connection is closed after the header timeout too.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let body = list_body();
    let req = format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut first = vec![0u8; 65536];
    let n = s.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    let t = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(6)).await);
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );

    // A body that never arrives whole: 408 with a JSON-RPC body after the body timeout.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(
        b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
          MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"",
    )
    .await
    .unwrap();
    let t = Instant::now();
    let mut out = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(6), s.read(&mut out))
        .await
        .expect("answered after the body timeout")
        .unwrap();
    let text = String::from_utf8_lossy(&out[..n]).to_string();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"jsonrpc\""), "{text}");
    assert!(t.elapsed() >= Duration::from_millis(1500));
}

/// A legacy client that comes from `addr` (through a trusted proxy).
fn legacy_from(url: &str, addr: &str) -> Client {
    Client::new(url, Era::Legacy).header("X-Forwarded-For", addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_exhaust_legacy_sessions() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--legacy-sessions",
            "--max-sessions",
            "4",
            "--max-sessions-per-client",
            "2",
            "--trusted-proxies",
            "127.0.0.1",
            "--rate-limit",
            "0",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    // One client opening sessions in a loop keeps at most its quota: its idlest ones are closed.
    let mut greedy = Vec::new();
    for _ in 0..12 {
        let mut c = legacy_from(&srv.url(), "203.0.113.1");
        c.initialize().await;
        assert!(c.session.is_some());
        greedy.push(c);
    }
    assert_eq!(srv.state.sessions.live().await, 2);
    let mut oldest = greedy.remove(0);
    let a = oldest.raw("tools/list", json!({}), None).await;
    assert_eq!(
        a.status, 404,
        "the client's idlest session was closed: {}",
        a.text
    );
    assert_eq!(greedy.last_mut().unwrap().list_tools().await.len(), 33);
    // Others still get sessions: the server's cap closes the idlest sessions, never answers 500.
    let mut others = Vec::new();
    for i in 2..6 {
        let mut c = legacy_from(&srv.url(), &format!("203.0.113.{i}"));
        c.initialize().await;
        others.push(c);
    }
    assert_eq!(srv.state.sessions.live().await, 4);
    // When every session is busy, a new one is refused with 503 and Retry-After.
    for _ in &others {
        fake.push_fault(
            Fault::new(200, format!(r#"{{"object":"user","id":"{uid}"}}"#))
                .on("GET", "/v1/users/")
                .delay(Duration::from_secs(3)),
        );
    }
    let mut handles = Vec::new();
    for mut c in others {
        let uid = uid.clone();
        handles.push(tokio::spawn(async move {
            c.call("clerk_get_user", json!({"user_id": uid})).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut late = legacy_from(&srv.url(), "203.0.113.9");
    let a = late
        .raw(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"}}),
            None,
        )
        .await;
    assert_eq!(a.status, 503, "{}", a.text);
    assert!(a.headers.get("retry-after").is_some());
    assert_eq!(a.body["error"]["code"], json!(-32000), "{}", a.text);
    for h in handles {
        let r = h.await.unwrap();
        assert_ne!(r["isError"], json!(true), "{r}");
    }
    // Once they are idle again, there is room.
    let mut later = legacy_from(&srv.url(), "203.0.113.9");
    later.initialize().await;
    assert!(later.session.is_some());
}
