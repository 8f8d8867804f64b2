//! Description text for tool schemas, shared by every kind of tool: the first sentence of a spec
//! description, and the compaction that keeps the default tool list cheap in every model request.

use serde_json::{Value, json};

/// The longest description kept for an argument: the first sentence is what a model needs.
const MAX_DESCRIPTION: usize = 72;

/// Arguments every model understands without a description, a default or a lower bound (the upper
/// bound is in the schema).
const SELF_EXPLANATORY: [&str; 2] = ["limit", "offset"];

/// Whether a description only restates an id argument's name ("The ID of the organization to which
/// this membership belongs" for `organization_id`).
fn restates_id(name: &str, description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    name.ends_with("_id")
        && (d.starts_with("the id") || d.starts_with("id of") || d.starts_with("the unique id"))
        && d.split_whitespace().count() <= 16
}

/// Words that carry no meaning of their own in an argument description ("Returns users with the
/// specified usernames", "The first name to assign to the user").
const FILLER: &str = "the a an to of for on in this that be is are with by assign give add set given specified \
                      unique return returns count counts filter based their which either or not new will have \
                      flag denote denotes whether should allow allows particular order optional id maximum number allowed \
                      valid match matches user required parameter sent send inviting \
                      organization member membership invitation";

/// Singular form, enough to match an argument's name ("addresses" → "address", "ids" → "id").
fn singular(w: &str) -> &str {
    if let Some(stem) = w.strip_suffix("sses") {
        &w[..stem.len() + 2]
    } else if w.ends_with('s') && !w.ends_with("ss") {
        &w[..w.len() - 1]
    } else {
        w
    }
}

/// Whether a description only restates the argument's name: every word is a word of the name or a
/// filler word ("The organization ID." for `organization_id`, "Returns users with the specified phone
/// numbers." for `phone_number`). A model reads the name anyway, so such text is pure cost.
fn restates_name(name: &str, description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    let name_words: Vec<&str> = name.split('_').map(singular).collect();
    let filler = |w: &str| FILLER.split_whitespace().any(|f| f == w);
    d.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        // "this" and "is" are filler as they are; only plurals are reduced ("addresses" → "address").
        .all(|w| filler(w) || filler(singular(w)) || name_words.contains(&singular(w)))
}

/// Whether an argument is a timestamp filter (`created_at_after`, `last_sign_in_at_before`). Their
/// descriptions say only "after the given date"; the unit (Unix milliseconds) is stated once in the
/// tool's description instead of in every such argument, which tests check.
pub fn is_timestamp_filter(name: &str) -> bool {
    name.ends_with("_at_after") || name.ends_with("_at_before")
}

/// Whether an argument is metadata (`public_metadata`, `private_metadata`, `unsafe_metadata`):
/// what each kind means is said once, in the server instructions and the metadata tools'
/// descriptions, not again in every argument that takes one.
fn is_metadata(name: &str) -> bool {
    name.ends_with("_metadata")
}

