//! Output schemas that describe the result: each tool's `outputSchema` is the compact view of the
//! object its operation returns, with each field's type taken from the spec's response schema
//! through the same view table that builds the result. Kept small (they travel with every
//! `tools/list`): types only, no descriptions. Timestamps are declared `format: date-time` without
//! a type, since the compact view writes them as ISO strings and the full view keeps Clerk's
//! integers; every other field has the same type in both views.

use super::views::{Field, view_of};
use crate::clerk::catalog;
use serde_json::{Map, Value, json};

/// What a tool returns, for its output schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// One object.
    Object,
    /// A page of objects in the list envelope.
    List,
    /// The answer to a delete.
    Deleted,
}

/// A property's type, from the spec's (reduced) schema.
fn typed(name: &str, spec: Option<&Value>) -> Value {
    if super::views::is_timestamp(name)
        && spec
            .and_then(|s| s.get("type"))
            .is_none_or(|t| t == "integer" || t == "number")
    {
        return json!({"format": "date-time"});
    }
    match spec.and_then(|s| s.get("type")).and_then(Value::as_str) {
        Some(t @ ("string" | "integer" | "number" | "boolean" | "object" | "array")) => {
            json!({"type": t})
        }
        _ => json!({}),
    }
}

/// The compact view's schema for an object type whose spec schema is `spec`.
pub fn view_schema(spec: &Value) -> Value {
    let props = spec.get("properties").and_then(Value::as_object);
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let object = spec
        .pointer("/properties/object/enum/0")
        .and_then(Value::as_str);
    let Some(view) = object.and_then(view_of) else {
        return json!({"type": "object"});
    };
    let mut out = Map::new();
    for f in view.fields {
        let (name, schema) = match f {
            Field::Keep("private_metadata") => continue,
            Field::Keep(k) | Field::Flag(k) => (*k, typed(k, prop(k))),
            Field::Primary { name, .. }
            | Field::Inner { name, .. }
            | Field::Person { name, .. } => (*name, json!({"type": "string"})),
            Field::Count { name, .. } => (*name, json!({"type": "integer"})),
            Field::Each { name, .. } => (*name, json!({"type": "array"})),
            Field::Pick { name, from, keep } => {
                let inner = prop(from);
                let picked: Map<String, Value> = keep
                    .iter()
                    .map(|k| {
                        (
                            k.to_string(),
                            typed(
                                k,
                                inner.and_then(|i| i.pointer(&format!("/properties/{k}"))),
                            ),
                        )
                    })
                    .collect();
                (*name, json!({"type": "object", "properties": picked}))
            }
        };
        // A field the spec does not have (an older revision) is not promised.
        if matches!(f, Field::Keep(k) | Field::Flag(k) if prop(k).is_none()) {
            continue;
        }
        out.insert(name.to_string(), schema);
    }
    json!({"type": "object", "properties": out})
}

/// The output schema of a tool that runs `operation_id`.
pub fn for_operation(operation_id: &str, returns: Returns) -> Value {
    let item = catalog::response_schema(operation_id)
        .map(|(_, s)| view_schema(s))
        .unwrap_or_else(|| json!({"type": "object"}));
    match returns {
        Returns::Object => item,
        Returns::Deleted => json!({"type": "object", "properties": {
            "id": {"type": "string"}, "deleted": {"type": "boolean"}}}),
        Returns::List => json!({
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": item},
                "total_count": {"type": "integer"},
                "has_more": {"type": "boolean"},
                "next_offset": {"type": "integer"}
            }
        }),
    }
}

/// Whether a tool running `operation_id` takes `view` and `fields`: everything that returns Clerk
/// objects, but not a delete's answer or a bare count.
pub fn offers_views(operation_id: &str, returns: Returns) -> bool {
    returns != Returns::Deleted
        && catalog::response_schema(operation_id)
            .and_then(|(_, s)| s.pointer("/properties/object/enum/0"))
            .is_none_or(|o| o != "total_count")
}
