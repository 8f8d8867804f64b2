//! Sessions (`/sessions…`): list by user or client, get, revoke.

use super::{Query, Store, form_error, legacy_list, not_found, ok, sorted_newest_first};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, _b: &Value) -> Response {
    match (m, segs) {
        ("GET", ["sessions"]) => {
            let (user, client) = (
                q.get("user_id").map(String::from),
                q.get("client_id").map(String::from),
            );
            if user.is_none() && client.is_none() {
                return form_error(
                    s,
                    "form_param_missing",
                    "user_id or client_id must be included",
                    "Either user_id or client_id must be provided",
                    "user_id",
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
        _ => not_found(s),
    }
}
