//! clerk-mcp: a Model Context Protocol server for the Clerk Backend API.
//!
//! The crate is a library so that integration tests can start the real server in-process; `main.rs`
//! is a thin CLI over it.

pub mod audit;
pub mod clerk;
pub mod codegen;
pub mod config;
pub mod ratelimit;
pub mod results;
pub mod server;
pub mod telemetry;
pub mod tools;
