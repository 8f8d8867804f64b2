//! A fake Clerk Backend API on 127.0.0.1:0 that behaves the way Clerk documents it: Clerk's error
//! shape (`{errors:[{message,long_message,code,meta}], clerk_trace_id}`), `limit`/`offset`/`total_count`
//! pagination, the `paginated=true` envelope of older list endpoints, lookup by id or slug, metadata
//! deep-merge with null deletion, and 404 `resource_not_found` for anything unknown.
//!
//! Tests can read every request it received (raw path and query, headers, body) and queue faults
//! (status, headers, body, delay) for the next matching requests.
//!
//! This module holds the server, the store, the helpers every resource shares and the dispatch on
//! the first path segment; each resource's routes live in the submodule named after its toolset in
//! `src/tools/curated/`.
// Handlers return ready responses as their error value; boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod domains;
mod invitations;
mod members;
mod oauth;
mod organizations;
mod restrictions;
mod roles;
pub mod seed;
mod sessions;
mod users;

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
    /// Opaque OAuth access token → Clerk's verify answer.
    oauth_tokens: BTreeMap<String, Value>,
}

#[derive(Default)]
struct Shared {
    keys: Vec<String>,
    store: Store,
    seen: Vec<Seen>,
    faults: VecDeque<Fault>,
    /// Clerk's rate limit, when set: at most `.0` requests in any `.1`, as Clerk applies per
    /// instance; past it a 429 with `Retry-After`, counted in `throttled`.
    rate_limit: Option<(usize, Duration)>,
    recent: VecDeque<std::time::Instant>,
    throttled: usize,
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
    /// Answers 429 past `limit` requests in any `window` (a sliding window, as Clerk documents).
    pub fn set_rate_limit(&self, limit: usize, window: Duration) {
        self.shared.lock().unwrap().rate_limit = Some((limit, window));
    }

    /// 429s sent because of [`FakeClerk::set_rate_limit`].
    pub fn throttled(&self) -> usize {
        self.shared.lock().unwrap().throttled
    }

    pub fn push_fault(&self, f: Fault) {
        self.shared.lock().unwrap().faults.push_back(f);
    }

    /// Creates a user directly in the store (no request logged); returns its id.
    pub fn seed_user(&self, first: &str, last: &str, email: &str) -> String {
        let mut g = self.shared.lock().unwrap();
        let body = json!({"first_name": first, "last_name": last, "email_address": [email]});
        let u = users::new_user(&mut g.store, &body);
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

/// A 422 about one form parameter, as Clerk sends them.
fn form_error(store: &mut Store, code: &str, message: &str, long: &str, param: &str) -> Response {
    clerk_error(
        store,
        422,
        code,
        message,
        long,
        json!({"param_name": param}),
    )
}

fn missing_param(store: &mut Store, name: &str) -> Response {
    let m = format!("{name} must be included");
    form_error(store, "form_param_missing", &m, &m, name)
}

fn invalid_param(store: &mut Store, name: &str, why: &str) -> Response {
    let m = format!("{name} is invalid");
    form_error(store, "form_param_value_invalid", &m, why, name)
}

/// One request under `/organizations/{id}/`, for the resource modules' `org_route`.
#[derive(Clone, Copy)]
struct OrgReq<'a> {
    m: &'a str,
    org_id: &'a str,
    rest: &'a [&'a str],
    q: &'a Query,
    b: &'a Value,
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
    {
        let mut g = shared.lock().unwrap();
        if let Some((limit, window)) = g.rate_limit {
            let now = std::time::Instant::now();
            while g
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window)
            {
                g.recent.pop_front();
            }
            if g.recent.len() >= limit {
                g.throttled += 1;
                let wait = window - now.duration_since(g.recent[0]);
                let mut resp = clerk_error(
                    &mut g.store,
                    429,
                    "too_many_requests",
                    "Too Many Requests",
                    "Rate limit exceeded",
                    Value::Null,
                );
                resp.headers_mut().insert(
                    "retry-after",
                    (wait.as_secs() + 1).to_string().parse().unwrap(),
                );
                return resp;
            }
            g.recent.push_back(now);
        }
    }
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
        (_, ["users", ..]) => users::route(s, m, segs, q, b),
        (_, ["organizations", ..]) => organizations::route(s, m, segs, q, b),
        (_, ["invitations", ..]) => invitations::route(s, m, segs, q, b),
        (_, ["organization_roles" | "organization_permissions", ..]) => {
            roles::route(s, m, segs, q, b)
        }
        (_, ["sessions", ..]) => sessions::route(s, m, segs, q, b),
        (_, ["oauth_applications", ..]) => oauth::route(s, m, segs, b),
        (_, ["allowlist_identifiers" | "blocklist_identifiers", ..]) => {
            restrictions::route(s, m, segs, q, b)
        }
        _ => not_found(s),
    }
}
