//! Raw HTTP bodies into the real axum service (`POST /mcp`): no panic, no 5xx, every rejection a
//! JSON-RPC error. The first byte picks the MCP method header so every path through rmcp is reached.
#![no_main]

#[path = "../../tests/support/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{APP, RT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (pick, body) = data.split_first().map(|(p, b)| (*p, b)).unwrap_or((0, data));
    let method = ["tools/call", "tools/list", "server/discover", "initialize", "ping"][pick as usize % 5];
    let (status, text) = RT.block_on(harness::post(&APP.0, body.to_vec(), method, Some("clerk_get_user")));
    assert!(status < 500, "HTTP {status}: {text}");
});
