//! The curated tools: the tool surface (snapshot, names, annotations, schemas), the filters, private
//! metadata redaction, and one scenario per toolset through the official MCP Python SDK against the
//! fake Clerk, which together exercise every curated tool.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::python;
use support::server::{Client, Era, args, secrets, start};

/// The public tool surface from the issue: (toolset, tool, operationId).
const TABLE: &[(&str, &str, &str)] = &[
    ("users", "clerk_list_users", "GetUserList"),
    ("users", "clerk_count_users", "GetUsersCount"),
    ("users", "clerk_get_user", "GetUser"),
    ("users", "clerk_create_user", "CreateUser"),
    ("users", "clerk_update_user", "UpdateUser"),
    ("users", "clerk_delete_user", "DeleteUser"),
    ("users", "clerk_ban_user", "BanUser"),
    ("users", "clerk_unban_user", "UnbanUser"),
    ("users", "clerk_lock_user", "LockUser"),
    ("users", "clerk_unlock_user", "UnlockUser"),
    ("users", "clerk_update_user_metadata", "UpdateUserMetadata"),
    (
        "users",
        "clerk_list_user_memberships",
        "UsersGetOrganizationMemberships",
    ),
    (
        "organizations",
        "clerk_list_organizations",
        "ListOrganizations",
    ),
    ("organizations", "clerk_get_organization", "GetOrganization"),
    (
        "organizations",
        "clerk_create_organization",
        "CreateOrganization",
    ),
    (
        "organizations",
        "clerk_update_organization",
        "UpdateOrganization",
    ),
    (
        "organizations",
        "clerk_delete_organization",
        "DeleteOrganization",
    ),
    (
        "organizations",
        "clerk_update_organization_metadata",
        "MergeOrganizationMetadata",
    ),
    (
        "members",
        "clerk_list_organization_members",
        "ListOrganizationMemberships",
    ),
    (
        "members",
        "clerk_add_organization_member",
        "CreateOrganizationMembership",
    ),
    (
        "members",
        "clerk_update_member_role",
        "UpdateOrganizationMembership",
    ),
    (
        "members",
        "clerk_update_member_metadata",
        "UpdateOrganizationMembershipMetadata",
    ),
    (
        "members",
        "clerk_remove_member",
        "DeleteOrganizationMembership",
    ),
    (
        "invitations",
        "clerk_list_organization_invitations",
        "ListOrganizationInvitations",
    ),
    (
        "invitations",
        "clerk_create_organization_invitation",
        "CreateOrganizationInvitation",
    ),
    (
        "invitations",
        "clerk_create_organization_invitations_bulk",
        "CreateOrganizationInvitationBulk",
    ),
    (
        "invitations",
        "clerk_revoke_organization_invitation",
        "RevokeOrganizationInvitation",
    ),
    ("invitations", "clerk_list_invitations", "ListInvitations"),
    ("invitations", "clerk_create_invitation", "CreateInvitation"),
    ("invitations", "clerk_revoke_invitation", "RevokeInvitation"),
    (
        "roles",
        "clerk_list_organization_roles",
        "ListOrganizationRoles",
    ),
    (
        "roles",
        "clerk_get_organization_role",
        "GetOrganizationRole",
    ),
    (
        "roles",
        "clerk_create_organization_role",
        "CreateOrganizationRole",
    ),
    (
        "roles",
        "clerk_update_organization_role",
        "UpdateOrganizationRole",
    ),
    (
        "roles",
        "clerk_delete_organization_role",
        "DeleteOrganizationRole",
    ),
    (
        "roles",
        "clerk_assign_role_permission",
        "AssignPermissionToOrganizationRole",
    ),
    (
        "roles",
        "clerk_remove_role_permission",
        "RemovePermissionFromOrganizationRole",
    ),
    (
        "roles",
        "clerk_list_organization_permissions",
        "ListOrganizationPermissions",
    ),
    (
        "roles",
        "clerk_create_organization_permission",
        "CreateOrganizationPermission",
    ),
    (
        "roles",
        "clerk_delete_organization_permission",
        "DeleteOrganizationPermission",
    ),
    ("sessions", "clerk_list_sessions", "GetSessionList"),
    ("sessions", "clerk_get_session", "GetSession"),
    ("sessions", "clerk_revoke_session", "RevokeSession"),
    (
        "restrictions",
        "clerk_list_allowlist",
        "ListAllowlistIdentifiers",
    ),
    (
        "restrictions",
        "clerk_add_to_allowlist",
        "CreateAllowlistIdentifier",
    ),
    (
        "restrictions",
        "clerk_remove_from_allowlist",
        "DeleteAllowlistIdentifier",
    ),
    (
        "restrictions",
        "clerk_list_blocklist",
        "ListBlocklistIdentifiers",
    ),
    (
        "restrictions",
        "clerk_add_to_blocklist",
        "CreateBlocklistIdentifier",
    ),
    (
        "restrictions",
        "clerk_remove_from_blocklist",
        "DeleteBlocklistIdentifier",
    ),
    (
        "domains",
        "clerk_list_organization_domains",
        "ListOrganizationDomains",
    ),
    (
        "domains",
        "clerk_add_organization_domain",
        "CreateOrganizationDomain",
    ),
    (
        "domains",
        "clerk_update_organization_domain",
        "UpdateOrganizationDomain",
    ),
    (
        "domains",
        "clerk_remove_organization_domain",
        "DeleteOrganizationDomain",
    ),
];

