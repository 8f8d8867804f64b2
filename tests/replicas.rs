//! Three replicas of the real binary behind a real nginx (round robin for 2026-07-28 requests,
//! client-address affinity for 2025-11-25 sessions), sharing limits through a real `redis-server`:
//!
//! - the per-client limit holds across replicas: after ~600 requests in a minute the next one is
//!   refused, whichever replica gets it;
//! - a legacy session works through nginx, and lives in one replica only;
//! - 10,000 tool calls through nginx all succeed while one replica is stopped (SIGTERM: graceful
//!   drain, nginx tries the next replica on a refused connection) and then Redis is stopped (local
//!   limits, health `degraded`); the fake Clerk, which enforces its rate limit, never had to answer
//!   429 while the budget was shared.
//!
//! The slow test of the suite (about a minute); it prints the load run's figures.

mod support;

use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::redis::RedisServer;
use support::server::{Client, Era, free_port, wait_for_listen_port};

/// Workers of the load run, each with its own access token (so the per-client limit, 600 a
/// minute, does not cap the run).
const WORKERS: usize = 20;
const CALLS: usize = 10_000;
/// The fake Clerk's limit per 10 s, and the budget the replicas are given: half of it, so that two
/// replicas limiting alone (Redis down) still stay under it.
const CLERK_LIMIT: usize = 4000;
const BUDGET: usize = 2000;

fn token(i: usize) -> String {
    format!("replica-test-token-{i:02}-0123456789abcdef")
}

/// A process stopped (SIGKILL) when dropped unless it already ended.
struct Proc(tokio::process::Child);

