//! Organizations (`/organizations…`): list, create, and lookup by id or slug; under one
//! organization it answers get, update, delete and metadata itself and hands memberships,
//! invitations and domains to their own modules.

use super::{
    OrgReq, Query, Store, deep_merge, deleted, domains, envelope, form_error, invitations, members,
    missing_param, new_id, not_found, now, ok, sorted_newest_first,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, b: &Value) -> Response {
    match (m, segs) {
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
                return form_error(
                    s,
                    "form_identifier_exists",
                    "That slug is taken. Please try another.",
                    "That slug is taken. Please try another.",
                    "slug",
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
                Some(id) => org_route(
                    s,
                    OrgReq {
                        m,
                        org_id: &id,
                        rest,
                        q,
                        b,
                    },
                ),
                None => not_found(s),
            }
        }
        _ => not_found(s),
    }
}

fn org_route(s: &mut Store, r: OrgReq) -> Response {
    let (m, org_id, rest, q, b) = (r.m, r.org_id, r.rest, r.q, r.b);
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
                return form_error(
                    s,
                    "form_identifier_exists",
                    "That slug is taken. Please try another.",
                    "That slug is taken. Please try another.",
                    "slug",
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
        (_, ["memberships", ..]) => members::org_route(s, r),
        (_, ["invitations", ..]) => invitations::org_route(s, r),
        (_, ["domains", ..]) => domains::org_route(s, r),
        _ => not_found(s),
    }
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
