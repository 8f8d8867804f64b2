//! Every fix the vendored Clerk spec needs before progenitor accepts it, applied to the parsed document.
//!
//! Each patch asserts the effect it expects (exact operation names, counts). When Clerk publishes a new
//! spec and a patch no longer fits, the build fails here with a message naming the patch, instead of
//! silently generating something different. The vendored file itself is never edited.

use super::{deref, for_each_op, for_each_op_mut, op_id};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Operations whose only request body is `multipart/form-data`; progenitor cannot generate them.
pub const EXPECTED_MULTIPART: [&str; 3] = [
    "SetUserProfileImage",
    "UploadOAuthApplicationLogo",
    "UploadOrganizationLogo",
];

/// Deprecated parameters whose Rust name collides with a newer parameter of the same operation.
pub const EXPECTED_DUPLICATE_PARAMS: [(&str, &str); 1] = [("GetPublicInterstitial", "frontendApi")];

/// One applied patch and what it did, for the build log and the tests.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Short stable name of the patch.
    pub name: &'static str,
    /// What it changed.
    pub summary: String,
}

/// Operations removed by the patches, with the reason a user can read (the README lists them too).
pub fn excluded_operations() -> Vec<(&'static str, &'static str)> {
    EXPECTED_MULTIPART
        .iter()
        .map(|op| (*op, "multipart/form-data upload: progenitor generates JSON, octet-stream and form bodies only"))
        .collect()
}

/// A patch: edits the document, returns a summary, or says why the spec no longer fits.
type Patch = fn(&mut Value) -> Result<String, String>;

/// Applies every patch in order. The order matters: pruning must come after the responses are untyped.
pub fn apply_all(doc: &mut Value) -> Result<Vec<Applied>, String> {
    let patches: [(&'static str, Patch); 5] = [
        ("drop-multipart", drop_multipart),
        ("dedupe-params", dedupe_params),
        ("range-errors", range_errors),
        ("untyped-responses", untyped_responses),
        ("prune-schemas", prune_schemas),
    ];
    patches
        .into_iter()
        .map(|(name, f)| {
            f(doc)
                .map(|summary| Applied { name, summary })
                .map_err(|e| {
                    format!(
                        "spec patch `{name}` (src/codegen/patches.rs) no longer fits the spec: {e}"
                    )
                })
        })
        .collect()
}

fn is_multipart(doc: &Value, op: &Value) -> bool {
    op.get("requestBody")
        .map(|b| deref(doc, b))
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .is_some_and(|c| c.contains_key("multipart/form-data"))
}

/// Removes the multipart upload operations (and path items left empty).
fn drop_multipart(doc: &mut Value) -> Result<String, String> {
    let mut found = BTreeSet::new();
    for_each_op(doc, |_, _, op| {
        if is_multipart(doc, op) {
            found.insert(op_id(op).to_string());
        }
    });
    let expected: BTreeSet<String> = EXPECTED_MULTIPART.iter().map(|s| s.to_string()).collect();
    if found != expected {
        return Err(format!(
            "expected the multipart operations {expected:?}, the spec has {found:?}; decide how to treat the \
             difference and update EXPECTED_MULTIPART"
        ));
    }
    let paths = doc["paths"]
        .as_object_mut()
        .ok_or("the spec has no `paths` object")?;
    for item in paths.values_mut() {
        if let Some(item) = item.as_object_mut() {
            item.retain(|_, op| !found.contains(op_id(op)));
        }
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|o| super::METHODS.iter().any(|m| o.contains_key(*m)))
    });
    Ok(format!(
        "removed {} multipart operations: {}",
        found.len(),
        EXPECTED_MULTIPART.join(", ")
    ))
}

/// The identifier progenitor derives from a parameter name, reduced to letters and digits.
pub fn ident_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Drops deprecated parameters whose generated identifier collides with another parameter.
fn dedupe_params(doc: &mut Value) -> Result<String, String> {
    let snapshot = doc.clone();
    let mut dropped = Vec::new();
    for_each_op_mut(doc, |_, _, op| {
        let id = op_id(op).to_string();
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            return;
        };
        let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
        for p in params.iter() {
            *by_key
                .entry(ident_key(
                    deref(&snapshot, p)["name"].as_str().unwrap_or(""),
                ))
                .or_default() += 1;
        }
        params.retain(|p| {
            let p = deref(&snapshot, p);
            let name = p["name"].as_str().unwrap_or("");
            let collides = by_key.get(&ident_key(name)).copied().unwrap_or(0) > 1;
            let deprecated = p
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if collides && deprecated {
                dropped.push((id.clone(), name.to_string()));
                false
            } else {
                true
            }
        });
    });
    let expected: Vec<(String, String)> = EXPECTED_DUPLICATE_PARAMS
        .iter()
        .map(|(o, p)| (o.to_string(), p.to_string()))
        .collect();
    if dropped != expected {
        return Err(format!(
            "expected to drop {expected:?}, found {dropped:?}; update EXPECTED_DUPLICATE_PARAMS"
        ));
    }
    Ok(format!(
        "dropped deprecated duplicate parameters {dropped:?}"
    ))
}

