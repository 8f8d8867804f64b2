//! Every curated tool end to end through the official MCP Python SDK against the fake Clerk: one
//! scenario per toolset, each on its own fake and server, each calling exactly the curated tools of
//! its toolset (plus, where it needs them, tools of other toolsets to set up or cross-check).

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::plan::{Plan, SECRET_PM, assert_redacted, ok, r, tool_error};
use support::python;
use support::server::{TestServer, secrets, start};

fn curated_in(toolset: &str) -> BTreeSet<String> {
    clerk_mcp::tools::all()
        .all()
        .iter()
        .filter(|t| {
            t.toolset.id == toolset
                && t.name() != "clerk_api_search"
                && t.name() != "clerk_api_call"
                && t.name() != "clerk_api_describe"
        })
        .map(|t| t.name().to_string())
        .collect::<BTreeSet<_>>()
}

/// The automation token the scenarios authenticate with (so the audit log names a principal).
const TOKEN: &str = "toolsets-scenario-token-0123456789";

async fn serve() -> (FakeClerk, TestServer) {
    let fake = FakeClerk::start().await;
    let audit = std::env::temp_dir().join(format!("clerk-mcp-audit-{}.jsonl", fastrand::u64(..)));
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--toolsets",
            "all",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
        secrets(Some(GOOD_KEY), Some(TOKEN)),
    )
    .await;
    (fake, srv)
}

/// Runs the plan through the Python SDK and checks that it exercised exactly the toolset's curated
/// tools, and that every call that writes left exactly one audit line naming its principal and
/// outcome.
///
/// Every call that writes is first made with `dry_run: true`: the dry run sends nothing that
/// changes data, and what it says it would send is exactly what the real call then sends.
async fn run(fake: &FakeClerk, srv: &TestServer, toolset: &str, p: &Plan) -> Value {
    let auth = format!("Bearer {TOKEN}");
    let out = python::http_env(
        &srv.url(),
        "auto",
        &p.json(),
        &[("Authorization", &auth)],
        &[("DRY_RUN_FIRST", "1")],
    )
    .await;
    check_dry_runs(fake, toolset, &p.tools(), &out);
    assert_eq!(
        p.exercised(),
        &curated_in(toolset),
        "the {toolset} scenario exercises every curated tool of its toolset and no other"
    );
    let reg = clerk_mcp::tools::all();
    let expected: Vec<(String, bool)> = p
        .tools()
        .into_iter()
        .enumerate()
        .filter(|(_, t)| reg.get(t).is_some_and(|d| !d.read_only))
        .map(|(i, t)| (t, out["results"][i]["is_error"] == json!(false)))
        .collect();
    let (target, _) = srv.state.config.audit.clone().expect("audit configured");
    let lines = support::audit_lines(std::path::Path::new(&target));
    let seen: Vec<(String, bool)> = lines
        .iter()
        .filter(|l| l["dry_run"] == json!(false))
        .map(|l| {
            (
                l["tool"].as_str().unwrap().to_string(),
                l["outcome"] == json!("ok"),
            )
        })
        .collect();
    assert_eq!(
        seen, expected,
        "one audit line per write, in order, with its outcome"
    );
    let dry_lines = lines.iter().filter(|l| l["dry_run"] == json!(true)).count();
    assert_eq!(
        dry_lines,
        out["dry_runs"].as_array().unwrap().len(),
        "dry runs are audited as such"
    );
    for l in &lines {
        assert_eq!(
            l["principal"],
            json!({"kind": "static_token", "index": 0}),
            "{l}"
        );
        assert!(
            l["time"].is_string()
                && l["duration_ms"].is_number()
                && l["operations"][0]["path"].is_string()
        );
        assert!(
            !l.to_string().contains(SECRET_PM),
            "private metadata is masked: {l}"
        );
    }
    let _ = std::fs::remove_file(target);
    out
}

