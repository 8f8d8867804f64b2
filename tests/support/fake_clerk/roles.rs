//! Organization roles and permissions (`/organization_roles…`, `/organization_permissions…`): list,
//! get, create, update, delete, and assigning permissions to roles.

use super::{
    Query, Store, clerk_error, deleted, envelope, form_error, invalid_param, missing_param, new_id,
    not_found, now, ok, sorted_newest_first,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, b: &Value) -> Response {
    match (m, segs) {
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
                return form_error(
                    s,
                    "duplicate_record",
                    "duplicate key",
                    "A role with this key already exists",
                    "key",
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
                return form_error(
                    s,
                    "form_param_format_invalid",
                    "is invalid",
                    "key must have the format org:<feature>:<permission>",
                    "key",
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
        _ => not_found(s),
    }
}
