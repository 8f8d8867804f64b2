//! The cost of a tool call, against the physical floor, in one run on 127.0.0.1.
//!
//! `cargo bench --bench mcp` (release build) starts a canned Clerk upstream (nginx serving fixed JSON),
//! a plain nginx reverse proxy in front of it (the floor for anything that forwards a request), and
//! clerk-mcp pointed at the upstream; drives `tools/call` with wrk at concurrency 1, 16 and 64; and
//! writes `docs/benchmark.md` plus the README's benchmark section. Under `cargo test` (no `--bench`
//! argument) it runs a few-second smoke configuration and writes nothing, so CI keeps it working
//! without timing anything. Needs `nginx` and `wrk` (Debian packages; `.ci/run` installs them).

use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "sk_test_benchmarkkey0000000000000000000000";
const USER_ID: &str = "user_2benchmarkuser0000000000000";

struct Opts {
    duration: Duration,
    concurrency: &'static [u32],
}

fn user_json(i: usize) -> Value {
    json!({"id": if i == 0 { USER_ID.to_string() } else { format!("user_2benchmarkuser{i:013}") }, "object": "user",
        "username": null, "first_name": "Ada", "last_name": "Lovelace", "image_url": "https://img.clerk.com/x",
        "has_image": false, "primary_email_address_id": "idn_2bench", "primary_phone_number_id": null,
        "email_addresses": [{"id": "idn_2bench", "object": "email_address", "email_address": format!("ada{i}@example.com"),
            "reserved": false, "verification": {"status": "verified", "strategy": "admin"}, "linked_to": []}],
        "phone_numbers": [], "web3_wallets": [], "external_accounts": [], "public_metadata": {"plan": "pro"},
        "private_metadata": {"internal": "x"}, "unsafe_metadata": {}, "banned": false, "locked": false,
        "created_at": 1_700_000_000_000u64, "updated_at": 1_700_000_000_000u64, "last_active_at": 1_700_000_000_000u64})
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process stopped with SIGTERM when dropped (SIGKILL would orphan nginx's workers).
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.0.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn need(cmd: &str) {
    let ok = Command::new(cmd)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        ok,
        "the benchmark needs `{cmd}` (Debian package {cmd}; .ci/run installs it)"
    );
}

fn nginx(dir: &Path, name: &str, body: &str) -> Proc {
    let prefix = dir.join(name);
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    let conf = format!(
        "worker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n access_log off;\n client_body_temp_path {p}/tmp_body;\n proxy_temp_path {p}/tmp_proxy;\n\
         fastcgi_temp_path {p}/tmp_fcgi;\n uwsgi_temp_path {p}/tmp_uwsgi;\n scgi_temp_path {p}/tmp_scgi;\n keepalive_requests 1000000;\n{body}\n}}\n",
        p = prefix.display()
    );
    let file = prefix.join("nginx.conf");
    std::fs::write(&file, conf).unwrap();
    let check = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&file)
        .output()
        .expect("nginx runs");
    assert!(
        check.status.success(),
        "nginx config {name}: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new("nginx")
        .args(["-p"])
        .arg(&prefix)
        .arg("-c")
        .arg(&file)
        .args(["-g", "daemon off;"])
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    Proc(child)
}

fn wait_http(url: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(r) = reqwest::blocking::get(url)
            && (r.status().is_success() || r.status().as_u16() == 404)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{url} did not come up");
}

#[derive(Debug, Clone)]
struct Run {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    requests: u64,
    errors: u64,
}

/// One wrk run; the Lua script prints a JSON summary.
fn wrk(
    dir: &Path,
    url: &str,
    conc: u32,
    opts: &Opts,
    request: Option<(&Value, &[(&str, String)])>,
) -> Run {
    let mut lua = String::new();
    if let Some((body, headers)) = request {
        let _ = writeln!(lua, "wrk.method = \"POST\"\nwrk.body = [==[{body}]==]");
        for (k, v) in headers {
            let _ = writeln!(lua, "wrk.headers[\"{k}\"] = \"{v}\"");
        }
        // Within a session JSON-RPC ids must be unique among pending requests (the server refuses a
        // reused one), so session requests get "<thread>-<n>" ids; stateless requests are independent.
        if headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("mcp-session-id"))
        {
            let mut templ = body.clone();
            templ["id"] = json!("@ID@");
            let templ = templ.to_string();
            let (pre, post) = templ.split_once("\"@ID@\"").expect("id placeholder");
            let _ = writeln!(
                lua,
                "local pre, post = [==[{pre}]==], [==[{post}]==]\nlocal threads = 0\n\
                 setup = function(t) threads = threads + 1; t:set(\"tno\", threads) end\nlocal n = 0\n\
                 request = function() n = n + 1; return wrk.format(nil, nil, nil, pre .. '\"' .. tno .. '-' .. n .. '\"' .. post) end"
            );
        }
    }
    lua.push_str(
        "done = function(s, lat, req)\n  local e = s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout + s.errors.status\n  \
         io.write(string.format('BENCH {\"requests\":%d,\"duration_us\":%d,\"errors\":%d,\"p50\":%d,\"p99\":%d}\\n', \
         s.requests, s.duration, e, lat:percentile(50), lat:percentile(99)))\nend\n",
    );
    let script = dir.join(format!("wrk-{}.lua", free_port()));
    std::fs::write(&script, lua).unwrap();
    let threads = conc.min(2);
    let out = Command::new("wrk")
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &conc.to_string(),
            "-d",
            &format!("{}s", opts.duration.as_secs_f64()),
        ])
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .unwrap_or_else(|| panic!("wrk printed no summary: {text}"));
    let v: Value = serde_json::from_str(line).unwrap();
    let (requests, secs) = (
        v["requests"].as_u64().unwrap(),
        v["duration_us"].as_f64().unwrap() / 1e6,
    );
    Run {
        rps: requests as f64 / secs,
        p50_us: v["p50"].as_f64().unwrap(),
        p99_us: v["p99"].as_f64().unwrap(),
        requests,
        errors: v["errors"].as_u64().unwrap(),
    }
}

