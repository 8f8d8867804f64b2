//! Toolset `api`: the whole Clerk Backend API in three tools — search, describe, call — so the ~190
//! operations without a curated tool are reachable without 246 tool definitions in the context.

use super::output;
use super::registry::{Action, Filter, ToolDef, annotations, tool};
use super::{Invocation, Outcome, ToolError, args};
use crate::clerk::catalog::{self, Operation};
use crate::codegen::schema::required_names;
use serde_json::{Map, Value, json};

/// The three definitions, kept short: together they are a fixed cost on every request.
pub fn definitions() -> Vec<ToolDef> {
    let def = |name: &'static str,
               title: &str,
               desc: &str,
               input: Value,
               output: Value,
               read_only: bool,
               action| ToolDef {
        tool: tool(
            name,
            title,
            desc.to_string(),
            input,
            output,
            // clerk_api_call can reach every DELETE in the API, so it is marked destructive.
            annotations(if read_only { "GET" } else { "POST" }, Some(!read_only)),
        ),
        toolset: "api",
        read_only,
        gates_operations: matches!(action, Action::ApiCall),
        action,
        operations: Vec::new(),
    };
    vec![
        def(
            "clerk_api_search",
            "Search the Clerk API",
            "Find Clerk Backend API operations for tasks no other clerk_ tool covers (billing, API keys, M2M tokens, \
             JWT templates, SAML/enterprise SSO, webhooks, waitlist, instance settings, sign-in/actor tokens, …). \
             Returns operation ids to pass to clerk_api_describe and clerk_api_call.",
            json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "What you want to do, in words, e.g. \"revoke api key\"."},
                "tag": {"type": "string", "description": "Only operations with this tag, e.g. \"Billing\"."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
                "required": ["query"], "additionalProperties": false}),
            json!({"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object"}}}, "required": ["results"]}),
            true,
            Action::ApiSearch,
        ),
        def(
            "clerk_api_describe",
            "Describe a Clerk API operation",
            "Get one operation's input schema, required arguments and a minimal example `arguments` object for \
             clerk_api_call.",
            json!({"type": "object", "properties": {
                "operation_id": {"type": "string", "description": "An operation id from clerk_api_search."}},
                "required": ["operation_id"], "additionalProperties": false}),
            json!({"type": "object"}),
            true,
            Action::ApiDescribe,
        ),
        def(
            "clerk_api_call",
            "Call a Clerk API operation",
            "Run any Clerk Backend API operation by id. `arguments` holds path and query parameters at the top \
             level and the JSON body under `body`, exactly as clerk_api_describe shows. Lists come back as \
             {data,total_count,has_more,next_offset}.",
            json!({"type": "object", "properties": {
                "operation_id": {"type": "string", "description": "An operation id from clerk_api_search."},
                "arguments": {"type": "object", "description": "The operation's arguments.", "additionalProperties": true}},
                "required": ["operation_id"], "additionalProperties": false}),
            json!({"type": "object"}),
            false,
            Action::ApiCall,
        ),
    ]
}

/// Words of an identifier or text: `getM2MTokens` → get, m2m, tokens; `/users/{user_id}` → users, user, id.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (prev.is_some_and(|p| p.is_lowercase())
                || next.is_some_and(|n| n.is_lowercase()) && prev.is_some_and(char::is_uppercase));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter().map(|w| stem(&w)).collect()
}

/// A light stem so "users"/"user", "tokens"/"token", "revoked"/"revoke" meet.
fn stem(w: &str) -> String {
    let w = w.to_lowercase();
    for suffix in ["ies", "es", "s", "ed", "ing"] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.len() >= 3
        {
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_string()
            };
        }
    }
    w
}

/// Query words that say nothing about which operation is meant.
const STOP: [&str; 16] = [
    "a", "an", "the", "to", "of", "for", "in", "on", "by", "and", "or", "with", "all", "my", "me",
    "clerk",
];

/// Synonyms users type for Clerk's own words.
const SYNONYMS: [(&str, &str); 10] = [
    ("remove", "delete"),
    ("add", "create"),
    ("new", "create"),
    ("edit", "update"),
    ("change", "update"),
    ("fetch", "get"),
    ("show", "get"),
    ("find", "list"),
    ("org", "organization"),
    ("machine", "m2m"),
];

/// The words of one operation's searchable fields, with each field's weight.
struct Indexed {
    fields: [(Vec<String>, u32); 5],
}

/// Word lists for every operation, built once (search runs on every `clerk_api_search` call).
static INDEX: std::sync::LazyLock<Vec<Indexed>> = std::sync::LazyLock::new(|| {
    catalog::all()
        .iter()
        .map(|op| Indexed {
            fields: [
                (words(&op.operation_id), 6),
                (words(&op.summary), 4),
                (op.tags.iter().flat_map(|t| words(t)).collect(), 3),
                (words(&op.path), 2),
                (words(&op.description), 1),
            ],
        })
        .collect()
});

