//! Tool arguments generated from each tool's input schema (with deliberate mistakes mixed in) through
//! `tools/call` on the real router: every answer is a result, an `isError` with a message, or a
//! JSON-RPC error with a message; never a panic or a 5xx.
#![no_main]

#[path = "../../tests/support/harness.rs"]
#[allow(dead_code)]
mod harness;

use arbitrary::Unstructured;
use harness::{APP, RT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let tools = APP.1.registry.all();
    let t = &tools[u.choose_index(tools.len()).unwrap_or(0)];
    let schema = serde_json::Value::Object((*t.tool.input_schema).clone());
    let args = harness::args_for(&schema, &mut u, 0);
    let (status, text) = RT.block_on(harness::post(&APP.0, harness::call_body(t.name(), &args), "tools/call", Some(t.name())));
    if let Err(e) = harness::check(status, &text) {
        panic!("{}({args}): {e}", t.name());
    }
});
