//! Organization domains (`/organizations/{id}/domains…`): list, add, update, remove.

use super::{
    OrgReq, Store, deleted, envelope, missing_param, new_id, not_found, now, ok,
    sorted_newest_first,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn org_route(s: &mut Store, r: OrgReq) -> Response {
    let (m, org_id, rest, q, b) = (r.m, r.org_id, r.rest, r.q, r.b);
    match (m, rest) {
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
                "affiliation_email_address": null, "verification": verification(&b["verified"]),
                "affiliation_verification": verification(&b["verified"]), "ownership_verification": null,
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
                // `verification` is Clerk's deprecated alias of `affiliation_verification`.
                d["verification"] = verification(v);
                d["affiliation_verification"] = verification(v);
            }
            ok(d.clone())
        }
        _ => not_found(s),
    }
}

fn verification(verified: &Value) -> Value {
    if *verified == json!(true) {
        json!({"status": "verified", "strategy": "admin", "attempts": null, "expire_at": null, "verified_at": null})
    } else {
        Value::Null
    }
}
