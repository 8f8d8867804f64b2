//! The sign-up allowlist and blocklist (`/allowlist_identifiers…`, `/blocklist_identifiers…`):
//! list, add, remove.

use super::{
    Query, Store, deleted, legacy_list, missing_param, new_id, not_found, now, ok,
    sorted_newest_first,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, b: &Value) -> Response {
    match (m, segs) {
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
