//! Starting the real server in-process on 127.0.0.1:0, and a minimal JSON-RPC-over-HTTP client for
//! protocol-level assertions (real-peer tests use the official Python SDK and conformance suite).

use clap::Parser;
use clerk_mcp::config::{Config, Secrets, ServeArgs};
use clerk_mcp::server::{AppState, http};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Parser)]
#[command(args_override_self = true)]
struct Wrapper {
    #[command(flatten)]
    args: ServeArgs,
}

/// Parses server flags as the CLI would (environment variables still apply as defaults).
pub fn args(flags: &[&str]) -> ServeArgs {
    let mut all = vec!["clerk-mcp", "--host", "127.0.0.1", "--port", "0"];
    // The fake Clerk has no rate limit unless a test sets one, so the per-instance budget (100
    // requests per 10 s for its sk_test_ key) would only slow tests down; tests of the budget set it.
    if !flags.contains(&"--clerk-rate-limit") {
        all.extend_from_slice(&["--clerk-rate-limit", "0"]);
    }
    all.extend_from_slice(flags);
    Wrapper::try_parse_from(all).expect("valid test flags").args
}

pub fn secrets(key: Option<&str>, token: Option<&str>) -> Secrets {
    Secrets {
        clerk_secret_key: key.map(String::from),
        auth_token: token.map(String::from),
        oauth_clerk_key: None,
        state_secret: None,
    }
}

pub fn state(flags: &[&str], secrets: Secrets) -> Arc<AppState> {
    let reg = clerk_mcp::tools::all();
    let cfg = Config::build(&args(flags), &secrets, &reg, false).expect("valid config");
    AppState::new(cfg, reg).unwrap()
}

/// A running server; stopped when dropped.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    /// The `--metrics-addr` listener, when one was asked for.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub state: Arc<AppState>,
    running: Option<http::Running>,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown.cancel();
            let _ = r.task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown.cancel();
            r.task.abort();
        }
    }
}

pub async fn start(flags: &[&str], secrets: Secrets) -> TestServer {
    let state = state(flags, secrets);
    let running = http::start(state.clone()).await.expect("server starts");
    TestServer {
        addr: running.addr,
        metrics_addr: running.metrics_addr,
        state,
        running: Some(running),
    }
}

/// The protocol era a [`Client`] speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Era {
    /// 2026-07-28: stateless, per-request `_meta` and `Mcp-Method`/`Mcp-Name` headers.
    Modern,
    /// 2025-11-25: `initialize` first (sessions if the server mints them).
    Legacy,
}

/// A small MCP client over real HTTP.
pub struct Client {
    pub url: String,
    pub era: Era,
    pub headers: Vec<(String, String)>,
    pub session: Option<String>,
    http: reqwest::Client,
    /// The id the next request gets (tests set it to reuse an id on purpose).
    pub next_id: u64,
    /// The client capabilities a 2026-07-28 request declares in `_meta`.
    pub capabilities: Value,
}