fn all_tools_json() -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args(["tools", "--toolsets", "all"])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_tool_in_the_table_exists_in_its_toolset() {
    let reg = clerk_mcp::tools::Registry::new();
    for (toolset, name, op) in TABLE {
        let t = reg.get(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(t.toolset, *toolset, "{name}");
        match t.action {
            clerk_mcp::tools::registry::Action::Curated(c) => assert_eq!(c.op, *op, "{name}"),
            _ => panic!("{name} is not curated"),
        }
    }
    let curated = reg.all().iter().filter(|t| t.toolset != "api").count();
    assert_eq!(
        curated,
        TABLE.len(),
        "a curated tool outside the table was added: update TABLE and the README"
    );
}

#[test]
fn names_annotations_and_schemas_follow_the_rules() {
    let tools = all_tools_json();
    let tools = tools["tools"].as_array().unwrap();
    let mut names = BTreeSet::new();
    for t in tools {
        let name = t["name"].as_str().unwrap();
        assert!(
            name.len() <= 48
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name}"
        );
        assert!(names.insert(name.to_string()), "duplicate {name}");
        let a = &t["annotations"];
        assert!(t["title"].is_string(), "{name} lacks a title");
        assert_eq!(
            a["openWorldHint"],
            json!(false),
            "{name}: one Clerk instance"
        );
        let hints = a.as_object().unwrap();
        if a["readOnlyHint"] == json!(true) {
            // The spec gives destructive/idempotent hints meaning only for tools that write.
            assert_eq!(
                hints.len(),
                2,
                "{name}: a read-only tool carries no write hints: {a}"
            );
        } else {
            assert_eq!(a["readOnlyHint"], json!(false), "{name}");
            for k in ["destructiveHint", "idempotentHint"] {
                assert!(a[k].is_boolean(), "{name} lacks annotation {k}");
            }
        }
        // Timestamp filters have no description of their own; the tool states the unit once.
        let props = t["inputSchema"]["properties"].as_object().unwrap();
        if props.iter().any(|(k, p)| {
            clerk_mcp::tools::curated::is_timestamp_filter(k) && p.get("description").is_none()
        }) {
            assert!(
                t["description"]
                    .as_str()
                    .unwrap()
                    .contains("Unix milliseconds"),
                "{name} has timestamp filters but does not say their unit"
            );
        }
        let destructive_words = ["delete", "remove", "revoke", "ban_", "lock_"];
        if destructive_words.iter().any(|w| name.contains(w))
            && !name.contains("unban")
            && !name.contains("unlock")
            && name != "clerk_remove_role_permission"
            && name != "clerk_remove_from_allowlist"
            && name != "clerk_remove_from_blocklist"
        {
            assert_eq!(
                a["destructiveHint"],
                json!(true),
                "{name} should be destructive"
            );
        }
        if name.contains("_list_") || name.contains("_get_") || name.contains("_count_") {
            assert_eq!(a["readOnlyHint"], json!(true), "{name} should be read-only");
        }
        assert_eq!(
            t["outputSchema"]["type"],
            json!("object"),
            "{name}: outputSchema root"
        );
        let violations = clerk_mcp::codegen::schema::client_safety_violations(&t["inputSchema"]);
        assert!(violations.is_empty(), "{name}: {violations:?}");
        assert!(
            t["description"].as_str().unwrap().len() >= 30,
            "{name}: the description must say when to use it"
        );
    }
    let default = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .arg("tools")
        .env_clear()
        .output()
        .unwrap();
    let default: Value = serde_json::from_slice(&default.stdout).unwrap();
    let n = default["tools"].as_array().unwrap().len();
    assert!(
        n <= 40,
        "default toolsets expose {n} tools; some clients cap at 40"
    );
}

