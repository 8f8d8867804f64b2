//! Curated tools: each one entry in a per-domain list, naming one Clerk operation.
//!
//! An entry adds only what the spec cannot know: the tool name, toolset, a title, a description that
//! says when to use it, annotation overrides, and argument shaping (hidden or defaulted parameters,
//! renames, list normalisation, a projection). The input schema always comes from the generated
//! catalog; operations are named through `clerk::catalog::ops`, so a missing one fails to compile.

mod domains;
mod invitations;
mod members;
mod organizations;
mod restrictions;
mod roles;
mod sessions;
mod users;

use super::output;
use super::registry::{Action, ToolDef, annotations, tool};
use super::{Invocation, Outcome, ToolError, args};
use crate::clerk::catalog;
use serde_json::{Map, Value, json};

/// One curated tool. Build entries with [`curated!`]; unset fields take [`Curated::DEFAULT`].
#[derive(Debug)]
pub struct Curated {
    /// Public tool name (`clerk_…`).
    pub name: &'static str,
    /// The Clerk operationId it calls.
    pub op: &'static str,
    /// Its toolset.
    pub toolset: &'static str,
    /// Human-readable title.
    pub title: &'static str,
    /// When to use it; shown to the model.
    pub description: &'static str,
    /// Overrides the method's destructive default (bans, locks and revokes are destructive).
    pub destructive: Option<bool>,
    /// Arguments removed from the schema: `name` for a parameter, `body.name` for a body field.
    pub hide: &'static [&'static str],
    /// JSON defaults applied when an argument is absent; for a hidden argument the value is forced.
    pub defaults: &'static [(&'static str, &'static str)],
    /// (spec name, tool name) renames of top-level parameters.
    pub rename: &'static [(&'static str, &'static str)],
    /// Whether the result is a list, normalised to `{data,total_count,has_more,next_offset}`.
    pub list: bool,
    /// For lists returned as bare arrays: the operation that counts with the same filters.
    pub count: Option<&'static str>,
    /// Rewrites the result (after redaction), e.g. to keep only a count.
    pub project: Option<fn(Value) -> Value>,
}

impl Curated {
    /// Defaults for every optional field.
    pub const DEFAULT: Curated = Curated {
        name: "",
        op: "",
        toolset: "",
        title: "",
        description: "",
        destructive: None,
        hide: &[],
        defaults: &[],
        rename: &[],
        list: false,
        count: None,
        project: None,
    };

