//! The curated tools: the tool surface (snapshot, names, annotations, schemas), the filters, and
//! private metadata redaction. The end-to-end scenario of each toolset through the official MCP
//! Python SDK lives in tests/toolsets.rs.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::plan::{SECRET_PM, assert_redacted, ok, tool_error};
use support::python;
use support::server::{Client, Era, args, secrets, start};

/// The curated tools and the operation each one performs (their toolsets are in the README table,
/// generated from the registry and checked below).
const TABLE: &[(&str, &str)] = &[
    ("clerk_list_users", "GetUserList"),
    ("clerk_count_users", "GetUsersCount"),
    ("clerk_get_user", "GetUser"),
    ("clerk_create_user", "CreateUser"),
    ("clerk_update_user", "UpdateUser"),
    ("clerk_delete_user", "DeleteUser"),
    ("clerk_ban_user", "BanUser"),
    ("clerk_unban_user", "UnbanUser"),
    ("clerk_lock_user", "LockUser"),
    ("clerk_unlock_user", "UnlockUser"),
    ("clerk_update_user_metadata", "UpdateUserMetadata"),
    (
        "clerk_list_user_memberships",
        "UsersGetOrganizationMemberships",
    ),
    ("clerk_list_organizations", "ListOrganizations"),
    ("clerk_get_organization", "GetOrganization"),
    ("clerk_create_organization", "CreateOrganization"),
    ("clerk_update_organization", "UpdateOrganization"),
    ("clerk_delete_organization", "DeleteOrganization"),
    (
        "clerk_update_organization_metadata",
        "MergeOrganizationMetadata",
    ),
    (
        "clerk_list_organization_members",
        "ListOrganizationMemberships",
    ),
    (
        "clerk_add_organization_member",
        "CreateOrganizationMembership",
    ),
    ("clerk_update_member_role", "UpdateOrganizationMembership"),
    (
        "clerk_update_member_metadata",
        "UpdateOrganizationMembershipMetadata",
    ),
    ("clerk_remove_member", "DeleteOrganizationMembership"),
    (
        "clerk_list_organization_invitations",
        "ListOrganizationInvitations",
    ),
    (
        "clerk_create_organization_invitation",
        "CreateOrganizationInvitation",
    ),
    (
        "clerk_create_organization_invitations_bulk",
        "CreateOrganizationInvitationBulk",
    ),
    (
        "clerk_revoke_organization_invitation",
        "RevokeOrganizationInvitation",
    ),
    ("clerk_list_invitations", "ListInvitations"),
    ("clerk_create_invitation", "CreateInvitation"),
    ("clerk_revoke_invitation", "RevokeInvitation"),
    ("clerk_list_organization_roles", "ListOrganizationRoles"),
    ("clerk_get_organization_role", "GetOrganizationRole"),
    ("clerk_create_organization_role", "CreateOrganizationRole"),
    ("clerk_update_organization_role", "UpdateOrganizationRole"),
    ("clerk_delete_organization_role", "DeleteOrganizationRole"),
    (
        "clerk_assign_role_permission",
        "AssignPermissionToOrganizationRole",
    ),
    (
        "clerk_remove_role_permission",
        "RemovePermissionFromOrganizationRole",
    ),
    (
        "clerk_list_organization_permissions",
        "ListOrganizationPermissions",
    ),
    (
        "clerk_create_organization_permission",
        "CreateOrganizationPermission",
    ),
    (
        "clerk_delete_organization_permission",
        "DeleteOrganizationPermission",
    ),
    ("clerk_list_sessions", "GetSessionList"),
    ("clerk_get_session", "GetSession"),
    ("clerk_revoke_session", "RevokeSession"),
    ("clerk_list_allowlist", "ListAllowlistIdentifiers"),
    ("clerk_add_to_allowlist", "CreateAllowlistIdentifier"),
    ("clerk_remove_from_allowlist", "DeleteAllowlistIdentifier"),
    ("clerk_list_blocklist", "ListBlocklistIdentifiers"),
    ("clerk_add_to_blocklist", "CreateBlocklistIdentifier"),
    ("clerk_remove_from_blocklist", "DeleteBlocklistIdentifier"),
    ("clerk_list_organization_domains", "ListOrganizationDomains"),
    ("clerk_add_organization_domain", "CreateOrganizationDomain"),
    (
        "clerk_update_organization_domain",
        "UpdateOrganizationDomain",
    ),
    (
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
fn every_tool_in_the_table_exists_and_performs_its_operation() {
    let reg = clerk_mcp::tools::all();
    for (name, op) in TABLE {
        let t = reg.get(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_ne!(t.toolset.id, "api", "{name}");
        assert_eq!(t.operations[0].operation_id, *op, "{name}");
    }
    let curated = reg.all().iter().filter(|t| t.toolset.id != "api").count();
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
            // Hints at the spec's defaults are left out: readOnly false, idempotent false; destructive
            // defaults to true, so it is always stated.
            assert!(hints.get("readOnlyHint").is_none(), "{name}: {a}");
            assert!(
                a["destructiveHint"].is_boolean(),
                "{name} lacks destructiveHint"
            );
            assert!(
                hints
                    .get("idempotentHint")
                    .is_none_or(|v| v == &json!(true)),
                "{name}: {a}"
            );
        }
        // Timestamp filters have no description of their own; the tool states the unit once.
        let props = t["inputSchema"]["properties"].as_object().unwrap();
        if props.iter().any(|(k, p)| {
            clerk_mcp::tools::text::is_timestamp_filter(k) && p.get("description").is_none()
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
    // Clients send the tool list with every model request: the default one stays within 8,000
    // tokens (bytes/4), output schemas, `view` and `fields` included.
    let bytes = serde_json::to_string(&default["tools"]).unwrap().len();
    assert!(
        bytes <= 32_000,
        "default tools/list is {bytes} B ≈ {} tokens, over 8,000",
        bytes / 4
    );
    // Every tool that returns Clerk objects says what it returns, and takes `view` and `fields`.
    for t in default["tools"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if !name.starts_with("clerk_api_")
            && !name.contains("delete")
            && name != "clerk_remove_member"
            && name != "clerk_count_users"
        {
            assert!(
                t["outputSchema"]["properties"].is_object(),
                "{name}: outputSchema has no properties"
            );
            let props = &t["inputSchema"]["properties"];
            assert!(
                props["view"].is_object() && props["fields"].is_object(),
                "{name}"
            );
        }
    }
}

/// One snapshot per tool (tests/snapshots/tools__<name>.snap): any change to a tool's name,
/// description, schema or annotations shows up in review as a change to that tool's file.
#[test]
fn tool_surface_snapshots() {
    let all = all_tools_json();
    let tools = all["tools"].as_array().unwrap();
    for t in tools {
        insta::assert_json_snapshot!(t["name"].as_str().unwrap(), t);
    }
    // No snapshot is left behind for a tool that no longer exists.
    let dir = format!("{}/tests/snapshots", env!("CARGO_MANIFEST_DIR"));
    let names: BTreeSet<String> = tools
        .iter()
        .map(|t| format!("tools__{}.snap", t["name"].as_str().unwrap()))
        .collect();
    for f in std::fs::read_dir(dir).unwrap() {
        let f = f.unwrap().file_name().to_string_lossy().into_owned();
        if f.starts_with("tools__") && f.ends_with(".snap") {
            assert!(names.contains(&f), "stale snapshot {f}: its tool is gone");
        }
    }
}

/// Checks (or, with UPDATE_README=1, rewrites) the README section between `<!-- name:start -->`
/// and `<!-- name:end -->`.
fn readme_section(name: &str, generated: &str) {
    let path = format!("{}/README.md", env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let a = readme.find(&start).expect("README has the start marker") + start.len();
    let b = readme.find(&end).expect("README has the end marker");
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(
            &path,
            format!("{}{generated}{}", &readme[..a], &readme[b..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        &readme[a..b],
        generated,
        "README {name} table is stale: run `UPDATE_README=1 cargo test --test tools readme`"
    );
}

/// The README's toolset table is generated from the registry; it must match.
#[test]
fn readme_toolset_table_matches_the_registry() {
    let table = clerk_mcp::tools::readme_table(&clerk_mcp::tools::all());
    for set in clerk_mcp::tools::toolsets::ALL {
        assert!(table.contains(&format!("| {} |", set.id)));
    }
    readme_section("toolsets", &table);
}

/// The README's table of compact views is generated from the one table in `results/views.rs`.
#[test]
fn readme_views_table_matches_the_views() {
    let table = clerk_mcp::results::views::readme_table();
    assert!(table.contains("`user`") && table.contains("`organization_membership`"));
    readme_section("views", &table);
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
    let reg = clerk_mcp::tools::all();
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
    // List items leave metadata out unless asked for with `fields`.
    let plan = json!([["clerk_get_user", {"user_id": uid}], ["clerk_list_users", {"fields": ["private_metadata"]}], ["clerk_api_call", {"operation_id": "GetUser", "arguments": {"user_id": uid}}]]);
    let hidden = start(
        &["--clerk-api-url", &fake.url],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let out = python::http(&hidden.url(), "auto", &plan, &[]).await;
    assert!(
        assert_redacted(&out) > 0,
        "the list asked for it: the marker"
    );
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