#[test]
fn tool_surface_snapshot() {
    // Any change to a tool's name, description, schema or annotations shows up here in review.
    insta::assert_json_snapshot!("tools_all", all_tools_json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_tools_and_tools_list_agree() {
    let srv = start(&["--toolsets", "all"], secrets(None, None)).await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    let listed = c.request("tools/list", json!({})).await;
    assert_eq!(listed["tools"], all_tools_json()["tools"]);
    // Deterministic.
    assert_eq!(
        c.request("tools/list", json!({})).await["tools"],
        listed["tools"]
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args(["tools", "--read-only", "--exclude-tools", "clerk_get_user"])
        .env_clear()
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let srv2 = start(
        &["--read-only", "--exclude-tools", "clerk_get_user"],
        secrets(None, None),
    )
    .await;
    assert_eq!(
        Client::new(&srv2.url(), Era::Modern)
            .request("tools/list", json!({}))
            .await["tools"],
        cli["tools"]
    );
}

fn names(tools: &[Value]) -> BTreeSet<String> {
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_request_headers() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let api = ["--clerk-api-url", fake.url.as_str()];

    let ro = start(
        &[&api[..], &["--read-only", "--toolsets", "all"]].concat(),
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&ro.url(), Era::Modern);
    let listed = c.list_tools().await;
    assert!(
        listed
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == json!(true)),
        "read-only lists only reading tools, and says so (clerk_api_call included: it can only GET)"
    );
    let api_call = listed
        .iter()
        .find(|t| t["name"] == json!("clerk_api_call"))
        .unwrap();
    assert_eq!(
        api_call["annotations"],
        json!({"readOnlyHint": true, "openWorldHint": false})
    );
    assert!(
        names(&listed).contains("clerk_get_user") && !names(&listed).contains("clerk_delete_user")
    );
    let a = c
        .raw(
            "tools/call",
            json!({"name": "clerk_delete_user", "arguments": {"user_id": uid}}),
            Some("clerk_delete_user"),
        )
        .await;
    assert_eq!(a.body["error"]["code"], json!(-32602), "{}", a.text);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{}",
        a.text
    );
    assert_eq!(
        c.ok("clerk_get_user", json!({"user_id": uid})).await["id"],
        json!(uid)
    );
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "nothing but reads reached Clerk"
    );
    // A header cannot widen: asking for read-write on a read-only server changes nothing.
    let mut widen = Client::new(&ro.url(), Era::Modern)
        .header("X-MCP-Readonly", "false")
        .header("X-MCP-Toolsets", "all");
    assert_eq!(names(&widen.list_tools().await), names(&listed));

    let srv = start(
        &[
            &api[..],
            &[
                "--tools",
                "clerk_get_user,clerk_list_users,clerk_list_sessions",
            ],
        ]
        .concat(),
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    assert_eq!(
        names(&c.list_tools().await),
        ["clerk_get_user", "clerk_list_sessions", "clerk_list_users"]
            .map(String::from)
            .into()
    );

    let srv = start(
        &[
            &api[..],
            &["--exclude-tools", "clerk_delete_user,clerk_ban_user"],
        ]
        .concat(),
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    let n = names(&c.list_tools().await);
    assert!(
        !n.contains("clerk_delete_user")
            && !n.contains("clerk_ban_user")
            && n.contains("clerk_unban_user")
    );

    // Headers narrow what one request may list and call.
    let mut h = Client::new(&srv.url(), Era::Modern).header("X-MCP-Toolsets", "organizations");
    assert!(
        names(&h.list_tools().await)
            .iter()
            .all(|t| t.contains("organization"))
    );
    let refused = h
        .raw(
            "tools/call",
            json!({"name": "clerk_get_user", "arguments": {"user_id": uid}}),
            Some("clerk_get_user"),
        )
        .await;
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-MCP-"),
        "{}",
        refused.text
    );
    let mut h = Client::new(&srv.url(), Era::Modern).header("X-MCP-Tools", "clerk_get_user");
    assert_eq!(
        names(&h.list_tools().await),
        BTreeSet::from(["clerk_get_user".to_string()])
    );
    let mut h = Client::new(&srv.url(), Era::Modern).header("X-MCP-Readonly", "true");
    assert!(
        h.list_tools()
            .await
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == json!(true))
    );
    // Without read-only, clerk_api_call can reach every DELETE and says so.
    let full = Client::new(&srv.url(), Era::Modern).list_tools().await;
    let api_call = full
        .iter()
        .find(|t| t["name"] == json!("clerk_api_call"))
        .unwrap();
    assert_eq!(api_call["annotations"]["destructiveHint"], json!(true));
    let mut bad = Client::new(&srv.url(), Era::Modern).header("X-MCP-Toolsets", "userz");
    let a = bad.raw("tools/list", json!({}), None).await;
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Valid toolsets"),
        "{}",
        a.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluding_an_operation_or_tag_excludes_every_tool_that_performs_it() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--toolsets",
            "all",
            "--exclude-tools",
            "DeleteUser,Organizations,GetUsersCount",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    let n = names(&c.list_tools().await);
    for gone in [
        "clerk_delete_user",
        "clerk_create_organization",
        "clerk_get_organization",
        // Performs GetUsersCount beside its list call.
        "clerk_list_users",
        "clerk_count_users",
    ] {
        assert!(!n.contains(gone), "{gone} still listed");
    }
    assert!(n.contains("clerk_get_user") && n.contains("clerk_ban_user"));
    let a = c
        .raw(
            "tools/call",
            json!({"name": "clerk_delete_user", "arguments": {"user_id": uid}}),
            Some("clerk_delete_user"),
        )
        .await;
    let msg = a.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("DeleteUser") && msg.contains("excluded"),
        "{}",
        a.text
    );
    let e = c
        .err(
            "clerk_api_call",
            json!({"operation_id": "DeleteUser", "arguments": {"user_id": uid}}),
        )
        .await;
    assert_eq!(e["error"], json!("refused"), "{e}");
    assert!(
        fake.requests().is_empty(),
        "nothing reached Clerk: {:?}",
        fake.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_typed_arguments_are_refused_before_anything_is_sent() {
    let fake = FakeClerk::start().await;
    for i in 0..25 {
        fake.seed_user("User", &format!("N{i}"), &format!("u{i}@example.com"));
    }
    let srv = start(
        &["--clerk-api-url", &fake.url, "--rate-limit", "0"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    for (args, name) in [
        (json!({"limit": "ten"}), "limit"),
        (json!({"limit": 2.5}), "limit"),
        (json!({"limit": true}), "limit"),
        (json!({"offset": "20x"}), "offset"),
        (json!({"offset": [20]}), "offset"),
        (json!({"email_address": 5}), "email_address"),
    ] {
        let e = c.err("clerk_list_users", args.clone()).await;
        assert_eq!(e["error"], json!("invalid_arguments"), "{args}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(name),
            "{args}: the message names `{name}`: {e}"
        );
    }
    let e = c
        .err(
            "clerk_api_call",
            json!({"operation_id": "GetUserList", "arguments": {"limit": "ten"}}),
        )
        .await;
    assert_eq!(e["error"], json!("invalid_arguments"), "{e}");
    let e = c
        .err(
            "clerk_api_search",
            json!({"query": "users", "limit": "ten"}),
        )
        .await;
    assert_eq!(e["error"], json!("invalid_arguments"), "{e}");
    assert!(
        fake.requests().is_empty(),
        "an invalid call sends nothing, not even the count: {:?}",
        fake.requests()
    );
    // Numbers sent as strings are read as the numbers they are.
    let page = c
        .ok("clerk_list_users", json!({"offset": "20", "limit": "3"}))
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3, "{page}");
    assert_eq!(page["next_offset"], json!(23));
    let list = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/users")
        .unwrap();
    let q = list.query_pairs();
    assert!(
        q.contains(&("offset".into(), "20".into())) && q.contains(&("limit".into(), "3".into())),
        "{q:?}"
    );
    let via_api = c
        .ok(
            "clerk_api_call",
            json!({"operation_id": "GetUserList", "arguments": {"limit": "2", "offset": "4"}}),
        )
        .await;
    assert_eq!(via_api["data"].as_array().unwrap().len(), 2);
    assert_eq!(via_api["next_offset"], json!(6));
}

#[test]
fn unknown_filter_names_fail_at_startup_listing_the_valid_ones() {
    let reg = clerk_mcp::tools::Registry::new();
    for flags in [
        ["--tools", "clerk_get_usr"],
        ["--exclude-tools", "clerk_nope"],
        ["--toolsets", "userz"],
    ] {
        let err =
            clerk_mcp::config::Config::build(&args(&flags), &secrets(None, None), &reg, false)
                .unwrap_err();
        assert!(err.contains("Valid"), "{flags:?}: {err}");
    }
    // Deny lists may name operations and tags too (for clerk_api_call).
    assert!(
        clerk_mcp::config::Config::build(
            &args(&["--exclude-tools", "Billing,DeleteUser"]),
            &secrets(None, None),
            &reg,
            false
        )
        .is_ok()
    );
}

/// Builds a Python SDK plan whose later calls can use earlier results.
struct Plan {
    calls: Vec<Value>,
}

impl Plan {
    fn new() -> Plan {
        Plan { calls: vec![] }
    }
    fn call(&mut self, tool: &str, args: Value) -> usize {
        self.calls.push(json!([tool, args]));
        self.calls.len() - 1
    }
    fn json(&self) -> Value {
        Value::Array(self.calls.clone())
    }
}

fn r(i: usize, path: &str) -> String {
    format!("${{{i}.{path}}}")
}

fn ok(out: &Value, i: usize) -> &Value {
    let res = &out["results"][i];
    assert_eq!(res["is_error"], json!(false), "call {i} failed: {res}");
    &res["structured"]
}

fn tool_error(out: &Value, i: usize) -> Value {
    let res = &out["results"][i];
    assert_eq!(res["is_error"], json!(true), "call {i} should fail: {res}");
    serde_json::from_str(res["text"].as_str().unwrap()).unwrap()
}

const SECRET_PM: &str = "PRIVATE-CANARY-7731";

/// Every private_metadata in every result is the redaction marker, and the canary value never shows.
fn assert_redacted(out: &Value) {
    fn walk(v: &Value, found: &mut usize) {
        match v {
            Value::Object(o) => {
                for (k, c) in o {
                    if k == "private_metadata" && !c.is_null() {
                        assert_eq!(c, &json!(clerk_mcp::tools::output::PRIVATE_METADATA_MARKER));
                        *found += 1;
                    } else {
                        walk(c, found);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    let mut found = 0;
    for res in out["results"].as_array().unwrap() {
        assert!(
            !res.to_string().contains(SECRET_PM),
            "private metadata leaked: {res}"
        );
        walk(&res["structured"], &mut found);
    }
    assert!(
        found > 0,
        "no private metadata was returned at all; the check checked nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_curated_tool_end_to_end_through_the_python_sdk() {
    let fake = FakeClerk::start().await;
    let srv = start(
        &["--clerk-api-url", &fake.url, "--toolsets", "all"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut exercised = BTreeSet::new();
    let mut run = async |plan: &Plan| {
        for c in &plan.calls {
            exercised.insert(c[0].as_str().unwrap().to_string());
        }
        python::http(&srv.url(), "auto", &plan.json(), &[]).await
    };

    // users
    let mut p = Plan::new();
    let created = p.call("clerk_create_user", json!({"body": {"email_address": ["ann@example.com"], "first_name": "Ann", "last_name": "Lee", "public_metadata": {"tier": "free", "flags": {"a": 1}}, "private_metadata": {"ssn": SECRET_PM}}}));
    let id = r(created, "structured.id");
    let got = p.call("clerk_get_user", json!({"user_id": id}));
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
    let out = run(&p).await;
    assert_eq!(ok(&out, got)["first_name"], json!("Ann"));
    assert_eq!(
        ok(&out, got)["fake_clerk_future_field"],
        json!({"added_in": "2099-01-01"}),
        "unknown fields pass through"
    );
    let l = ok(&out, listed);
    assert_eq!(
        (
            l["total_count"].clone(),
            l["has_more"].clone(),
            l["data"][0]["email_addresses"][0]["email_address"].clone()
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
    assert_redacted(&out);
    let seen = fake.requests();
    assert!(seen.iter().any(|s| s.method == "PATCH"
        && s.path.ends_with("/metadata")
        && s.body == json!({"public_metadata": {"tier": null}})));
    assert!(
        seen.iter().filter(|s| s.path == "/v1/users/count").count() >= 2,
        "list_users counts with the same filters"
    );

    // organizations + members: the scenario
    let mut p = Plan::new();
    let org = p.call(
        "clerk_create_organization",
        json!({"body": {"name": "Acme Inc", "private_metadata": {"k": SECRET_PM}}}),
    );
    let user = p.call(
        "clerk_create_user",
        json!({"body": {"email_address": ["bo@example.com"], "first_name": "Bo"}}),
    );
    let (oid, uid) = (r(org, "structured.id"), r(user, "structured.id"));
    let by_slug = p.call(
        "clerk_get_organization",
        json!({"organization_id": "acme-inc", "include_members_count": true}),
    );
    let org_list = p.call("clerk_list_organizations", json!({"query": "acme"}));
    let org_upd = p.call(
        "clerk_update_organization",
        json!({"organization_id": oid, "body": {"name": "Acme Corp"}}),
    );
    let org_meta = p.call(
        "clerk_update_organization_metadata",
        json!({"organization_id": oid, "body": {"public_metadata": {"plan": "team"}}}),
    );
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
    let user_orgs = p.call("clerk_list_user_memberships", json!({"user_id": uid}));
    let removed = p.call(
        "clerk_remove_member",
        json!({"organization_id": oid, "user_id": uid}),
    );
    let after = p.call(
        "clerk_list_organization_members",
        json!({"organization_id": oid}),
    );
    let org_del = p.call("clerk_delete_organization", json!({"organization_id": oid}));
    let out = run(&p).await;
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
            m["data"][0]["public_user_data"]["first_name"].clone()
        ),
        (json!(1), json!("org:admin"), json!("Bo"))
    );
    assert_eq!(ok(&out, admins)["total_count"], json!(1));
    assert_eq!(
        ok(&out, user_orgs)["data"][0]["organization"]["name"],
        json!("Acme Corp")
    );
    assert_eq!(ok(&out, removed)["role"], json!("org:admin"));
    assert_eq!(ok(&out, after)["total_count"], json!(0));
    assert_eq!(ok(&out, org_del)["deleted"], json!(true));
    assert_redacted(&out);

    // invitations
    let mut p = Plan::new();
    let org = p.call(
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
    let inv_rev = p.call(
        "clerk_revoke_invitation",
        json!({"invitation_id": r(inv, "structured.id")}),
    );
    let out = run(&p).await;
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

    // roles & permissions
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
    let out = run(&p).await;
    assert_eq!(
        tool_error(&out, bad_perm)["code"],
        json!("form_param_format_invalid")
    );
    assert_eq!(ok(&out, perms)["total_count"], json!(2));
    assert_eq!(
        ok(&out, got)["permissions"][0]["key"],
        json!("org:invoices:read")
    );
    assert_eq!(ok(&out, upd)["description"], json!("Pays the bills"));
    assert_eq!(
        ok(&out, assigned)["permissions"].as_array().unwrap().len(),
        2
    );
    assert_eq!(ok(&out, roles)["total_count"], json!(1));
    assert_eq!(
        ok(&out, unassigned)["permissions"][0]["key"],
        json!("org:invoices:pay")
    );
    assert_eq!(
        (
            ok(&out, role_del)["deleted"].clone(),
            ok(&out, perm_del)["deleted"].clone()
        ),
        (json!(true), json!(true))
    );

    // sessions
    let uid = fake.seed_user("Cy", "Do", "cy@example.com");
    let sid = fake.seed_session(&uid);
    let mut p = Plan::new();
    let list = p.call("clerk_list_sessions", json!({"user_id": uid}));
    let neither = p.call("clerk_list_sessions", json!({}));
    let got = p.call("clerk_get_session", json!({"session_id": sid}));
    let rev = p.call("clerk_revoke_session", json!({"session_id": sid}));
    let active = p.call(
        "clerk_list_sessions",
        json!({"user_id": uid, "status": "active"}),
    );
    let out = run(&p).await;
    assert_eq!(ok(&out, list)["total_count"], json!(1));
    assert_eq!(
        tool_error(&out, neither)["code"],
        json!("form_param_missing")
    );
    assert_eq!(ok(&out, got)["status"], json!("active"));
    assert_eq!(ok(&out, rev)["status"], json!("revoked"));
    assert_eq!(ok(&out, active)["total_count"], json!(0));

    // allow / block lists
    let mut p = Plan::new();
    let al = p.call(
        "clerk_add_to_allowlist",
        json!({"body": {"identifier": "*@acme.com"}}),
    );
    let all = p.call("clerk_list_allowlist", json!({}));
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
    let out = run(&p).await;
    assert_eq!(ok(&out, all)["data"][0]["identifier"], json!("*@acme.com"));
    assert_eq!(ok(&out, al_del)["deleted"], json!(true));
    assert_eq!(
        ok(&out, bll)["data"][0]["identifier_type"],
        json!("email_address")
    );
    assert_eq!(ok(&out, bl_del)["deleted"], json!(true));
    assert_eq!(tool_error(&out, bl_gone)["status"], json!(404));

    // organization domains
    let mut p = Plan::new();
    let org = p.call(
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
    let dd = p.call(
        "clerk_remove_organization_domain",
        json!({"organization_id": oid, "domain_id": r(d, "structured.id")}),
    );
    let out = run(&p).await;
    assert_eq!(ok(&out, dl)["data"][0]["name"], json!("acme.com"));
    assert_eq!(ok(&out, du)["verification"]["status"], json!("verified"));
    assert_eq!(ok(&out, dd)["deleted"], json!(true));

    let curated: BTreeSet<String> = TABLE.iter().map(|(_, n, _)| n.to_string()).collect();
    let missing: Vec<_> = curated.difference(&exercised).collect();
    assert!(
        missing.is_empty(),
        "tools not exercised end to end: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_scenario_refuses_writes_and_serves_reads() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    let srv = start(
        &["--clerk-api-url", &fake.url, "--read-only"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let plan = json!([
        ["clerk_get_user", {"user_id": uid}],
        ["clerk_list_users", {}],
        ["clerk_create_organization", {"body": {"name": "Nope"}}],
        ["clerk_delete_user", {"user_id": uid}],
        ["clerk_api_call", {"operation_id": "DeleteUser", "arguments": {"user_id": uid}}],
        ["clerk_list_organizations", {}]
    ]);
    let out = python::http(&srv.url(), "auto", &plan, &[]).await;
    assert_eq!(ok(&out, 0)["id"], json!(uid));
    assert_eq!(ok(&out, 1)["total_count"], json!(1));
    for i in [2, 3] {
        let e = &out["results"][i]["protocol_error"];
        assert!(
            e["message"].as_str().unwrap().contains("read-only"),
            "call {i}: {}",
            out["results"][i]
        );
    }
    assert_eq!(tool_error(&out, 4)["error"], json!("refused"));
    assert_eq!(ok(&out, 5)["total_count"], json!(0));
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
    let listed: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&"clerk_delete_user") && listed.contains(&"clerk_get_user"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_metadata_is_returned_only_when_exposed() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ann", "Lee", "ann@example.com");
    fake.set_user_field(&uid, "private_metadata", json!({"ssn": SECRET_PM}));
    let plan = json!([["clerk_get_user", {"user_id": uid}], ["clerk_list_users", {}], ["clerk_api_call", {"operation_id": "GetUser", "arguments": {"user_id": uid}}]]);
    let hidden = start(
        &["--clerk-api-url", &fake.url],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let out = python::http(&hidden.url(), "auto", &plan, &[]).await;
    assert_redacted(&out);
    let exposed = start(
        &["--clerk-api-url", &fake.url, "--expose-private-metadata"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let out = python::http(&exposed.url(), "auto", &plan, &[]).await;
    for i in 0..3 {
        assert!(
            out["results"][i].to_string().contains(SECRET_PM),
            "call {i} should include private metadata"
        );
    }
}
