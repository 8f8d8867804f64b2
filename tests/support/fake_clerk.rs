//! A fake Clerk Backend API on 127.0.0.1:0 that behaves the way Clerk documents it: Clerk's error
//! shape (`{errors:[{message,long_message,code,meta}], clerk_trace_id}`), `limit`/`offset`/`total_count`
//! pagination, the `paginated=true` envelope of older list endpoints, lookup by id or slug, metadata
//! deep-merge with null deletion, and 404 `resource_not_found` for anything unknown.
//!
//! Tests can read every request it received (raw path and query, headers, body) and queue faults
//! (status, headers, body, delay) for the next matching requests.
// Handlers return ready responses as their error value; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Raw (still percent-encoded) path, e.g. `/v1/users/a%2Fb`.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Seen {
    /// Query pairs in order, repeated keys kept.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
}

/// A queued response for the next request(s) whose method and path prefix match.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<&'static str>,
    pub path_prefix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Fault {
    pub fn new(status: u16, body: impl Into<String>) -> Fault {
        Fault {
            method: None,
            path_prefix: String::new(),
            status,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn on(mut self, method: &'static str, path_prefix: &str) -> Fault {
        self.method = Some(method);
        self.path_prefix = path_prefix.to_string();
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Fault {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Fault {
        self.delay = d;
        self
    }
}

#[derive(Default)]
struct Store {
    seq: u64,
    users: BTreeMap<String, Value>,
    orgs: BTreeMap<String, Value>,
    /// (org_id, user_id) → membership
    memberships: BTreeMap<(String, String), Value>,
    org_invitations: BTreeMap<String, Value>,
    invitations: BTreeMap<String, Value>,
    roles: BTreeMap<String, Value>,
    permissions: BTreeMap<String, Value>,
    sessions: BTreeMap<String, Value>,
    allowlist: BTreeMap<String, Value>,
    blocklist: BTreeMap<String, Value>,
    domains: BTreeMap<String, Value>,
}

#[derive(Default)]
struct Shared {
    keys: Vec<String>,
    store: Store,
    seen: Vec<Seen>,
    faults: VecDeque<Fault>,
}

/// Handle to a running fake; the server stops when the handle is dropped.
pub struct FakeClerk {
    /// Base URL including `/v1`, for `CLERK_API_URL`.
    pub url: String,
    pub addr: std::net::SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeClerk {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The key every test uses unless it wants a refused one.
pub const GOOD_KEY: &str = "sk_test_fakeclerkgoodkey000000000000000000";

impl FakeClerk {
    /// Starts a fake that accepts `GOOD_KEY`.
    pub async fn start() -> FakeClerk {
        Self::with_keys(&[GOOD_KEY]).await
    }

    /// Starts a fake that accepts exactly these keys.
    pub async fn with_keys(keys: &[&str]) -> FakeClerk {
        let shared = Arc::new(Mutex::new(Shared {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake clerk");
        let addr = listener.local_addr().unwrap();
        let s = shared.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let s = s.clone();
                async move { handle(s, method, uri, headers, body).await }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeClerk {
            url: format!("http://{addr}/v1"),
            addr,
            shared,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.shared.lock().unwrap().seen.clone()
    }
    pub fn last_request(&self) -> Seen {
        self.requests().pop().expect("the fake received no request")
    }
    pub fn clear_requests(&self) {
        self.shared.lock().unwrap().seen.clear();
    }
    pub fn push_fault(&self, f: Fault) {
        self.shared.lock().unwrap().faults.push_back(f);
    }

    /// Creates a user directly in the store (no request logged); returns its id.
    pub fn seed_user(&self, first: &str, last: &str, email: &str) -> String {
        let mut g = self.shared.lock().unwrap();
        let body = json!({"first_name": first, "last_name": last, "email_address": [email]});
        let u = new_user(&mut g.store, &body);
        let id = u["id"].as_str().unwrap().to_string();
        g.store.users.insert(id.clone(), u);
        id
    }

    /// Sets a user's metadata directly (e.g. private metadata for redaction tests).
    pub fn set_user_field(&self, user_id: &str, field: &str, value: Value) {
        let mut g = self.shared.lock().unwrap();
        g.store.users.get_mut(user_id).expect("seeded user")[field] = value;
    }

    /// Creates a session for a user directly; returns its id.
    pub fn seed_session(&self, user_id: &str) -> String {
        let mut g = self.shared.lock().unwrap();
        let id = new_id(&mut g.store, "sess");
        let client = new_id(&mut g.store, "client");
        let now = now(&mut g.store);
        let s = json!({"object": "session", "id": id, "user_id": user_id, "client_id": client, "status": "active",
            "last_active_at": now, "expire_at": now + 604_800_000, "abandon_at": now + 2_592_000_000,
            "created_at": now, "updated_at": now});
        g.store.sessions.insert(id.clone(), s);
        id
    }
}

fn trace_id(store: &mut Store) -> String {
    store.seq += 1;
    format!(
        "trace_{:032x}",
        store.seq.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
}

fn clerk_error(
    store: &mut Store,
    status: u16,
    code: &str,
    message: &str,
    long: &str,
    meta: Value,
) -> Response {
    let mut e = json!({"message": message, "long_message": long, "code": code});
    if !meta.is_null() {
        e["meta"] = meta;
    }
    let body = json!({"errors": [e], "clerk_trace_id": trace_id(store)});
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found(store: &mut Store) -> Response {
    clerk_error(
        store,
        404,
        "resource_not_found",
        "not found",
        "Resource not found",
        Value::Null,
    )
}

fn missing_param(store: &mut Store, name: &str) -> Response {
    clerk_error(
        store,
        422,
        "form_param_missing",
        &format!("{name} must be included"),
        &format!("{name} must be included"),
        json!({"param_name": name}),
    )
}

fn invalid_param(store: &mut Store, name: &str, why: &str) -> Response {
    clerk_error(
        store,
        422,
        "form_param_value_invalid",
        &format!("{name} is invalid"),
        why,
        json!({"param_name": name}),
    )
}

fn ok(v: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn new_id(store: &mut Store, prefix: &str) -> String {
    store.seq += 1;
    // Clerk ids are a prefix and 27 base62 characters.
    let mut n = store.seq.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5bd1_e995;
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::new();
    for i in 0..27 {
        if i % 10 == 0 {
            n = n.wrapping_mul(6364136223846793005).wrapping_add(store.seq);
        }
        s.push(alphabet[(n % 62) as usize] as char);
        n /= 62;
    }
    format!("{prefix}_{s}")
}

fn now(store: &mut Store) -> u64 {
    store.seq += 1;
    1_700_000_000_000 + store.seq * 1000
}

/// Clerk's metadata merge: objects merge recursively, a `null` value deletes the key.
pub fn deep_merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else if t.get(k).is_some_and(Value::is_object) && v.is_object() {
                    deep_merge(t.get_mut(k).unwrap(), v);
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

fn new_user(store: &mut Store, b: &Value) -> Value {
    let id = new_id(store, "user");
    let ts = now(store);
    let emails: Vec<Value> = b["email_address"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|e| {
            let eid = new_id(store, "idn");
            json!({"id": eid, "object": "email_address", "email_address": e, "reserved": false,
                   "verification": {"status": "verified", "strategy": "admin", "attempts": null, "expire_at": null},
                   "linked_to": [], "created_at": ts, "updated_at": ts})
        })
        .collect();
    let primary = emails
        .first()
        .map(|e| e["id"].clone())
        .unwrap_or(Value::Null);
    json!({
        "id": id, "object": "user", "external_id": b.get("external_id").cloned().unwrap_or(Value::Null),
        "username": b.get("username").cloned().unwrap_or(Value::Null),
        "first_name": b.get("first_name").cloned().unwrap_or(Value::Null),
        "last_name": b.get("last_name").cloned().unwrap_or(Value::Null),
        "image_url": "https://img.clerk.com/fake", "has_image": false,
        "primary_email_address_id": primary, "primary_phone_number_id": null, "primary_web3_wallet_id": null,
        "password_enabled": b.get("password").is_some(), "two_factor_enabled": false, "totp_enabled": false,
        "backup_code_enabled": false, "email_addresses": emails, "phone_numbers": [], "web3_wallets": [],
        "passkeys": [], "external_accounts": [], "saml_accounts": [], "enterprise_accounts": [],
        "public_metadata": b.get("public_metadata").cloned().unwrap_or(json!({})),
        "private_metadata": b.get("private_metadata").cloned().unwrap_or(json!({})),
        "unsafe_metadata": b.get("unsafe_metadata").cloned().unwrap_or(json!({})),
        "banned": false, "locked": false, "lockout_expires_in_seconds": null,
        "verification_attempts_remaining": 100, "delete_self_enabled": true, "create_organization_enabled": true,
        "last_sign_in_at": null, "last_active_at": null, "legal_accepted_at": null,
        "created_at": ts, "updated_at": ts,
        // A field newer than the vendored spec: must pass through untouched.
        "fake_clerk_future_field": {"added_in": "2099-01-01"}
    })
}

fn user_emails(u: &Value) -> Vec<String> {
    u["email_addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["email_address"].as_str())
        .map(String::from)
        .collect()
}

fn slugify(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Parsed query: key → values (repeated keys kept).
struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
    }
    fn all(&self, k: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn flag(&self, k: &str) -> bool {
        self.get(k) == Some("true")
    }
}

/// Applies `limit`/`offset` with Clerk's bounds; Err is a ready 422.
fn page(store: &mut Store, q: &Query, items: Vec<Value>) -> Result<(Vec<Value>, usize), Response> {
    let limit = match q.get("limit").map(str::parse::<usize>) {
        None => 10,
        Some(Ok(n)) if (1..=500).contains(&n) => n,
        Some(_) => {
            return Err(invalid_param(
                store,
                "limit",
                "limit must be an integer between 1 and 500",
            ));
        }
    };
    let offset = match q.get("offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(_) => {
            return Err(invalid_param(
                store,
                "offset",
                "offset must be an integer greater or equal to 0",
            ));
        }
    };
    let total = items.len();
    Ok((items.into_iter().skip(offset).take(limit).collect(), total))
}

fn envelope(store: &mut Store, q: &Query, items: Vec<Value>) -> Response {
    match page(store, q, items) {
        Ok((data, total)) => ok(json!({"data": data, "total_count": total})),
        Err(r) => r,
    }
}

/// Older endpoints: a bare array, or the `{data,total_count}` envelope when `paginated=true`.
fn legacy_list(store: &mut Store, q: &Query, items: Vec<Value>) -> Response {
    if q.flag("paginated") {
        return envelope(store, q, items);
    }
    match page(store, q, items) {
        Ok((data, _)) => ok(Value::Array(data)),
        Err(r) => r,
    }
}

fn sorted_newest_first(
    map: &BTreeMap<String, Value>,
    filter: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut v: Vec<Value> = map.values().filter(|x| filter(x)).cloned().collect();
    v.sort_by(|a, b| {
        b["created_at"]
            .as_u64()
            .cmp(&a["created_at"].as_u64())
            .then(b["id"].as_str().cmp(&a["id"].as_str()))
    });
    v
}

fn deleted(object: &str, id: &str) -> Response {
    ok(json!({"object": object, "id": id, "deleted": true}))
}

async fn handle(
    shared: Arc<Mutex<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let json_body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or(Value::String(String::from_utf8_lossy(&body).into()))
    };
    let fault = {
        let mut g = shared.lock().unwrap();
        g.seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            headers: headers.clone(),
            body: json_body.clone(),
        });
        let idx = g.faults.iter().position(|f| {
            f.method.is_none_or(|m| m == method.as_str()) && path.starts_with(&f.path_prefix)
        });
        idx.and_then(|i| g.faults.remove(i))
    };
    if let Some(f) = fault {
        tokio::time::sleep(f.delay).await;
        let mut resp = (StatusCode::from_u16(f.status).unwrap(), f.body).into_response();
        for (k, v) in f.headers {
            resp.headers_mut().insert(
                axum::http::HeaderName::try_from(k).unwrap(),
                v.parse().unwrap(),
            );
        }
        return resp;
    }
    let mut g = shared.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let authorized = auth
        .strip_prefix("Bearer ")
        .is_some_and(|k| g.keys.iter().any(|x| x == k));
    let store = &mut g.store;
    if !authorized {
        return clerk_error(
            store,
            401,
            "clerk_key_invalid",
            "Invalid authentication",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
            Value::Null,
        );
    }
    if json_body.is_string() {
        return clerk_error(
            store,
            400,
            "malformed_request",
            "malformed request",
            "The request body is not valid JSON",
            Value::Null,
        );
    }
    let Some(rest) = path.strip_prefix("/v1") else {
        return not_found(store);
    };
    let segs: Vec<String> = rest
        .split('/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let q = Query(
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
    );
    let b = &json_body;
    route(store, method.as_str(), &segs, &q, b)
}

fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, b: &Value) -> Response {
    match (m, segs) {
        ("GET", ["jwks"]) => ok(
            json!({"keys": [{"use": "sig", "kty": "RSA", "kid": "ins_fake", "alg": "RS256", "n": "AQAB", "e": "AQAB"}]}),
        ),
        // ---- users
        ("GET", ["users"]) => {
            let users = filter_users(s, q);
            match page(s, q, users) {
                Ok((data, _)) => ok(Value::Array(data)),
                Err(r) => r,
            }
        }
        ("GET", ["users", "count"]) => {
            let n = filter_users(s, q).len();
            ok(json!({"object": "total_count", "total_count": n}))
        }
        ("POST", ["users"]) => {
            for e in b["email_address"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if s.users
                    .values()
                    .any(|u| user_emails(u).iter().any(|x| x == e))
                {
                    return clerk_error(
                        s,
                        422,
                        "form_identifier_exists",
                        "That email address is taken. Please try another.",
                        "That email address is taken. Please try another.",
                        json!({"param_name": "email_address"}),
                    );
                }
            }
            let u = new_user(s, b);
            s.users
                .insert(u["id"].as_str().unwrap().to_string(), u.clone());
            ok(u)
        }
        (_, ["users", id, rest @ ..]) if !s.users.contains_key(*id) && *id != "count" => {
            let _ = rest;
            not_found(s)
        }
        ("GET", ["users", id]) => ok(s.users[*id].clone()),
        ("PATCH", ["users", id]) => {
            let ts = now(s);
            let u = s.users.get_mut(*id).unwrap();
            for (k, v) in b.as_object().into_iter().flatten() {
                if [
                    "first_name",
                    "last_name",
                    "username",
                    "external_id",
                    "locale",
                    "delete_self_enabled",
                    "create_organization_enabled",
                ]
                .contains(&k.as_str())
                {
                    u[k] = v.clone();
                }
            }
            u["updated_at"] = json!(ts);
            ok(u.clone())
        }
        ("DELETE", ["users", id]) => {
            s.users.remove(*id);
            s.memberships.retain(|(_, u), _| u != id);
            deleted("user", id)
        }
        ("POST", ["users", id, action @ ("ban" | "unban" | "lock" | "unlock")]) => {
            let u = s.users.get_mut(*id).unwrap();
            match *action {
                "ban" => u["banned"] = json!(true),
                "unban" => u["banned"] = json!(false),
                "lock" => {
                    u["locked"] = json!(true);
                    u["lockout_expires_in_seconds"] = json!(3600)
                }
                _ => {
                    u["locked"] = json!(false);
                    u["lockout_expires_in_seconds"] = Value::Null
                }
            }
            ok(u.clone())
        }
        ("PATCH", ["users", id, "metadata"]) => {
            let u = s.users.get_mut(*id).unwrap();
            for k in ["public_metadata", "private_metadata", "unsafe_metadata"] {
                if let Some(p) = b.get(k) {
                    deep_merge(&mut u[k], p);
                }
            }
            ok(u.clone())
        }
        ("GET", ["users", id, "organization_memberships"]) => {
            let items: Vec<Value> = s
                .memberships
                .iter()
                .filter(|((_, u), _)| u == id)
                .map(|(_, v)| v.clone())
                .collect();
            envelope(s, q, items)
        }
        // ---- organizations
        ("GET", ["organizations"]) => {
            let query = q.get("query").map(str::to_lowercase);
            let items = sorted_newest_first(&s.orgs, |o| {
                query.as_ref().is_none_or(|x| {
                    o["name"].as_str().unwrap_or("").to_lowercase().contains(x)
                        || o["slug"].as_str().unwrap_or("").contains(x)
                        || o["id"].as_str() == Some(x)
                })
            });
            let items = items
                .into_iter()
                .map(|o| with_members_count(s, o, q.flag("include_members_count")))
                .collect();
            envelope(s, q, items)
        }
        ("POST", ["organizations"]) => {
            let Some(name) = b["name"].as_str().filter(|n| !n.is_empty()) else {
                return missing_param(s, "name");
            };
            let slug = b["slug"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| slugify(name));
            if s.orgs.values().any(|o| o["slug"] == json!(slug)) {
                return clerk_error(
                    s,
                    422,
                    "form_identifier_exists",
                    "That slug is taken. Please try another.",
                    "That slug is taken. Please try another.",
                    json!({"param_name": "slug"}),
                );
            }
            let id = new_id(s, "org");
            let ts = now(s);
            let o = json!({"object": "organization", "id": id, "name": name, "slug": slug, "image_url": "", "has_image": false,
                "max_allowed_memberships": b.get("max_allowed_memberships").cloned().unwrap_or(json!(5)),
                "admin_delete_enabled": true, "public_metadata": b.get("public_metadata").cloned().unwrap_or(json!({})),
                "private_metadata": b.get("private_metadata").cloned().unwrap_or(json!({})),
                "created_by": b.get("created_by").cloned().unwrap_or(Value::Null), "created_at": ts, "updated_at": ts});
            s.orgs.insert(id, o.clone());
            ok(o)
        }
        (_, ["organizations", key, rest @ ..]) => {
            // Organizations are addressed by id or by slug.
            let id = s
                .orgs
                .values()
                .find(|o| o["id"] == json!(key) || o["slug"] == json!(key))
                .map(|o| o["id"].as_str().unwrap().to_string());
            match id {
                Some(id) => org_route(s, m, &id, rest, q, b),
                None => not_found(s),
            }
        }
        // ---- instance invitations
        ("GET", ["invitations"]) => {
            let status = q.get("status").map(String::from);
            let query = q.get("query").map(String::from);
            let items = sorted_newest_first(&s.invitations, |i| {
                status.as_ref().is_none_or(|st| i["status"] == json!(st))
                    && query.as_ref().is_none_or(|x| {
                        i["email_address"]
                            .as_str()
                            .unwrap_or("")
                            .contains(x.as_str())
                    })
            });
            legacy_list(s, q, items)
        }
        ("POST", ["invitations"]) => {
            let Some(email) = b["email_address"].as_str() else {
                return missing_param(s, "email_address");
            };
            if !email.contains('@') {
                return clerk_error(
                    s,
                    422,
                    "form_param_format_invalid",
                    "is invalid",
                    "email_address must be a valid email address.",
                    json!({"param_name": "email_address"}),
                );
            }
            let id = new_id(s, "inv");
            let ts = now(s);
            let i = json!({"object": "invitation", "id": id, "email_address": email, "public_metadata": b.get("public_metadata").cloned().unwrap_or(json!({})),
                "revoked": false, "status": "pending", "url": format!("https://accounts.example.com/invite/{id}"), "expires_at": null, "created_at": ts, "updated_at": ts});
            s.invitations.insert(id, i.clone());
            ok(i)
        }
        ("POST", ["invitations", id, "revoke"]) => match s.invitations.get_mut(*id) {
            Some(i) => {
                i["revoked"] = json!(true);
                i["status"] = json!("revoked");
                ok(i.clone())
            }
            None => not_found(s),
        },
        // ---- roles & permissions
        ("GET", ["organization_roles"]) => {
            let query = q.get("query").map(String::from);
            let items = sorted_newest_first(&s.roles, |r| {
                query.as_ref().is_none_or(|x| {
                    r["key"].as_str().unwrap_or("").contains(x.as_str())
                        || r["name"].as_str().unwrap_or("").contains(x.as_str())
                })
            });
            envelope(s, q, items)
        }
        ("POST", ["organization_roles"]) => {
            for f in ["name", "key"] {
                if b[f].as_str().is_none() {
                    return missing_param(s, f);
                }
            }
            if s.roles.values().any(|r| r["key"] == b["key"]) {
                return clerk_error(
                    s,
                    422,
                    "duplicate_record",
                    "duplicate key",
                    "A role with this key already exists",
                    json!({"param_name": "key"}),
                );
            }
            let mut perms = Vec::new();
            for p in b["permissions"].as_array().into_iter().flatten() {
                match s
                    .permissions
                    .values()
                    .find(|x| x["key"] == *p || x["id"] == *p)
                {
                    Some(x) => perms.push(x.clone()),
                    None => {
                        return invalid_param(
                            s,
                            "permissions",
                            &format!("permission {p} does not exist"),
                        );
                    }
                }
            }
            let id = new_id(s, "role");
            let ts = now(s);
            let r = json!({"object": "role", "id": id, "name": b["name"], "key": b["key"], "description": b.get("description").cloned().unwrap_or(Value::Null),
                "is_creator_eligible": true, "permissions": perms, "created_at": ts, "updated_at": ts});
            s.roles.insert(id, r.clone());
            ok(r)
        }
        (_, ["organization_roles", id, ..]) if !s.roles.contains_key(*id) => not_found(s),
        ("GET", ["organization_roles", id]) => ok(s.roles[*id].clone()),
        ("PATCH", ["organization_roles", id]) => {
            let r = s.roles.get_mut(*id).unwrap();
            for f in ["name", "key", "description"] {
                if let Some(v) = b.get(f) {
                    r[f] = v.clone();
                }
            }
            ok(r.clone())
        }
        ("DELETE", ["organization_roles", id]) => {
            s.roles.remove(*id);
            deleted("role", id)
        }
        (verb @ ("POST" | "DELETE"), ["organization_roles", id, "permissions", pid]) => {
            let Some(p) = s.permissions.get(*pid).cloned() else {
                return not_found(s);
            };
            let r = s.roles.get_mut(*id).unwrap();
            let perms = r["permissions"].as_array_mut().unwrap();
            let had = perms.iter().any(|x| x["id"] == p["id"]);
            if verb == "POST" {
                if had {
                    return clerk_error(
                        s,
                        409,
                        "duplicate_record",
                        "permission already assigned",
                        "This permission is already assigned to the role",
                        Value::Null,
                    );
                }
                perms.push(p);
            } else {
                if !had {
                    return not_found(s);
                }
                perms.retain(|x| x["id"] != p["id"]);
            }
            ok(r.clone())
        }
        ("GET", ["organization_permissions"]) => {
            let query = q.get("query").map(String::from);
            let items = sorted_newest_first(&s.permissions, |p| {
                query
                    .as_ref()
                    .is_none_or(|x| p["key"].as_str().unwrap_or("").contains(x.as_str()))
            });
            envelope(s, q, items)
        }
        ("POST", ["organization_permissions"]) => {
            for f in ["name", "key"] {
                if b[f].as_str().is_none() {
                    return missing_param(s, f);
                }
            }
            let key = b["key"].as_str().unwrap();
            if !key.starts_with("org:") || key.matches(':').count() != 2 {
                return clerk_error(
                    s,
                    422,
                    "form_param_format_invalid",
                    "is invalid",
                    "key must have the format org:<feature>:<permission>",
                    json!({"param_name": "key"}),
                );
            }
            let id = new_id(s, "perm");
            let ts = now(s);
            let p = json!({"object": "permission", "id": id, "name": b["name"], "key": key, "description": b.get("description").cloned().unwrap_or(Value::Null),
                "type": "user", "created_at": ts, "updated_at": ts});
            s.permissions.insert(id, p.clone());
            ok(p)
        }
        ("DELETE", ["organization_permissions", id]) => match s.permissions.remove(*id) {
            Some(_) => {
                for r in s.roles.values_mut() {
                    r["permissions"]
                        .as_array_mut()
                        .unwrap()
                        .retain(|x| x["id"] != json!(id));
                }
                deleted("permission", id)
            }
            None => not_found(s),
        },
        // ---- sessions
        ("GET", ["sessions"]) => {
            let (user, client) = (
                q.get("user_id").map(String::from),
                q.get("client_id").map(String::from),
            );
            if user.is_none() && client.is_none() {
                return clerk_error(
                    s,
                    422,
                    "form_param_missing",
                    "user_id or client_id must be included",
                    "Either user_id or client_id must be provided",
                    json!({"param_name": "user_id"}),
                );
            }
            let status = q.get("status").map(String::from);
            let items = sorted_newest_first(&s.sessions, |x| {
                user.as_ref().is_none_or(|u| x["user_id"] == json!(u))
                    && client.as_ref().is_none_or(|c| x["client_id"] == json!(c))
                    && status.as_ref().is_none_or(|st| x["status"] == json!(st))
            });
            legacy_list(s, q, items)
        }
        ("GET", ["sessions", id]) => match s.sessions.get(*id) {
            Some(x) => ok(x.clone()),
            None => not_found(s),
        },
        ("POST", ["sessions", id, "revoke"]) => match s.sessions.get_mut(*id) {
            Some(x) => {
                x["status"] = json!("revoked");
                ok(x.clone())
            }
            None => not_found(s),
        },
        // ---- allow / block lists
        ("GET", ["allowlist_identifiers"]) => {
            let items = sorted_newest_first(&s.allowlist, |_| true);
            legacy_list(s, q, items)
        }
        ("GET", ["blocklist_identifiers"]) => {
            let items = sorted_newest_first(&s.blocklist, |_| true);
            let n = items.len();
            ok(json!({"data": items, "total_count": n}))
        }
        ("POST", [list @ ("allowlist_identifiers" | "blocklist_identifiers")]) => {
            let Some(ident) = b["identifier"].as_str() else {
                return missing_param(s, "identifier");
            };
            let (prefix, object) = if *list == "allowlist_identifiers" {
                ("alid", "allowlist_identifier")
            } else {
                ("blid", "blocklist_identifier")
            };
            let kind = if ident.contains('@') {
                "email_address"
            } else if ident.starts_with('+') {
                "phone_number"
            } else {
                "domain"
            };
            let id = new_id(s, prefix);
            let ts = now(s);
            let v = json!({"object": object, "id": id, "identifier": ident, "identifier_type": kind, "created_at": ts, "updated_at": ts});
            if *list == "allowlist_identifiers" {
                s.allowlist.insert(id, v.clone())
            } else {
                s.blocklist.insert(id, v.clone())
            };
            ok(v)
        }
        (
            "DELETE",
            [
                list @ ("allowlist_identifiers" | "blocklist_identifiers"),
                id,
            ],
        ) => {
            let (map, object) = if *list == "allowlist_identifiers" {
                (&mut s.allowlist, "allowlist_identifier")
            } else {
                (&mut s.blocklist, "blocklist_identifier")
            };
            match map.remove(*id) {
                Some(_) => deleted(object, id),
                None => not_found(s),
            }
        }
        _ => not_found(s),
    }
}

fn filter_users(s: &Store, q: &Query) -> Vec<Value> {
    let emails = q.all("email_address");
    let ids = q.all("user_id");
    let orgs = q.all("organization_id");
    let query = q.get("query").map(str::to_lowercase);
    let mut users = sorted_newest_first(&s.users, |u| {
        (emails.is_empty() || user_emails(u).iter().any(|e| emails.contains(&e.as_str())))
            && (ids.is_empty() || ids.contains(&u["id"].as_str().unwrap_or("")))
            && (orgs.is_empty()
                || s.memberships
                    .keys()
                    .any(|(o, uid)| orgs.contains(&o.as_str()) && u["id"] == json!(uid)))
            && (q.get("banned").is_none() || u["banned"] == json!(q.flag("banned")))
            && query.as_ref().is_none_or(|x| {
                let hay = format!(
                    "{} {} {} {} {}",
                    u["first_name"].as_str().unwrap_or(""),
                    u["last_name"].as_str().unwrap_or(""),
                    u["username"].as_str().unwrap_or(""),
                    user_emails(u).join(" "),
                    u["id"].as_str().unwrap_or("")
                )
                .to_lowercase();
                hay.contains(x)
            })
    });
    if q.get("order_by") == Some("+created_at") {
        users.reverse();
    }
    users
}

fn with_members_count(s: &Store, mut o: Value, include: bool) -> Value {
    if include {
        let n = s
            .memberships
            .keys()
            .filter(|(org, _)| o["id"] == json!(org))
            .count();
        o["members_count"] = json!(n);
    }
    o
}

fn membership_json(s: &mut Store, org: &Value, user: &Value, role: &str, b: &Value) -> Value {
    let id = new_id(s, "orgmem");
    let ts = now(s);
    let perms: Vec<Value> = s
        .roles
        .values()
        .find(|r| r["key"] == json!(role))
        .map(|r| {
            r["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["key"].clone())
                .collect()
        })
        .unwrap_or_default();
    let mut org_summary = org.clone();
    org_summary.as_object_mut().unwrap().remove("members_count");
    json!({"object": "organization_membership", "id": id, "role": role, "role_name": role.trim_start_matches("org:"),
        "permissions": perms, "public_metadata": b.get("public_metadata").cloned().unwrap_or(json!({})),
        "private_metadata": b.get("private_metadata").cloned().unwrap_or(json!({})),
        "organization": org_summary,
        "public_user_data": {"user_id": user["id"], "first_name": user["first_name"], "last_name": user["last_name"],
            "image_url": user["image_url"], "has_image": false, "identifier": user_emails(user).first().cloned().unwrap_or_default(), "username": user["username"]},
        "created_at": ts, "updated_at": ts})
}

fn org_route(
    s: &mut Store,
    m: &str,
    org_id: &str,
    rest: &[&str],
    q: &Query,
    b: &Value,
) -> Response {
    match (m, rest) {
        ("GET", []) => {
            let o = s.orgs[org_id].clone();
            ok(with_members_count(s, o, q.flag("include_members_count")))
        }
        ("PATCH", []) => {
            if let Some(slug) = b["slug"].as_str()
                && s.orgs
                    .values()
                    .any(|o| o["slug"] == json!(slug) && o["id"] != json!(org_id))
            {
                return clerk_error(
                    s,
                    422,
                    "form_identifier_exists",
                    "That slug is taken. Please try another.",
                    "That slug is taken. Please try another.",
                    json!({"param_name": "slug"}),
                );
            }
            let ts = now(s);
            let o = s.orgs.get_mut(org_id).unwrap();
            for f in [
                "name",
                "slug",
                "max_allowed_memberships",
                "admin_delete_enabled",
            ] {
                if let Some(v) = b.get(f) {
                    o[f] = v.clone();
                }
            }
            o["updated_at"] = json!(ts);
            ok(o.clone())
        }
        ("DELETE", []) => {
            s.orgs.remove(org_id);
            s.memberships.retain(|(o, _), _| o != org_id);
            deleted("organization", org_id)
        }
        ("PATCH", ["metadata"]) => {
            let o = s.orgs.get_mut(org_id).unwrap();
            for k in ["public_metadata", "private_metadata"] {
                if let Some(p) = b.get(k) {
                    deep_merge(&mut o[k], p);
                }
            }
            ok(o.clone())
        }
        ("GET", ["memberships"]) => {
            let roles = q.all("role");
            let users = q.all("user_id");
            let mut items: Vec<Value> = s
                .memberships
                .iter()
                .filter(|((o, u), v)| {
                    o == org_id
                        && (roles.is_empty() || roles.contains(&v["role"].as_str().unwrap_or("")))
                        && (users.is_empty() || users.contains(&u.as_str()))
                })
                .map(|(_, v)| v.clone())
                .collect();
            items.sort_by_key(|v| v["created_at"].as_u64());
            envelope(s, q, items)
        }
        ("POST", ["memberships"]) => {
            let Some(uid) = b["user_id"].as_str() else {
                return missing_param(s, "user_id");
            };
            let Some(role) = b["role"].as_str() else {
                return missing_param(s, "role");
            };
            let Some(user) = s.users.get(uid).cloned() else {
                return not_found(s);
            };
            if s.memberships
                .contains_key(&(org_id.to_string(), uid.to_string()))
            {
                return clerk_error(
                    s,
                    422,
                    "already_a_member_in_organization",
                    "already a member",
                    &format!("User {uid} is already a member of the organization."),
                    Value::Null,
                );
            }
            let org = s.orgs[org_id].clone();
            let mem = membership_json(s, &org, &user, role, b);
            s.memberships
                .insert((org_id.to_string(), uid.to_string()), mem.clone());
            ok(mem)
        }
        (_, ["memberships", uid, more @ ..]) => {
            let key = (org_id.to_string(), uid.to_string());
            if !s.memberships.contains_key(&key) {
                return not_found(s);
            }
            match (m, more) {
                ("PATCH", []) => {
                    let Some(role) = b["role"].as_str() else {
                        return missing_param(s, "role");
                    };
                    let mem = s.memberships.get_mut(&key).unwrap();
                    mem["role"] = json!(role);
                    mem["role_name"] = json!(role.trim_start_matches("org:"));
                    ok(mem.clone())
                }
                ("PATCH", ["metadata"]) => {
                    let mem = s.memberships.get_mut(&key).unwrap();
                    for k in ["public_metadata", "private_metadata"] {
                        if let Some(p) = b.get(k) {
                            deep_merge(&mut mem[k], p);
                        }
                    }
                    ok(mem.clone())
                }
                ("DELETE", []) => ok(s.memberships.remove(&key).unwrap()),
                _ => not_found(s),
            }
        }
        ("GET", ["invitations"]) => {
            let status = q.get("status").map(String::from);
            let items = sorted_newest_first(&s.org_invitations, |i| {
                i["organization_id"] == json!(org_id)
                    && status.as_ref().is_none_or(|st| i["status"] == json!(st))
            });
            envelope(s, q, items)
        }
        ("POST", ["invitations"]) => org_invite(s, org_id, b),
        ("POST", ["invitations", "bulk"]) => {
            let Some(items) = b.as_array() else {
                return invalid_param(s, "body", "the body must be an array of invitations");
            };
            let mut out = Vec::new();
            for item in items {
                let r = org_invite_value(s, org_id, item);
                match r {
                    Ok(v) => out.push(v),
                    Err(resp) => return resp,
                }
            }
            let n = out.len();
            ok(json!({"data": out, "total_count": n}))
        }
        ("POST", ["invitations", inv, "revoke"]) => match s
            .org_invitations
            .get_mut(*inv)
            .filter(|i| i["organization_id"] == json!(org_id))
        {
            Some(i) => {
                i["status"] = json!("revoked");
                ok(i.clone())
            }
            None => not_found(s),
        },
        ("GET", ["domains"]) => {
            let items = sorted_newest_first(&s.domains, |d| d["organization_id"] == json!(org_id));
            envelope(s, q, items)
        }
        ("POST", ["domains"]) => {
            let Some(name) = b["name"].as_str() else {
                return missing_param(s, "name");
            };
            let id = new_id(s, "orgdmn");
            let ts = now(s);
            let d = json!({"object": "organization_domain", "id": id, "organization_id": org_id, "name": name,
                "enrollment_mode": b.get("enrollment_mode").cloned().unwrap_or(json!("manual_invitation")),
                "affiliation_email_address": null, "verification": if b["verified"] == json!(true) { json!({"status": "verified", "strategy": "admin"}) } else { Value::Null },
                "total_pending_invitations": 0, "total_pending_suggestions": 0, "created_at": ts, "updated_at": ts});
            s.domains.insert(id, d.clone());
            ok(d)
        }
        (verb @ ("PATCH" | "DELETE"), ["domains", did]) => {
            if s.domains
                .get(*did)
                .is_none_or(|d| d["organization_id"] != json!(org_id))
            {
                return not_found(s);
            }
            if verb == "DELETE" {
                s.domains.remove(*did);
                return deleted("organization_domain", did);
            }
            let d = s.domains.get_mut(*did).unwrap();
            if let Some(v) = b.get("enrollment_mode") {
                d["enrollment_mode"] = v.clone();
            }
            if let Some(v) = b.get("verified") {
                d["verification"] = if *v == json!(true) {
                    json!({"status": "verified", "strategy": "admin"})
                } else {
                    Value::Null
                };
            }
            ok(d.clone())
        }
        _ => not_found(s),
    }
}

fn org_invite_value(s: &mut Store, org_id: &str, b: &Value) -> Result<Value, Response> {
    let Some(email) = b["email_address"].as_str() else {
        return Err(missing_param(s, "email_address"));
    };
    let Some(role) = b["role"].as_str() else {
        return Err(missing_param(s, "role"));
    };
    let id = new_id(s, "orginv");
    let ts = now(s);
    let i = json!({"object": "organization_invitation", "id": id, "email_address": email, "role": role, "role_name": role.trim_start_matches("org:"),
        "organization_id": org_id, "status": "pending", "public_metadata": b.get("public_metadata").cloned().unwrap_or(json!({})),
        "private_metadata": b.get("private_metadata").cloned().unwrap_or(json!({})), "url": null, "expires_at": null, "created_at": ts, "updated_at": ts});
    s.org_invitations.insert(id, i.clone());
    Ok(i)
}

fn org_invite(s: &mut Store, org_id: &str, b: &Value) -> Response {
    match org_invite_value(s, org_id, b) {
        Ok(v) => ok(v),
        Err(r) => r,
    }
}
