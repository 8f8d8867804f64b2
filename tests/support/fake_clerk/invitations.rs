//! Invitations: an organization's (`/organizations/{id}/invitations…`: list, create, bulk, revoke)
//! and the instance's (`/invitations…`: list, create, revoke).

use super::{
    OrgReq, Query, Store, envelope, form_error, invalid_param, legacy_list, missing_param, new_id,
    not_found, now, ok, sorted_newest_first,
};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], q: &Query, b: &Value) -> Response {
    match (m, segs) {
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
                return form_error(
                    s,
                    "form_param_format_invalid",
                    "is invalid",
                    "email_address must be a valid email address.",
                    "email_address",
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
        _ => not_found(s),
    }
}

pub(super) fn org_route(s: &mut Store, r: OrgReq) -> Response {
    let (m, org_id, rest, q, b) = (r.m, r.org_id, r.rest, r.q, r.b);
    match (m, rest) {
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
        "private_metadata": b.get("private_metadata").cloned().unwrap_or(json!({})),
        "url": format!("https://accounts.example.com/v1/tickets/accept?ticket={id}"), "expires_at": null, "created_at": ts, "updated_at": ts});
    s.org_invitations.insert(id, i.clone());
    Ok(i)
}

fn org_invite(s: &mut Store, org_id: &str, b: &Value) -> Response {
    match org_invite_value(s, org_id, b) {
        Ok(v) => ok(v),
        Err(r) => r,
    }
}
