//! Toolset `api`: the whole Clerk Backend API in three tools — search, describe, call — so the ~190
//! operations without a curated tool are reachable without a tool definition each in the context.
//! The definitions and handlers are here; the search engine and the example generator beside them.

pub mod examples;
pub mod search;

pub use examples::example_arguments;
pub use search::search;

use super::call::{Handler, Invocation, Outcome, ToolError};
use super::filter::Filter;
use super::registry::{ToolDef, annotations, tool};
use super::toolsets;
use super::{args, preview, text};
use crate::clerk::catalog::{self, Operation};
use crate::results::{self, Page, Request};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::sync::Arc;

/// `clerk_api_search`: offline.
struct Search;
/// `clerk_api_describe`: offline.
struct Describe;
/// `clerk_api_call`.
struct Call;

impl Handler for Search {
    fn needs_key(&self) -> bool {
        false
    }
    fn call<'a>(&'a self, inv: &'a Invocation<'a>, args: Value) -> BoxFuture<'a, Outcome> {
        Box::pin(std::future::ready(run_search(&args, inv.filters)))
    }
}

impl Handler for Describe {
    fn needs_key(&self) -> bool {
        false
    }
    fn call<'a>(&'a self, _inv: &'a Invocation<'a>, args: Value) -> BoxFuture<'a, Outcome> {
        Box::pin(std::future::ready(run_describe(&args)))
    }
}

impl Handler for Call {
    fn call<'a>(&'a self, inv: &'a Invocation<'a>, args: Value) -> BoxFuture<'a, Outcome> {
        Box::pin(async move { run_call(inv, &args).await })
    }
}

/// The three definitions, kept short: together they are a fixed cost on every request.
pub fn definitions() -> Vec<ToolDef> {
    let def = |name: &'static str,
               title: &str,
               desc: &str,
               input: Value,
               output: Value,
               read_only: bool,
               handler: Arc<dyn Handler>| ToolDef {
        tool: tool(
            name,
            title,
            desc.to_string(),
            input,
            output,
            // clerk_api_call can reach every DELETE in the API, so it is marked destructive.
            annotations(if read_only { "GET" } else { "POST" }, Some(!read_only)),
        ),
        toolset: &toolsets::API,
        read_only,
        // clerk_api_call checks read-only and deny lists per operation itself.
        gates_operations: name == "clerk_api_call",
        handler,
        operations: Vec::new(),
    };
    vec![
        def(
            "clerk_api_search",
            "Search the Clerk API",
            "Find Backend API operations for tasks no other clerk_ tool covers (billing, API keys, M2M tokens, JWT \
             templates, SSO, webhooks, waitlist, …) for clerk_api_describe and clerk_api_call.",
            json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "What you want to do, in words, e.g. \"revoke api key\"."},
                "tag": {"type": "string", "description": "Only operations with this tag, e.g. \"Billing\"."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50}},
                "required": ["query"]}),
            json!({"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object"}}}, "required": ["results"]}),
            true,
            Arc::new(Search),
        ),
        def(
            "clerk_api_describe",
            "Describe a Clerk API operation",
            "An operation's input schema and a minimal example `arguments` for clerk_api_call.",
            json!({"type": "object", "properties": {
                "operation_id": {"type": "string", "description": "An operation id from clerk_api_search."}},
                "required": ["operation_id"]}),
            json!({"type": "object"}),
            true,
            Arc::new(Describe),
        ),
        def(
            "clerk_api_call",
            "Call a Clerk API operation",
            "Run any Backend API operation by id; `arguments` as clerk_api_describe shows (path and query \
             parameters at the top, the JSON body under `body`).",
            json!({"type": "object", "properties": {
                "operation_id": {"type": "string"},
                "arguments": {"type": "object", "additionalProperties": true},
                "view": results::request_properties()[0].1, "fields": results::request_properties()[1].1},
                "required": ["operation_id"]}),
            json!({"type": "object"}),
            false,
            Arc::new(Call),
        ),
    ]
}

fn summary_line(op: &Operation) -> Value {
    let summary = if op.summary.is_empty() {
        text::first_sentence(&op.description, 120)
    } else {
        op.summary.clone()
    };
    json!({"operation_id": op.operation_id, "method": op.method, "path": op.path, "tag": op.tag,
           "summary": summary, "read_only": op.is_read_only(), "deprecated": op.deprecated})
}

fn describe(op: &Operation) -> Value {
    let ann = annotations(&op.method, None);
    let required: Vec<Value> = op
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    json!({
        "operation_id": op.operation_id, "method": op.method, "path": op.path, "tag": op.tag, "tags": op.tags,
        "summary": op.summary, "description": op.description, "deprecated": op.deprecated,
        "read_only": op.is_read_only(),
        "annotations": ann,
        "required": required,
        "input_schema": op.input_schema,
        "example_arguments": example_arguments(op),
    })
}

