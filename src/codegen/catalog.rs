//! The operation catalog: one entry per generated operation, with a client-safe input schema.
//!
//! Built from the same patched document progenitor sees, so the catalog, the typed client and the
//! JSON entry point can never disagree about which operations and parameters exist.

use super::{deref, for_each_op, op_id, schema::client_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Where a parameter goes in the HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// A `{name}` segment of the path.
    Path,
    /// A query-string parameter.
    Query,
}

/// One path or query parameter of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The name on the wire, and the argument name in the input schema.
    pub name: String,
    /// Path or query.
    pub location: Location,
    /// Whether the spec requires it (path parameters always are).
    pub required: bool,
    /// Whether it is an array (sent as repeated keys).
    pub array: bool,
}

/// One generated operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// The spec's operationId, e.g. `GetUserList`.
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template relative to the base URL, e.g. `/users/{user_id}`.
    pub path: String,
    /// The first tag, used to group operations.
    pub tag: String,
    /// All tags (a few operations are under Users or Organizations and Billing).
    pub tags: Vec<String>,
    /// One-line summary from the spec.
    pub summary: String,
    /// Long description from the spec.
    pub description: String,
    /// Whether the spec marks the operation deprecated.
    pub deprecated: bool,
    /// Path and query parameters, in spec order.
    pub params: Vec<Param>,
    /// `Some(required)` when the operation takes a JSON body.
    pub body: Option<bool>,
    /// Client-safe input schema: parameters at the top, the body under `body`.
    pub input_schema: Value,
}

impl Operation {
    /// Whether the operation only reads (GET/HEAD).
    pub fn is_read_only(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD")
    }

    /// Whether it destroys or cuts off something a person would want to be asked about: every
    /// DELETE, and the POSTs that ban, lock, revoke or remove (Clerk names them so). The spec has no
    /// marker for this, so the operationId's verb is the evidence.
    pub fn is_destructive(&self) -> bool {
        const VERBS: [&str; 5] = ["Delete", "Revoke", "Ban", "Lock", "Remove"];
        self.method == "DELETE"
            || (!self.is_read_only()
                && VERBS.iter().any(|v| {
                    self.operation_id
                        .strip_prefix(v)
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
                }))
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Builds the catalog from a patched document, in document order.
pub fn build(doc: &Value) -> Result<Vec<Operation>, String> {
    let mut ops = Vec::new();
    let mut err = None;
    for_each_op(doc, |path, method, op| {
        match operation(doc, path, method, op) {
            Ok(o) => ops.push(o),
            Err(e) => err = Some(e),
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(ops),
    }
}

fn operation(doc: &Value, path: &str, method: &str, op: &Value) -> Result<Operation, String> {
    let id = op_id(op);
    if id.is_empty() {
        return Err(format!("{method} {path} has no operationId"));
    }
    let mut props = Map::new();
    let mut required = Vec::new();
    let mut params = Vec::new();
    for rp in super::params(doc, op) {
        let (p, name) = (rp.raw, rp.name.to_string());
        let location = match rp.location {
            "path" => Location::Path,
            "query" => Location::Query,
            other => {
                return Err(format!(
                    "{id}: parameter `{name}` is in {other:?}; only path and query are supported"
                ));
            }
        };
        if name == "body" {
            return Err(format!(
                "{id}: a parameter named `body` would collide with the request body argument"
            ));
        }
        let is_required = rp.required;
        let raw = if rp.schema.is_null() {
            json!({})
        } else {
            rp.schema.clone()
        };
        let mut schema = client_schema(doc, &raw);
        if let Some(obj) = schema.as_object_mut() {
            let desc = text(p, "description");
            if !desc.is_empty() {
                obj.insert("description".into(), json!(desc));
            }
            if p.get("deprecated").and_then(Value::as_bool) == Some(true) {
                obj.insert("deprecated".into(), json!(true));
            }
        }
        let array = schema.get("type").and_then(Value::as_str) == Some("array");
        if is_required {
            required.push(json!(name));
        }
        props.insert(name.clone(), schema);
        params.push(Param {
            name,
            location,
            required: is_required,
            array,
        });
    }
    let mut body = None;
    if let Some(rb) = op.get("requestBody") {
        let rb = deref(doc, rb);
        let Some(media) = rb.pointer("/content/application~1json") else {
            return Err(format!("{id}: request body is not application/json"));
        };
        let mut schema = client_schema(doc, media.get("schema").unwrap_or(&json!({})));
        // Clerk's spec rarely sets `requestBody.required`, but a body whose schema has required
        // properties cannot be left out: a client that trusts an optional `body` would send `{}` and
        // be told a field inside it is missing.
        let is_required = rb.get("required").and_then(Value::as_bool).unwrap_or(false)
            || super::schema::required_names(&schema).next().is_some();
        if let Some(obj) = schema.as_object_mut() {
            let desc = text(rb, "description");
            if !desc.is_empty() && !obj.contains_key("description") {
                obj.insert("description".into(), json!(desc));
            }
        }
        if is_required {
            required.push(json!("body"));
        }
        props.insert("body".into(), schema);
        body = Some(is_required);
    }
    let mut input = Map::new();
    input.insert("type".into(), json!("object"));
    input.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        input.insert("required".into(), Value::Array(required));
    }
    input.insert("additionalProperties".into(), json!(false));
    let tags: Vec<String> = op
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(String::from))
        .collect();
    Ok(Operation {
        operation_id: id.to_string(),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        tag: tags
            .first()
            .cloned()
            .unwrap_or_else(|| "Miscellaneous".into()),
        tags,
        summary: text(op, "summary"),
        description: text(op, "description"),
        deprecated: op
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        params,
        body,
        input_schema: Value::Object(input),
    })
}
