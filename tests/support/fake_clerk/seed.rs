//! A fake instance filled like a production one, for the result-size tests and the task benchmark:
//! users as Clerk's spec shapes them (every `User` field, one or two email addresses with their
//! verifications, some with a phone number or a Google account, metadata, activity times, their
//! organization memberships), organizations with 5–50 members, roles with permissions, pending
//! invitations and active sessions. Deterministic, with ids of Clerk's length.

use super::{FakeClerk, Store, new_id, now};
use serde_json::{Value, json};

/// What was seeded, for tasks to refer to.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// User ids, oldest first.
    pub users: Vec<String>,
    /// (id, slug) of each organization.
    pub orgs: Vec<(String, String)>,
    /// Role keys.
    pub roles: Vec<String>,
}

const FIRST: [&str; 16] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Tim",
    "Frances", "John", "Sophie", "Linus", "Hedy", "Claude",
];
const LAST: [&str; 16] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Allen",
    "McCarthy",
    "Wilson",
    "Torvalds",
    "Lamarr",
    "Shannon",
];
const ORGS: [&str; 8] = [
    "Acme Inc",
    "Globex",
    "Initech",
    "Umbrella Research",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Imports",
];

fn verification(strategy: &str, ts: u64) -> Value {
    json!({"object": "verification_otp", "status": "verified", "strategy": strategy, "attempts": 1,
        "expire_at": ts + 600_000, "verified_at_client": "client_verified"})
}

fn email(s: &mut Store, address: &str, linked: Option<&str>, ts: u64) -> Value {
    let id = new_id(s, "idn");
    let linked_to: Vec<Value> = linked
        .map(|l| json!({"type": "oauth_google", "id": l}))
        .into_iter()
        .collect();
    json!({"id": id, "object": "email_address", "email_address": address, "reserved": false,
        "verification": verification("email_code", ts), "linked_to": linked_to, "matches_sso_connection": false,
        "created_at": ts, "updated_at": ts})
}

/// A user as Clerk returns it, with every field of the spec's `User`.
fn user(s: &mut Store, i: usize) -> Value {
    let id = new_id(s, "user");
    let ts = now(s) - 86_400_000 * (400 - (i as u64 % 400));
    let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
    let addr = format!(
        "{}.{}{}@example.com",
        first.to_lowercase(),
        last.to_lowercase(),
        i
    );
    let google = i.is_multiple_of(3).then(|| new_id(s, "idn"));
    let mut emails = vec![email(s, &addr, google.as_deref(), ts)];
    if i % 4 == 1 {
        emails.push(email(
            s,
            &format!("{}{}@work.example.org", first.to_lowercase(), i),
            None,
            ts,
        ));
    }
    let phones: Vec<Value> = if i % 5 == 2 {
        let pid = new_id(s, "idn");
        vec![
            json!({"id": pid, "object": "phone_number", "phone_number": format!("+1555{:07}", i),
            "reserved_for_second_factor": false, "default_second_factor": false, "reserved": false,
            "verification": verification("phone_code", ts), "linked_to": [], "backup_codes": null,
            "created_at": ts, "updated_at": ts}),
        ]
    } else {
        Vec::new()
    };
    let externals: Vec<Value> = google
        .iter()
        .map(|gid| {
            json!({"object": "google_account", "id": new_id(s, "eac"), "provider": "oauth_google",
                "identification_id": gid, "provider_user_id": format!("10{:019}", i), "approved_scopes":
                "email https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid profile",
                "email_address": addr, "first_name": first, "last_name": last,
                "avatar_url": "https://lh3.googleusercontent.com/a/ACg8ocJ_fake=s96-c",
                "image_url": "https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2xoMy5nb29nbGV1c2VyY29udGVudC5jb20vYS9mYWtlIn0",
                "username": null, "phone_number": null, "public_metadata": {}, "label": null,
                "created_at": ts, "updated_at": ts,
                "verification": {"object": "verification_oauth", "status": "verified", "strategy": "oauth_google",
                    "attempts": null, "expire_at": ts + 600_000, "external_verification_redirect_url": null}})
        })
        .collect();
    let primary_email = emails[0]["id"].clone();
    let primary_phone = phones.first().map_or(Value::Null, |p| p["id"].clone());
    let active = ts + 86_400_000 * (i as u64 % 30);
    let plan = ["free", "pro", "team"][i % 3];
    let external_id = i.is_multiple_of(2).then(|| format!("crm-{:06}", 1000 + i));
    let username = (i % 3 == 1).then(|| format!("{}{}", first.to_lowercase(), i));
    let onboarded = i % 4 != 3;
    let (mfa, password) = (i.is_multiple_of(7), !i.is_multiple_of(3));
    let mut u = json!({
        "id": id, "object": "user", "external_id": external_id,
        "primary_email_address_id": primary_email, "primary_phone_number_id": primary_phone,
        "primary_web3_wallet_id": null, "username": username,
        "first_name": first, "last_name": last,
        "profile_image_url": "https://www.gravatar.com/avatar?d=mp",
        "image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18yYWJjIiwicmlkIjoidXNlcl8yYWJjIn0",
        "has_image": false, "public_metadata": {"plan": plan, "onboarded": onboarded},
        "private_metadata": {"stripe_customer": format!("cus_{:014}", i)},
        "unsafe_metadata": {"theme": "dark"},
        "email_addresses": emails, "phone_numbers": phones, "web3_wallets": [], "passkeys": [],
        "password_enabled": password, "two_factor_enabled": mfa, "totp_enabled": mfa,
        "backup_code_enabled": mfa, "mfa_enabled_at": null, "mfa_disabled_at": null,
        "password_last_updated_at": null, "external_accounts": externals, "saml_accounts": [],
        "enterprise_accounts": [], "organization_memberships": [],
        "last_sign_in_at": active, "banned": false, "locked": false, "lockout_expires_in_seconds": null,
        "verification_attempts_remaining": 100, "created_at": ts, "updated_at": active,
        "delete_self_enabled": true, "create_organization_enabled": true, "create_organizations_limit": null,
    });
    // Split in two: one json! literal this size exceeds the macro recursion limit.
    let more = json!({"last_active_at": active, "legal_accepted_at": null, "locale": null,
        "bypass_client_trust": false});
    u.as_object_mut()
        .unwrap()
        .extend(more.as_object().unwrap().clone());
    u
}

