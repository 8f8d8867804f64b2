//! Running the official MCP Python SDK driver (`tests/e2e/mcp_client.py`).

use serde_json::Value;

/// The interpreter with `mcp` installed: `CLERK_MCP_PYTHON`, else the repo's `.venv`.
pub fn python() -> String {
    if let Ok(p) = std::env::var("CLERK_MCP_PYTHON") {
        return p;
    }
    let venv = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&venv).exists(),
        "the end-to-end tests need the MCP Python SDK: run `scripts/test-deps` (or .ci/run), or set CLERK_MCP_PYTHON"
    );
    venv
}

fn script() -> String {
    format!("{}/tests/e2e/mcp_client.py", env!("CARGO_MANIFEST_DIR"))
}

async fn run(mut cmd: tokio::process::Command) -> Value {
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("python client finished within 60 s")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python client failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bad output ({e}): {stdout}\n{stderr}"))
}

/// Streamable HTTP: `mode` is "auto" (2026-07-28) or "legacy" (2025-11-25).
pub async fn http(url: &str, mode: &str, plan: &Value, headers: &[(&str, &str)]) -> Value {
    http_env(url, mode, plan, headers, &[]).await
}

/// [`http`] with environment for the driver (e.g. `ELICIT=accept`).
pub async fn http_env(
    url: &str,
    mode: &str,
    plan: &Value,
    headers: &[(&str, &str)],
    env: &[(&str, &str)],
) -> Value {
    let mut cmd = tokio::process::Command::new(python());
    cmd.env_remove("ELICIT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.arg(script())
        .arg("http")
        .arg(url)
        .arg(mode)
        .arg(plan.to_string());
    for (k, v) in headers {
        cmd.arg(format!("{k}={v}"));
    }
    run(cmd).await
}

/// stdio: the SDK launches `clerk-mcp stdio` itself with `env`.
pub async fn stdio(mode: &str, plan: &Value, env: &[(&str, &str)]) -> Value {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(script())
        .arg("stdio")
        .arg(mode)
        .arg(plan.to_string())
        .arg(env!("CARGO_BIN_EXE_clerk-mcp"))
        .arg("stdio");
    cmd.env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_API_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd).await
}

/// Streamable HTTP with no token: the SDK's `OAuthClientProvider` gets one from the authorization
/// server the server's metadata names (see tests/e2e/mcp_client.py).
pub async fn oauth(url: &str, mode: &str, plan: &Value) -> Value {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(script())
        .arg("oauth")
        .arg(url)
        .arg(mode)
        .arg(plan.to_string());
    run(cmd).await
}
