//! Curated tools: each one entry in a per-domain list, naming one Clerk operation.
//!
//! An entry adds only what the spec cannot know: the tool name, a title, a description that says when
//! to use it, annotation overrides, and argument shaping (hidden or defaulted parameters, renames,
//! list normalisation). Results are shaped in `crate::results`, as for every tool. Each file names its toolset once. The input schema always comes
//! from the generated catalog; operations are named through `clerk::catalog::ops`, so a missing one
//! fails to compile.

mod domains;
mod invitations;
mod members;
mod organizations;
mod restrictions;
mod roles;
mod sessions;
mod users;

use super::call::{Handler, Invocation, Outcome, ToolError};
use super::registry::{ToolDef, annotations, tool};
use super::toolsets::Toolset;
use super::{args, preview, text};
use crate::clerk::catalog;
use crate::results::schema::{self, Returns};
use crate::results::{self, Page, Request};
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The curated tools of one toolset.
pub struct Set {
    /// The toolset they belong to.
    pub toolset: &'static Toolset,
    /// The tools, in listing order.
    pub tools: &'static [Curated],
}

/// One curated tool. Build entries with [`curated!`]; unset fields take [`Curated::DEFAULT`].
#[derive(Debug)]
pub struct Curated {
    /// Public tool name (`clerk_…`).
    pub name: &'static str,
    /// The Clerk operationId it calls.
    pub op: &'static str,
    /// Human-readable title.
    pub title: &'static str,
    /// When to use it; shown to the model.
    pub description: &'static str,
    /// Overrides the method's destructive default (bans, locks and revokes are destructive).
    pub destructive: Option<bool>,
    /// Arguments removed from the schema: `name` for a parameter, `body.name` for a body field.
    pub hide: &'static [&'static str],
    /// JSON defaults applied when an argument is absent; for a hidden argument the value is forced.
    pub defaults: &'static [(&'static str, &'static str)],
    /// (spec name, tool name) renames of top-level parameters.
    pub rename: &'static [(&'static str, &'static str)],
    /// Whether the result is a list, normalised to `{data,total_count,has_more,next_offset}`.
    pub list: bool,
    /// For lists returned as bare arrays: the operation that counts with the same filters.
    pub count: Option<&'static str>,
    /// Fields a write changes without naming them in its body (unban changes `banned`), shown in
    /// its answer even where the compact view would leave them out.
    pub changes: &'static [&'static str],
}

impl Curated {
    /// Defaults for every optional field.
    pub const DEFAULT: Curated = Curated {
        name: "",
        op: "",
        title: "",
        description: "",
        destructive: None,
        hide: &[],
        defaults: &[],
        rename: &[],
        list: false,
        count: None,
        changes: &[],
    };

