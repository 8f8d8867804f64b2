//! Spec → code pipeline shared by `build.rs` and the crate.
//!
//! `build.rs` includes this module with `#[path]`, so everything here may only use crates that are both
//! build-dependencies and dependencies (serde_json, serde_norway, sha2). The crate compiles it a second
//! time so that `clerk-mcp spec diff` and the tests can run the very same code on other spec files.

pub mod catalog;
pub mod diff;
pub mod patches;
pub mod pin;
pub mod responses;
pub mod schema;

use serde_json::Value;

/// The HTTP methods an OpenAPI path item can hold operations under, in a fixed order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Parses an OpenAPI document (YAML or JSON) into an untyped tree: patches and catalog code work on
/// `serde_json::Value` because it is far simpler to edit than the typed `openapiv3` model.
pub fn parse_spec(text: &str) -> Result<Value, String> {
    serde_norway::from_str(text)
        .map_err(|e| format!("the OpenAPI document is not valid YAML/JSON: {e}"))
}

/// Calls `f(path, method, operation)` for every operation of the document, in document order.
pub fn for_each_op(doc: &Value, mut f: impl FnMut(&str, &str, &Value)) {
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in METHODS {
                if let Some(op) = item.get(m) {
                    f(path, m, op);
                }
            }
        }
    }
}

/// Mutable twin of [`for_each_op`].
pub fn for_each_op_mut(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for m in METHODS {
                if let Some(op) = item.get_mut(m) {
                    f(path, m, op);
                }
            }
        }
    }
}

/// The operationId of an operation, or an empty string when it has none.
pub fn op_id(op: &Value) -> &str {
    op.get("operationId").and_then(Value::as_str).unwrap_or("")
}

/// Resolves a local `$ref` (`#/components/...`) against the document.
pub fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

/// Follows `$ref`s (parameters, request bodies, responses) until a concrete object is reached.
pub fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => match resolve_ref(doc, r) {
                Some(t) => v = t,
                None => return v,
            },
            None => return v,
        }
    }
    v
}

/// One parameter of an operation, with `$ref`s resolved.
pub struct RawParam<'a> {
    /// The wire name.
    pub name: &'a str,
    /// `path`, `query`, `header` or `cookie`.
    pub location: &'a str,
    /// Required by the spec (path parameters always are).
    pub required: bool,
    /// The parameter object itself (description, deprecated, ...).
    pub raw: &'a Value,
    /// Its schema (`null` when it has none).
    pub schema: &'a Value,
}

/// The parameters of an operation, in spec order. The catalog and the spec diff both read them here.
pub fn params<'a>(doc: &'a Value, op: &'a Value) -> impl Iterator<Item = RawParam<'a>> + 'a {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(move |p| {
            let p = deref(doc, p);
            let location = p.get("in").and_then(Value::as_str).unwrap_or("");
            RawParam {
                name: p.get("name").and_then(Value::as_str).unwrap_or(""),
                location,
                required: location == "path"
                    || p.get("required").and_then(Value::as_bool).unwrap_or(false),
                raw: p,
                schema: p.get("schema").unwrap_or(&Value::Null),
            }
        })
}