    fn operation(&self) -> &'static catalog::Operation {
        catalog::get(self.op).unwrap_or_else(|| {
            panic!(
                "{} names operation {} which the catalog lacks",
                self.name, self.op
            )
        })
    }

    /// The MCP definition: the catalog's schema, shaped by this entry.
    pub fn definition(&'static self) -> ToolDef {
        let op = self.operation();
        let input = self.input_schema(op);
        let output = if self.list {
            output::list_output_schema()
        } else {
            output::object_output_schema()
        };
        let ann = annotations(&op.method, self.destructive);
        ToolDef {
            tool: tool(
                self.name,
                self.title,
                self.description.to_string(),
                input,
                output,
                ann,
            ),
            toolset: self.toolset,
            read_only: op.is_read_only(),
            gates_operations: false,
            action: Action::Curated(self),
            operations: std::iter::once(self.op)
                .chain(self.count)
                .filter_map(catalog::get)
                .collect(),
        }
    }

    fn input_schema(&self, op: &catalog::Operation) -> Value {
        let mut schema = op.input_schema.clone();
        let props = schema["properties"]
            .as_object_mut()
            .expect("catalog schemas have properties");
        for h in self.hide {
            match h.split_once('.') {
                Some((parent, field)) => {
                    if let Some(p) = props.get_mut(parent) {
                        remove_property(p, field);
                    }
                }
                None => {
                    props.remove(*h);
                }
            }
        }
        for (name, default) in self.defaults {
            if let Some(p) = props.get_mut(*name) {
                p["default"] = serde_json::from_str(default).expect("curated defaults are JSON");
            }
        }
        for (from, to) in self.rename {
            if let Some(p) = props.remove(*from) {
                props.insert(to.to_string(), p);
            }
        }
        let remaining: Vec<String> = props.keys().cloned().collect();
        if let Some(req) = schema.get_mut("required").and_then(Value::as_array_mut) {
            for r in req.iter_mut() {
                if let Some((_, to)) = self.rename.iter().find(|(from, _)| r == from) {
                    *r = json!(to);
                }
            }
            req.retain(|r| r.as_str().is_some_and(|r| remaining.iter().any(|p| p == r)));
        }
        compact_descriptions(&mut schema);
        schema
    }

    /// Turns the tool's arguments into the operation's arguments, refusing anything the tool does not
    /// offer, so a hidden argument cannot be slipped through.
    fn operation_args(
        &self,
        args: Value,
        schema: &Map<String, Value>,
    ) -> Result<(Value, u64, u64), ToolError> {
        let mut args = match args {
            Value::Null => Map::new(),
            Value::Object(o) => o,
            other => {
                return Err(ToolError::InvalidArguments(format!(
                    "arguments must be a JSON object, not {other}"
                )));
            }
        };
        let props = schema["properties"]
            .as_object()
            .expect("tool schemas have properties");
        for k in args.keys() {
            if !props.contains_key(k) {
                let valid: Vec<&str> = props.keys().map(String::as_str).collect();
                return Err(ToolError::InvalidArguments(format!(
                    "unknown argument `{k}`; valid arguments: {}",
                    if valid.is_empty() {
                        "none".to_string()
                    } else {
                        valid.join(", ")
                    }
                )));
            }
        }
        for h in self.hide {
            if let Some((parent, field)) = h.split_once('.')
                && args.get(parent).and_then(|b| b.get(field)).is_some()
            {
                return Err(ToolError::InvalidArguments(format!(
                    "`{parent}.{field}` is not available in {}; use clerk_api_call with operation {} for it",
                    self.name, self.op
                )));
            }
        }
        for (from, to) in self.rename {
            if let Some(v) = args.remove(*to) {
                args.insert(from.to_string(), v);
            }
        }
        for (name, default) in self.defaults {
            let hidden = self.hide.contains(name);
            if hidden || !args.contains_key(*name) {
                args.insert(
                    name.to_string(),
                    serde_json::from_str(default).expect("curated defaults are JSON"),
                );
            }
        }
        // Keep pages inside Clerk's bounds; a value of the wrong type is refused, never replaced.
        let (mut offset, mut limit) = (0, 10);
        let args = Value::Object(args);
        let (l, o) = (
            props
                .contains_key("limit")
                .then(|| args::bounded(&args, "limit", 10, 1, 500))
                .transpose()?,
            props
                .contains_key("offset")
                .then(|| args::bounded(&args, "offset", 0, 0, i64::MAX))
                .transpose()?,
        );
        let Value::Object(mut args) = args else {
            unreachable!("built from a map above")
        };
        if let Some(l) = l {
            args.insert("limit".into(), json!(l));
            limit = l as u64;
        }
        if let Some(o) = o {
            args.insert("offset".into(), json!(o));
            offset = o as u64;
        }
        Ok((Value::Object(args), offset, limit))
    }

    /// Runs the tool.
    pub async fn call(
        &self,
        inv: &Invocation<'_>,
        args: Value,
        schema: &Map<String, Value>,
    ) -> Outcome {
        let (args, offset, limit) = match self.operation_args(args, schema) {
            Ok(x) => x,
            Err(e) => return Outcome::failed(Some(self.op), e),
        };
        // Every request of the call is validated before the first one is sent.
        let count_args = self.count.map(|c| (c, only_params_of(c, &args)));
        let main = match inv.api.prepare(self.op, args) {
            Ok(p) => p,
            Err(e) => return Outcome::failed(Some(self.op), e.into()),
        };
        let count = match count_args.map(|(c, a)| inv.api.prepare(c, a)).transpose() {
            Ok(p) => p,
            Err(e) => return Outcome::failed(self.count, e.into()),
        };
        let (main, count) = match count {
            Some(count) => {
                let (a, b) = tokio::join!(
                    inv.api.send(inv.key, main, inv.deadline),
                    inv.api.send(inv.key, count, inv.deadline)
                );
                (a, Some(b))
            }
            None => (inv.api.send(inv.key, main, inv.deadline).await, None),
        };
        let attempts = main.attempts;
        let response = match main.result {
            Ok(r) => r,
            Err(e) => return Outcome::from_api(self.op, Err(e), attempts),
        };
        let total = match count.map(|c| c.result) {
            Some(Ok(c)) => c.body.get("total_count").and_then(Value::as_u64),
            Some(Err(e)) => {
                return Outcome::from_api(self.count.unwrap_or(self.op), Err(e), attempts);
            }
            None => None,
        };
        let status = response.status;
        let mut body = if self.list {
            output::list_envelope(response.body, offset, limit, total)
        } else {
            output::object_root(response.body)
        };
        if !inv.expose_private_metadata {
            output::redact_private_metadata(&mut body);
        }
        if let Some(p) = self.project {
            body = p(body);
        }
        Outcome::from_api(self.op, Ok((status, body)), attempts)
    }
}