    fn operation(&self) -> &'static catalog::Operation {
        catalog::get(self.op).unwrap_or_else(|| {
            panic!(
                "{} names operation {} which the catalog lacks",
                self.name, self.op
            )
        })
    }

    /// What the tool returns.
    fn returns(&self, op: &catalog::Operation) -> Returns {
        if self.list {
            Returns::List
        } else if op.method == "DELETE" {
            Returns::Deleted
        } else {
            Returns::Object
        }
    }

    /// The MCP definition: the catalog's schema, shaped by this entry.
    pub fn definition(&'static self, toolset: &'static Toolset) -> ToolDef {
        let op = self.operation();
        let returns = self.returns(op);
        let mut input = self.input_schema(op);
        if schema::offers_views(self.op, returns)
            && let Some(props) = input["properties"].as_object_mut()
        {
            props.extend(results::request_properties().map(|(k, v)| (k.to_string(), v)));
        }
        let output = schema::for_operation(self.op, returns);
        let ann = annotations(&op.method, self.destructive);
        let tool = tool(
            self.name,
            self.title,
            self.description.to_string(),
            input,
            output,
            ann,
        );
        ToolDef {
            handler: Arc::new(Run {
                entry: self,
                schema: tool.input_schema.clone(),
            }),
            tool,
            toolset,
            read_only: op.is_read_only(),
            gates_operations: false,
            operations: std::iter::once(self.op)
                .chain(self.count)
                .filter_map(catalog::get)
                .collect(),
        }
    }

    fn input_schema(&self, op: &catalog::Operation) -> Value {
        let mut schema = op.input_schema.clone();
        let props = schema["properties"]
            .as_object_mut()
            .expect("catalog schemas have properties");
        for h in self.hide {
            match h.split_once('.') {
                Some((parent, field)) => {
                    if let Some(p) = props.get_mut(parent) {
                        remove_property(p, field);
                    }
                }
                None => {
                    props.remove(*h);
                }
            }
        }
        for (name, default) in self.defaults {
            if let Some(p) = props.get_mut(*name) {
                p["default"] = serde_json::from_str(default).expect("curated defaults are JSON");
            }
        }
        for (from, to) in self.rename {
            if let Some(p) = props.remove(*from) {
                props.insert(to.to_string(), p);
            }
        }
        let remaining: Vec<String> = props.keys().cloned().collect();
        if let Some(req) = schema.get_mut("required").and_then(Value::as_array_mut) {
            for r in req.iter_mut() {
                if let Some((_, to)) = self.rename.iter().find(|(from, _)| r == from) {
                    *r = json!(to);
                }
            }
            req.retain(|r| r.as_str().is_some_and(|r| remaining.iter().any(|p| p == r)));
        }
        text::compact_descriptions(&mut schema);
        // Unknown arguments are refused with an error naming the valid ones; the schema need not also
        // say so (the default tool list is sent with every model request: every byte counts).
        if let Some(root) = schema.as_object_mut() {
            root.remove("additionalProperties");
            if let Some(body) = root
                .get_mut("properties")
                .and_then(|p| p.get_mut("body"))
                .and_then(Value::as_object_mut)
            {
                body.remove("additionalProperties");
            }
        }
        schema
    }

    /// Turns the tool's arguments into the operation's arguments, refusing anything the tool does not
    /// offer, so a hidden argument cannot be slipped through.
    fn operation_args(
        &self,
        args: Value,
        schema: &Map<String, Value>,
    ) -> Result<(Value, u64, u64, Request), ToolError> {
        let mut args = match args {
            Value::Null => Map::new(),
            Value::Object(o) => o,
            other => {
                return Err(ToolError::InvalidArguments(format!(
                    "arguments must be a JSON object, not {other}"
                )));
            }
        };
        // Only tools that return Clerk objects offer `view` and `fields`; elsewhere they are unknown.
        let request = if schema["properties"].get("view").is_some() {
            let r = Request::take(&mut args).map_err(ToolError::InvalidArguments)?;
            r.check_fields(self.op)
                .map_err(ToolError::InvalidArguments)?;
            r
        } else {
            Request::default()
        };
        let props = schema["properties"]
            .as_object()
            .expect("tool schemas have properties");
        for k in args.keys() {
            if !props.contains_key(k) {
                let valid: Vec<&str> = props.keys().map(String::as_str).collect();
                return Err(ToolError::InvalidArguments(format!(
                    "unknown argument `{k}`; valid arguments: {}",
                    if valid.is_empty() {
                        "none".to_string()
                    } else {
                        valid.join(", ")
                    }
                )));
            }
        }
        for h in self.hide {
            if let Some((parent, field)) = h.split_once('.')
                && args.get(parent).and_then(|b| b.get(field)).is_some()
            {
                return Err(ToolError::InvalidArguments(format!(
                    "`{parent}.{field}` is not available in {}; use clerk_api_call with operation {} for it",
                    self.name, self.op
                )));
            }
        }
        for (from, to) in self.rename {
            if let Some(v) = args.remove(*to) {
                args.insert(from.to_string(), v);
            }
        }
        for (name, default) in self.defaults {
            let hidden = self.hide.contains(name);
            if hidden || !args.contains_key(*name) {
                args.insert(
                    name.to_string(),
                    serde_json::from_str(default).expect("curated defaults are JSON"),
                );
            }
        }
        // Keep pages inside Clerk's bounds; a value of the wrong type is refused, never replaced.
        let (mut offset, mut limit) = (0, 10);
        let args = Value::Object(args);
        let (l, o) = (
            props
                .contains_key("limit")
                .then(|| args::bounded(&args, "limit", 10, 1, 500))
                .transpose()?,
            props
                .contains_key("offset")
                .then(|| args::bounded(&args, "offset", 0, 0, i64::MAX))
                .transpose()?,
        );
        let Value::Object(mut args) = args else {
            unreachable!("built from a map above")
        };
        if let Some(l) = l {
            args.insert("limit".into(), json!(l));
            limit = l as u64;
        }
        if let Some(o) = o {
            args.insert("offset".into(), json!(o));
            offset = o as u64;
        }
        Ok((Value::Object(args), offset, limit, request))
    }

    /// Runs the tool.
    async fn call(
        &self,
        inv: &Invocation<'_>,
        args: Value,
        schema: &Map<String, Value>,
    ) -> Outcome {
        let (args, offset, limit, request) = match self.operation_args(args, schema) {
            Ok(x) => x,
            Err(e) => return Outcome::failed(Some(self.op), e),
        };
        let key = match inv.key() {
            Ok(k) => k,
            Err(e) => return Outcome::failed(Some(self.op), e),
        };
        let mut request = request;
        if !self.operation().is_read_only() {
            request.add_written(self.op, &args);
            request
                .fields
                .extend(self.changes.iter().map(|c| c.to_string()));
        }
        // Every request of the call is validated before the first one is sent.
        let count_args = self.count.map(|c| (c, only_params_of(c, &args)));
        let sent = inv.dry_run.then(|| args.clone());
        let main = match inv.api.prepare(self.op, args) {
            Ok(p) => p,
            Err(e) => return Outcome::failed(Some(self.op), e.into()),
        };
        if let Some(sent) = sent {
            return preview::run(inv, self.op, main, &sent).await;
        }
        let count = match count_args.map(|(c, a)| inv.api.prepare(c, a)).transpose() {
            Ok(p) => p,
            Err(e) => return Outcome::failed(self.count, e.into()),
        };
        let (main, count) = match count {
            Some(count) => {
                let (a, b) = tokio::join!(
                    inv.api.send(key, main, inv.deadline),
                    inv.api.send(key, count, inv.deadline)
                );
                (a, Some(b))
            }
            None => (inv.api.send(key, main, inv.deadline).await, None),
        };
        let attempts = main.attempts;
        let response = match main.result {
            Ok(r) => r,
            Err(e) => return Outcome::from_api(self.op, Err(e), attempts),
        };
        let total = match count.map(|c| c.result) {
            Some(Ok(c)) => c.body.get("total_count").and_then(Value::as_u64),
            Some(Err(e)) => {
                return Outcome::from_api(self.count.unwrap_or(self.op), Err(e), attempts);
            }
            None => None,
        };
        let status = response.status;
        let op = self.operation();
        let page = self.list.then_some(Page {
            offset,
            limit,
            total,
        });
        let ctx = inv.result_context(self.op, self.returns(op) == Returns::Deleted);
        let body = results::shape(response.body, &request, page, &ctx);
        Outcome::from_api(self.op, Ok((status, body)), attempts)
    }
}

