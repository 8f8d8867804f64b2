//! Compares two Clerk specs: what a re-vendor would change for the generated client and the tools.
//!
//! Works on the *unpatched* documents so a report can be produced even when a new spec no longer fits a
//! patch (that is exactly when a reviewer needs the report).

use super::schema::{client_schema, required_names};
use super::{deref, for_each_op, op_id};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The shape of one operation that matters to callers.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    method: String,
    path: String,
    deprecated: bool,
    /// name → (location, type, required)
    params: BTreeMap<String, (String, String, bool)>,
    /// Whether the operation has a body, and its top-level fields: name → (type, required).
    body: Option<BTreeMap<String, (String, bool)>>,
}

/// A compact type name: `string`, `integer`, `array<string>`, `object`, `string|enum`.
fn type_name(s: &Value) -> String {
    let t = s.get("type").and_then(Value::as_str).unwrap_or(
        if s.get("oneOf").is_some() || s.get("anyOf").is_some() {
            "union"
        } else {
            "any"
        },
    );
    match t {
        "array" => format!(
            "array<{}>",
            s.get("items")
                .map(type_name)
                .unwrap_or_else(|| "any".into())
        ),
        _ if s.get("enum").is_some() => format!("{t}|enum"),
        _ => t.to_string(),
    }
}

fn shapes(doc: &Value) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    for_each_op(doc, |path, method, op| {
        let mut params = BTreeMap::new();
        for p in super::params(doc, op) {
            let schema = client_schema(doc, p.schema);
            params.insert(
                p.name.to_string(),
                (p.location.to_string(), type_name(&schema), p.required),
            );
        }
        let body = op.get("requestBody").map(|rb| {
            let rb = deref(doc, rb);
            let content = rb.get("content").and_then(Value::as_object);
            let media = content
                .and_then(|c| c.values().next())
                .cloned()
                .unwrap_or(Value::Null);
            let schema = client_schema(doc, media.get("schema").unwrap_or(&Value::Null));
            let req: Vec<&str> = required_names(&schema).collect();
            schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), (type_name(v), req.contains(&k.as_str()))))
                .collect()
        });
        out.insert(
            op_id(op).to_string(),
            Shape {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
                deprecated: op
                    .get("deprecated")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                params,
                body,
            },
        );
    });
    out
}

/// What changed between two specs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// `info.version` of the old and new spec.
    pub versions: (String, String),
    /// Operations only in the new spec.
    pub added: Vec<String>,
    /// Operations only in the old spec.
    pub removed: Vec<String>,
    /// Operations deprecated in the new spec but not the old one.
    pub deprecated: Vec<String>,
    /// Per operation present in both: human-readable changes.
    pub changed: BTreeMap<String, Vec<String>>,
    /// Curated tools whose operation was removed or changed: (tool, operationId, why).
    pub affected_tools: Vec<(String, String, String)>,
}

impl Report {
    /// Whether the two specs describe the same operations and arguments.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.deprecated.is_empty()
            && self.changed.is_empty()
    }

    /// The report as Markdown-ish text, for the terminal and for pull request bodies.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Clerk spec diff: {} → {}",
            self.versions.0, self.versions.1
        );
        if self.is_empty() {
            let _ = writeln!(s, "\nNo changes to operations, parameters or body fields.");
            return s;
        }
        for (title, list) in [
            ("Operations added", &self.added),
            ("Operations removed", &self.removed),
            ("Operations newly deprecated", &self.deprecated),
        ] {
            if !list.is_empty() {
                let _ = writeln!(s, "\n## {title} ({})", list.len());
                list.iter().for_each(|o| {
                    let _ = writeln!(s, "- {o}");
                });
            }
        }
        if !self.changed.is_empty() {
            let _ = writeln!(s, "\n## Operations changed ({})", self.changed.len());
            for (op, changes) in &self.changed {
                let _ = writeln!(s, "- {op}");
                changes.iter().for_each(|c| {
                    let _ = writeln!(s, "  - {c}");
                });
            }
        }
        let _ = writeln!(
            s,
            "\n## Curated tools affected ({})",
            self.affected_tools.len()
        );
        for (tool, op, why) in &self.affected_tools {
            let _ = writeln!(s, "- {tool} ({op}): {why}");
        }
        s
    }
}

fn compare_fields<T: PartialEq + std::fmt::Debug>(
    kind: &str,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    describe: impl Fn(&T) -> String,
    out: &mut Vec<String>,
) {
    for (name, n) in new {
        match old.get(name) {
            None => out.push(format!("{kind} `{name}` added ({})", describe(n))),
            Some(o) if o != n => out.push(format!(
                "{kind} `{name}` changed: {} → {}",
                describe(o),
                describe(n)
            )),
            _ => {}
        }
    }
    for (name, o) in old {
        if !new.contains_key(name) {
            out.push(format!("{kind} `{name}` removed (was {})", describe(o)));
        }
    }
}

/// Compares `old` and `new`; `curated` lists (tool name, operationId) pairs to report affected tools.
pub fn diff(old: &Value, new: &Value, curated: &[(&str, &str)]) -> Report {
    let version = |d: &Value| {
        d.pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let (a, b) = (shapes(old), shapes(new));
    let mut r = Report {
        versions: (version(old), version(new)),
        ..Report::default()
    };
    r.added = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    r.removed = a.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    for (id, o) in &a {
        let Some(n) = b.get(id) else { continue };
        if n.deprecated && !o.deprecated {
            r.deprecated.push(id.clone());
        }
        let mut changes = Vec::new();
        if (o.method.as_str(), o.path.as_str()) != (n.method.as_str(), n.path.as_str()) {
            changes.push(format!(
                "moved: {} {} → {} {}",
                o.method, o.path, n.method, n.path
            ));
        }
        let param = |(loc, ty, req): &(String, String, bool)| {
            format!(
                "{loc}, {ty}, {}",
                if *req { "required" } else { "optional" }
            )
        };
        compare_fields("parameter", &o.params, &n.params, param, &mut changes);
        let field = |(ty, req): &(String, bool)| {
            format!("{ty}, {}", if *req { "required" } else { "optional" })
        };
        match (&o.body, &n.body) {
            (Some(ob), Some(nb)) => compare_fields("body field", ob, nb, field, &mut changes),
            (None, Some(_)) => changes.push("request body added".into()),
            (Some(_), None) => changes.push("request body removed".into()),
            (None, None) => {}
        }
        if !changes.is_empty() {
            r.changed.insert(id.clone(), changes);
        }
    }
    for (tool, op) in curated {
        let why = if r.removed.iter().any(|x| x == op) {
            Some("operation removed".to_string())
        } else if r.deprecated.iter().any(|x| x == op) {
            Some("operation deprecated".to_string())
        } else {
            r.changed.get(*op).map(|c| c.join("; "))
        };
        if let Some(why) = why {
            r.affected_tools
                .push((tool.to_string(), op.to_string(), why));
        }
    }
    r
}