/// Scores an operation for a query; higher is better; 0 means no word matched.
fn score(op: &Operation, idx: &Indexed, query_words: &[String]) -> u32 {
    let mut total = 0;
    let mut matched = 0;
    for q in query_words {
        let best = idx
            .fields
            .iter()
            .filter(|(ws, _)| {
                ws.iter()
                    .any(|w| w == q || (q.len() >= 4 && w.starts_with(q.as_str())))
            })
            .map(|(_, weight)| *weight)
            .max()
            .unwrap_or(0);
        if best > 0 {
            matched += 1;
        }
        total += best;
    }
    if matched == 0 {
        return 0;
    }
    // Matching every word beats matching one word strongly; deprecated operations sink.
    let all = if matched == query_words.len() { 10 } else { 0 };
    (total * 10 + all * 10).saturating_sub(if op.deprecated { 25 } else { 0 })
}

/// Normalised query words, with synonyms mapped to Clerk's words.
pub fn query_words(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(query) {
        if STOP.contains(&w.as_str()) {
            continue;
        }
        let w = SYNONYMS
            .iter()
            .find(|(from, _)| *from == w)
            .map(|(_, to)| stem(to))
            .unwrap_or(w);
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// The operations a search may show under the filters, best first.
pub fn search<'a>(
    query: &str,
    tag: Option<&str>,
    limit: usize,
    filters: &[&Filter],
) -> Vec<&'a Operation> {
    let qw = query_words(query);
    let mut scored: Vec<(u32, &Operation)> = catalog::all()
        .iter()
        .zip(INDEX.iter())
        .filter(|(op, _)| tag.is_none_or(|t| op.tags.iter().any(|x| x.eq_ignore_ascii_case(t))))
        .filter(|(op, _)| {
            filters.iter().all(|f| {
                f.admits_operation(&op.operation_id, &op.tags, op.is_read_only())
                    .is_ok()
            })
        })
        .map(|(op, idx)| (score(op, idx, &qw), op))
        .filter(|(s, _)| *s > 0 || qw.is_empty())
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.path.len().cmp(&b.1.path.len()))
            .then(a.1.operation_id.cmp(&b.1.operation_id))
    });
    scored.into_iter().take(limit).map(|(_, op)| op).collect()
}

fn summary_line(op: &Operation) -> Value {
    let summary = if op.summary.is_empty() {
        super::curated::first_sentence(&op.description, 120)
    } else {
        op.summary.clone()
    };
    json!({"operation_id": op.operation_id, "method": op.method, "path": op.path, "tag": op.tag,
           "summary": summary, "read_only": op.is_read_only(), "deprecated": op.deprecated})
}