/// The HTTP client alone: sequential GETs with reqwest (configured like the server's Clerk client) from
/// a loop in this process, body parsed as JSON. It is the floor for the Clerk hop inside a tool call;
/// comparing the two runtimes shows what cross-thread wake-ups cost.
fn client_floor(url: &str, opts: &Opts, multi_thread: bool) -> Run {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    if multi_thread {
        builder.worker_threads(2);
    }
    let rt = builder.enable_all().build().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(16)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut lat = Vec::new();
        let mut errors = 0;
        let start = Instant::now();
        while start.elapsed() < opts.duration {
            let t = Instant::now();
            let ok = match client.get(url).bearer_auth(KEY).send().await {
                Ok(r) => r
                    .bytes()
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .is_some(),
                Err(_) => false,
            };
            errors += u64::from(!ok);
            lat.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let secs = start.elapsed().as_secs_f64();
        lat.sort_by(f64::total_cmp);
        let pct = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize];
        Run {
            rps: lat.len() as f64 / secs,
            p50_us: pct(0.5),
            p99_us: pct(0.99),
            requests: lat.len() as u64,
            errors,
        }
    })
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

struct Server {
    proc: Proc,
    url: String,
    base: String,
    startup: Duration,
}

fn start_server(upstream: &str, hosted: bool, extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clerk-mcp"));
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--clerk-api-url",
        upstream,
        "--rate-limit",
        "0",
        "--clerk-rate-limit",
        "0",
        "--log-level",
        "warn",
    ])
    .args(extra)
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .current_dir(std::env::temp_dir())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if hosted {
        cmd.env("CLERK_SECRET_KEY", KEY);
    }
    let t = Instant::now();
    let child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::new();
    loop {
        if let Ok(r) = client.get(format!("{base}/api/health")).send()
            && r.status().is_success()
        {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "server did not become healthy"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
    Server {
        proc: Proc(child),
        url: format!("{base}/mcp"),
        base,
        startup: t.elapsed(),
    }
}

fn modern_call(tool: &str, args: Value) -> (Value, Vec<(&'static str, String)>) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}});
    let headers = vec![
        ("Content-Type", "application/json".into()),
        ("Accept", "application/json, text/event-stream".into()),
        ("MCP-Protocol-Version", "2026-07-28".into()),
        ("Mcp-Method", "tools/call".into()),
        ("Mcp-Name", tool.into()),
    ];
    (body, headers)
}

fn legacy_call(
    tool: &str,
    args: Value,
    session: Option<&str>,
) -> (Value, Vec<(&'static str, String)>) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}});
    let mut headers = vec![
        ("Content-Type", "application/json".into()),
        ("Accept", "application/json, text/event-stream".into()),
        ("MCP-Protocol-Version", "2025-11-25".into()),
    ];
    if let Some(s) = session {
        headers.push(("Mcp-Session-Id", s.to_string()));
    }
    (body, headers)
}

/// Checks that a call really succeeds (a benchmark of error responses would be meaningless).
fn verify(url: &str, body: &Value, headers: &[(&str, String)]) {
    let mut req = reqwest::blocking::Client::new()
        .post(url)
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let text = req.send().unwrap().text().unwrap();
    assert!(
        text.contains("structuredContent") && !text.contains("\"isError\":true"),
        "the benchmarked call fails: {text}"
    );
    assert!(
        !text.contains("\"internal\":\"x\""),
        "private metadata must be redacted in the benchmark too"
    );
}

fn legacy_session(url: &str) -> String {
    let c = reqwest::blocking::Client::new();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}});
    let r = c
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(init.to_string())
        .send()
        .unwrap();
    let sid = r.headers()["mcp-session-id"].to_str().unwrap().to_string();
    let _ = r.text();
    c.post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", &sid)
        .body(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string())
        .send()
        .unwrap();
    sid
}

