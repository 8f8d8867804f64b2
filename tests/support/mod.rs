//! Shared test support: the fake Clerk API and helpers to run the real server against it.
#![allow(dead_code)]

pub mod fake_clerk;
pub mod harness;
pub mod node;
pub mod oauth;
pub mod plan;
pub mod python;
pub mod redis;
pub mod server;
pub mod ts_client;

/// The lines of an audit log (JSON Lines), parsed; none when the file does not exist.
pub fn audit_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