/// Keeps only the arguments that `operation_id` takes (for the count call beside a list call).
fn only_params_of(operation_id: &str, args: &Value) -> Value {
    let Some(op) = catalog::get(operation_id) else {
        return json!({});
    };
    let mut out = Map::new();
    for p in &op.params {
        if let Some(v) = args.get(&p.name) {
            out.insert(p.name.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn remove_property(schema: &mut Value, field: &str) {
    if let Some(p) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        p.remove(field);
    }
    if let Some(r) = schema.get_mut("required").and_then(Value::as_array_mut) {
        r.retain(|x| x != field);
    }
}

/// The longest description kept for an argument: the first sentence is what a model needs.
const MAX_DESCRIPTION: usize = 72;

/// Arguments every model understands without a description (their bounds are in the schema).
const SELF_EXPLANATORY: [&str; 2] = ["limit", "offset"];

/// Whether a description only restates an id argument's name ("The ID of the organization to which
/// this membership belongs" for `organization_id`).
fn restates_id(name: &str, description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    name.ends_with("_id")
        && (d.starts_with("the id") || d.starts_with("id of") || d.starts_with("the unique id"))
        && d.split_whitespace().count() <= 12
}

/// Words that carry no meaning of their own in an argument description ("Returns users with the
/// specified usernames", "The first name to assign to the user").
const FILLER: &str = "the a an to of for on in this that be is are with by assign give add set given specified \
                      unique return returns user organization member invitation";

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
    d.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(singular)
        .all(|w| name_words.contains(&w) || FILLER.split_whitespace().any(|f| f == w))
}

/// Whether an argument is a timestamp filter (`created_at_after`, `last_sign_in_at_before`). Their
/// descriptions say only "after the given date"; the unit (Unix milliseconds) is stated once in the
/// tool's description instead of in every such argument, which tests check.
pub fn is_timestamp_filter(name: &str) -> bool {
    name.ends_with("_at_after") || name.ends_with("_at_before")
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
                        });
                    if drop && let Some(obj) = p.as_object_mut() {
                        obj.remove("description");
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

/// How Clerk's metadata merge endpoints behave, shared by the three metadata tools' descriptions.
macro_rules! metadata_merge {
    () => {
        "Deep-merged into the existing metadata: keys left out are kept, nested objects merge, a key set to null \
         is deleted (to replace an object, null its old keys)."
    };
}
pub(crate) use metadata_merge;

/// Declares one curated tool: `curated!(toolset: tool_name => OperationId, "Title", "Description", field = value, …)`.
macro_rules! curated {
    ($toolset:literal : $name:ident => $op:ident, $title:literal, $desc:expr $(, $field:ident = $value:expr)* $(,)?) => {
        $crate::tools::curated::Curated {
            name: stringify!($name),
            op: $crate::clerk::catalog::ops::$op,
            toolset: $toolset,
            title: $title,
            description: $desc,
            $($field: $value,)*
            ..$crate::tools::curated::Curated::DEFAULT
        }
    };
}
pub(crate) use curated;

/// Every curated tool, grouped by toolset in listing order.
pub fn all() -> impl Iterator<Item = &'static Curated> {
    [
        users::TOOLS,
        organizations::TOOLS,
        members::TOOLS,
        invitations::TOOLS,
        roles::TOOLS,
        sessions::TOOLS,
        restrictions::TOOLS,
        domains::TOOLS,
    ]
    .into_iter()
    .flatten()
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
        ] {
            assert!(restates_name(name, d), "{name}: {d}");
        }
        for (name, d) in [
            ("password", "The plaintext password to give the user."),
            ("query", "Returns users that match the given query."),
            ("order_by", "Allows to return users in a particular order."),
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
            "query": {"type": "string", "description": "Returns users that match the given query. For example, `ada` matches…"},
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
                "query": {"type": "string", "description": "Returns users that match the given query."},
                "body": {"type": "object", "properties": {
                    "locale": {"type": "string"},
                    "banned": {"type": "boolean", "description": "When set to `true`, the user cannot sign in."}}}
            }})
        );
    }
}
