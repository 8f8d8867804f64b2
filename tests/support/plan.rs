//! Python SDK plans for the end-to-end scenarios: building a plan whose later calls use earlier
//! results, reading its results, and the private-metadata canary with the check that it never
//! shows.

use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Builds a Python SDK plan whose later calls can use earlier results.
#[derive(Default)]
pub struct Plan {
    calls: Vec<Value>,
    exercised: BTreeSet<String>,
}

impl Plan {
    pub fn new() -> Plan {
        Plan::default()
    }
    /// A call to a tool of the toolset under test.
    pub fn call(&mut self, tool: &str, args: Value) -> usize {
        self.exercised.insert(tool.to_string());
        self.push(tool, args)
    }
    /// A call to another toolset's tool (setup or a cross-check); it does not count as exercised.
    pub fn extra(&mut self, tool: &str, args: Value) -> usize {
        self.push(tool, args)
    }
    fn push(&mut self, tool: &str, args: Value) -> usize {
        self.calls.push(json!([tool, args]));
        self.calls.len() - 1
    }
    pub fn json(&self) -> Value {
        Value::Array(self.calls.clone())
    }
    /// The tools added with `call`.
    pub fn exercised(&self) -> &BTreeSet<String> {
        &self.exercised
    }
    /// Every call's tool, in order (`call` and `extra` alike).
    pub fn tools(&self) -> Vec<String> {
        self.calls
            .iter()
            .map(|c| c[0].as_str().unwrap().to_string())
            .collect()
    }
}

pub fn r(i: usize, path: &str) -> String {
    format!("${{{i}.{path}}}")
}

/// A successful result's structuredContent, checked against the tool's outputSchema (by the Python
/// driver, with python-jsonschema).
pub fn ok(out: &Value, i: usize) -> &Value {
    let res = &out["results"][i];
    assert_eq!(res["is_error"], json!(false), "call {i} failed: {res}");
    assert_eq!(
        res["schema_error"],
        Value::Null,
        "call {i}: structuredContent does not match the outputSchema: {res}"
    );
    &res["structured"]
}

pub fn tool_error(out: &Value, i: usize) -> Value {
    let res = &out["results"][i];
    assert_eq!(res["is_error"], json!(true), "call {i} should fail: {res}");
    serde_json::from_str(res["text"].as_str().unwrap()).unwrap()
}

pub const SECRET_PM: &str = "PRIVATE-CANARY-7731";

/// No result shows the private-metadata canary, and every `private_metadata` a result does show is
/// the redaction marker. Returns how many markers were seen (full views and `fields` show them).
pub fn assert_redacted(out: &Value) -> usize {
    fn walk(v: &Value, found: &mut usize) {
        match v {
            Value::Object(o) => {
                for (k, c) in o {
                    if k == "private_metadata" && !c.is_null() {
                        assert_eq!(
                            c,
                            &json!(clerk_mcp::results::envelope::PRIVATE_METADATA_MARKER)
                        );
                        *found += 1;
                    } else {
                        walk(c, found);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    let mut found = 0;
    for res in out["results"].as_array().unwrap() {
        assert!(
            !res.to_string().contains(SECRET_PM),
            "private metadata leaked: {res}"
        );
        walk(&res["structured"], &mut found);
    }
    found
}
