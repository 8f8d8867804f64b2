//! Running the official TypeScript v2 client driver (`tests/e2e/ts_client.cjs`).

use serde_json::Value;

/// `era` is "modern" (2026-07-28) or "legacy" (2025-11-25); `env` e.g. `ELICIT=accept`.
pub async fn run(url: &str, era: &str, plan: &Value, env: &[(&str, &str)]) -> Value {
    let node = super::node::node_bin().join("node");
    let script = format!("{}/tests/e2e/ts_client.cjs", env!("CARGO_MANIFEST_DIR"));
    let mut cmd = tokio::process::Command::new(node);
    cmd.arg(script)
        .arg(url)
        .arg(era)
        .arg(plan.to_string())
        .env(
            "TS_CLIENT_PREFIX",
            super::node::tool_dir().join("ts-client"),
        )
        .env_remove("ELICIT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("the TypeScript client finished within 60 s")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "TypeScript client failed ({}); run scripts/test-deps if it is missing:\n{stderr}\n{stdout}",
        out.status
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bad output ({e}): {stdout}\n{stderr}"))
}
