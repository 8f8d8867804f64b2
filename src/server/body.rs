//! The request body on `/mcp`, before rmcp sees it: size, read time, and the JSON-RPC shape.
//!
//! - A `Content-Length` above `--max-body-bytes` is refused at once (413), without waiting for a
//!   body that may never come (a 10 GiB `Content-Length` used to be waited on).
//! - The whole body must arrive within `--body-timeout` (408), however it is trickled.
//! - Shapes rmcp answers with a misleading code are refused with the right one: a batch array or
//!   `"id": null` is -32600 (rmcp: -32700), `tools/call` whose `arguments` is not an object is
//!   -32602 (rmcp: 404 / -32601).
//! - A legacy `initialize` (which opens a session) must first get room from the session guard.

use super::AppState;
use super::auth::{Principal, insufficient_scope};
use super::limits::ClientKey;
use super::oauth::Access;
use super::refusal::{Refusal, code};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;

/// What the shape check learned about a request.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    /// The JSON-RPC method, when the message has one.
    pub method: Option<String>,
    /// For `tools/call`: the tool, and for `clerk_api_call` the operation it runs.
    pub tool: Option<(String, Option<String>)>,
}

/// The JSON kind of a raw value, for messages.
fn kind(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

/// Checks one JSON-RPC message's shape.
pub fn check_shape(body: &[u8]) -> Result<Shape, Refusal> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return Err(Refusal::bad_request(
            "Batch requests are not supported (MCP removed JSON-RPC batching): send one JSON-RPC message per POST",
        ));
    }
    let msg: HashMap<String, &RawValue> = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            Refusal::bad_request(
                "The body must be one JSON-RPC message: a JSON object with jsonrpc, method and (for requests) id",
            )
        } else {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                code::PARSE_ERROR,
                format!("The body is not valid JSON: {e}"),
            )
        }
    })?;
    if msg.get("id").is_some_and(|id| id.get().trim() == "null") {
        return Err(Refusal::bad_request(
            "A request id must be a string or a number, not null (MCP forbids null ids)",
        ));
    }
    let method: Option<String> = msg
        .get("method")
        .and_then(|m| serde_json::from_str(m.get()).ok());
    let mut tool = None;
    if method.as_deref() == Some("tools/call")
        && let Some(params) = msg.get("params")
    {
        let params: HashMap<String, &RawValue> =
            serde_json::from_str(params.get()).map_err(|_| {
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    code::INVALID_PARAMS,
                    format!(
                        "`params` of tools/call must be an object with `name` and `arguments`, not {}",
                        kind(params)
                    ),
                )
            })?;
        if let Some(args) = params.get("arguments")
            && !matches!(kind(args), "an object" | "null")
        {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                code::INVALID_PARAMS,
                format!(
                    "`params.arguments` of tools/call must be an object mapping argument names to values, not {}",
                    kind(args)
                ),
            ));
        }
        let name: Option<String> = params
            .get("name")
            .and_then(|n| serde_json::from_str(n.get()).ok());
        let operation: Option<String> = params
            .get("arguments")
            .and_then(|a| serde_json::from_str::<HashMap<String, &RawValue>>(a.get()).ok())
            .and_then(|a| {
                a.get("operation_id")
                    .and_then(|o| serde_json::from_str(o.get()).ok())
            });
        tool = name.map(|n| (n, operation));
    }
    Ok(Shape { method, tool })
}

/// Whether calling `tool` (with `operation` for `clerk_api_call`) changes data.
fn writes(state: &AppState, tool: &str, operation: Option<&str>) -> bool {
    match state.registry.get(tool) {
        Some(t) if t.gates_operations => operation
            .and_then(crate::clerk::catalog::get)
            .is_some_and(|op| !op.is_read_only()),
        Some(t) => !t.read_only,
        None => false,
    }
}

/// Reads the body within the size and time limits.
async fn read_body(state: &AppState, body: Body) -> Result<Bytes, Refusal> {
    let limit = state.config.max_body_bytes;
    let read = Limited::new(body, limit).collect();
    match tokio::time::timeout(state.config.body_timeout, read).await {
        Err(_) => Err(Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            code::INVALID_REQUEST,
            format!(
                "The request body did not arrive within {} s; send it whole",
                state.config.body_timeout.as_secs()
            ),
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Ok(Err(_)) => Err(Refusal::bad_request(
            "The request body could not be read (the connection broke off)",
        )),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

fn too_large(limit: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        code::INVALID_REQUEST,
        format!("The request body is larger than this server accepts ({limit} bytes)"),
    )
}

/// The body middleware, innermost before rmcp on `/mcp`.
pub async fn check_body(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.config.max_body_bytes as u64) {
        return too_large(state.config.max_body_bytes).into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match read_body(&state, body).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let shape = match check_shape(&bytes) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    // A caller who may only read is stopped here, at the HTTP level, when it calls a tool that
    // writes: 403 with the scopes that would allow it, so an OAuth client can step up.
    if let (Some(Principal::OAuth(c)), Some((tool, op))) =
        (parts.extensions.get::<Principal>(), &shape.tool)
        && c.access == Access::Read
        && writes(&state, tool, op.as_deref())
    {
        return insufficient_scope(
            &state,
            &format!("Forbidden: `{tool}` changes data and this token only grants read access"),
            Access::Write,
        );
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    let opens_session = state.config.legacy_sessions
        && shape.method.as_deref() == Some("initialize")
        && !req.headers().contains_key("mcp-session-id");
    if !opens_session {
        return next.run(req).await;
    }
    let client = ClientKey::of(&req);
    if let Err(r) = state.sessions.admit(&client).await {
        return r.into_response();
    }
    let resp = next.run(req).await;
    if let Some(id) = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
    {
        state.sessions.assign(client, id.into());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(body: &str) -> i64 {
        check_shape(body.as_bytes()).unwrap_err().code
    }

    #[test]
    fn shapes_get_the_right_json_rpc_codes() {
        assert_eq!(
            code_of(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
            -32600
        );
        assert_eq!(code_of(r#"  []"#), -32600);
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#),
            -32600
        );
        assert_eq!(
            code_of(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[1,2]}}"#
            ),
            -32602
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}"#),
            -32602
        );
        assert_eq!(code_of(r#"{"jsonrpc":"2.0","id":1,"#), -32700);
        assert_eq!(code_of(r#"42"#), -32600);
        let ok = check_shape(
            br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{"a":[1]}}}"#,
        )
        .unwrap();
        assert_eq!(ok.method.as_deref(), Some("tools/call"));
        assert_eq!(ok.tool, Some(("x".to_string(), None)));
        assert!(check_shape(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).is_ok());
        assert!(check_shape(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":null}}"#).is_ok());
    }
}