fn tools_list_bytes(args: &[&str]) -> (usize, usize) {
    let out = Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .arg("tools")
        .args(args)
        .env_clear()
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools = v["tools"].as_array().unwrap();
    (serde_json::to_string(tools).unwrap().len(), tools.len())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1048576.0))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}, Linux; load generator (wrk) on the same machine")
}

fn main() {
    clerk_mcp::clerk::install_crypto_provider();
    let full = std::env::args().any(|a| a == "--bench");
    let opts = if full {
        Opts {
            duration: Duration::from_secs(8),
            concurrency: &[1, 16, 64],
        }
    } else {
        Opts {
            duration: Duration::from_secs(1),
            concurrency: &[16],
        }
    };
    need("nginx");
    need("wrk");
    let dir = tempfile::tempdir().unwrap();

    // The canned Clerk upstream and the plain proxy in front of it.
    let (up_port, proxy_port) = (free_port(), free_port());
    // Fixed JSON bodies served from files (nginx's inline `return` strings are limited in length).
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    let users: Vec<Value> = (0..10).map(user_json).collect();
    for (file, body) in [
        ("user.json", user_json(0)),
        ("users.json", Value::Array(users)),
        (
            "count.json",
            json!({"object": "total_count", "total_count": 1234}),
        ),
        ("jwks.json", json!({"keys": []})),
    ] {
        std::fs::write(www.join(file), body.to_string()).unwrap();
    }
    let w = www.display();
    let _upstream = nginx(
        dir.path(),
        "upstream",
        &format!(
            " server {{ listen 127.0.0.1:{up_port}; default_type application/json;\n  location = /v1/users/{USER_ID} {{ alias {w}/user.json; }}\n  \
             location = /v1/users {{ alias {w}/users.json; }}\n  location = /v1/users/count {{ alias {w}/count.json; }}\n  \
             location = /v1/jwks {{ alias {w}/jwks.json; }}\n  location / {{ return 404 '{{\"errors\":[{{\"code\":\"resource_not_found\",\"message\":\"not found\",\"long_message\":\"not found\"}}]}}'; }} }}"
        ),
    );
    let _proxy = nginx(
        dir.path(),
        "proxy",
        &format!(
            " upstream clerk {{ server 127.0.0.1:{up_port}; keepalive 128; }}\n server {{ listen 127.0.0.1:{proxy_port};\n  location / {{ proxy_pass http://clerk; \
             proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}"
        ),
    );
    let upstream = format!("http://127.0.0.1:{up_port}/v1");
    wait_http(&format!("{upstream}/users/{USER_ID}"));
    wait_http(&format!("http://127.0.0.1:{proxy_port}/v1/users/{USER_ID}"));

    // Startup: exec to first healthy /api/health (median of several).
    let mut startups: Vec<Duration> = (0..if full { 7 } else { 2 })
        .map(|_| start_server(&upstream, false, &[]).startup)
        .collect();
    startups.sort();
    let startup = startups[startups.len() / 2];

    let hosted = start_server(&upstream, true, &["--legacy-sessions"]);
    let pid = hosted.proc.0.id();
    std::thread::sleep(Duration::from_millis(300));
    let rss_idle = rss_kb(pid, "VmRSS:");

    let get_user = modern_call("clerk_get_user", json!({"user_id": USER_ID}));
    let list_users = modern_call("clerk_list_users", json!({"limit": 10}));
    verify(&hosted.url, &get_user.0, &get_user.1);
    verify(&hosted.url, &list_users.0, &list_users.1);

    let mut rows: Vec<(String, u32, Run)> = Vec::new();
    let mut rss_after_10k = None;
    for &c in opts.concurrency {
        let r = wrk(
            dir.path(),
            &hosted.url,
            c,
            &opts,
            Some((&get_user.0, &get_user.1)),
        );
        if rss_after_10k.is_none() && r.requests >= 10_000 {
            rss_after_10k = Some(rss_kb(pid, "VmRSS:"));
        }
        rows.push(("MCP `clerk_get_user` (2026-07-28, stateless)".into(), c, r));
    }
    for &c in opts.concurrency {
        rows.push((
            "MCP `clerk_list_users` (2026-07-28; list + count upstream)".into(),
            c,
            wrk(
                dir.path(),
                &hosted.url,
                c,
                &opts,
                Some((&list_users.0, &list_users.1)),
            ),
        ));
    }
    // The same stack without any Clerk call (an offline tool): what the MCP protocol layer and this
    // server cost on their own, so the gap to the proxy can be split between them and the upstream hop.
    let offline = modern_call("clerk_api_describe", json!({"operation_id": "GetUser"}));
    verify(&hosted.url, &offline.0, &offline.1);
    for &c in opts.concurrency.iter().filter(|&&c| c <= 16) {
        rows.push((
            "MCP `clerk_api_describe` (2026-07-28; no Clerk call)".into(),
            c,
            wrk(
                dir.path(),
                &hosted.url,
                c,
                &opts,
                Some((&offline.0, &offline.1)),
            ),
        ));
    }
    let legacy = legacy_call("clerk_get_user", json!({"user_id": USER_ID}), None);
    let stateless = start_server(&upstream, true, &[]);
    verify(&stateless.url, &legacy.0, &legacy.1);
    rows.push((
        "MCP `clerk_get_user` (2025-11-25, no session)".into(),
        16,
        wrk(
            dir.path(),
            &stateless.url,
            16,
            &opts,
            Some((&legacy.0, &legacy.1)),
        ),
    ));
    drop(stateless);
    let sid = legacy_session(&hosted.url);
    let with_session = legacy_call("clerk_get_user", json!({"user_id": USER_ID}), Some(&sid));
    verify(&hosted.url, &with_session.0, &with_session.1);
    rows.push((
        "MCP `clerk_get_user` (2025-11-25, session)".into(),
        16,
        wrk(
            dir.path(),
            &hosted.url,
            16,
            &opts,
            Some((&with_session.0, &with_session.1)),
        ),
    ));

    let rss_peak = rss_kb(pid, "VmHWM:");
    let rss_after = rss_kb(pid, "VmRSS:");
    let hosted_base = hosted.base.clone();
    drop(hosted);

    // Public mode (the key travels with every request) against hosted mode: two fresh stateless
    // servers measured alternately, three rounds each, so drift in the machine's speed hits both; the
    // ratio is of the medians.
    let public = start_server(&upstream, false, &[]);
    let hosted_again = start_server(&upstream, true, &[]);
    let mut pub_call = get_user.clone();
    pub_call.1.push(("X-Clerk-Secret-Key", KEY.into()));
    verify(&public.url, &pub_call.0, &pub_call.1);
    verify(&hosted_again.url, &get_user.0, &get_user.1);
    let half = Opts {
        // wrk takes whole seconds.
        duration: (opts.duration / 2).max(Duration::from_secs(1)),
        concurrency: opts.concurrency,
    };
    let (mut public_runs, mut hosted_runs) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let h = Some((&get_user.0, &get_user.1[..]));
        hosted_runs.push(wrk(dir.path(), &hosted_again.url, 16, &half, h));
        let p = Some((&pub_call.0, &pub_call.1[..]));
        public_runs.push(wrk(dir.path(), &public.url, 16, &half, p));
    }
    drop((public, hosted_again));
    let median = |runs: &mut Vec<Run>| {
        runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
        runs[runs.len() / 2].clone()
    };
    let mode_errors: u64 = public_runs
        .iter()
        .chain(&hosted_runs)
        .map(|r| r.errors)
        .sum();
    let (public_run, hosted_run) = (median(&mut public_runs), median(&mut hosted_runs));

    let proxy_url = format!("http://127.0.0.1:{proxy_port}/v1/users/{USER_ID}");
    let direct_url = format!("{upstream}/users/{USER_ID}");
    let mut proxy = std::collections::BTreeMap::new();
    let mut direct = std::collections::BTreeMap::new();
    for &c in opts.concurrency {
        let p = wrk(dir.path(), &proxy_url, c, &opts, None);
        let d = wrk(dir.path(), &direct_url, c, &opts, None);
        rows.push((
            "nginx reverse proxy → upstream (the floor)".into(),
            c,
            p.clone(),
        ));
        rows.push(("upstream direct (canned JSON)".into(), c, d.clone()));
        proxy.insert(c, p);
        direct.insert(c, d);
    }
    for (name, multi) in [
        (
            "reqwest → upstream, in-process loop (2-worker runtime)",
            true,
        ),
        (
            "reqwest → upstream, in-process loop (current-thread runtime)",
            false,
        ),
    ] {
        rows.push((name.into(), 1, client_floor(&direct_url, &opts, multi)));
    }
    let errors: u64 = rows.iter().map(|(_, _, r)| r.errors).sum::<u64>() + mode_errors;
    assert_eq!(errors, 0, "requests failed during the benchmark");

    let (default_bytes, default_n) = tools_list_bytes(&[]);
    let (all_bytes, all_n) = tools_list_bytes(&["--toolsets", "all"]);

    let mut md = String::new();
    let _ = writeln!(
        md,
        "Measured by `cargo bench --bench mcp` on {} ({}).\n",
        machine(),
        if full { "8 s per case" } else { "smoke" }
    );
    let _ = writeln!(
        md,
        "| case | conc. | req/s | p50 | p99 | ÷ proxy (req/s) | ÷ direct (req/s) |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (name, c, r) in &rows {
        let ratio = |m: &std::collections::BTreeMap<u32, Run>| {
            m.get(c)
                .map(|x| format!("{:.2}", r.rps / x.rps))
                .unwrap_or_else(|| "—".into())
        };
        let _ = writeln!(
            md,
            "| {name} | {c} | {:.0} | {:.0} µs | {:.0} µs | {} | {} |",
            r.rps,
            r.p50_us,
            r.p99_us,
            ratio(&proxy),
            ratio(&direct)
        );
    }
    let _ = writeln!(md, "\n| measure | value |\n|---|---|");
    let _ = writeln!(
        md,
        "| startup, exec → first healthy `/api/health` (median of {}) | {:.1} ms |",
        startups.len(),
        startup.as_secs_f64() * 1000.0
    );
    let _ = writeln!(md, "| RSS idle | {:.1} MB |", rss_idle as f64 / 1024.0);
    if let Some(r) = rss_after_10k {
        let _ = writeln!(
            md,
            "| RSS after ≥ 10,000 calls | {:.1} MB |",
            r as f64 / 1024.0
        );
    }
    let _ = writeln!(
        md,
        "| RSS at the end / peak (VmHWM) | {:.1} MB / {:.1} MB |",
        rss_after as f64 / 1024.0,
        rss_peak as f64 / 1024.0
    );
    let _ = writeln!(
        md,
        "| public ÷ hosted, `clerk_get_user` c=16 (medians of 3 alternating runs) | {:.0} / {:.0} req/s = {:.2} |",
        public_run.rps,
        hosted_run.rps,
        public_run.rps / hosted_run.rps
    );
    if let (Some(p1), Some(m1)) = (
        proxy.get(&1),
        rows.iter()
            .find(|(n, c, _)| n.contains("clerk_get_user` (2026") && *c == 1),
    ) {
        let _ = writeln!(
            md,
            "| p50 at c=1, MCP ÷ proxy | {:.0} µs / {:.0} µs = {:.2} |",
            m1.2.p50_us,
            p1.p50_us,
            m1.2.p50_us / p1.p50_us
        );
    }
    let _ = writeln!(
        md,
        "| `tools/list`, default toolsets ({default_n} tools) | {default_bytes} B ≈ {} tokens |",
        default_bytes / 4
    );
    let _ = writeln!(
        md,
        "| `tools/list`, all toolsets ({all_n} tools) | {all_bytes} B ≈ {} tokens |",
        all_bytes / 4
    );
    let _ = writeln!(
        md,
        "| per tool on average (all) | {} B ≈ {} tokens |",
        all_bytes / all_n,
        all_bytes / all_n / 4
    );
    print!("{md}");
    let _ = hosted_base;

    if full {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(
            root.join("docs/benchmark.md"),
            format!("# Benchmark results\n\n{md}"),
        )
        .unwrap();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let (start, end) = ("<!-- benchmark:start -->", "<!-- benchmark:end -->");
        if let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) {
            let updated = format!("{}{start}\n{md}{}", &readme[..a], &readme[b..]);
            std::fs::write(root.join("README.md"), updated).unwrap();
        }
        eprintln!("wrote docs/benchmark.md and the README's benchmark section");
    }
}
