//! Clerk as an OAuth authorization server, the part a resource server calls: verifying opaque
//! access tokens (`POST /oauth_applications/access_tokens/verify`), answered as Clerk's spec and
//! `IdPOAuthAccessToken` say, with 404 for a token Clerk does not know.

use super::{FakeClerk, Store, not_found, ok};
use axum::response::Response;
use serde_json::{Value, json};

pub(super) fn route(s: &mut Store, m: &str, segs: &[&str], b: &Value) -> Response {
    match (m, segs) {
        ("POST", ["oauth_applications", "access_tokens", "verify"]) => {
            let token = b["access_token"].as_str().unwrap_or_default();
            match s.oauth_tokens.get(token) {
                Some(t) => ok(t.clone()),
                None => not_found(s),
            }
        }
        _ => not_found(s),
    }
}

impl FakeClerk {
    /// An opaque access token `token` for user `subject` with `scopes`; `revoked`/`expired` as Clerk
    /// reports them.
    pub fn seed_oauth_token(
        &self,
        token: &str,
        subject: &str,
        scopes: &[&str],
        revoked: bool,
        expired: bool,
    ) {
        let mut g = self.shared.lock().unwrap();
        let id = super::new_id(&mut g.store, "oat");
        let now = super::now(&mut g.store);
        // Expiry is checked against the real clock, so it is set from it.
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let expiration = if expired {
            wall - 60_000
        } else {
            wall + 3_600_000
        };
        g.store.oauth_tokens.insert(
            token.to_string(),
            json!({"object": "clerk_idp_oauth_access_token", "id": id, "client_id": "client_fakeoauthapp",
                "type": "oauth_token", "subject": subject, "scopes": scopes, "revoked": revoked,
                "revocation_reason": if revoked { json!("revoked by test") } else { Value::Null },
                "expired": expired, "expiration": expiration, "created_at": now, "updated_at": now}),
        );
    }

    /// A membership of `user_id` with `role` in a new organization `org_id`'s place: creates both
    /// directly in the store.
    pub fn seed_membership(&self, org_name: &str, user_id: &str, role: &str) -> String {
        let mut g = self.shared.lock().unwrap();
        let s = &mut g.store;
        let org_id = match s.orgs.values().find(|o| o["name"] == json!(org_name)) {
            Some(o) => o["id"].as_str().unwrap().to_string(),
            None => {
                let id = super::new_id(s, "org");
                let ts = super::now(s);
                let slug = org_name.to_lowercase().replace(' ', "-");
                s.orgs.insert(
                    id.clone(),
                    json!({"object": "organization", "id": id, "name": org_name, "slug": slug,
                        "public_metadata": {}, "private_metadata": {}, "max_allowed_memberships": 5,
                        "admin_delete_enabled": true, "has_image": false, "created_at": ts, "updated_at": ts}),
                );
                id
            }
        };
        let org = s.orgs[&org_id].clone();
        let mid = super::new_id(s, "orgmem");
        let ts = super::now(s);
        s.memberships.insert(
            (org_id.clone(), user_id.to_string()),
            json!({"object": "organization_membership", "id": mid, "role": role, "permissions": [],
                "public_metadata": {}, "private_metadata": {}, "organization": org,
                "public_user_data": {"user_id": user_id, "first_name": null, "last_name": null,
                    "image_url": "", "has_image": false, "identifier": format!("{user_id}@example.com")},
                "created_at": ts, "updated_at": ts}),
        );
        org_id
    }
}