fn unknown_operation(id: &str) -> ToolError {
    ToolError::InvalidArguments(format!(
        "unknown operation `{id}`; closest: {}. Use clerk_api_search to find operations.",
        search::closest(id, 5).join(", ")
    ))
}

fn string_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, ToolError> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| {
        ToolError::InvalidArguments(format!("`{name}` is required and must be a string"))
    })
}

fn check_keys(args: &Value, allowed: &[&str]) -> Result<(), ToolError> {
    match args {
        Value::Object(o) => match o.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ToolError::InvalidArguments(format!(
                "unknown argument `{k}`; valid arguments: {}",
                allowed.join(", ")
            ))),
            None => Ok(()),
        },
        Value::Null => Ok(()),
        _ => Err(ToolError::InvalidArguments(
            "arguments must be a JSON object".into(),
        )),
    }
}

/// `clerk_api_search`.
fn run_search(args: &Value, filters: &[&Filter]) -> Outcome {
    let r = (|| {
        check_keys(args, &["query", "tag", "limit"])?;
        let query = string_arg(args, "query")?;
        let tag = args.get("tag").and_then(Value::as_str);
        let limit = args::bounded(args, "limit", 10, 1, 50)? as usize;
        let results: Vec<Value> = search(query, tag, limit, filters)
            .into_iter()
            .map(summary_line)
            .collect();
        let mut out = json!({"results": results});
        if results_empty(&out) {
            out["hint"] = json!(
                "No operation matched. Try fewer or other words, or drop `tag`; read-only mode and deny lists hide operations they refuse."
            );
        }
        Ok(out)
    })();
    Outcome::local(r)
}

fn results_empty(v: &Value) -> bool {
    v["results"].as_array().is_none_or(Vec::is_empty)
}

/// `clerk_api_describe`.
fn run_describe(args: &Value) -> Outcome {
    let r = (|| {
        check_keys(args, &["operation_id"])?;
        let id = string_arg(args, "operation_id")?;
        catalog::get(id)
            .map(describe)
            .ok_or_else(|| unknown_operation(id))
    })();
    Outcome::local(r)
}

/// `clerk_api_call`.
async fn run_call(inv: &Invocation<'_>, args: &Value) -> Outcome {
    let prepared = (|| {
        check_keys(args, &["operation_id", "arguments", "view", "fields"])?;
        let id = string_arg(args, "operation_id")?;
        let op = catalog::get(id).ok_or_else(|| unknown_operation(id))?;
        for f in inv.filters {
            f.admits_operation(&op.operation_id, &op.tags, op.is_read_only())
                .map_err(|why| {
                    ToolError::Refused(format!(
                        "operation {} is not allowed here: {why}",
                        op.operation_id
                    ))
                })?;
        }
        let mut top = args.as_object().cloned().unwrap_or_default();
        let request = Request::take(&mut top).map_err(ToolError::InvalidArguments)?;
        request
            .check_fields(&op.operation_id)
            .map_err(ToolError::InvalidArguments)?;
        Ok((op, request))
    })();
    let (op, mut request) = match prepared {
        Ok(x) => x,
        Err(e) => return Outcome::failed(args.get("operation_id").and_then(Value::as_str), e),
    };
    let key = match inv.key() {
        Ok(k) => k,
        Err(e) => return Outcome::failed(Some(&op.operation_id), e),
    };
    let call_args = args.get("arguments").cloned().unwrap_or(Value::Null);
    if !op.is_read_only() {
        request.add_written(&op.operation_id, &call_args);
    }
    // Only used to shape the list envelope; the typed parse refuses a wrong type before sending.
    let page = |name, default| {
        args::integer(&call_args, name)
            .ok()
            .flatten()
            .map_or(default, |n| n.max(0) as u64)
    };
    let (offset, limit) = (page("offset", 0), page("limit", 10));
    if inv.dry_run {
        let sent = call_args.clone();
        return match inv.api.prepare(&op.operation_id, call_args) {
            Ok(p) => preview::run(inv, &op.operation_id, p, &sent).await,
            Err(e) => Outcome::failed(Some(&op.operation_id), e.into()),
        };
    }
    let out = inv
        .api
        .call(key, &op.operation_id, call_args, inv.deadline)
        .await;
    let attempts = out.attempts;
    let ctx = inv.result_context(&op.operation_id, op.method == "DELETE");
    let shaped = out.result.map(|r| {
        let is_list = results::envelope::is_list(&r.body);
        let page = is_list.then_some(Page {
            offset,
            limit,
            total: None,
        });
        (r.status, results::shape(r.body, &request, page, &ctx))
    });
    Outcome::from_api(&op.operation_id, shaped, attempts)
}