/// Pairs each dry run with the write request Clerk then saw for the real call.
fn check_dry_runs(fake: &FakeClerk, toolset: &str, tools: &[String], out: &Value) {
    let writes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    let mut next = writes.iter();
    let mut previewed = BTreeSet::new();
    for d in out["dry_runs"].as_array().expect("dry runs were made") {
        let i = d["index"].as_u64().unwrap() as usize;
        let real = &out["results"][i];
        if d["is_error"] != json!(false) {
            // Refused before anything was built (bad arguments): the real call is refused too.
            assert_ne!(
                real["is_error"],
                json!(false),
                "{toolset} call {i}: {d} vs {real}"
            );
            continue;
        }
        previewed.insert(tools[i].clone());
        let w = &d["structured"]["would_send"];
        assert_eq!(d["structured"]["dry_run"], json!(true), "{d}");
        let seen = next
            .next()
            .unwrap_or_else(|| panic!("{toolset} call {i}: the real call sent no write ({real})"));
        assert_eq!(w["method"], json!(seen.method), "{toolset} call {i}");
        assert_eq!(w["path"], json!(seen.path), "{toolset} call {i}");
        assert_eq!(
            w["query"].as_str().unwrap_or_default(),
            seen.query_pairs()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
            "{toolset} call {i}"
        );
        let body = (!seen.body.is_null()).then(|| clerk_mcp::audit::masked(&seen.body));
        assert_eq!(
            w.get("body").cloned(),
            body,
            "{toolset} call {i}: the preview's body is the one sent"
        );
    }
    assert!(
        next.next().is_none(),
        "{toolset}: a dry run sent a write to Clerk"
    );
    let writes: BTreeSet<String> = curated_in(toolset)
        .into_iter()
        .filter(|t| clerk_mcp::tools::all().get(t).is_some_and(|d| !d.read_only))
        .collect();
    assert!(
        writes.is_subset(&previewed),
        "{toolset}: every curated write tool was previewed and compared; missing {:?}",
        writes.difference(&previewed).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let created = p.call("clerk_create_user", json!({"body": {"email_address": ["ann@example.com"], "first_name": "Ann", "last_name": "Lee", "public_metadata": {"tier": "free", "flags": {"a": 1}}, "private_metadata": {"ssn": SECRET_PM}}}));
    let id = r(created, "structured.id");
    let got = p.call("clerk_get_user", json!({"user_id": id}));
    let got_full = p.call("clerk_get_user", json!({"user_id": id, "view": "full"}));
    let got_fields = p.call(
        "clerk_get_user",
        json!({"user_id": id, "fields": ["email_addresses.email_address", "unsafe_metadata"]}),
    );
    let listed = p.call("clerk_list_users", json!({"query": "ann", "limit": 5}));
    let counted = p.call(
        "clerk_count_users",
        json!({"email_address": ["ann@example.com"]}),
    );
    let updated = p.call(
        "clerk_update_user",
        json!({"user_id": id, "body": {"first_name": "Anna"}}),
    );
    let meta1 = p.call(
        "clerk_update_user_metadata",
        json!({"user_id": id, "body": {"public_metadata": {"tier": "pro", "flags": {"b": 2}}}}),
    );
    let meta2 = p.call(
        "clerk_update_user_metadata",
        json!({"user_id": id, "body": {"public_metadata": {"tier": null}}}),
    );
    let banned = p.call("clerk_ban_user", json!({"user_id": id}));
    let unbanned = p.call("clerk_unban_user", json!({"user_id": id}));
    let locked = p.call("clerk_lock_user", json!({"user_id": id}));
    let unlocked = p.call("clerk_unlock_user", json!({"user_id": id}));
    let memberships = p.call("clerk_list_user_memberships", json!({"user_id": id}));
    let typo = p.call(
        "clerk_update_user",
        json!({"user_id": id, "body": {"frist_name": "x"}}),
    );
    let hidden = p.call(
        "clerk_create_user",
        json!({"body": {"email_address": ["z@example.com"], "password_digest": "x"}}),
    );
    let deleted = p.call("clerk_delete_user", json!({"user_id": id}));
    let gone = p.call("clerk_get_user", json!({"user_id": id}));
    let out = run(&fake, &srv, "users", &p).await;
    assert_eq!(ok(&out, got)["first_name"], json!("Ann"));
    assert_eq!(ok(&out, got)["email"], json!("ann@example.com"));
    assert!(ok(&out, got).get("object").is_none(), "compact by default");
    let full = ok(&out, got_full);
    assert_eq!(
        full["fake_clerk_future_field"],
        json!({"added_in": "2099-01-01"}),
        "the full view passes unknown fields through"
    );
    assert_eq!(full["private_metadata"], json!("[redacted]"));
    let more = ok(&out, got_fields);
    assert_eq!(
        more["email_addresses"],
        json!([{"email_address": "ann@example.com"}])
    );
    let l = ok(&out, listed);
    assert_eq!(
        (
            l["total_count"].clone(),
            l["has_more"].clone(),
            l["data"][0]["email"].clone()
        ),
        (json!(1), json!(false), json!("ann@example.com"))
    );
    assert_eq!(ok(&out, counted)["total_count"], json!(1));
    assert_eq!(ok(&out, updated)["first_name"], json!("Anna"));
    assert_eq!(
        ok(&out, meta1)["public_metadata"],
        json!({"tier": "pro", "flags": {"a": 1, "b": 2}}),
        "deep merge"
    );
    assert_eq!(
        ok(&out, meta2)["public_metadata"],
        json!({"flags": {"a": 1, "b": 2}}),
        "null deletes"
    );
    assert_eq!(
        (
            ok(&out, banned)["banned"].clone(),
            ok(&out, unbanned)["banned"].clone()
        ),
        (json!(true), json!(false))
    );
    assert_eq!(
        (
            ok(&out, locked)["locked"].clone(),
            ok(&out, unlocked)["locked"].clone()
        ),
        (json!(true), json!(false))
    );
    assert_eq!(ok(&out, memberships)["data"], json!([]));
    let e = tool_error(&out, typo);
    assert!(
        e["message"].as_str().unwrap().contains("frist_name")
            && e["message"].as_str().unwrap().contains("first_name"),
        "{e}"
    );
    assert!(
        tool_error(&out, hidden)["message"]
            .as_str()
            .unwrap()
            .contains("clerk_api_call")
    );
    assert_eq!(ok(&out, deleted)["deleted"], json!(true));
    let e = tool_error(&out, gone);
    assert_eq!(
        (e["status"].clone(), e["code"].clone()),
        (json!(404), json!("resource_not_found"))
    );
    assert!(e["clerk_trace_id"].is_string() && e["long_message"].is_string());
    assert!(assert_redacted(&out) > 0, "the full view shows the marker");
    let seen = fake.requests();
    assert!(seen.iter().any(|s| s.method == "PATCH"
        && s.path.ends_with("/metadata")
        && s.body == json!({"public_metadata": {"tier": null}})));
    assert!(
        seen.iter().filter(|s| s.path == "/v1/users/count").count() >= 2,
        "list_users counts with the same filters"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let org = p.call(
        "clerk_create_organization",
        json!({"body": {"name": "Acme Inc", "private_metadata": {"k": SECRET_PM}}}),
    );
    let oid = r(org, "structured.id");
    let by_slug = p.call(
        "clerk_get_organization",
        json!({"organization_id": "acme-inc", "include_members_count": true}),
    );
    let org_list = p.call("clerk_list_organizations", json!({"query": "acme"}));
    let org_full = p.call(
        "clerk_get_organization",
        json!({"organization_id": oid, "view": "full"}),
    );
    let org_fields = p.call(
        "clerk_list_organizations",
        json!({"query": "acme", "fields": ["admin_delete_enabled"]}),
    );
    let org_upd = p.call(
        "clerk_update_organization",
        json!({"organization_id": oid, "body": {"name": "Acme Corp"}}),
    );
    let org_meta = p.call(
        "clerk_update_organization_metadata",
        json!({"organization_id": oid, "body": {"public_metadata": {"plan": "team"}}}),
    );
    let org_del = p.call("clerk_delete_organization", json!({"organization_id": oid}));
    let out = run(&fake, &srv, "organizations", &p).await;
    assert_eq!(ok(&out, org_full)["object"], json!("organization"));
    assert_eq!(ok(&out, org_full)["private_metadata"], json!("[redacted]"));
    assert_eq!(
        ok(&out, org_fields)["data"][0]["admin_delete_enabled"],
        json!(true)
    );
    assert_eq!(
        (
            ok(&out, by_slug)["name"].clone(),
            ok(&out, by_slug)["members_count"].clone()
        ),
        (json!("Acme Inc"), json!(0)),
        "lookup by slug"
    );
    assert_eq!(ok(&out, org_list)["total_count"], json!(1));
    assert_eq!(ok(&out, org_upd)["name"], json!("Acme Corp"));
    assert_eq!(
        ok(&out, org_meta)["public_metadata"],
        json!({"plan": "team"})
    );
    assert_eq!(ok(&out, org_del)["deleted"], json!(true));
    assert_redacted(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let org = p.extra(
        "clerk_create_organization",
        json!({"body": {"name": "Acme Corp", "private_metadata": {"k": SECRET_PM}}}),
    );
    let user = p.extra(
        "clerk_create_user",
        json!({"body": {"email_address": ["bo@example.com"], "first_name": "Bo"}}),
    );
    let (oid, uid) = (r(org, "structured.id"), r(user, "structured.id"));
    let added = p.call("clerk_add_organization_member", json!({"organization_id": oid, "body": {"user_id": uid, "role": "org:member", "private_metadata": {"x": SECRET_PM}}}));
    let again = p.call(
        "clerk_add_organization_member",
        json!({"organization_id": oid, "body": {"user_id": uid, "role": "org:member"}}),
    );
    let role = p.call(
        "clerk_update_member_role",
        json!({"organization_id": oid, "user_id": uid, "body": {"role": "org:admin"}}),
    );
    let mmeta = p.call("clerk_update_member_metadata", json!({"organization_id": oid, "user_id": uid, "body": {"public_metadata": {"team": "core"}}}));
    let members = p.call(
        "clerk_list_organization_members",
        json!({"organization_id": oid}),
    );
    let admins = p.call(
        "clerk_list_organization_members",
        json!({"organization_id": oid, "role": ["org:admin"]}),
    );
    let members_full = p.call(
        "clerk_list_organization_members",
        json!({"organization_id": oid, "view": "full"}),
    );
    let members_fields = p.call(
        "clerk_list_organization_members",
        json!({"organization_id": oid, "fields": ["permissions", "organization.created_at"]}),
    );
    let user_orgs = p.extra("clerk_list_user_memberships", json!({"user_id": uid}));
    let removed = p.call(
        "clerk_remove_member",
        json!({"organization_id": oid, "user_id": uid}),
    );
    let after = p.call(
        "clerk_list_organization_members",
        json!({"organization_id": oid}),
    );
    let out = run(&fake, &srv, "members", &p).await;
    assert_eq!(ok(&out, added)["role"], json!("org:member"));
    assert_eq!(
        tool_error(&out, again)["code"],
        json!("already_a_member_in_organization")
    );
    assert_eq!(ok(&out, role)["role"], json!("org:admin"));
    assert_eq!(ok(&out, mmeta)["public_metadata"], json!({"team": "core"}));
    let m = ok(&out, members);
    assert_eq!(
        (
            m["total_count"].clone(),
            m["data"][0]["role"].clone(),
            m["data"][0]["user"].clone()
        ),
        (json!(1), json!("org:admin"), json!("Bo <bo@example.com>"))
    );
    assert_eq!(ok(&out, admins)["total_count"], json!(1));
    let full = &ok(&out, members_full)["data"][0];
    assert_eq!(full["public_user_data"]["first_name"], json!("Bo"));
    assert_eq!(full["organization"]["object"], json!("organization"));
    let with = &ok(&out, members_fields)["data"][0];
    assert!(with["permissions"].is_array(), "{with}");
    assert!(
        with["organization"]["created_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
            && with["organization"]["slug"].is_string(),
        "a field inside the view's own organization is merged into it: {with}"
    );
    assert_eq!(
        ok(&out, user_orgs)["data"][0]["organization"]["name"],
        json!("Acme Corp")
    );
    assert_eq!(ok(&out, removed)["deleted"], json!(true));
    assert_eq!(ok(&out, removed)["role"], json!("org:admin"));
    assert_eq!(ok(&out, after)["total_count"], json!(0));
    assert!(assert_redacted(&out) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let org = p.extra(
        "clerk_create_organization",
        json!({"body": {"name": "Invites"}}),
    );
    let oid = r(org, "structured.id");
    let one = p.call("clerk_create_organization_invitation", json!({"organization_id": oid, "body": {"email_address": "a@x.com", "role": "org:member", "private_metadata": {"p": SECRET_PM}}}));
    let bulk = p.call("clerk_create_organization_invitations_bulk", json!({"organization_id": oid, "body": [{"email_address": "b@x.com", "role": "org:member"}, {"email_address": "c@x.com", "role": "org:admin"}]}));
    let revoked = p.call(
        "clerk_revoke_organization_invitation",
        json!({"organization_id": oid, "invitation_id": r(one, "structured.id")}),
    );
    let pending = p.call(
        "clerk_list_organization_invitations",
        json!({"organization_id": oid, "status": "pending"}),
    );
    let inv = p.call(
        "clerk_create_invitation",
        json!({"body": {"email_address": "new@x.com", "public_metadata": {"src": "mcp"}}}),
    );
    let bad_inv = p.call(
        "clerk_create_invitation",
        json!({"body": {"email_address": "not-an-email"}}),
    );
    let invs = p.call("clerk_list_invitations", json!({"limit": 1}));
    let pending_full = p.call(
        "clerk_list_organization_invitations",
        json!({"organization_id": oid, "status": "pending", "view": "full"}),
    );
    let invs_fields = p.call(
        "clerk_list_invitations",
        json!({"limit": 1, "fields": ["revoked"]}),
    );
    let inv_rev = p.call(
        "clerk_revoke_invitation",
        json!({"invitation_id": r(inv, "structured.id")}),
    );
    let out = run(&fake, &srv, "invitations", &p).await;
    let full = &ok(&out, pending_full)["data"][0];
    assert_eq!(full["object"], json!("organization_invitation"));
    assert!(
        full["url"].is_string(),
        "the full view shows the invitation link: {full}"
    );
    assert!(ok(&out, pending)["data"][0].get("url").is_none());
    assert!(ok(&out, invs_fields)["data"][0]["revoked"].is_boolean());
    assert_eq!(ok(&out, bulk)["data"].as_array().unwrap().len(), 2);
    assert_eq!(ok(&out, revoked)["status"], json!("revoked"));
    assert_eq!(ok(&out, pending)["total_count"], json!(2));
    assert_eq!(
        tool_error(&out, bad_inv)["code"],
        json!("form_param_format_invalid")
    );
    let l = ok(&out, invs);
    assert_eq!(
        (l["total_count"].clone(), l["has_more"].clone()),
        (json!(1), json!(false)),
        "paginated=true envelope is used: {l}"
    );
    assert_eq!(ok(&out, inv_rev)["status"], json!("revoked"));
    assert_redacted(&out);
    assert!(fake.requests().iter().any(|s| {
        s.path == "/v1/invitations"
            && s.method == "GET"
            && s.query_pairs()
                .contains(&("paginated".into(), "true".into()))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let perm = p.call(
        "clerk_create_organization_permission",
        json!({"body": {"name": "Read invoices", "key": "org:invoices:read"}}),
    );
    let perm2 = p.call(
        "clerk_create_organization_permission",
        json!({"body": {"name": "Pay invoices", "key": "org:invoices:pay"}}),
    );
    let bad_perm = p.call(
        "clerk_create_organization_permission",
        json!({"body": {"name": "Bad", "key": "invoices"}}),
    );
    let perms = p.call(
        "clerk_list_organization_permissions",
        json!({"query": "invoices"}),
    );
    let role = p.call("clerk_create_organization_role", json!({"body": {"name": "Billing", "key": "org:billing", "permissions": ["org:invoices:read"]}}));
    let rid = r(role, "structured.id");
    let got = p.call(
        "clerk_get_organization_role",
        json!({"organization_role_id": rid}),
    );
    let got_full = p.call(
        "clerk_get_organization_role",
        json!({"organization_role_id": rid, "view": "full"}),
    );
    let got_fields = p.call(
        "clerk_get_organization_role",
        json!({"organization_role_id": rid, "fields": ["permissions.name", "updated_at"]}),
    );
    let upd = p.call(
        "clerk_update_organization_role",
        json!({"organization_role_id": rid, "body": {"description": "Pays the bills"}}),
    );
    let assigned = p.call(
        "clerk_assign_role_permission",
        json!({"organization_role_id": rid, "permission_id": r(perm2, "structured.id")}),
    );
    let roles = p.call("clerk_list_organization_roles", json!({}));
    let unassigned = p.call(
        "clerk_remove_role_permission",
        json!({"organization_role_id": rid, "permission_id": r(perm, "structured.id")}),
    );
    let role_del = p.call(
        "clerk_delete_organization_role",
        json!({"organization_role_id": rid}),
    );
    let perm_del = p.call(
        "clerk_delete_organization_permission",
        json!({"permission_id": r(perm, "structured.id")}),
    );
    let out = run(&fake, &srv, "roles", &p).await;
    assert_eq!(
        tool_error(&out, bad_perm)["code"],
        json!("form_param_format_invalid")
    );
    assert_eq!(ok(&out, perms)["total_count"], json!(2));
    assert_eq!(ok(&out, got)["permissions"], json!(["org:invoices:read"]));
    assert_eq!(
        ok(&out, got_full)["permissions"][0]["key"],
        json!("org:invoices:read")
    );
    let f = ok(&out, got_fields);
    assert_eq!(f["permissions"], json!([{"name": "Read invoices"}]));
    assert!(f["updated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ok(&out, upd)["description"], json!("Pays the bills"));
    assert_eq!(
        ok(&out, assigned)["permissions"].as_array().unwrap().len(),
        2
    );
    assert_eq!(ok(&out, roles)["total_count"], json!(1));
    assert_eq!(
        ok(&out, unassigned)["permissions"],
        json!(["org:invoices:pay"])
    );
    assert_eq!(
        (
            ok(&out, role_del)["deleted"].clone(),
            ok(&out, perm_del)["deleted"].clone()
        ),
        (json!(true), json!(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_to_end() {
    let (fake, srv) = serve().await;
    let uid = fake.seed_user("Cy", "Do", "cy@example.com");
    let sid = fake.seed_session(&uid);
    let mut p = Plan::new();
    let list = p.call("clerk_list_sessions", json!({"user_id": uid}));
    let neither = p.call("clerk_list_sessions", json!({}));
    let got = p.call("clerk_get_session", json!({"session_id": sid}));
    let got_full = p.call(
        "clerk_get_session",
        json!({"session_id": sid, "view": "full"}),
    );
    let got_fields = p.call(
        "clerk_get_session",
        json!({"session_id": sid, "fields": ["client_id", "abandon_at"]}),
    );
    let rev = p.call("clerk_revoke_session", json!({"session_id": sid}));
    let active = p.call(
        "clerk_list_sessions",
        json!({"user_id": uid, "status": "active"}),
    );
    let out = run(&fake, &srv, "sessions", &p).await;
    assert_eq!(ok(&out, list)["total_count"], json!(1));
    assert_eq!(
        tool_error(&out, neither)["code"],
        json!("form_param_missing")
    );
    assert_eq!(ok(&out, got)["status"], json!("active"));
    assert!(ok(&out, got)["expire_at"].as_str().unwrap().ends_with('Z'));
    assert!(ok(&out, got_full)["expire_at"].is_u64());
    let f = ok(&out, got_fields);
    assert!(f["client_id"].is_string() && f["abandon_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ok(&out, rev)["status"], json!("revoked"));
    assert_eq!(ok(&out, active)["total_count"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restrictions_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let al = p.call(
        "clerk_add_to_allowlist",
        json!({"body": {"identifier": "*@acme.com"}}),
    );
    let all = p.call("clerk_list_allowlist", json!({}));
    let all_full = p.call("clerk_list_allowlist", json!({"view": "full"}));
    let all_fields = p.call("clerk_list_allowlist", json!({"fields": ["updated_at"]}));
    let al_del = p.call(
        "clerk_remove_from_allowlist",
        json!({"identifier_id": r(al, "structured.id")}),
    );
    let bl = p.call(
        "clerk_add_to_blocklist",
        json!({"body": {"identifier": "spam@evil.com"}}),
    );
    let bll = p.call("clerk_list_blocklist", json!({}));
    let bl_del = p.call(
        "clerk_remove_from_blocklist",
        json!({"identifier_id": r(bl, "structured.id")}),
    );
    let bl_gone = p.call(
        "clerk_remove_from_blocklist",
        json!({"identifier_id": r(bl, "structured.id")}),
    );
    let out = run(&fake, &srv, "restrictions", &p).await;
    assert_eq!(ok(&out, all)["data"][0]["identifier"], json!("*@acme.com"));
    assert_eq!(
        ok(&out, all_full)["data"][0]["object"],
        json!("allowlist_identifier")
    );
    assert!(ok(&out, all_fields)["data"][0]["updated_at"].is_string());
    assert_eq!(ok(&out, al_del)["deleted"], json!(true));
    assert_eq!(
        ok(&out, bll)["data"][0]["identifier_type"],
        json!("email_address")
    );
    assert_eq!(ok(&out, bl_del)["deleted"], json!(true));
    assert_eq!(tool_error(&out, bl_gone)["status"], json!(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_end_to_end() {
    let (fake, srv) = serve().await;
    let mut p = Plan::new();
    let org = p.extra(
        "clerk_create_organization",
        json!({"body": {"name": "Domains"}}),
    );
    let oid = r(org, "structured.id");
    let d = p.call("clerk_add_organization_domain", json!({"organization_id": oid, "body": {"name": "acme.com", "enrollment_mode": "automatic_invitation"}}));
    let dl = p.call(
        "clerk_list_organization_domains",
        json!({"organization_id": oid}),
    );
    let du = p.call("clerk_update_organization_domain", json!({"organization_id": oid, "domain_id": r(d, "structured.id"), "body": {"verified": true}}));
    let dl_full = p.call(
        "clerk_list_organization_domains",
        json!({"organization_id": oid, "view": "full"}),
    );
    let dl_fields = p.call(
        "clerk_list_organization_domains",
        json!({"organization_id": oid, "fields": ["updated_at"]}),
    );
    let dd = p.call(
        "clerk_remove_organization_domain",
        json!({"organization_id": oid, "domain_id": r(d, "structured.id")}),
    );
    let out = run(&fake, &srv, "domains", &p).await;
    assert_eq!(ok(&out, dl)["data"][0]["name"], json!("acme.com"));
    assert_eq!(ok(&out, du)["affiliation_status"], json!("verified"));
    assert_eq!(
        ok(&out, dl_full)["data"][0]["object"],
        json!("organization_domain")
    );
    assert!(ok(&out, dl_fields)["data"][0]["updated_at"].is_string());
    assert_eq!(ok(&out, dd)["deleted"], json!(true));
}
