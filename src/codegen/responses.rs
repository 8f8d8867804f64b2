//! What each operation answers with, read from the spec *before* the patches untype the responses
//! (progenitor is given untyped bodies; the result views still need to know the shapes): for each
//! operation, the component schema of the object it returns (the item's, for lists); for each
//! `object` value, its schema; and those schemas, reduced to what views need (property names and
//! types, three levels deep). `fields` paths are checked against them and output schemas derived
//! from them.

use super::schema::client_schema;
use super::{deref, for_each_op, op_id};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The response shapes of a spec.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Responses {
    /// operationId → the component schema of the returned object (or list item).
    pub ops: BTreeMap<String, String>,
    /// `object` value → the component schema that fixes it.
    pub objects: BTreeMap<String, String>,
    /// Component schema name → its reduced schema.
    pub schemas: BTreeMap<String, Value>,
}

/// How deep reduced schemas go (`external_accounts.provider` needs two levels below the object).
const DEPTH: usize = 3;

/// The component name a `$ref` points to.
fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// The component schema an operation's success body is about: the schema itself, the item of an
/// array or of a `{data: [...]}` list, or the first part of an `allOf` that extends one.
fn object_schema<'a>(doc: &'a Value, schema: &'a Value) -> Option<&'a str> {
    if let Some(first) = schema
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return object_schema(doc, first);
    }
    if let Some(items) = schema.get("items") {
        return object_schema(doc, items);
    }
    let name = ref_name(schema)?;
    let target = deref(doc, schema);
    if let Some(items) = target.pointer("/properties/data/items")
        && target.pointer("/properties/object").is_none()
    {
        return object_schema(doc, items).or(Some(name));
    }
    Some(name)
}

/// Keeps what a view needs of a schema: types, properties, items, enums and formats.
fn reduce(v: &Value, depth: usize) -> Value {
    let Some(o) = v.as_object() else {
        return json!({});
    };
    let mut out = Map::new();
    for k in ["type", "format", "enum"] {
        if let Some(x) = o.get(k) {
            out.insert(k.into(), x.clone());
        }
    }
    if depth == 0 {
        return Value::Object(out);
    }
    if let Some(props) = o.get("properties").and_then(Value::as_object) {
        out.insert(
            "properties".into(),
            Value::Object(
                props
                    .iter()
                    .map(|(k, p)| (k.clone(), reduce(p, depth - 1)))
                    .collect(),
            ),
        );
    }
    if let Some(items) = o.get("items") {
        out.insert("items".into(), reduce(items, depth));
    }
    // A property that is one of several objects (a user's verification): its alternatives' union.
    if let Some(alts) = o.get("oneOf").or(o.get("anyOf")).and_then(Value::as_array) {
        let mut props = Map::new();
        for a in alts {
            if let Some(p) = reduce(a, depth)
                .get("properties")
                .and_then(Value::as_object)
            {
                for (k, s) in p {
                    props.entry(k.clone()).or_insert_with(|| s.clone());
                }
            }
        }
        if !props.is_empty() {
            out.insert("type".into(), json!("object"));
            out.insert("properties".into(), Value::Object(props));
        }
    }
    Value::Object(out)
}

/// Reads the response shapes of an (unpatched) document.
pub fn build(doc: &Value) -> Responses {
    let mut r = Responses::default();
    for_each_op(doc, |_, _, op| {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return;
        };
        let Some(success) = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .map(|(_, v)| deref(doc, v))
            .next()
        else {
            return;
        };
        if let Some(schema) = success.pointer("/content/application~1json/schema")
            && let Some(name) = object_schema(doc, schema)
        {
            r.ops.insert(op_id(op).to_string(), name.to_string());
        }
    });
    if let Some(components) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in components {
            if let Some([Value::String(object)]) = s
                .pointer("/properties/object/enum")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                r.objects.entry(object.clone()).or_insert(name.clone());
            }
        }
        let wanted: std::collections::BTreeSet<&String> =
            r.ops.values().chain(r.objects.values()).collect();
        for name in wanted {
            let full = client_schema(
                doc,
                &json!({"$ref": format!("#/components/schemas/{name}")}),
            );
            r.schemas.insert(name.clone(), reduce(&full, DEPTH));
        }
    }
    r
}
