//! Organization memberships (`/organizations/{id}/memberships…`): list, add, change role, metadata,
//! remove.

use super::users::user_emails;
use super::{
    OrgReq, Store, clerk_error, deep_merge, envelope, missing_param, new_id, not_found, now, ok,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn org_route(s: &mut Store, r: OrgReq) -> Response {
    let (m, org_id, rest, q, b) = (r.m, r.org_id, r.rest, r.q, r.b);
    match (m, rest) {
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
        _ => not_found(s),
    }
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
