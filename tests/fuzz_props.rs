//! Property tests (the in-suite counterpart of the fuzz targets in `fuzz/`): random HTTP bodies and
//! schema-shaped tool arguments into the real router. No panic, no 5xx, every rejection a JSON-RPC
//! error or an `isError` result with a message.

mod support;

use arbitrary::Unstructured;
use proptest::prelude::*;
use support::harness::{self, runtime};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn raw_bodies_never_break_the_server(body in proptest::collection::vec(any::<u8>(), 0..512), method_pick in 0usize..4) {
        let rt = runtime();
        let (router, _state) = rt.block_on(async { harness::router() });
        let method = ["tools/call", "tools/list", "server/discover", "initialize"][method_pick];
        let (status, text) = rt.block_on(harness::post(&router, body, method, Some("clerk_get_user")));
        prop_assert!(status < 500, "HTTP {} {}", status, text);
    }

    #[test]
    fn tool_arguments_from_the_schema_are_handled(seed in proptest::collection::vec(any::<u8>(), 16..512)) {
        let rt = runtime();
        let (router, state) = rt.block_on(async { harness::router() });
        let tools = state.registry.all();
        let mut u = Unstructured::new(&seed);
        let t = &tools[u.choose_index(tools.len()).unwrap_or(0)];
        let schema = serde_json::Value::Object((*t.tool.input_schema).clone());
        let args = harness::args_for(&schema, &mut u, 0);
        let (status, text) = rt.block_on(harness::post(&router, harness::call_body(t.name(), &args), "tools/call", Some(t.name())));
        if let Err(e) = harness::check(status, &text) {
            prop_assert!(false, "{}({}): {}", t.name(), args, e);
        }
    }
}

#[test]
fn json_rpc_shaped_garbage_gets_json_rpc_errors() {
    let rt = runtime();
    let (router, _state) = rt.block_on(async { harness::router() });
    for body in [
        &b"{"[..],
        b"[]",
        b"null",
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"oops"}"#,
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":123}}"#,
        br#"{"jsonrpc":"2.0","id":{"x":1},"method":"tools/call","params":{}}"#,
        b"\xff\xfe\xfd",
    ] {
        let (status, text) = rt.block_on(harness::post(&router, body.to_vec(), "tools/call", None));
        assert!(
            status < 500,
            "{:?}: HTTP {status} {text}",
            String::from_utf8_lossy(body)
        );
        if status >= 400 {
            let v: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
            assert!(v["error"]["message"].is_string(), "{text}");
        }
    }
}