/// Compacts a curated tool's schema so the default tool list stays cheap in every request: each
/// description is cut to its first sentence (no parentheticals) within [`MAX_DESCRIPTION`] characters,
/// descriptions that add nothing (`limit`, `offset`, ones that restate the name, timestamp filters)
/// are dropped, and `additionalProperties: true` (the default) is removed below the root.
pub fn compact_descriptions(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.get("additionalProperties") == Some(&Value::Bool(true)) {
                o.remove("additionalProperties");
            }
            if let Some(props) = o.get_mut("properties").and_then(Value::as_object_mut) {
                for (name, p) in props.iter_mut() {
                    let drop = p
                        .get("description")
                        .and_then(Value::as_str)
                        .is_some_and(|d| {
                            let short = compact(d);
                            SELF_EXPLANATORY.contains(&name.as_str())
                                || restates_name(name, &short)
                                || restates_id(name, &short)
                                || is_timestamp_filter(name)
                                || is_metadata(name)
                                // Cut short, it says too little to be worth its bytes.
                                || short.ends_with('…')
                        });
                    if let Some(obj) = p.as_object_mut() {
                        if drop {
                            obj.remove("description");
                        }
                        if SELF_EXPLANATORY.contains(&name.as_str()) {
                            obj.remove("default");
                            obj.remove("minimum");
                        }
                        // Tools say their order ("newest first").
                        if name == "order_by" {
                            obj.remove("default");
                        }
                    }
                }
            }
            for (k, child) in o.iter_mut() {
                match (k.as_str(), &*child) {
                    ("description", Value::String(s)) => *child = json!(compact(s)),
                    ("enum" | "default" | "required" | "examples", _) => {}
                    _ => compact_descriptions(child),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(compact_descriptions),
        _ => {}
    }
}

/// The compacted form of one description.
fn compact(s: &str) -> String {
    first_sentence(&without_parentheses(s), MAX_DESCRIPTION)
}

/// Removes ` (…)` asides, which rarely help a model choose an argument.
fn without_parentheses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace(" .", ".").replace("  ", " ").replace(" ,", ",")
}

/// The first paragraph's first sentence, cut on a word boundary at `max` characters.
pub fn first_sentence(s: &str, max: usize) -> String {
    let para = s
        .trim()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .replace('\n', " ");
    let sentence = match para.find(". ") {
        Some(i) => &para[..=i],
        None => para.as_str(),
    };
    if sentence.chars().count() <= max {
        return sentence.trim().to_string();
    }
    let cut: String = sentence.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_that_restate_the_name_are_recognised() {
        for (name, d) in [
            (
                "phone_number",
                "Returns users with the specified phone numbers.",
            ),
            (
                "email_address",
                "Returns users with the specified email addresses.",
            ),
            ("organization_id", "The organization ID."),
            ("first_name", "The first name to assign to the user"),
            ("user_id", "Returns users with the user IDs specified."),
            (
                "max_allowed_memberships",
                "The maximum number of memberships allowed for this organization",
            ),
            (
                "email_address",
                "Counts users with the specified email addresses.",
            ),
            ("order_by", "Allows to return users in a particular order."),
            ("query", "Returns users that match the given query."),
        ] {
            assert!(restates_name(name, d), "{name}: {d}");
        }
        for (name, d) in [
            (
                "query",
                "Returns organizations with ID, name, or slug that match the given query.",
            ),
            ("notify", "Whether an email should be sent."),
        ] {
            assert!(!restates_name(name, d), "{name}: {d}");
        }
    }

    #[test]
    fn compaction_drops_only_what_adds_nothing() {
        let mut v = json!({"type": "object", "properties": {
            "created_at_after": {"type": "integer", "description":
                "Returns users who have been created after the given date (with millisecond precision).\nExample: use 1730160000000."},
            "username": {"type": "array", "items": {"type": "string"}, "description": "Returns users with the specified usernames.\nAccepts up to 100 usernames."},
            "query": {"type": "string", "description": "Returns users whose name, email or phone contain the text. For example, `ada` matches…"},
            "body": {"type": "object", "additionalProperties": true, "properties": {
                "locale": {"type": "string", "description": "The locale to assign to the user"},
                "banned": {"type": "boolean", "description": "When set to `true` (the default is `false`), the user cannot sign in."}}}
        }});
        compact_descriptions(&mut v);
        assert_eq!(
            v,
            json!({"type": "object", "properties": {
                "created_at_after": {"type": "integer"},
                "username": {"type": "array", "items": {"type": "string"}},
                "query": {"type": "string", "description": "Returns users whose name, email or phone contain the text."},
                "body": {"type": "object", "properties": {
                    "locale": {"type": "string"},
                    "banned": {"type": "boolean", "description": "When set to `true`, the user cannot sign in."}}}
            }})
        );
    }
}