/// Closest operation ids to a misspelled one (by shared words, then edit distance).
pub fn closest(operation_id: &str, n: usize) -> Vec<String> {
    let lower = operation_id.to_lowercase();
    let mut scored: Vec<(usize, &str)> = catalog::all()
        .iter()
        .map(|op| {
            (
                edit_distance(&lower, &op.operation_id.to_lowercase()),
                op.operation_id.as_str(),
            )
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, id)| id.to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A minimal arguments object for an operation that passes validation: every required argument, with
/// a value of the right type (the first enum value, the minimum, a string matching the pattern).
pub fn example_arguments(op: &Operation) -> Value {
    let mut args = example_value(&op.input_schema).unwrap_or_else(|| json!({}));
    // An optional array body left out is sent empty, which Clerk refuses; show one element instead.
    let body = &op.input_schema["properties"]["body"];
    if body.get("type") == Some(&json!("array"))
        && args.get("body").is_none()
        && let (Some(obj), Some(v)) = (args.as_object_mut(), example_value(body))
    {
        obj.insert("body".into(), v);
    }
    args
}

fn example_value(s: &Value) -> Option<Value> {
    if let Some(e) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(e.clone());
    }
    if let Some(d) = s.get("default") {
        return Some(d.clone());
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(first) = s.get(k).and_then(Value::as_array).and_then(|a| a.first()) {
            let mut merged = s.clone();
            if let Some(m) = merged.as_object_mut() {
                m.remove(k);
                for (fk, fv) in first.as_object().into_iter().flatten() {
                    match (m.get_mut(fk), fv) {
                        // Both the schema's and the alternative's required fields are required.
                        (Some(Value::Array(have)), Value::Array(more)) if fk == "required" => have
                            .extend(
                                more.iter()
                                    .filter(|x| !have.contains(x))
                                    .cloned()
                                    .collect::<Vec<_>>(),
                            ),
                        (None, _) => {
                            m.insert(fk.clone(), fv.clone());
                        }
                        _ => {}
                    }
                }
            }
            return example_value(&merged);
        }
    }
    let ty = s
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(if s.get("properties").is_some() {
            "object"
        } else {
            "string"
        });
    Some(match ty {
        "object" => {
            let props = s.get("properties").and_then(Value::as_object);
            let mut out = Map::new();
            for r in required_names(s) {
                let prop = props.and_then(|p| p.get(r));
                let v = named_example(r, prop)
                    .or_else(|| prop.and_then(example_value))
                    .unwrap_or(json!("example"));
                out.insert(r.to_string(), v);
            }
            Value::Object(out)
        }
        "array" => {
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = s
                .get("items")
                .and_then(example_value)
                .unwrap_or(json!("example"));
            Value::Array((0..min.max(1)).map(|_| item.clone()).collect())
        }
        "integer" => json!(
            s.get("minimum").and_then(Value::as_i64).unwrap_or(1).max(
                s.get("exclusiveMinimum")
                    .and_then(Value::as_i64)
                    .map(|m| m + 1)
                    .unwrap_or(i64::MIN)
            )
        ),
        "number" => json!(s.get("minimum").and_then(Value::as_f64).unwrap_or(1.0)),
        "boolean" => json!(false),
        _ => json!(example_string(s)),
    })
}

/// A realistic value for a plain string field whose name says what it holds (emails, URLs, phones).
fn named_example(name: &str, prop: Option<&Value>) -> Option<Value> {
    let p = prop?;
    let plain = p.get("type") == Some(&json!("string"))
        && p.get("enum").is_none()
        && p.get("pattern").is_none();
    if !plain {
        return None;
    }
    let n = name.to_ascii_lowercase();
    if n.ends_with("id") {
        None
    } else if n.contains("email") {
        Some(json!("user@example.com"))
    } else if n.ends_with("url") {
        Some(json!("https://example.com"))
    } else if n.contains("phone") {
        Some(json!("+15555550100"))
    } else {
        None
    }
}

fn example_string(s: &Value) -> String {
    match s.get("format").and_then(Value::as_str) {
        Some("email") => return "user@example.com".into(),
        Some("uri") => return "https://example.com".into(),
        Some("date-time") => return "2026-01-01T00:00:00Z".into(),
        _ => {}
    }
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = s
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|m| m as usize)
        .unwrap_or(usize::MAX);
    let pattern = s.get("pattern").and_then(Value::as_str);
    let regex = pattern.and_then(|p| regress::Regex::new(p).ok());
    let mut padded = "example".to_string();
    while padded.len() < min {
        padded.push('x');
    }
    let candidates = [
        pattern.and_then(string_for_pattern),
        Some("example".to_string()),
        Some(padded),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|c| {
            (min..=max).contains(&c.chars().count())
                && regex.as_ref().is_none_or(|r| r.find(c).is_some())
        })
        .unwrap_or_else(|| "example".into())
}

/// A string matching a simple regular expression (literals, `\w \d \S`, classes, groups with
/// alternatives, quantifiers), checked with the same regex engine the client validates with.
fn string_for_pattern(pattern: &str) -> Option<String> {
    fn atom(chars: &[char], i: &mut usize) -> Option<String> {
        let c = *chars.get(*i)?;
        *i += 1;
        Some(match c {
            '\\' => {
                let e = *chars.get(*i)?;
                *i += 1;
                match e {
                    'w' | 'S' => "a".into(),
                    'd' => "0".into(),
                    's' => " ".into(),
                    other => other.to_string(),
                }
            }
            '[' => {
                let negated = chars.get(*i) == Some(&'^');
                let start = *i + usize::from(negated);
                let end = start + chars[start..].iter().position(|&c| c == ']')?;
                *i = end + 1;
                if negated {
                    "a".into()
                } else {
                    chars[start].to_string()
                }
            }
            '(' => {
                let mut depth = 1;
                let start = *i;
                while depth > 0 {
                    match chars.get(*i)? {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    *i += 1;
                }
                let inner: String = chars[start..*i - 1].iter().collect();
                let first = inner.split('|').next().unwrap_or("");
                seq(&first.chars().collect::<Vec<_>>())?
            }
            '.' => "a".into(),
            other => other.to_string(),
        })
    }
    fn seq(chars: &[char]) -> Option<String> {
        let mut i = 0;
        let mut out = String::new();
        while i < chars.len() {
            let a = atom(chars, &mut i)?;
            let times = match chars.get(i) {
                Some('{') => {
                    let end = i + chars[i..].iter().position(|&c| c == '}')?;
                    let spec: String = chars[i + 1..end].iter().collect();
                    i = end + 1;
                    spec.split(',').next()?.trim().parse::<usize>().ok()?
                }
                Some('+') => {
                    i += 1;
                    1
                }
                Some('*') | Some('?') => {
                    i += 1;
                    0
                }
                _ => 1,
            };
            out.push_str(&a.repeat(times));
        }
        Some(out)
    }
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let body = body.strip_suffix('$').unwrap_or(body);
    let candidate = seq(&body.chars().collect::<Vec<_>>())?;
    let re = regress::Regex::new(pattern).ok()?;
    re.find(&candidate).is_some().then_some(candidate)
}

fn describe(op: &Operation) -> Value {
    let ann = annotations(&op.method, None);
    let required: Vec<Value> = op
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    json!({
        "operation_id": op.operation_id, "method": op.method, "path": op.path, "tag": op.tag, "tags": op.tags,
        "summary": op.summary, "description": op.description, "deprecated": op.deprecated,
        "read_only": op.is_read_only(),
        "annotations": ann,
        "required": required,
        "input_schema": op.input_schema,
        "example_arguments": example_arguments(op),
    })
}

fn unknown_operation(id: &str) -> ToolError {
    ToolError::InvalidArguments(format!(
        "unknown operation `{id}`; closest: {}. Use clerk_api_search to find operations.",
        closest(id, 5).join(", ")
    ))
}

fn string_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, ToolError> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| {
        ToolError::InvalidArguments(format!("`{name}` is required and must be a string"))
    })
}

