//! The task benchmark: what twelve everyday admin tasks put in front of the model.
//!
//! `cargo bench --bench tasks` fills the fake Clerk like a production instance (users shaped as
//! Clerk's spec says, organizations with 5–50 members), runs each task's tool calls against the real
//! server over HTTP, and reports per task the calls, the bytes of text the model reads (the compact
//! default, and the same calls with `view: "full"`, i.e. Clerk's objects as before), the bytes of the
//! whole JSON-RPC results, and a hand-made minimal answer. It writes `docs/tasks.md` and the README
//! section between the `tasks` markers. Under `cargo test` it runs the same tasks and writes nothing.

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{Value, json};
use support::fake_clerk::seed::Seeded;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{Client, Era, secrets, start};

/// One task: its tool calls and the shortest answer a person would accept.
struct Task {
    name: &'static str,
    calls: Vec<(&'static str, Value)>,
    minimal: String,
}

/// What one run of a task cost.
#[derive(Default, Clone, Copy)]
struct Cost {
    text: usize,
    result: usize,
}

fn tasks(s: &Seeded, users: &[Value], org_slug: &str, org_id: &str, member: &str) -> Vec<Task> {
    let u0 = &users[1];
    let email = u0["email_addresses"][0]["email_address"]
        .as_str()
        .unwrap()
        .to_string();
    let uid = u0["id"].as_str().unwrap().to_string();
    let name = |u: &Value| {
        format!(
            "{} {}",
            u["first_name"].as_str().unwrap_or(""),
            u["last_name"].as_str().unwrap_or("")
        )
    };
    let newest: Vec<String> = users
        .iter()
        .rev()
        .take(20)
        .map(|u| {
            format!(
                "{} <{}>",
                name(u),
                u["email_addresses"][0]["email_address"].as_str().unwrap()
            )
        })
        .collect();
    let ban_target = s.users[7].clone();
    vec![
        Task {
            name: "find a user by email and show their organizations",
            calls: vec![
                ("clerk_list_users", json!({"email_address": [email]})),
                ("clerk_list_user_memberships", json!({"user_id": uid})),
            ],
            minimal: format!("{} ({uid}) <{email}>: Globex (org:member), Initech (org:member)", name(u0)),
        },
        Task {
            name: "an organization by slug, with its members and roles",
            calls: vec![
                ("clerk_get_organization", json!({"organization_id": org_slug})),
                ("clerk_list_organization_members", json!({"organization_id": org_id, "limit": 20})),
            ],
            minimal: format!(
                "Globex ({org_id}), 18 members: {}",
                (0..18).map(|i| format!("Member Name{i} <member{i}@example.com> org:member")).collect::<Vec<_>>().join("; ")
            ),
        },
        Task {
            name: "how many users",
            calls: vec![("clerk_count_users", json!({}))],
            minimal: format!("{} users", s.users.len()),
        },
        Task {
            name: "the 20 newest users (name + email)",
            calls: vec![("clerk_list_users", json!({"limit": 20}))],
            minimal: newest.join("\n"),
        },
        Task {
            name: "merge public metadata into a user",
            calls: vec![(
                "clerk_update_user_metadata",
                json!({"user_id": uid, "body": {"public_metadata": {"plan": "enterprise"}}}),
            )],
            minimal: format!("{uid}: public_metadata.plan = enterprise"),
        },
        Task {
            name: "pending invitations of an organization",
            calls: vec![(
                "clerk_list_organization_invitations",
                json!({"organization_id": org_id, "status": "pending"}),
            )],
            minimal: "3 pending: invitee0@globex.example.com, invitee1@globex.example.com, invitee2@globex.example.com (org:member)".into(),
        },
        Task {
            name: "invite an email to an organization",
            calls: vec![(
                "clerk_create_organization_invitation",
                json!({"organization_id": org_id, "body": {"email_address": "new.hire@example.com", "role": "org:member"}}),
            )],
            minimal: "Invited new.hire@example.com to Globex as org:member (orginv_2abcdefghijklmnopqrstuvwxyz1)".into(),
        },
        Task {
            name: "change a member's role",
            calls: vec![(
                "clerk_update_member_role",
                json!({"organization_id": org_id, "user_id": member, "body": {"role": "org:admin"}}),
            )],
            minimal: format!("{member} is now org:admin in Globex"),
        },
        Task {
            name: "remove a member",
            calls: vec![(
                "clerk_remove_member",
                json!({"organization_id": org_id, "user_id": member}),
            )],
            minimal: format!("{member} removed from Globex"),
        },
        Task {
            name: "organizations with member counts",
            calls: vec![("clerk_list_organizations", json!({"include_members_count": true}))],
            minimal: "Acme Inc 5, Globex 18, Initech 31, Umbrella Research 44, Stark Industries 11, Wayne Enterprises 24"
                .into(),
        },
        Task {
            name: "ban a user and revoke their sessions",
            calls: vec![
                ("clerk_ban_user", json!({"user_id": ban_target})),
                ("clerk_list_sessions", json!({"user_id": ban_target, "status": "active"})),
            ],
            minimal: format!("{ban_target} banned; 0 active sessions"),
        },
        Task {
            name: "which organization roles and permissions exist",
            calls: vec![
                ("clerk_list_organization_roles", json!({})),
                ("clerk_list_organization_permissions", json!({})),
            ],
            minimal: "org:admin (7 permissions), org:member (sys_profile:manage), org:billing (3); permissions: \
                      org:sys_profile:manage, org:sys_profile:delete, org:sys_memberships:read, org:sys_memberships:manage, \
                      org:sys_domains:read, org:sys_domains:manage, org:billing:manage"
                .into(),
        },
    ]
}

/// Whether a tool takes `view` (the full-view column runs the same calls with `view: "full"`).
fn offers_view(tools: &[Value], name: &str) -> bool {
    tools
        .iter()
        .find(|t| t["name"] == json!(name))
        .is_some_and(|t| t["inputSchema"]["properties"].get("view").is_some())
}

async fn run(c: &mut Client, tools: &[Value], t: &Task, full: bool) -> Cost {
    let mut cost = Cost::default();
    for (tool, args) in &t.calls {
        let mut args = args.clone();
        if full && offers_view(tools, tool) {
            args["view"] = json!("full");
        }
        let r = c.call(tool, args.clone()).await;
        assert_ne!(
            r["isError"],
            json!(true),
            "{}: {tool}({args}) failed: {r}",
            t.name
        );
        if !full && std::env::var_os("CLERK_MCP_TASKS_DUMP").is_some() {
            eprintln!("== {tool}\n{}", r["content"][0]["text"].as_str().unwrap());
        }
        cost.text += r["content"][0]["text"].as_str().unwrap().len();
        cost.result += r.to_string().len();
    }
    cost
}

fn main() {
    clerk_mcp::clerk::install_crypto_provider();
    let full_run = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(measure());
    println!("{report}");
    if full_run {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::write(
            root.join("docs/tasks.md"),
            format!("# Task benchmark\n\n{report}"),
        )
        .unwrap();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let (start, end) = ("<!-- tasks:start -->\n", "<!-- tasks:end -->");
        let a = readme
            .find(start)
            .expect("README has the tasks:start marker")
            + start.len();
        let b = readme.find(end).expect("README has the tasks:end marker");
        std::fs::write(
            root.join("README.md"),
            format!("{}{report}{}", &readme[..a], &readme[b..]),
        )
        .unwrap();
        eprintln!("wrote docs/tasks.md and the README's task section");
    }
}

/// A fake instance filled like production and a server in front of it. Seeding is deterministic,
/// so two of them hold the same ids: the compact and the full-view runs each get their own, and
/// writes in one do not change what the other sees.
async fn instance() -> (FakeClerk, support::server::TestServer, Seeded) {
    let fake = FakeClerk::start().await;
    let seeded = fake.seed_instance(120, 6);
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--toolsets",
            "all",
            "--rate-limit",
            "0",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    (fake, srv, seeded)
}

async fn measure() -> String {
    let (_fake, srv, seeded) = instance().await;
    let (_fake_full, srv_full, seeded_full) = instance().await;
    assert_eq!(seeded.users, seeded_full.users, "seeding is deterministic");
    let mut c = Client::new(&srv.url(), Era::Modern);
    let mut cf = Client::new(&srv_full.url(), Era::Modern);
    let tools = c.list_tools().await;
    // Raw users (as Clerk sends them), oldest first, for the tasks' arguments and minimal answers.
    let mut users: Vec<Value> = Vec::new();
    for id in &seeded.users {
        users.push(
            c.ok("clerk_get_user", json!({"user_id": id, "view": "full"}))
                .await,
        );
    }
    let (org_id, org_slug) = seeded.orgs[1].clone();
    let members = c
        .ok(
            "clerk_list_organization_members",
            json!({"organization_id": org_id, "limit": 50}),
        )
        .await;
    let member = members["data"][3]["user_id"]
        .as_str()
        .expect("a member with a user id")
        .to_string();

    let mut rows = String::new();
    let (mut total_text, mut total_full, mut total_min) = (0, 0, 0);
    let mut over = Vec::new();
    for t in tasks(&seeded, &users, &org_slug, &org_id, &member) {
        let full = run(&mut cf, &tools, &t, true).await;
        let compact = run(&mut c, &tools, &t, false).await;
        let min = t.minimal.len();
        let ok = compact.text <= 3 * min + 1024;
        if !ok {
            over.push(t.name);
        }
        total_text += compact.text;
        total_full += full.text;
        total_min += min;
        rows.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.1}× | {} |\n",
            t.name,
            t.calls.len(),
            compact.text,
            compact.result,
            full.text,
            min,
            full.text as f64 / compact.text as f64,
            if ok { "yes" } else { "**no**" }
        ));
    }

    // Single objects, for the per-object targets.
    let typical = c
        .call("clerk_get_user", json!({"user_id": seeded.users[1]}))
        .await;
    let user_json = serde_json::to_string(&typical["structuredContent"])
        .unwrap()
        .len();
    let user_text = typical["content"][0]["text"].as_str().unwrap().len();
    let page = c.call("clerk_list_users", json!({"limit": 20})).await;
    let page_text = page["content"][0]["text"].as_str().unwrap().len();
    let m = c
        .ok(
            "clerk_list_organization_members",
            json!({"organization_id": org_id, "limit": 1}),
        )
        .await;
    let membership = serde_json::to_string(&m["data"][0]).unwrap().len();
    // The budget against a large instance: 600 users, asked for 500 at once.
    let big = FakeClerk::start().await;
    big.seed_instance(600, 2);
    let big_srv = start(
        &["--clerk-api-url", &big.url, "--rate-limit", "0"],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let huge = Client::new(&big_srv.url(), Era::Modern)
        .call("clerk_list_users", json!({"limit": 500}))
        .await;
    let huge_text = huge["content"][0]["text"].as_str().unwrap().len();
    let huge_items = huge["structuredContent"]["data"].as_array().unwrap().len();

    let mark = |ok: bool| if ok { "met" } else { "**missed**" };
    format!(
        "Measured by `cargo bench --bench tasks`: the fake Clerk filled with {} users shaped as Clerk's spec says \
         (one or two emails, some a phone or a Google account, metadata, memberships) and {} organizations with \
         5–50 members. \"text\" is what the model reads (the JSON with the untrusted-data notice), \"result\" the \
         whole JSON-RPC result (text + structuredContent); \"full view\" runs the same calls with `view: \"full\"` \
         (Clerk's objects as returned, as every result was before views).\n\n\
         | task | calls | text B | result B | full view text B | minimal B | full ÷ compact | ≤ 3×min + 1 KB |\n\
         |---|---:|---:|---:|---:|---:|---:|---|\n{rows}\
         | **all 12 tasks** | | **{total_text}** | | {total_full} | {total_min} | {:.1}× | |\n\n\
         | target | measured | |\n|---|---|---|\n\
         | a typical user in compact view ≤ 600 B of text | {user_json} B JSON ({user_text} B with the notice) | {} |\n\
         | a page of 20 users ≤ 10 KB | {page_text} B | {} |\n\
         | a membership ≤ 350 B | {membership} B | {} |\n\
         | the 12-task suite ≤ 15 KB of text | {total_text} B | {} |\n\
         | no task above 3× its minimal answer + 1 KB | {} | {} |\n\
         | no result above the budget (10,000 tokens = 40,000 B), even `limit: 500` of 600 users | {huge_text} B ({huge_items} users, then `next_offset`) | {} |\n",
        seeded.users.len(),
        seeded.orgs.len(),
        total_full as f64 / total_text as f64,
        mark(user_json <= 600),
        mark(page_text <= 10_240),
        mark(membership <= 350),
        mark(total_text <= 15_360),
        if over.is_empty() {
            "none over".to_string()
        } else {
            format!("over: {}", over.join(", "))
        },
        mark(over.is_empty()),
        mark(huge_text <= 40_000),
    )
}
