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
