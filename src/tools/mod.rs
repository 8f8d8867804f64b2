//! MCP tools: the registry and its filters (`registry`), the curated tools (`curated/`, one file per
//! toolset), the whole-API trio (`api`) and result shaping (`output`).

pub mod api;
pub mod args;
pub mod curated;
pub mod output;
pub mod registry;

pub use registry::{Filter, Registry, ToolDef};

use crate::clerk::{ApiError, ClerkApi, SecretKey};
use registry::Action;
use serde_json::{Value, json};

/// Everything a tool call needs besides its arguments.
pub struct Invocation<'a> {
    /// The process-wide Clerk client.
    pub api: &'a ClerkApi,
    /// The key for this call (server's in hosted mode, the request's in public mode).
    pub key: &'a SecretKey,
    /// Return private metadata instead of redacting it.
    pub expose_private_metadata: bool,
    /// Server and request filters; `clerk_api_*` applies them to operations too.
    pub filters: &'a [&'a Filter],
    /// When the whole tool call must be answered (`--call-deadline` from its start).
    pub deadline: tokio::time::Instant,
}

/// Why a tool call failed (always returned to the client as an `isError` result).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    /// The arguments do not fit the tool.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// A filter (read-only, deny list) refuses the operation.
    #[error("refused: {0}")]
    Refused(String),
    /// No usable Clerk key for this call.
    #[error("{0}")]
    MissingKey(String),
    /// The Clerk call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl ToolError {
    /// The JSON the client receives.
    pub fn to_json(&self) -> Value {
        match self {
            ToolError::Api(e) => e.to_json(),
            ToolError::InvalidArguments(m) => json!({"error": "invalid_arguments", "message": m}),
            ToolError::Refused(m) => json!({"error": "refused", "message": m}),
            ToolError::MissingKey(m) => json!({"error": "missing_clerk_secret_key", "message": m}),
        }
    }
}

/// The result of one tool call, with what the call log line needs.
#[derive(Debug)]
pub struct Outcome {
    /// Structured result or error.
    pub result: Result<Value, ToolError>,
    /// The Clerk operation called, if any.
    pub operation_id: Option<String>,
    /// HTTP status from Clerk, if a request was made.
    pub status: Option<u16>,
    /// Attempts made against Clerk.
    pub attempts: u32,
}

impl Outcome {
    /// A result computed without calling Clerk.
    pub fn local(result: Result<Value, ToolError>) -> Outcome {
        Outcome {
            result,
            operation_id: None,
            status: None,
            attempts: 0,
        }
    }

    /// A failure before any request.
    pub fn failed(op: Option<&str>, e: ToolError) -> Outcome {
        Outcome {
            result: Err(e),
            operation_id: op.map(String::from),
            status: None,
            attempts: 0,
        }
    }

    /// A Clerk call's outcome.
    pub fn from_api(op: &str, r: Result<(u16, Value), ApiError>, attempts: u32) -> Outcome {
        let (status, result) = match r {
            Ok((s, v)) => (Some(s), Ok(v)),
            Err(e) => (e.status(), Err(ToolError::Api(e))),
        };
        Outcome {
            result,
            operation_id: Some(op.to_string()),
            status,
            attempts,
        }
    }

    /// Clerk's trace id, when the failure carried one.
    pub fn trace_id(&self) -> Option<&str> {
        match &self.result {
            Err(ToolError::Api(e)) => e.trace_id(),
            _ => None,
        }
    }
}

/// Whether a tool needs a Clerk key (search and describe work offline).
pub fn needs_key(t: &ToolDef) -> bool {
    !matches!(t.action, Action::ApiSearch | Action::ApiDescribe)
}

/// Runs a tool. `key` is `None` only for tools that do not need one.
pub async fn run(
    t: &ToolDef,
    inv: Option<&Invocation<'_>>,
    filters: &[&Filter],
    args: Value,
) -> Outcome {
    match (t.action, inv) {
        (Action::ApiSearch, _) => api::run_search(&args, filters),
        (Action::ApiDescribe, _) => api::run_describe(&args),
        (Action::ApiCall, Some(inv)) => api::run_call(inv, &args).await,
        (Action::Curated(c), Some(inv)) => c.call(inv, args, &t.tool.input_schema).await,
        (_, None) => Outcome::failed(None, ToolError::MissingKey("no Clerk key".into())),
    }
}