/// A curated tool's handler: its entry and its (shaped) input schema.
struct Run {
    entry: &'static Curated,
    schema: Arc<Map<String, Value>>,
}

impl Handler for Run {
    fn call<'a>(&'a self, inv: &'a Invocation<'a>, args: Value) -> BoxFuture<'a, Outcome> {
        Box::pin(self.entry.call(inv, args, &self.schema))
    }
}

/// Keeps only the arguments that `operation_id` takes (for the count call beside a list call).
fn only_params_of(operation_id: &str, args: &Value) -> Value {
    let Some(op) = catalog::get(operation_id) else {
        return json!({});
    };
    let mut out = Map::new();
    for p in &op.params {
        if let Some(v) = args.get(&p.name) {
            out.insert(p.name.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn remove_property(schema: &mut Value, field: &str) {
    if let Some(p) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        p.remove(field);
    }
    if let Some(r) = schema.get_mut("required").and_then(Value::as_array_mut) {
        r.retain(|x| x != field);
    }
}

/// How Clerk's metadata merge endpoints behave, shared by the three metadata tools' descriptions.
macro_rules! metadata_merge {
    () => {
        "Deep merge: omitted keys stay, null deletes a key."
    };
}
pub(crate) use metadata_merge;

/// Declares one curated tool: `curated!(tool_name => OperationId, "Title", "Description", field = value, …)`.
macro_rules! curated {
    ($name:ident => $op:ident, $title:literal, $desc:expr $(, $field:ident = $value:expr)* $(,)?) => {
        $crate::tools::curated::Curated {
            name: stringify!($name),
            op: $crate::clerk::catalog::ops::$op,
            title: $title,
            description: $desc,
            $($field: $value,)*
            ..$crate::tools::curated::Curated::DEFAULT
        }
    };
}
pub(crate) use curated;

/// Every toolset's curated tools, in listing order.
pub const SETS: [Set; 8] = [
    users::SET,
    organizations::SET,
    members::SET,
    invitations::SET,
    roles::SET,
    sessions::SET,
    restrictions::SET,
    domains::SET,
];

/// Every curated tool, in listing order.
pub fn all() -> impl Iterator<Item = &'static Curated> {
    SETS.iter().flat_map(|s| s.tools)
}

/// The MCP definitions of every curated tool.
pub fn definitions() -> Vec<ToolDef> {
    SETS.iter()
        .flat_map(|s| s.tools.iter().map(|c| c.definition(s.toolset)))
        .collect()
}