fn check_keys(args: &Value, allowed: &[&str]) -> Result<(), ToolError> {
    match args {
        Value::Object(o) => match o.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ToolError::InvalidArguments(format!(
                "unknown argument `{k}`; valid arguments: {}",
                allowed.join(", ")
            ))),
            None => Ok(()),
        },
        Value::Null => Ok(()),
        _ => Err(ToolError::InvalidArguments(
            "arguments must be a JSON object".into(),
        )),
    }
}

/// `clerk_api_search`.
pub fn run_search(args: &Value, filters: &[&Filter]) -> Outcome {
    let r = (|| {
        check_keys(args, &["query", "tag", "limit"])?;
        let query = string_arg(args, "query")?;
        let tag = args.get("tag").and_then(Value::as_str);
        let limit = args::bounded(args, "limit", 10, 1, 50)? as usize;
        let results: Vec<Value> = search(query, tag, limit, filters)
            .into_iter()
            .map(summary_line)
            .collect();
        let mut out = json!({"results": results});
        if results_empty(&out) {
            out["hint"] = json!(
                "No operation matched. Try fewer or other words, or drop `tag`; read-only mode and deny lists hide operations they refuse."
            );
        }
        Ok(out)
    })();
    Outcome::local(r)
}

fn results_empty(v: &Value) -> bool {
    v["results"].as_array().is_none_or(Vec::is_empty)
}

/// `clerk_api_describe`.
pub fn run_describe(args: &Value) -> Outcome {
    let r = (|| {
        check_keys(args, &["operation_id"])?;
        let id = string_arg(args, "operation_id")?;
        catalog::get(id)
            .map(describe)
            .ok_or_else(|| unknown_operation(id))
    })();
    Outcome::local(r)
}

/// `clerk_api_call`.
pub async fn run_call(inv: &Invocation<'_>, args: &Value) -> Outcome {
    let prepared = (|| {
        check_keys(args, &["operation_id", "arguments"])?;
        let id = string_arg(args, "operation_id")?;
        let op = catalog::get(id).ok_or_else(|| unknown_operation(id))?;
        for f in inv.filters {
            f.admits_operation(&op.operation_id, &op.tags, op.is_read_only())
                .map_err(|why| {
                    ToolError::Refused(format!(
                        "operation {} is not allowed here: {why}",
                        op.operation_id
                    ))
                })?;
        }
        Ok(op)
    })();
    let op = match prepared {
        Ok(op) => op,
        Err(e) => return Outcome::failed(args.get("operation_id").and_then(Value::as_str), e),
    };
    let call_args = args.get("arguments").cloned().unwrap_or(Value::Null);
    // Only used to shape the list envelope; the typed parse refuses a wrong type before sending.
    let page = |name, default| {
        args::integer(&call_args, name)
            .ok()
            .flatten()
            .map_or(default, |n| n.max(0) as u64)
    };
    let (offset, limit) = (page("offset", 0), page("limit", 10));
    let out = inv
        .api
        .call(inv.key, &op.operation_id, call_args, inv.deadline)
        .await;
    let attempts = out.attempts;
    let shaped = out.result.map(|r| {
        let is_list = r.body.is_array() || r.body.get("data").is_some_and(Value::is_array);
        let mut body = if is_list {
            output::list_envelope(r.body, offset, limit, None)
        } else {
            output::object_root(r.body)
        };
        if !inv.expose_private_metadata {
            output::redact_private_metadata(&mut body);
        }
        (r.status, body)
    });
    Outcome::from_api(&op.operation_id, shaped, attempts)
}