/// A raw HTTP answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Client {
    pub fn new(url: &str, era: Era) -> Client {
        clerk_mcp::clerk::install_crypto_provider();
        Client {
            url: url.into(),
            era,
            headers: vec![],
            session: None,
            http: reqwest::Client::new(),
            next_id: 1,
            capabilities: json!({}),
        }
    }
    /// Declares these client capabilities on every 2026-07-28 request.
    pub fn capabilities(mut self, caps: Value) -> Client {
        self.capabilities = caps;
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Client {
        self.headers.push((k.into(), v.into()));
        self
    }

    fn version(&self) -> &'static str {
        match self.era {
            Era::Modern => "2026-07-28",
            Era::Legacy => "2025-11-25",
        }
    }

    /// Sends one JSON-RPC request and returns the raw answer (SSE bodies are unwrapped).
    pub async fn raw(&mut self, method: &str, mut params: Value, name: Option<&str>) -> Answer {
        let id = self.next_id;
        self.next_id += 1;
        if self.era == Era::Modern {
            // Keys a test put in `_meta` itself (e.g. `traceparent`) stay.
            let own = params.get("_meta").cloned();
            params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": self.capabilities, "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "0"}});
            if let Some(Value::Object(own)) = own {
                for (k, v) in own {
                    params["_meta"][k] = v;
                }
            }
        }
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut req = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", self.version());
        if self.era == Era::Modern {
            req = req.header("mcp-method", method);
            if let Some(n) = name {
                req = req.header("mcp-name", n);
            }
        }
        if let Some(s) = &self.session {
            req = req.header("mcp-session-id", s);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let resp = req.json(&body).send().await.expect("request sent");
        answer(resp).await
    }

    /// `initialize` + `notifications/initialized` (legacy era only).
    pub async fn initialize(&mut self) -> Value {
        let a = self
            .raw("initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}), None)
            .await;
        assert_eq!(a.status, 200, "initialize: {}", a.text);
        self.session = a
            .headers
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let mut req = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25");
        if let Some(s) = &self.session {
            req = req.header("mcp-session-id", s);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let n = req
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await
            .unwrap();
        assert_eq!(n.status(), 202);
        a.body["result"].clone()
    }

    /// A request that must succeed at the JSON-RPC level; returns `result`.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let name = params.get("name").and_then(Value::as_str).map(String::from);
        let a = self.raw(method, params, name.as_deref()).await;
        assert_eq!(a.status, 200, "{method}: HTTP {} {}", a.status, a.text);
        assert!(a.body.get("error").is_none(), "{method}: {}", a.text);
        a.body["result"].clone()
    }

    pub async fn list_tools(&mut self) -> Vec<Value> {
        self.request("tools/list", json!({})).await["tools"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// `tools/call`; returns the result (which may be `isError`).
    pub async fn call(&mut self, tool: &str, args: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": args}))
            .await
    }

    /// `tools/call` that must succeed; returns `structuredContent`.
    pub async fn ok(&mut self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args.clone()).await;
        assert_ne!(r["isError"], json!(true), "{tool}({args}) failed: {r}");
        let text: Value =
            serde_json::from_str(data_text(r["content"][0]["text"].as_str().unwrap())).unwrap();
        assert_eq!(
            text, r["structuredContent"],
            "text block and structuredContent differ"
        );
        r["structuredContent"].clone()
    }

    /// `tools/call` that must fail as a tool error; returns the parsed error JSON.
    pub async fn err(&mut self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args.clone()).await;
        assert_eq!(r["isError"], json!(true), "{tool}({args}) should fail: {r}");
        serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap()
    }
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = parse_body(&text);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// A JSON body, or for SSE the last `data:` line that holds JSON.
pub fn parse_body(text: &str) -> Value {
    serde_json::from_str(text).ok().unwrap_or_else(|| {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str(d.trim()).ok())
            .next_back()
            .unwrap_or(Value::Null)
    })
}

/// The JSON inside a result's text: between the untrusted-data tags when the notice is on.
pub fn data_text(text: &str) -> &str {
    let Some(open) = text.find("\n<untrusted-data-") else {
        return text;
    };
    let body = &text[open + 1..];
    let start = body.find('>').expect("the opening tag ends") + 1;
    let end = body.rfind("\n</untrusted-data-").expect("a closing tag");
    body[start..end].trim()
}

/// The address a spawned server (by pid) listens on, found with `ss` (it was started with port 0).
pub async fn wait_for_listen_port(pid: u32) -> std::net::SocketAddr {
    for _ in 0..100 {
        let out = std::process::Command::new("ss")
            .args(["-ltnpH"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(line) = text.lines().find(|l| l.contains(&format!("pid={pid},"))) {
            let local = line.split_whitespace().nth(3).unwrap();
            return local.parse().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server {pid} is not listening");
}

/// A port free a moment ago, for a server that must know its port before it starts (its public
/// URL is configuration, or the program cannot listen on port 0, as nginx).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
