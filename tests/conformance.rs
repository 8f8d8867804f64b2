//! The official MCP conformance suite (`@modelcontextprotocol/conformance`) against the real server,
//! for both protocol revisions, stateless and with legacy sessions.

mod support;

use serde_json::Value;
use std::path::Path;
use support::node::{node_bin, tool_dir};
use support::server::{secrets, start};

/// Scenarios that apply to any server, and the checks in them allowed to fail because they need the
/// suite's fixture tools, prompts or resources.
const GENERIC: [&str; 15] = [
    "server-stateless",
    "tools-list",
    "dns-rebinding-protection",
    "http-header-validation",
    "caching",
    "server-sse-multiple-streams",
    "sep-2164-resource-not-found",
    "input-required-result-unsupported-methods",
    "input-required-result-missing-input-response",
    "input-required-result-ignore-extra-params",
    "input-required-result-validate-input",
    "server-initialize",
    "ping",
    "server-session-lifecycle",
    "server-sse-polling",
];
const FIXTURE_ONLY_CHECKS: [&str; 3] = [
    "sep-2549-prompts-list-caching-hints",
    "sep-2549-resources-list-caching-hints",
    "sep-2549-resources-templates-list-caching-hints",
];

/// Scenarios that warn only because sessions are off (the default): stateless by design.
const STATELESS_2025_EXTRA: [&str; 1] = ["server-sse-multiple-streams"];

async fn run_suite(url: &str, requirements: &str, out: &Path, extra: &[&str]) {
    let conf = tool_dir().join("conformance");
    let path = format!(
        "{}:{}",
        node_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut baseline_text = std::fs::read_to_string(format!(
        "{}/tests/e2e/conformance-baseline.yml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for e in extra {
        baseline_text.push_str(&format!("  - {e}\n"));
    }
    let baseline = out.join("baseline.yml");
    std::fs::write(&baseline, baseline_text).unwrap();
    let out = out.join("results");
    let cmd = tokio::process::Command::new(conf.join("node_modules/.bin/conformance"))
        .args([
            "server",
            "--url",
            url,
            "--requirements",
            requirements,
            "--expected-failures",
        ])
        .arg(&baseline)
        .arg("-o")
        .arg(&out)
        .env("PATH", path)
        .current_dir(&conf)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(300), cmd)
        .await
        .expect("suite finishes")
        .expect("suite runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "conformance {requirements} against {url} failed:\n{text}"
    );
    assert!(text.contains("passed"), "{text}");
}

/// Every check of every generic scenario passed, except fixture-only ones.
fn check_generic(out: &Path) -> usize {
    let out = out.join("results");
    let mut checked = 0;
    for entry in std::fs::read_dir(out).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let Some(scenario) = GENERIC.iter().find(|s| {
            name.strip_prefix("server-")
                .is_some_and(|r| r.starts_with(&format!("{s}-20")))
        }) else {
            continue;
        };
        let checks: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("checks.json")).unwrap())
                .unwrap();
        for c in &checks {
            let id = c["id"].as_str().unwrap_or("");
            let msg = c["errorMessage"].as_str().unwrap_or("");
            if c["status"] == "FAILURE" {
                let fixture = msg.starts_with("Not testable") || FIXTURE_ONLY_CHECKS.contains(&id);
                assert!(fixture, "{scenario}: check {id} failed: {msg}");
            }
            checked += 1;
        }
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes_the_generic_scenarios() {
    for flags in [vec![], vec!["--legacy-sessions"]] {
        let srv = start(&flags, secrets(None, None)).await;
        for req in ["2026-07-28", "2025-11-25"] {
            let out = tempfile::tempdir().unwrap();
            let extra: &[&str] = if flags.is_empty() && req == "2025-11-25" {
                &STATELESS_2025_EXTRA
            } else {
                &[]
            };
            run_suite(&srv.url(), req, out.path(), extra).await;
            let checked = check_generic(out.path());
            assert!(
                checked >= 10,
                "{req} {flags:?}: only {checked} generic checks ran"
            );
        }
    }
}