/// Replaces every documented 4xx/5xx response with the `4XX`/`5XX` ranges pointing at `ClerkErrors`.
///
/// progenitor panics when an operation has more than one error type, and an undocumented 429 or 502
/// would otherwise not parse as a Clerk error at all.
fn range_errors(doc: &mut Value) -> Result<String, String> {
    let errors = doc
        .pointer("/components/schemas/ClerkErrors")
        .ok_or("components.schemas.ClerkErrors is missing")?;
    if errors.pointer("/properties/errors/items").is_none() {
        return Err("ClerkErrors no longer has an `errors` array".into());
    }
    let mut ops = 0usize;
    let mut problem = None;
    for_each_op_mut(doc, |_, _, op| {
        let id = op_id(op).to_string();
        let Some(rs) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            problem = Some(format!("{id} has no responses"));
            return;
        };
        if rs.contains_key("default") {
            problem = Some(format!(
                "{id} has a `default` response, which progenitor counts as success and error"
            ));
        }
        rs.retain(|code, _| !(code.starts_with('4') || code.starts_with('5')));
        for range in ["4XX", "5XX"] {
            rs.insert(
                range.into(),
                json!({"description": "Clerk error",
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClerkErrors"}}}}),
            );
        }
        ops += 1;
    });
    match problem {
        Some(p) => Err(p),
        None => Ok(format!(
            "error responses of {ops} operations now 4XX/5XX → ClerkErrors"
        )),
    }
}

/// Makes every success body untyped (`serde_json::Value`): Clerk adds fields and enum values all the
/// time, and a strict typed response would fail on every such addition.
fn untyped_responses(doc: &mut Value) -> Result<String, String> {
    let snapshot = doc.clone();
    let mut with_body = 0usize;
    let mut problem = None;
    for_each_op_mut(doc, |_, _, op| {
        let id = op_id(op).to_string();
        let rs = op["responses"]
            .as_object_mut()
            .expect("range-errors checked responses");
        let success: Vec<String> = rs.keys().filter(|c| c.starts_with('2')).cloned().collect();
        if success.len() != 1 {
            problem = Some(format!(
                "{id} has {} success responses, expected exactly one",
                success.len()
            ));
            return;
        }
        let code = &success[0];
        let resolved = deref(&snapshot, &rs[code]);
        let description = resolved
            .get("description")
            .cloned()
            .unwrap_or_else(|| json!("success"));
        let has_json = resolved.pointer("/content/application~1json").is_some();
        let mut new = Map::new();
        new.insert("description".into(), description);
        if has_json {
            new.insert(
                "content".into(),
                json!({"application/json": {"schema": {}}}),
            );
            with_body += 1;
        }
        rs.insert(code.clone(), Value::Object(new));
    });
    if let Some(p) = problem {
        return Err(p);
    }
    if with_body < 200 {
        return Err(format!(
            "only {with_body} operations have a JSON success body; expected most of them"
        ));
    }
    Ok(format!(
        "{with_body} success bodies are now serde_json::Value"
    ))
}

/// Collects every `$ref` target reachable from `v`.
fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                out.insert(r.to_string());
            }
            o.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Removes component schemas, responses and parameters that nothing references any more; typify would
/// otherwise emit a type for each of them.
fn prune_schemas(doc: &mut Value) -> Result<String, String> {
    let mut reachable = BTreeSet::new();
    collect_refs(&doc["paths"], &mut reachable);
    let mut frontier: Vec<String> = reachable.iter().cloned().collect();
    while let Some(r) = frontier.pop() {
        if let Some(target) = super::resolve_ref(doc, &r) {
            let mut more = BTreeSet::new();
            collect_refs(target, &mut more);
            for m in more {
                if reachable.insert(m.clone()) {
                    frontier.push(m);
                }
            }
        }
    }
    if !reachable.contains("#/components/schemas/ClerkErrors") {
        return Err("ClerkErrors is not reachable after range-errors".into());
    }
    let mut summary = Vec::new();
    let components = doc["components"].as_object_mut().ok_or("no components")?;
    for kind in ["schemas", "responses", "parameters", "requestBodies"] {
        if let Some(map) = components.get_mut(kind).and_then(Value::as_object_mut) {
            let before = map.len();
            map.retain(|name, _| reachable.contains(&format!("#/components/{kind}/{name}")));
            summary.push(format!("{kind} {before}→{}", map.len()));
        }
    }
    Ok(format!(
        "pruned unreferenced components: {}",
        summary.join(", ")
    ))
}
