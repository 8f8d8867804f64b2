//! OpenAPI 3.0 schema → client-safe JSON Schema (2020-12 subset) for MCP tool input schemas.
//!
//! MCP clients differ in what they accept: some reject `$ref`/`$defs`, some reject type arrays, some
//! reject unknown `format`s or OpenAPI keywords. So refs are inlined, `nullable`/`example`/`x-*`/
//! `discriminator` are dropped, 3.0's boolean `exclusiveMinimum` becomes the 2020-12 number form, and
//! only standard formats survive. Descriptions, enums, defaults, bounds and patterns are kept.

use serde_json::{Map, Value, json};

/// The property names a JSON Schema object lists as `required` (none when absent or malformed).
pub fn required_names(schema: &Value) -> impl Iterator<Item = &str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// `format` values defined by JSON Schema 2020-12; anything else (int64, binary, ...) is dropped.
pub const STANDARD_FORMATS: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Keywords copied unchanged when present.
const PLAIN_KEYWORDS: [&str; 17] = [
    "type",
    "title",
    "description",
    "enum",
    "const",
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "deprecated",
];

/// Converts `schema` (which may be or contain `$ref`s into `doc`) into a self-contained client-safe schema.
pub fn client_schema(doc: &Value, schema: &Value) -> Value {
    Value::Object(convert(doc, schema, &mut Vec::new()))
}

fn convert(doc: &Value, s: &Value, stack: &mut Vec<String>) -> Map<String, Value> {
    let Some(obj) = s.as_object() else {
        return Map::new();
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let mut out = if stack.iter().any(|x| x == r) {
            // A recursive schema cannot be inlined; accept any object at the point of recursion.
            let mut m = Map::new();
            m.insert("type".into(), json!("object"));
            m
        } else {
            match super::resolve_ref(doc, r) {
                Some(target) => {
                    stack.push(r.to_string());
                    let m = convert(doc, target, stack);
                    stack.pop();
                    m
                }
                None => Map::new(),
            }
        };
        if let Some(d) = obj.get("description") {
            out.insert("description".into(), d.clone());
        }
        return out;
    }

    let mut out = Map::new();
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        let parts: Vec<Map<String, Value>> = all.iter().map(|p| convert(doc, p, stack)).collect();
        match merge_all_of(parts) {
            Ok(merged) => out = merged,
            Err(parts) => {
                out.insert(
                    "allOf".into(),
                    Value::Array(parts.into_iter().map(Value::Object).collect()),
                );
            }
        }
    }
    for key in PLAIN_KEYWORDS {
        if let Some(v) = obj.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(d) = obj.get("default").filter(|d| !d.is_null()) {
        out.insert("default".into(), d.clone());
    }
    if let Some(f) = obj
        .get("format")
        .and_then(Value::as_str)
        .filter(|f| STANDARD_FORMATS.contains(f))
    {
        out.insert("format".into(), json!(f));
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match obj.get(flag) {
            Some(Value::Bool(true)) => {
                if let Some(b) = out.remove(bound) {
                    out.insert(flag.into(), b);
                }
            }
            Some(n @ Value::Number(_)) => {
                out.insert(flag.into(), n.clone());
            }
            _ => {}
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = obj.get(key).and_then(Value::as_array) {
            let alts: Vec<Value> = alts
                .iter()
                .map(|a| Value::Object(convert(doc, a, stack)))
                .collect();
            out.insert(key.into(), Value::Array(alts));
        }
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let props: Map<String, Value> = props
            .iter()
            .map(|(k, v)| (k.clone(), Value::Object(convert(doc, v, stack))))
            .collect();
        out.insert("properties".into(), Value::Object(props));
    }
    if let Some(req) = obj
        .get("required")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.insert("required".into(), req.clone());
    }
    match obj.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            out.insert("additionalProperties".into(), json!(b));
        }
        Some(v @ Value::Object(_)) => {
            out.insert(
                "additionalProperties".into(),
                Value::Object(convert(doc, v, stack)),
            );
        }
        _ => {}
    }
    if let Some(items) = obj.get("items") {
        out.insert("items".into(), Value::Object(convert(doc, items, stack)));
    } else if out.get("type").and_then(Value::as_str) == Some("array") {
        out.insert("items".into(), json!({}));
    }
    out
}

