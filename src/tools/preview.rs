//! Dry runs: `dry_run: true` on any tool that writes answers with exactly the request the call would
//! send (built by the same generated client and hooks, then not sent), secrets masked, and, where
//! one read can tell it, the target's current state (the member's current role, the user as they
//! are now).

use super::call::{Invocation, Outcome, ToolError};
use crate::clerk::PreparedCall;
use crate::results::{self, Request};
use serde_json::{Value, json};

/// The argument every writing tool takes.
pub const ARGUMENT: &str = "dry_run";

/// Takes `dry_run` out of the arguments: `Ok(true)` when it asks for a dry run.
pub fn take(args: &mut Value) -> Result<bool, ToolError> {
    match args.as_object_mut().and_then(|o| o.remove(ARGUMENT)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(other) => Err(ToolError::InvalidArguments(format!(
            "`dry_run` must be true or false, not {other}"
        ))),
    }
}

/// The read that shows a target's current state, from the ids in the operation's arguments.
fn current_state_read(args: &Value) -> Option<(&'static str, Value)> {
    let id = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
    match (id("organization_id"), id("user_id")) {
        (Some(org), Some(user)) => Some((
            "ListOrganizationMemberships",
            json!({"organization_id": org, "user_id": [user], "limit": 1}),
        )),
        (None, Some(user)) => Some(("GetUser", json!({"user_id": user}))),
        (Some(org), None) => match id("invitation_id") {
            Some(inv) => Some((
                "GetOrganizationInvitation",
                json!({"organization_id": org, "invitation_id": inv}),
            )),
            None => Some(("GetOrganization", json!({"organization_id": org}))),
        },
        _ => None,
    }
}

/// Answers a dry run of `call` (operation `operation_id`, arguments `args` as sent to Clerk).
pub async fn run(
    inv: &Invocation<'_>,
    operation_id: &str,
    call: PreparedCall,
    args: &Value,
) -> Outcome {
    let key = match inv.key() {
        Ok(k) => k,
        Err(e) => return Outcome::failed(Some(operation_id), e),
    };
    let wire = match inv.api.preview(key, call).await {
        Ok(w) => w,
        Err(e) => return Outcome::failed(Some(operation_id), e.into()),
    };
    let mut request = json!({"method": wire.method, "path": wire.path});
    if !wire.query.is_empty() {
        let q: Vec<String> = wire.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        request["query"] = json!(q.join("&"));
    }
    if let Some(b) = &wire.body {
        request["body"] = crate::audit::masked(b);
    }
    let mut out = json!({
        "dry_run": true,
        "would_send": request,
        "note": "Nothing was sent. Call again without dry_run to do it.",
    });
    if let Some((read, read_args)) = current_state_read(args) {
        let got = inv.api.call(key, read, read_args, inv.deadline).await;
        if let Ok(r) = got.result {
            let ctx = inv.result_context(read, false);
            let mut now = results::shape(r.body, &Request::default(), None, &ctx);
            // A one-item membership page: the membership itself.
            if let Some(first) = now.get("data").and_then(|d| d.get(0)).cloned() {
                now = first;
            } else if now.get("data").is_some() {
                now = Value::Null;
            }
            out["current"] = now;
        }
    }
    Outcome {
        result: Ok(out),
        operation_id: Some(operation_id.to_string()),
        status: None,
        attempts: 0,
    }
}

/// `ToolError` for a dry run asked of a tool that only reads.
pub fn not_for_reads(tool: &str) -> ToolError {
    ToolError::InvalidArguments(format!(
        "`dry_run` is for tools that change data; {tool} only reads, so call it without dry_run"
    ))
}
