//! Where a result is shaped, for curated tools and `clerk_api_call` alike, in this order: the list
//! envelope (`envelope`), credentials (`secrets`), the compact view of each Clerk object or the full
//! object (`views`), extra `fields`, notes, and the size budget (`budget`); then the text the model
//! reads, with the untrusted-data notice (`untrusted`). `schema` derives output schemas from the
//! same views.

pub mod budget;
pub mod envelope;
pub mod schema;
pub mod secrets;
pub mod untrusted;
pub mod views;

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value, json};
use views::Compactor;

/// Which view of Clerk's objects a call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The fields that answer everyday questions (the default).
    #[default]
    Compact,
    /// Clerk's object as returned, without null fields (private-metadata policy still applied).
    Full,
}

/// What a call asks of its result: `view` and `fields`, taken out of its arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The view.
    pub view: View,
    /// Dotted paths added to the compact view.
    pub fields: Vec<String>,
}

/// Most `fields` entries in one call.
const MAX_FIELDS: usize = 50;

/// The `view` and `fields` input properties, added to every tool that returns Clerk objects.
pub fn request_properties() -> [(&'static str, Value); 2] {
    [
        // Compact is the default, so `full` is the one value worth offering (`compact` is still
        // accepted).
        ("view", json!({"enum": ["full"]})),
        // What `fields` takes is said once, in the server instructions.
        (
            "fields",
            json!({"type": "array", "items": {"type": "string"}}),
        ),
    ]
}

impl Request {
    /// Takes `view` and `fields` out of a call's arguments, refusing values of the wrong shape.
    pub fn take(args: &mut Map<String, Value>) -> Result<Request, String> {
        let bad = |m: String| m;
        let view = match args.remove("view") {
            None | Some(Value::Null) => View::Compact,
            Some(Value::String(s)) if s == "compact" => View::Compact,
            Some(Value::String(s)) if s == "full" => View::Full,
            Some(other) => {
                return Err(bad(format!(
                    "`view` must be \"compact\" or \"full\", got {other}"
                )));
            }
        };
        let fields = match args.remove("fields") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if a.len() <= MAX_FIELDS => a
                .into_iter()
                .map(|f| match f {
                    Value::String(s) if !s.is_empty() && s.split('.').count() <= 2 => Ok(s),
                    other => Err(bad(format!(
                        "each entry of `fields` must be a field name or a dotted path of two names \
                         (e.g. external_accounts.provider), got {other}"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(bad(format!(
                    "`fields` must be a list of at most {MAX_FIELDS} field names, got {other}"
                )));
            }
        };
        Ok(Request { view, fields })
    }

    /// Adds what a write changed to the fields shown: the top-level fields of its body that the
    /// returned object also has (a role's new `description` shows even though the compact view of a
    /// role leaves descriptions out). A write answers with what changed.
    pub fn add_written(&mut self, operation_id: &str, args: &Value) {
        let Some(body) = args.get("body").and_then(Value::as_object) else {
            return;
        };
        let Some((_, schema)) = crate::clerk::catalog::response_schema(operation_id) else {
            return;
        };
        let props = schema.get("properties").and_then(Value::as_object);
        for k in body.keys() {
            if props.is_some_and(|p| p.contains_key(k)) && !self.fields.contains(k) {
                self.fields.push(k.clone());
            }
        }
    }

    /// Checks `fields` against the spec's schema of what `operation_id` returns, so a typo is an
    /// error naming the valid fields instead of a silently missing value.
    pub fn check_fields(&self, operation_id: &str) -> Result<(), String> {
        let Some((name, schema)) = crate::clerk::catalog::response_schema(operation_id) else {
            return Ok(());
        };
        for f in &self.fields {
            let mut parts = f.split('.');
            let first = parts.next().unwrap_or_default();
            let props = schema.get("properties").and_then(Value::as_object);
            let Some(p) = props.and_then(|p| p.get(first)) else {
                let valid: Vec<&str> = props
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.as_str())
                    .collect();
                return Err(format!(
                    "unknown field `{first}` in `fields`: a {name} has {}",
                    valid.join(", ")
                ));
            };
            if let Some(second) = parts.next() {
                let inner = p.get("items").unwrap_or(p);
                let inner_props = inner.get("properties").and_then(Value::as_object);
                if let Some(ip) = inner_props
                    && !ip.contains_key(second)
                {
                    let valid: Vec<&str> = ip.keys().map(String::as_str).collect();
                    return Err(format!(
                        "unknown field `{f}` in `fields`: `{first}` has {}",
                        valid.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Where a result comes from and how it may be shown.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The Clerk operation that produced it.
    pub operation_id: &'a str,
    /// Whether the operation deletes (its answer says so).
    pub deletes: bool,
    /// `--expose-private-metadata`.
    pub expose_private_metadata: bool,
    /// `--max-result-tokens`.
    pub max_result_tokens: usize,
    /// Whether the text carries the untrusted-data notice.
    pub untrusted_notice: bool,
}

/// A list page: where it starts, what was asked, and the total from a separate count.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Offset of the first item.
    pub offset: u64,
    /// Page size asked for.
    pub limit: u64,
    /// Total from a count call, when the list endpoint has none.
    pub total: Option<u64>,
}

/// Adds the values at `path` of `raw` to `out`, compacted (timestamps as ISO).
fn add_field(
    out: &mut Map<String, Value>,
    raw: &Map<String, Value>,
    path: &str,
    c: &mut Compactor,
) {
    let (first, second) = match path.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (path, None),
    };
    let Some(v) = raw.get(first) else { return };
    if first == "private_metadata" && !c.expose_private_metadata {
        out.insert(first.into(), json!(envelope::PRIVATE_METADATA_MARKER));
        return;
    }
    let value = match second {
        None => c.field(first, v.clone()),
        Some(k) => {
            let pick = |e: &Value, c: &mut Compactor| -> Value {
                let mut m = Map::new();
                if let Some(x) = e.get(k) {
                    m.insert(k.to_string(), c.field(k, x.clone()));
                }
                Value::Object(m)
            };
            match v {
                Value::Array(a) => Value::Array(a.iter().map(|e| pick(e, c)).collect()),
                Value::Object(_) => pick(v, c),
                _ => return,
            }
        }
    };
    match (out.get_mut(first), value) {
        // `organization.created_at` on top of the view's own `organization`: merged.
        (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
        (_, value) => {
            out.insert(first.to_string(), value);
        }
    }
}

/// Removes null-valued properties at any depth. A null says no more than an absent field, and the
/// output schemas type each field by its value (a nullable string is a string when present).
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Moves an embedded object that every item of a page shares (the organization of an
/// organization's members) from the items to the envelope, once.
fn hoist_common(page: &mut Value) {
    let Some(items) = page.get("data").and_then(Value::as_array) else {
        return;
    };
    let Some(Value::Object(first)) = items.first() else {
        return;
    };
    if items.len() < 2 {
        return;
    }
    let shared: Vec<String> = first
        .iter()
        .filter(|(k, v)| v.is_object() && items.iter().all(|i| i.get(k.as_str()) == Some(*v)))
        .map(|(k, _)| k.clone())
        .filter(|k| page.get(k).is_none())
        .collect();
    for k in shared {
        let mut value = Value::Null;
        if let Some(items) = page.get_mut("data").and_then(Value::as_array_mut) {
            for i in items.iter_mut() {
                if let Some(x) = i.as_object_mut().and_then(|o| o.remove(&k)) {
                    value = x;
                }
            }
        }
        page[k.as_str()] = value;
    }
}

/// Shapes one Clerk object for the requested view.
fn shape_object(raw: Value, req: &Request, c: &mut Compactor) -> Value {
    match req.view {
        View::Full => {
            let mut v = raw;
            if !c.expose_private_metadata {
                envelope::redact_private_metadata(&mut v);
            }
            drop_nulls(&mut v);
            v
        }
        View::Compact => {
            let raw_map = match &raw {
                Value::Object(o) if !req.fields.is_empty() => Some(o.clone()),
                _ => None,
            };
            let mut out = c.compact(raw);
            if let (Some(raw), Value::Object(o)) = (raw_map, &mut out) {
                for f in &req.fields {
                    add_field(o, &raw, f, c);
                }
            }
            out
        }
    }
}

/// Shapes a Clerk body into the structured result: envelope, view, fields, notes, budget.
pub fn shape(body: Value, req: &Request, page: Option<Page>, ctx: &Context<'_>) -> Value {
    let mut c = Compactor {
        expose_private_metadata: ctx.expose_private_metadata,
        operation_id: ctx.operation_id.to_string(),
        ..Compactor::default()
    };
    let mut issued = 0;
    let max = (ctx.max_result_tokens * 4).saturating_sub(untrusted::overhead(ctx.untrusted_notice));
    let mut notes: Vec<String> = Vec::new();
    let mut out = match page {
        Some(p) => {
            let mut v = envelope::list_envelope(body, p.offset, p.limit, p.total);
            if let Some(items) = v.get_mut("data").and_then(Value::as_array_mut) {
                for item in items.iter_mut() {
                    if let Value::Object(o) = item {
                        issued += secrets::by_operation(ctx.operation_id, o);
                    }
                    c.list_item = true;
                    *item = shape_object(item.take(), req, &mut c);
                    c.list_item = false;
                }
                if req.view == View::Compact {
                    hoist_common(&mut v);
                }
            }
            v
        }
        None => {
            let mut raw = envelope::object_root(body);
            if let Value::Object(o) = &mut raw {
                issued += secrets::by_operation(ctx.operation_id, o);
            }
            let mut v = shape_object(raw.clone(), req, &mut c);
            // A full object over budget comes back in its compact view instead.
            if req.view == View::Full && serde_json::to_string(&v).map_or(0, |s| s.len()) > max {
                c = Compactor {
                    expose_private_metadata: ctx.expose_private_metadata,
                    operation_id: ctx.operation_id.to_string(),
                    ..Compactor::default()
                };
                v = shape_object(raw, &Request::default(), &mut c);
                notes.push(format!(
                    "The full object is over this result's budget ({} tokens): this is its compact view. Ask \
                     for more with `fields`.",
                    ctx.max_result_tokens
                ));
            }
            if ctx.deletes
                && let Value::Object(o) = &mut v
            {
                o.insert("deleted".into(), json!(true));
            }
            v
        }
    };
    if c.credentials_shown + issued > 0 {
        notes.push(secrets::ISSUED_NOTE.to_string());
    }
    if c.removed_invisible > 0 {
        notes.push(format!(
            "{} invisible or direction-control characters were removed from strings in this data.",
            c.removed_invisible
        ));
    }
    let trimmed = match page {
        Some(p) => budget::fit_list(&mut out, max, p.offset, ctx.max_result_tokens),
        None => budget::fit_object(&mut out, max, ctx.max_result_tokens),
    };
    notes.extend(trimmed);
    if !notes.is_empty()
        && let Value::Object(o) = &mut out
    {
        o.insert("note".into(), json!(notes.join(" ")));
    }
    out
}

/// A successful result: structured content, and the same JSON as text (wrapped as untrusted data).
pub fn success(structured: Value, untrusted_notice: bool) -> CallToolResult {
    let json = serde_json::to_string(&structured).unwrap_or_default();
    let notice = untrusted_notice && untrusted::has_text(&structured);
    let mut r = CallToolResult::success(vec![ContentBlock::text(untrusted::wrap(json, notice))]);
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

    fn ctx(op: &str) -> Context<'_> {
        Context {
            operation_id: op,
            deletes: false,
            expose_private_metadata: false,
            max_result_tokens: 10_000,
            untrusted_notice: true,
        }
    }

    #[test]
    fn view_and_fields_are_taken_out_of_the_arguments() {
        let mut args = json!({"user_id": "u", "view": "full", "fields": ["a", "b.c"]})
            .as_object()
            .cloned()
            .unwrap();
        let r = Request::take(&mut args).unwrap();
        assert_eq!(r.view, View::Full);
        assert_eq!(r.fields, ["a", "b.c"]);
        assert_eq!(Value::Object(args), json!({"user_id": "u"}));
        for bad in [
            json!({"view": "tiny"}),
            json!({"fields": "a"}),
            json!({"fields": ["a.b.c"]}),
            json!({"fields": [1]}),
        ] {
            let mut a = bad.as_object().cloned().unwrap();
            assert!(Request::take(&mut a).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_user_is_compact_with_fields_added_and_invisible_characters_counted() {
        let user = json!({"object": "user", "id": "user_1", "first_name": "Ada\u{200B}\u{E0041}", "last_name": null,
            "primary_email_address_id": "idn_2", "email_addresses": [
                {"object": "email_address", "id": "idn_1", "email_address": "old@example.com", "verification": {"status": "verified"}},
                {"object": "email_address", "id": "idn_2", "email_address": "ada@example.com", "verification": {"status": "verified"}}],
            "external_accounts": [{"object": "google_account", "id": "eac_1", "provider": "oauth_google"}],
            "banned": false, "locked": false, "public_metadata": {}, "private_metadata": {"ssn": "1"},
            "created_at": 1_700_000_000_000_i64, "last_sign_in_at": null});
        let req = Request {
            view: View::Compact,
            fields: vec![
                "email_addresses.email_address".into(),
                "private_metadata".into(),
            ],
        };
        let out = shape(user, &req, None, &ctx("GetUser"));
        assert_eq!(
            out,
            json!({"id": "user_1", "first_name": "Ada", "email": "ada@example.com",
                "created_at": "2023-11-14T22:13:20Z",
                "sign_in_providers": ["oauth_google"],
                "email_addresses": [{"email_address": "old@example.com"}, {"email_address": "ada@example.com"}],
                "private_metadata": "[redacted]",
                "note": "2 invisible or direction-control characters were removed from strings in this data."})
        );
    }

    #[test]
    fn full_view_keeps_clerks_object_but_redacts_private_metadata() {
        let org = json!({"object": "organization", "id": "org_1", "private_metadata": {"k": 1}, "created_at": 5});
        let out = shape(
            org,
            &Request {
                view: View::Full,
                fields: vec![],
            },
            None,
            &ctx("GetOrganization"),
        );
        assert_eq!(
            out,
            json!({"object": "organization", "id": "org_1", "private_metadata": "[redacted]", "created_at": 5})
        );
    }

    #[test]
    fn issued_credentials_come_back_once_labelled() {
        let inv = json!({"object": "invitation", "id": "inv_1", "email_address": "a@example.com", "status": "pending",
            "url": "https://accounts.example.com/invite?ticket=abc"});
        let created = shape(
            inv.clone(),
            &Request::default(),
            None,
            &ctx("CreateInvitation"),
        );
        assert_eq!(
            created["shown_once_url"],
            json!("https://accounts.example.com/invite?ticket=abc")
        );
        assert!(created["note"].as_str().unwrap().contains("shown_once_"));
        let listed = shape(
            json!([inv]),
            &Request::default(),
            Some(Page {
                offset: 0,
                limit: 10,
                total: None,
            }),
            &ctx("ListInvitations"),
        );
        assert!(!listed.to_string().contains("ticket=abc"), "{listed}");
    }
}