impl Proc {
    fn pid(&self) -> u32 {
        self.0.id().expect("running")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // SIGTERM first: nginx's master stops its workers on it (SIGKILL would orphan them).
        if let Some(pid) = self.0.id() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
            for _ in 0..50 {
                if matches!(self.0.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.start_kill();
    }
}

async fn replica(
    fake: &FakeClerk,
    redis: &str,
    log: std::fs::File,
) -> (Proc, std::net::SocketAddr) {
    let tokens: Vec<String> = (0..=WORKERS).map(token).collect();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args([
            "--port",
            "0",
            "--clerk-api-url",
            &fake.url,
            "--redis-url",
            redis,
        ])
        .args([
            "--rate-limit",
            "600",
            "--clerk-rate-limit",
            &BUDGET.to_string(),
        ])
        .args(["--legacy-sessions", "--shutdown-grace", "5"])
        .args(["--trusted-proxies", "127.0.0.1/32"])
        .env_clear()
        .env("CLERK_SECRET_KEY", GOOD_KEY)
        .env("MCP_AUTH_TOKEN", tokens.join(","))
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let p = Proc(child);
    let addr = wait_for_listen_port(p.pid()).await;
    (p, addr)
}

/// nginx in front of the replicas. 2026-07-28 requests (they carry `Mcp-Method`) go round robin;
/// the rest (2025-11-25 sessions, whose state is in one replica's memory) by a consistent hash of
/// the client address, which is the same for a session's first request and the ones after it.
fn nginx(dir: &std::path::Path, port: u16, replicas: &[std::net::SocketAddr]) -> Proc {
    let servers: String = replicas
        .iter()
        .map(|a| format!("    server {a} max_fails=0;\n"))
        .collect();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;\n\
           uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           upstream mcp_stateless {{\n{servers}  }}\n\
           upstream mcp_sessions {{\n    hash $binary_remote_addr consistent;\n{servers}  }}\n\
           map $http_mcp_method $mcp_upstream {{ \"\" mcp_sessions; default mcp_stateless; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n\
             location / {{\n      proxy_pass http://$mcp_upstream;\n\
               proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $remote_addr;\n\
               proxy_next_upstream error timeout;\n      proxy_buffering off;\n\
               proxy_read_timeout 60s;\n      add_header X-Upstream $upstream_addr always;\n    }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = tokio::process::Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("nginx (Debian package `nginx`; .ci/run installs it)");
    Proc(child)
}

async fn wait_until_listening(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {port}");
}

fn upstream(a: &support::server::Answer) -> String {
    a.headers
        .get("x-upstream")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_nginx_share_limits_and_lose_no_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start();
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    fake.set_rate_limit(CLERK_LIMIT, Duration::from_secs(10));
    let mut replicas = Vec::new();
    for i in 0..3 {
        let log = std::fs::File::create(dir.path().join(format!("replica{i}.log"))).unwrap();
        replicas.push(replica(&fake, &redis.url(), log).await);
    }
    let addrs: Vec<_> = replicas.iter().map(|(_, a)| *a).collect();
    let port = free_port();
    let _nginx = nginx(dir.path(), port, &addrs);
    wait_until_listening(port).await;
    let url = format!("http://127.0.0.1:{port}/mcp");

    // 1. One client's limit across replicas: requests until the first refusal.
    let mut c =
        Client::new(&url, Era::Modern).header("Authorization", &format!("Bearer {}", token(0)));
    let started = Instant::now();
    let mut accepted = 0usize;
    let mut served_by = std::collections::BTreeSet::new();
    loop {
        let a = c.raw("tools/list", json!({}), None).await;
        if a.status == 429 {
            break;
        }
        assert_eq!(a.status, 200, "{}", &a.text[..a.text.len().min(300)]);
        served_by.insert(upstream(&a));
        accepted += 1;
        assert!(accepted <= 2000, "the limit never refused");
    }
    let secs = started.elapsed().as_secs_f64();
    // 600 at once, plus the 10 a second the limit gives back while the requests were made.
    assert!(accepted >= 600, "{accepted}");
    assert!(
        accepted as f64 <= 601.0 + 10.0 * secs + 1.0,
        "{accepted} in {secs:.1} s: not one shared limit"
    );
    assert_eq!(
        served_by.len(),
        3,
        "round robin over three replicas: {served_by:?}"
    );
    // Keep asking until every replica has refused: only the 10 a second given back get through,
    // whichever replica answers (a replica counting alone would still have most of its 600).
    let mut refused_by = std::collections::BTreeSet::new();
    let (again, mut through) = (Instant::now(), 0usize);
    while refused_by.len() < 3 {
        let a = c.raw("tools/list", json!({}), None).await;
        match a.status {
            429 => {
                refused_by.insert(upstream(&a));
            }
            200 => through += 1,
            s => panic!("HTTP {s}"),
        }
        assert!(
            refused_by.len() + through < 200,
            "replicas {refused_by:?} never all refused"
        );
    }
    let later = again.elapsed().as_secs_f64();
    assert!(
        through as f64 <= 10.0 * later + 1.0,
        "{through} got through in {later:.2} s after the limit"
    );
    eprintln!(
        "shared limit: {accepted} accepted in {secs:.2} s across 3 replicas; then refused by each, \
         {through} through in {later:.2} s"
    );

    // 2. A legacy session through nginx: every request reaches the replica that holds it.
    let mut legacy =
        Client::new(&url, Era::Legacy).header("Authorization", &format!("Bearer {}", token(1)));
    legacy.initialize().await;
    let session = legacy.session.clone().expect("a session id");
    for _ in 0..10 {
        let a = legacy.raw("tools/list", json!({}), None).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let mut holders = 0;
    for a in &addrs {
        let mut direct = Client::new(&format!("http://{a}/mcp"), Era::Legacy)
            .header("Authorization", &format!("Bearer {}", token(1)));
        direct.session = Some(session.clone());
        if direct.raw("tools/list", json!({}), None).await.status == 200 {
            holders += 1;
        }
    }
    assert_eq!(holders, 1, "a 2025-11-25 session lives in one replica");

    // 3. The load run.
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (url, uid, done, failures) = (url.clone(), uid.clone(), done.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            let mut c = Client::new(&url, Era::Modern)
                .header("Authorization", &format!("Bearer {}", token(w + 1)));
            let mut latencies = Vec::with_capacity(CALLS / WORKERS);
            for _ in 0..CALLS / WORKERS {
                let t = Instant::now();
                let a = c
                    .raw(
                        "tools/call",
                        json!({"name": "clerk_get_user", "arguments": {"user_id": uid}}),
                        Some("clerk_get_user"),
                    )
                    .await;
                latencies.push(t.elapsed());
                if a.status != 200 || a.body["result"]["isError"] == json!(true) {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{} {}", a.status, a.text));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let wait_for = |n: usize| {
        let done = done.clone();
        async move {
            while done.load(Ordering::Relaxed) < n {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(CALLS * 3 / 10).await;
    let (mut stopped, _) = replicas.remove(1);
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(stopped.pid() as i32, libc::SIGTERM) },
        0
    );
    eprintln!(
        "SIGTERM to one replica after {} calls",
        done.load(Ordering::Relaxed)
    );
    wait_for(CALLS * 7 / 10).await;
    let throttled_while_shared = fake.throttled();
    let clerk_calls_while_shared = fake.requests().len();
    let shared_secs = started.elapsed().as_secs_f64();
    redis.stop();
    eprintln!("Redis stopped after {} calls", done.load(Ordering::Relaxed));
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.unwrap());
    }
    let took = started.elapsed().as_secs_f64();
    let exit = tokio::time::timeout(Duration::from_secs(15), stopped.0.wait())
        .await
        .expect("the stopped replica exits within its grace period")
        .unwrap();
    assert!(
        exit.success(),
        "the stopped replica ended cleanly: {exit:?}"
    );

    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} of {CALLS} calls failed; first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(
        throttled_while_shared, 0,
        "Clerk answered 429 while the budget was shared"
    );
    // While shared, the budget held all replicas to ~BUDGET per 10 s (Clerk allows CLERK_LIMIT).
    let rate = clerk_calls_while_shared as f64 / shared_secs;
    assert!(
        rate <= BUDGET as f64 / 10.0 * 1.1 + 20.0,
        "{rate:.0} Clerk requests/s while shared"
    );
    let (_, live) = &replicas[0];
    let h: Value = reqwest::get(format!("http://{live}/api/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["sharedLimits"], "local", "{h}");

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    eprintln!(
        "load run: {CALLS} calls by {WORKERS} workers in {took:.1} s ({:.0}/s), 0 failed; latency p50 {:?} p99 {:?} max {:?}; \
         Clerk saw {} requests ({rate:.0}/s while shared, budget {}/s, Clerk's limit {}/s), {} answered 429 after Redis stopped",
        CALLS as f64 / took,
        pct(0.5),
        pct(0.99),
        latencies.last().unwrap(),
        fake.requests().len(),
        BUDGET / 10,
        CLERK_LIMIT / 10,
        fake.throttled(),
    );
}
