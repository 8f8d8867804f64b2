//! The list envelope every list tool returns, whatever shape Clerk's endpoint uses, and the
//! private-metadata marker of full views.

use serde_json::{Value, json};

/// What replaces private metadata in full views unless the server runs with
/// `--expose-private-metadata`. Short on purpose: the explanation is given once, in the server
/// instructions and the descriptions that mention metadata, not in every result.
pub const PRIVATE_METADATA_MARKER: &str = "[redacted]";

/// Whether a body is one of Clerk's list shapes: a bare array, `{data: [...]}`, or
/// `{<name>: [...], total_count}` (`{m2m_tokens: [...], total_count}`).
pub fn is_list(body: &Value) -> bool {
    match body {
        Value::Array(_) => true,
        Value::Object(o) => {
            o.get("data").is_some_and(Value::is_array)
                || (o.contains_key("total_count")
                    && o.values().filter(|v| v.is_array()).count() == 1)
        }
        _ => false,
    }
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
