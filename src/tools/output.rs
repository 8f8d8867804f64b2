//! Shaping of tool results: one list envelope for every list endpoint, private-metadata redaction,
//! and the `CallToolResult` (structured content plus the same JSON as text for older clients).

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

/// What replaces private metadata in results unless the server runs with `--expose-private-metadata`.
pub const PRIVATE_METADATA_MARKER: &str = "[redacted: private metadata is server-side secret data; start clerk-mcp with --expose-private-metadata to return it]";

/// Output schema of every list tool: `{data, total_count, has_more, next_offset}`.
pub fn list_output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": {"type": "object"}},
            "total_count": {"type": "integer"},
            "has_more": {"type": "boolean"},
            "next_offset": {"type": "integer"}
        },
        "required": ["data", "has_more"]
    })
}

/// Output schema of tools returning one Clerk object. It only declares that results are structured:
/// the tool's description already says what the object is, and the schema is sent with every request.
pub fn object_output_schema() -> Value {
    json!({"type": "object"})
}

/// Normalises any Clerk list shape (bare array, `{data,total_count}`, `{<name>: [...], total_count}`)
/// into the one envelope. `total` overrides the body's count (e.g. from a separate count call).
pub fn list_envelope(body: Value, offset: u64, limit: u64, total: Option<u64>) -> Value {
    let (data, body_total) = match body {
        Value::Array(a) => (a, None),
        Value::Object(mut o) => {
            let body_total = o.get("total_count").and_then(Value::as_u64);
            let key = if o.get("data").is_some_and(Value::is_array) {
                Some("data".to_string())
            } else {
                o.iter().find(|(_, v)| v.is_array()).map(|(k, _)| k.clone())
            };
            let data = key.and_then(|k| o.remove(&k)).and_then(|v| match v {
                Value::Array(a) => Some(a),
                _ => None,
            });
            (data.unwrap_or_default(), body_total)
        }
        _ => (Vec::new(), None),
    };
    let total = total.or(body_total);
    let len = data.len() as u64;
    let has_more = match total {
        Some(t) => offset + len < t,
        None => len > 0 && len >= limit,
    };
    let mut out = json!({"data": data, "has_more": has_more});
    if let Some(t) = total {
        out["total_count"] = json!(t);
    }
    if has_more {
        out["next_offset"] = json!(offset + len);
    }
    out
}

/// Replaces every non-null `private_metadata` value, at any depth, with [`PRIVATE_METADATA_MARKER`].
pub fn redact_private_metadata(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if k == "private_metadata" && !child.is_null() {
                    *child = json!(PRIVATE_METADATA_MARKER);
                } else {
                    redact_private_metadata(child);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_private_metadata),
        _ => {}
    }
}

/// Wraps a non-object body so structured content always has an object root.
pub fn object_root(body: Value) -> Value {
    match body {
        Value::Object(_) => body,
        Value::Null => json!({"ok": true}),
        other => json!({"result": other}),
    }
}

/// A successful result: structured content plus the same JSON as a text block.
pub fn success(structured: Value) -> CallToolResult {
    let text = serde_json::to_string(&structured).unwrap_or_default();
    let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
    r.structured_content = Some(structured);
    r
}

/// An `isError` result carrying the error as JSON text the model can act on.
pub fn error(err: &Value) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(
        serde_json::to_string(err).unwrap_or_default(),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_every_list_shape() {
        let a = list_envelope(json!([{"id": 1}, {"id": 2}]), 0, 2, Some(5));
        assert_eq!(
            a,
            json!({"data": [{"id": 1}, {"id": 2}], "total_count": 5, "has_more": true, "next_offset": 2})
        );
        let b = list_envelope(json!({"data": [{"id": 3}], "total_count": 3}), 2, 10, None);
        assert_eq!(
            b,
            json!({"data": [{"id": 3}], "total_count": 3, "has_more": false})
        );
        let c = list_envelope(
            json!({"m2m_tokens": [{"id": 1}], "total_count": 1}),
            0,
            10,
            None,
        );
        assert_eq!(c["data"], json!([{"id": 1}]));
        let d = list_envelope(json!([{"id": 1}]), 0, 1, None);
        assert_eq!(
            (d["has_more"].clone(), d["next_offset"].clone()),
            (json!(true), json!(1))
        );
    }

    #[test]
    fn redacts_at_any_depth_but_keeps_null() {
        let mut v = json!({"private_metadata": {"ssn": 1}, "data": [{"organization": {"private_metadata": {"k": "v"}}}], "x": {"private_metadata": null}});
        redact_private_metadata(&mut v);
        assert_eq!(v["private_metadata"], json!(PRIVATE_METADATA_MARKER));
        assert_eq!(
            v["data"][0]["organization"]["private_metadata"],
            json!(PRIVATE_METADATA_MARKER)
        );
        assert_eq!(v["x"]["private_metadata"], Value::Null);
        assert!(!v.to_string().contains("ssn"));
    }
}
