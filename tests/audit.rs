//! The audit log: a line per write (and per read with `--audit-reads`), naming the principal and
//! never a key, with secrets masked; a sink that cannot be written turns writes away; SIGHUP reopens
//! the file for logrotate. (Every write of the end-to-end scenarios is checked in tests/toolsets.rs.)

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::audit_lines;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{Client, Era, secrets, start};

fn temp_log() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("clerk-mcp-audit-test-{}.jsonl", fastrand::u64(..)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_mode_writes_are_recorded_with_a_key_fingerprint_and_masked_arguments() {
    let fake = FakeClerk::start().await;
    let log = temp_log();
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--audit-log",
            log.to_str().unwrap(),
        ],
        secrets(None, None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern).header("X-Clerk-Secret-Key", GOOD_KEY);
    let u = c
        .ok(
            "clerk_create_user",
            json!({"body": {"email_address": ["ann@example.com"], "password": "hunter2-hunter2",
                "private_metadata": {"ssn": "078-05-1120"}}}),
        )
        .await;
    let uid = u["id"].as_str().unwrap().to_string();
    c.ok("clerk_get_user", json!({"user_id": uid})).await;
    let e = c
        .err("clerk_ban_user", json!({"user_id": "user_missing"}))
        .await;
    assert_eq!(e["status"], json!(404));
    let l = audit_lines(&log);
    assert_eq!(l.len(), 2, "two writes, no read: {l:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    for secret in [GOOD_KEY, "fakeclerkgoodkey", "hunter2", "078-05-1120"] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    assert_eq!(l[0]["principal"]["kind"], json!("public_key"));
    assert!(
        l[0]["principal"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(l[0]["arguments"]["body"]["password"], json!("[masked]"));
    assert_eq!(
        l[0]["arguments"]["body"]["private_metadata"],
        json!("[masked]")
    );
    assert_eq!(
        l[0]["arguments"]["body"]["email_address"],
        json!(["ann@example.com"])
    );
    assert_eq!(
        l[0]["operations"],
        json!([{"operation_id": "CreateUser", "method": "POST", "path": "/users"}])
    );
    assert_eq!(
        (l[0]["outcome"].clone(), l[0]["status"].clone()),
        (json!("ok"), json!(200))
    );
    assert_eq!(l[1]["tool"], json!("clerk_ban_user"));
    assert_eq!(l[1]["targets"], json!({"user_id": "user_missing"}));
    assert_eq!(
        (
            l[1]["outcome"].clone(),
            l[1]["status"].clone(),
            l[1]["clerk_code"].clone()
        ),
        (
            json!("clerk_error"),
            json!(404),
            json!("resource_not_found")
        )
    );
    assert!(
        l[1]["clerk_trace_id"]
            .as_str()
            .unwrap()
            .starts_with("trace_")
    );
    assert_eq!(l[0]["peer"], json!("127.0.0.1"));
    let _ = std::fs::remove_file(log);

    // --audit-reads records reads too.
    let log = temp_log();
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--audit-log",
            log.to_str().unwrap(),
            "--audit-reads",
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    c.ok("clerk_get_user", json!({"user_id": uid})).await;
    c.ok(
        "clerk_api_call",
        json!({"operation_id": "GetUser", "arguments": {"user_id": uid}}),
    )
    .await;
    let l = audit_lines(&log);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["writes"], json!(false));
    assert_eq!(l[1]["operations"][0]["operation_id"], json!("GetUser"));
    assert_eq!(l[0]["principal"], json!({"kind": "anonymous"}));
    let _ = std::fs::remove_file(log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_that_cannot_be_written_turns_writes_away_and_reads_go_on() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let log = temp_log();
    let srv = start(
        &[
            "--clerk-api-url",
            &fake.url,
            "--audit-log",
            log.to_str().unwrap(),
        ],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern);
    c.ok("clerk_ban_user", json!({"user_id": uid})).await;
    srv.state.audit.as_ref().unwrap().break_for_test();
    // The next write cannot be recorded: it still happens (it was already sent), and from then on
    // writes are refused until the log works again.
    c.ok("clerk_unban_user", json!({"user_id": uid})).await;
    fake.clear_requests();
    let e = c.err("clerk_ban_user", json!({"user_id": uid})).await;
    assert_eq!(e["error"], json!("refused"));
    assert!(e["message"].as_str().unwrap().contains("audit log"), "{e}");
    assert!(fake.requests().is_empty(), "the refused write sent nothing");
    assert_eq!(
        c.ok("clerk_get_user", json!({"user_id": uid})).await["id"],
        json!(uid)
    );
    let h: Value = reqwest::get(format!("{}/api/health", srv.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], json!("degraded"));
    assert!(h["detail"].as_str().unwrap().contains("audit log"), "{h}");
    // Reopening (what SIGHUP does) brings writes back.
    srv.state.audit.as_ref().unwrap().reopen();
    c.ok("clerk_ban_user", json!({"user_id": uid})).await;
    assert_eq!(audit_lines(&log).len(), 2);
    let _ = std::fs::remove_file(log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reopens_the_file_after_logrotate_moved_it() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let log = temp_log();
    let rotated = log.with_extension("jsonl.1");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args([
            "--port",
            "0",
            "--clerk-api-url",
            &fake.url,
            "--audit-log",
            log.to_str().unwrap(),
        ])
        .env_clear()
        .env("CLERK_SECRET_KEY", GOOD_KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let addr = support::server::wait_for_listen_port(pid).await;
    let mut c = Client::new(&format!("http://{addr}/mcp"), Era::Modern);
    c.ok("clerk_ban_user", json!({"user_id": uid})).await;
    std::fs::rename(&log, &rotated).unwrap();
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(pid as i32, libc::SIGHUP);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.ok("clerk_unban_user", json!({"user_id": uid})).await;
    assert_eq!(audit_lines(&rotated).len(), 1);
    let fresh = audit_lines(&log);
    assert_eq!(fresh.len(), 1, "written to the reopened file");
    assert_eq!(fresh[0]["tool"], json!("clerk_unban_user"));
    let _ = child.kill().await;
    let _ = std::fs::remove_file(log);
    let _ = std::fs::remove_file(rotated);
}
