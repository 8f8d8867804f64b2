//! Users (`/users…`): list, count, create, get, update, delete, ban/lock, metadata, and one user's
//! organization memberships; also how a user object is built, which seeding and memberships reuse.

use super::{
    Query, Store, deep_merge, deleted, envelope, form_error, new_id, not_found, now, ok, page,
    sorted_newest_first,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, b: &Value) -> Response {
    match (m, segs) {
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
                    return form_error(
                        s,
                        "form_identifier_exists",
                        "That email address is taken. Please try another.",
                        "That email address is taken. Please try another.",
                        "email_address",
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

pub(super) fn new_user(store: &mut Store, b: &Value) -> Value {
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

pub(super) fn user_emails(u: &Value) -> Vec<String> {
    u["email_addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["email_address"].as_str())
        .map(String::from)
        .collect()
}