impl FakeClerk {
    /// Seeds `users` users and `orgs` organizations (5–50 members each), the default roles and
    /// their permissions, a few pending invitations per organization, and a session per user.
    pub fn seed_instance(&self, users: usize, orgs: usize) -> Seeded {
        let mut g = self.shared.lock().unwrap();
        let s = &mut g.store;
        let perm_keys = [
            "org:sys_profile:manage",
            "org:sys_profile:delete",
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_domains:read",
            "org:sys_domains:manage",
            "org:billing:manage",
        ];
        let mut perms = Vec::new();
        for k in perm_keys {
            let id = new_id(s, "perm");
            let ts = now(s);
            let p = json!({"object": "permission", "id": id, "key": k, "name": k.rsplit(':').next().unwrap(),
                "description": format!("Permission to {}", k.replace(':', " ")), "type": if k.contains("sys_") { "system" } else { "user" },
                "created_at": ts, "updated_at": ts});
            s.permissions.insert(id, p.clone());
            perms.push(p);
        }
        let mut roles = Vec::new();
        for (key, n) in [("org:admin", 7), ("org:member", 1), ("org:billing", 3)] {
            let id = new_id(s, "role");
            let ts = now(s);
            let r = json!({"object": "role", "id": id, "key": key, "name": key.trim_start_matches("org:"),
                "description": format!("The {} role", key.trim_start_matches("org:")), "is_creator_eligible": key == "org:admin",
                "permissions": perms.iter().take(n).cloned().collect::<Vec<_>>(), "created_at": ts, "updated_at": ts});
            s.roles.insert(id, r);
            roles.push(key.to_string());
        }
        let mut user_ids = Vec::new();
        for i in 0..users {
            let u = user(s, i);
            let id = u["id"].as_str().unwrap().to_string();
            s.users.insert(id.clone(), u);
            user_ids.push(id);
        }
        let mut org_ids = Vec::new();
        for o in 0..orgs {
            let name = if o < ORGS.len() {
                ORGS[o].to_string()
            } else {
                format!("{} {}", ORGS[o % ORGS.len()], o / ORGS.len() + 1)
            };
            let slug = name.to_lowercase().replace(' ', "-");
            let id = new_id(s, "org");
            let ts = now(s);
            let creator = user_ids[o % user_ids.len().max(1)].clone();
            let tier = ["startup", "enterprise"][o % 2];
            let org = json!({"object": "organization", "id": id, "name": name, "slug": slug,
                "image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18yYWJjIiwicmlkIjoib3JnXzJhYmMifQ",
                "has_image": false, "max_allowed_memberships": 100, "admin_delete_enabled": true,
                "public_metadata": {"tier": tier}, "private_metadata": {"crm_id": format!("acct-{o}")},
                "created_by": creator, "created_at": ts, "updated_at": ts});
            s.orgs.insert(id.clone(), org.clone());
            let members = 5 + (o * 13) % 46;
            for k in 0..members.min(user_ids.len()) {
                let uid = user_ids[(o * 7 + k) % user_ids.len()].clone();
                if s.memberships.contains_key(&(id.clone(), uid.clone())) {
                    continue;
                }
                let role = if k == 0 {
                    "org:admin"
                } else if k % 9 == 4 {
                    "org:billing"
                } else {
                    "org:member"
                };
                let user = s.users[&uid].clone();
                let mid = new_id(s, "orgmem");
                let mts = now(s);
                let permissions: Vec<Value> = perms
                    .iter()
                    .take(if role == "org:admin" { 7 } else { 1 })
                    .map(|p| p["key"].clone())
                    .collect();
                let m = json!({"object": "organization_membership", "id": mid, "role": role,
                    "role_name": role.trim_start_matches("org:"), "permissions": permissions,
                    "public_metadata": {}, "private_metadata": {}, "organization": org,
                    "public_user_data": {"user_id": uid, "first_name": user["first_name"], "last_name": user["last_name"],
                        "profile_image_url": user["profile_image_url"], "image_url": user["image_url"], "has_image": false,
                        "identifier": user["email_addresses"][0]["email_address"], "username": user["username"]},
                    "created_at": mts, "updated_at": mts});
                s.users.get_mut(&uid).unwrap()["organization_memberships"]
                    .as_array_mut()
                    .unwrap()
                    .push(m.clone());
                s.memberships.insert((id.clone(), uid), m);
            }
            for k in 0..3 {
                let iid = new_id(s, "orginv");
                let its = now(s);
                let inv = json!({"object": "organization_invitation", "id": iid,
                    "email_address": format!("invitee{k}@{slug}.example.com"), "role": "org:member", "role_name": "member",
                    "organization_id": id, "inviter_id": creator, "public_inviter_data": {"user_id": creator,
                        "first_name": "Ada", "last_name": "Lovelace", "image_url": "https://img.clerk.com/x", "has_image": false,
                        "identifier": "ada@example.com"},
                    "status": "pending", "public_metadata": {}, "private_metadata": {},
                    "url": format!("https://accounts.example.com/v1/tickets/accept?ticket=eyJhbGciOiJIUzI1NiJ9.{iid}"),
                    "expires_at": its + 2_592_000_000, "created_at": its, "updated_at": its});
                s.org_invitations.insert(iid, inv);
            }
            org_ids.push((id, slug));
        }
        for uid in &user_ids {
            let sid = new_id(s, "sess");
            let client = new_id(s, "client");
            let ts = now(s);
            let sess = json!({"object": "session", "id": sid, "user_id": uid, "client_id": client, "status": "active",
                "last_active_at": ts, "last_active_organization_id": null, "actor": null,
                "latest_activity": {"object": "session_activity", "id": new_id(s, "sess_activity"), "device_type": "Macintosh",
                    "is_mobile": false, "browser_name": "Chrome", "browser_version": "131.0.0.0", "ip_address": "203.0.113.7",
                    "city": "Berlin", "country": "DE"},
                "expire_at": ts + 604_800_000, "abandon_at": ts + 2_592_000_000, "created_at": ts, "updated_at": ts});
            s.sessions.insert(sid, sess);
        }
        Seeded {
            users: user_ids,
            orgs: org_ids,
            roles,
        }
    }
}