/// Merges `allOf` parts into one schema when that loses nothing (one part, or all plain objects).
fn merge_all_of(
    parts: Vec<Map<String, Value>>,
) -> Result<Map<String, Value>, Vec<Map<String, Value>>> {
    if parts.len() == 1 {
        return Ok(parts.into_iter().next().expect("one part"));
    }
    let mergeable = parts.iter().all(|p| {
        p.get("type")
            .and_then(Value::as_str)
            .is_none_or(|t| t == "object")
            && p.keys().all(|k| {
                [
                    "type",
                    "properties",
                    "required",
                    "description",
                    "additionalProperties",
                ]
                .contains(&k.as_str())
            })
    });
    if !mergeable {
        return Err(parts);
    }
    let mut out = Map::new();
    let mut props = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for p in parts {
        for (k, v) in p {
            match k.as_str() {
                "properties" => props.extend(v.as_object().cloned().unwrap_or_default()),
                "required" => required.extend(v.as_array().cloned().unwrap_or_default()),
                _ => {
                    out.insert(k, v);
                }
            }
        }
    }
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    Ok(out)
}

/// Why a schema would be refused by some MCP client, or `None` when it follows every rule.
///
/// The rules: object root; no `$ref`/`$defs`; no top-level `oneOf`/`anyOf`/`allOf`; every array has
/// `items`; no OpenAPI-only keywords; property names match `^[a-zA-Z0-9_.-]{1,64}$`; standard formats only.
pub fn client_safety_violations(schema: &Value) -> Vec<String> {
    let mut v = Vec::new();
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        v.push("root is not `type: object`".to_string());
    }
    for k in ["oneOf", "anyOf", "allOf", "not"] {
        if schema.get(k).is_some() {
            v.push(format!("top-level `{k}`"));
        }
    }
    walk_violations(schema, "$", &mut v);
    v
}

fn walk_violations(s: &Value, at: &str, v: &mut Vec<String>) {
    match s {
        Value::Object(o) => {
            for k in o.keys() {
                if [
                    "$ref",
                    "$defs",
                    "definitions",
                    "nullable",
                    "example",
                    "discriminator",
                    "xml",
                    "externalDocs",
                ]
                .contains(&k.as_str())
                    || k.starts_with("x-")
                {
                    v.push(format!("{at}: keyword `{k}`"));
                }
            }
            if o.get("type").and_then(Value::as_str) == Some("array") && !o.contains_key("items") {
                v.push(format!("{at}: array without `items`"));
            }
            if o.get("type").is_some_and(|t| !t.is_string()) {
                v.push(format!("{at}: `type` is not a single string"));
            }
            if let Some(f) = o
                .get("format")
                .and_then(Value::as_str)
                .filter(|f| !STANDARD_FORMATS.contains(f))
            {
                v.push(format!("{at}: non-standard format `{f}`"));
            }
            for (k, child) in o {
                match k.as_str() {
                    "properties" => {
                        for (name, p) in child.as_object().into_iter().flatten() {
                            if !valid_property_name(name) {
                                v.push(format!("{at}: property name `{name}`"));
                            }
                            walk_violations(p, &format!("{at}.{name}"), v);
                        }
                    }
                    "enum" | "default" | "const" | "examples" | "required" => {}
                    _ => walk_violations(child, &format!("{at}/{k}"), v),
                }
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| walk_violations(x, &format!("{at}[{i}]"), v)),
        _ => {}
    }
}

/// Whether a property name is accepted by every major MCP client (`^[a-zA-Z0-9_.-]{1,64}$`).
pub fn valid_property_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}
