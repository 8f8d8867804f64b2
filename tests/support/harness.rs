//! The in-process harness shared by the property tests (`tests/fuzz_props.rs`) and the fuzz targets
//! (`fuzz/fuzz_targets/*.rs` include this file): the real router, raw POSTs into it, a generator of tool
//! arguments driven by a tool's input schema, and the invariant every response must meet.

use arbitrary::Unstructured;
use axum::body::Body;
use clerk_mcp::codegen::schema::required_names;
use clerk_mcp::config::{Config, Secrets, ServeArgs};
use clerk_mcp::server::{AppState, http};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use std::sync::{Arc, LazyLock};
use tower::ServiceExt;

/// A current-thread runtime: the harness drives one request at a time.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One runtime and one router for a whole fuzzing process (libFuzzer calls a target millions of times).
pub static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(runtime);

/// The router of [`RT`], with its state (fuzz targets pick tools from its registry).
pub static APP: LazyLock<(axum::Router, Arc<AppState>)> =
    LazyLock::new(|| RT.block_on(async { router() }));

/// The server in hosted mode pointed at a closed port: calls fail fast as "unreachable", so the fuzzer
/// exercises validation and error mapping without a network.
pub fn router() -> (axum::Router, Arc<AppState>) {
    use clap::Parser;
    #[derive(Parser)]
    struct W {
        #[command(flatten)]
        a: ServeArgs,
    }
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", dead.local_addr().unwrap());
    drop(dead);
    let args = W::try_parse_from([
        "clerk-mcp",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--toolsets",
        "all",
        "--clerk-api-url",
        &url,
        "--max-attempts",
        "1",
        "--rate-limit",
        "0",
        "--clerk-rate-limit",
        "0",
        "--connect-timeout",
        "1",
    ])
    .unwrap()
    .a;
    let reg = clerk_mcp::tools::all();
    let secrets = Secrets {
        clerk_secret_key: Some("sk_test_fuzzfuzzfuzz".into()),
        auth_token: None,
        oauth_clerk_key: None,
        state_secret: None,
    };
    let cfg = Config::build(&args, &secrets, &reg, false).unwrap();
    let state = AppState::new(cfg, reg).unwrap();
    (http::router(state.clone(), Default::default()), state)
}

/// POSTs raw bytes to `/mcp` as a 2026-07-28 request for `method` (and `name` for tools/call).
pub async fn post(
    router: &axum::Router,
    body: Vec<u8>,
    method: &str,
    name: Option<&str>,
) -> (u16, String) {
    let mut req = axum::http::Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(n) = name {
        req = req.header("mcp-name", n);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

/// A tools/call request body.
pub fn call_body(tool: &str, args: &Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": args,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string()
    .into_bytes()
}

/// What every answer must satisfy: no 5xx; a JSON-RPC error with a message, or a result; a failed tool
/// call is an `isError` result with a non-empty message; nothing secret.
pub fn check(status: u16, body: &str) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("HTTP {status}: {body}"));
    }
    if status == 202 && body.is_empty() {
        return Ok(());
    }
    let v: Value = serde_json::from_str(body)
        .ok()
        .or_else(|| {
            body.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .filter_map(|d| serde_json::from_str(d.trim()).ok())
                .next_back()
        })
        .ok_or_else(|| format!("HTTP {status}: not JSON-RPC: {body}"))?;
    if body.contains("fuzzfuzzfuzz") {
        return Err("the server key appears in a response".into());
    }
    if let Some(e) = v.get("error") {
        let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
        return if msg.is_empty() {
            Err(format!("JSON-RPC error without a message: {body}"))
        } else {
            Ok(())
        };
    }
    let r = v
        .get("result")
        .ok_or_else(|| format!("neither result nor error: {body}"))?;
    if r.get("isError") == Some(&json!(true)) {
        let text = r["content"][0]["text"].as_str().unwrap_or("");
        let parsed: Value = serde_json::from_str(text)
            .map_err(|_| format!("isError without a JSON message: {body}"))?;
        if parsed["message"].as_str().is_none_or(str::is_empty) {
            return Err(format!("isError without a message: {body}"));
        }
    }
    Ok(())
}

/// Arguments shaped by `schema`, with `u` deciding values, omissions and deliberate mistakes.
pub fn args_for(schema: &Value, u: &mut Unstructured, depth: usize) -> Value {
    let wrong = u.ratio(1, 8).unwrap_or(false) || depth > 6;
    if wrong {
        return wild(u, 3);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut out = Map::new();
            let required: Vec<&str> = required_names(schema).collect();
            for (k, p) in schema["properties"].as_object().into_iter().flatten() {
                if required.contains(&k.as_str()) || u.ratio(1, 3).unwrap_or(false) {
                    out.insert(k.clone(), args_for(p, u, depth + 1));
                }
            }
            if u.ratio(1, 10).unwrap_or(false) {
                out.insert("unexpected_field".into(), wild(u, 1));
            }
            Value::Object(out)
        }
        Some("array") => {
            let n = u.int_in_range(0..=4).unwrap_or(0);
            Value::Array(
                (0..n)
                    .map(|_| args_for(schema.get("items").unwrap_or(&Value::Null), u, depth + 1))
                    .collect(),
            )
        }
        Some("integer") => json!(u.arbitrary::<i64>().unwrap_or(0) % 1000),
        Some("number") => json!(u.arbitrary::<f32>().unwrap_or(0.0).clamp(-1e6, 1e6)),
        Some("boolean") => json!(u.arbitrary::<bool>().unwrap_or(false)),
        _ => match schema.get("enum").and_then(Value::as_array) {
            Some(e) if !e.is_empty() => e[u.choose_index(e.len()).unwrap_or(0)].clone(),
            _ => json!(u.arbitrary::<String>().unwrap_or_default()),
        },
    }
}

/// Any JSON value at all.
pub fn wild(u: &mut Unstructured, depth: usize) -> Value {
    match u.int_in_range(0..=6).unwrap_or(0) {
        0 => Value::Null,
        1 => json!(u.arbitrary::<bool>().unwrap_or(false)),
        2 => json!(u.arbitrary::<i64>().unwrap_or(0)),
        3 => json!(u.arbitrary::<String>().unwrap_or_default()),
        4 if depth > 0 => Value::Array(
            (0..u.int_in_range(0..=3).unwrap_or(0))
                .map(|_| wild(u, depth - 1))
                .collect(),
        ),
        5 if depth > 0 => {
            let mut m = Map::new();
            for _ in 0..u.int_in_range(0..=3).unwrap_or(0) {
                m.insert(
                    u.arbitrary::<String>().unwrap_or_default(),
                    wild(u, depth - 1),
                );
            }
            Value::Object(m)
        }
        _ => json!(
            u.arbitrary::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .unwrap_or(0.5)
        ),
    }
}
