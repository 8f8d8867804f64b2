//! The size budget: no result's text exceeds `--max-result-tokens` (bytes/4 of the text the client
//! sees; Claude Code warns above 10,000 tokens and keeps at most 25,000 by default). A list over
//! budget keeps the items that fit and says how to get the rest; an object over budget keeps its
//! fields that fit and says which were left out. JSON is never cut mid-way.

use serde_json::{Map, Value, json};

/// Bytes kept free for the note a trimmed result carries.
const NOTE_ROOM: usize = 400;

fn size(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.len())
}

/// Trims a list envelope to `max` bytes. Returns a note when items were left out.
pub fn fit_list(v: &mut Value, max: usize, offset: u64, max_tokens: usize) -> Option<String> {
    if size(v) <= max {
        return None;
    }
    let items = match v.get_mut("data").and_then(Value::as_array_mut) {
        Some(a) => std::mem::take(a),
        None => return fit_object(v, max, max_tokens),
    };
    let shown = items.len();
    let base = size(v) + NOTE_ROOM;
    let mut used = base;
    let mut kept = Vec::new();
    let mut items = items.into_iter();
    for item in items.by_ref() {
        let s = size(&item) + 1;
        if used + s > max {
            // Even the first item alone is too large: it comes trimmed, so the list still moves on.
            if kept.is_empty() {
                let mut first = item;
                let note = fit_object(&mut first, max.saturating_sub(base), max_tokens);
                kept.push(first);
                v["data"] = Value::Array(kept);
                v["has_more"] = json!(shown > 1 || v["has_more"] == json!(true));
                v["next_offset"] = json!(offset + 1);
                return note;
            }
            break;
        }
        used += s;
        kept.push(item);
    }
    let k = kept.len();
    v["data"] = Value::Array(kept);
    v["has_more"] = json!(true);
    v["next_offset"] = json!(offset + k as u64);
    Some(format!(
        "Only {k} of the {shown} items on this page fit in a result ({max_tokens} tokens). For the rest, call again \
         with offset={}, a smaller limit, or fewer fields.",
        offset + k as u64
    ))
}

/// Trims an object to `max` bytes by leaving out its largest fields. Returns a note naming them.
pub fn fit_object(v: &mut Value, max: usize, max_tokens: usize) -> Option<String> {
    let total = size(v);
    let o: &mut Map<String, Value> = v.as_object_mut()?;
    if total <= max {
        return None;
    }
    let mut sizes: Vec<(usize, String)> = o.iter().map(|(k, x)| (size(x), k.clone())).collect();
    sizes.sort();
    let mut now = total + NOTE_ROOM;
    let mut left_out = Vec::new();
    while now > max {
        let Some((s, k)) = sizes.pop() else { break };
        o.remove(&k);
        now = now.saturating_sub(s + k.len() + 4);
        left_out.push(format!("{k} ({} KB)", s.div_ceil(1024)));
    }
    Some(format!(
        "Too large for one result ({max_tokens} tokens): left out {}. Ask for them one at a time with `fields`.",
        left_out.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_what_fits_and_say_where_to_continue() {
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"id": format!("user_{i:04}"), "pad": "x".repeat(100)}))
            .collect();
        let mut v = json!({"data": items, "has_more": false, "total_count": 100});
        let note = fit_list(&mut v, 4000, 20, 1000).unwrap();
        assert!(size(&v) + note.len() <= 4000 + 50, "{}", size(&v));
        let k = v["data"].as_array().unwrap().len();
        assert!(k > 10 && k < 100, "{k}");
        assert_eq!(v["next_offset"], json!(20 + k));
        assert_eq!(v["has_more"], json!(true));
        assert!(note.contains(&format!("offset={}", 20 + k)), "{note}");
        // Whole items only: every kept item is intact.
        assert!(
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["pad"].as_str().unwrap().len() == 100)
        );
    }

    #[test]
    fn objects_lose_their_largest_fields_first() {
        let mut v = json!({"id": "user_1", "public_metadata": {"blob": "x".repeat(50_000)}, "first_name": "Ada"});
        let note = fit_object(&mut v, 2000, 500).unwrap();
        assert_eq!(v, json!({"id": "user_1", "first_name": "Ada"}));
        assert!(note.contains("public_metadata (49 KB)"), "{note}");
        let mut small = json!({"id": "x"});
        assert_eq!(fit_object(&mut small, 2000, 500), None);
    }
}
