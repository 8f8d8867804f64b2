//! What a tool call gets ([`Invocation`]) and gives ([`Outcome`], [`ToolError`]), and the
//! [`Handler`] every tool carries. A leaf: it names no tool.

use super::filter::Filter;
use crate::clerk::{ApiError, ClerkApi, SecretKey};
use futures::future::BoxFuture;
use serde_json::{Value, json};

/// Everything a tool call needs besides its arguments.
pub struct Invocation<'a> {
    /// The process-wide Clerk client.
    pub api: &'a ClerkApi,
    /// The key for this call (server's in hosted mode, the request's in public mode); `None` for
    /// tools that need none.
    pub key: Option<&'a SecretKey>,
    /// Return private metadata instead of redacting it.
    pub expose_private_metadata: bool,
    /// Server and request filters; `clerk_api_*` applies them to operations too.
    pub filters: &'a [&'a Filter],
    /// When the whole tool call must be answered (`--call-deadline` from its start).
    pub deadline: tokio::time::Instant,
    /// `--max-result-tokens`.
    pub max_result_tokens: usize,
    /// Whether result text carries the untrusted-data notice.
    pub untrusted_notice: bool,
    /// A dry run: build the write's request and answer with it instead of sending it.
    pub dry_run: bool,
}

impl Invocation<'_> {
    /// How a result of `operation_id` is shaped for this call.
    pub fn result_context<'b>(
        &self,
        operation_id: &'b str,
        deletes: bool,
    ) -> crate::results::Context<'b> {
        crate::results::Context {
            operation_id,
            deletes,
            expose_private_metadata: self.expose_private_metadata,
            max_result_tokens: self.max_result_tokens,
            untrusted_notice: self.untrusted_notice,
        }
    }

    /// The key; the server only runs a tool that [needs one](Handler::needs_key) when it has one.
    pub fn key(&self) -> Result<&SecretKey, ToolError> {
        self.key
            .ok_or_else(|| ToolError::MissingKey("no Clerk key for this call".into()))
    }
}

/// What calling a tool does.
pub trait Handler: Send + Sync {
    /// Whether the tool calls Clerk (and so needs a key). Offline tools work without one.
    fn needs_key(&self) -> bool {
        true
    }

    /// Runs the tool with its arguments.
    fn call<'a>(&'a self, inv: &'a Invocation<'a>, args: Value) -> BoxFuture<'a, Outcome>;
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
    /// The stable kind, as the client sees it in `error` and the call log line shows it.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolError::Api(e) => e.kind(),
            ToolError::InvalidArguments(_) => "invalid_arguments",
            ToolError::Refused(_) => "refused",
            ToolError::MissingKey(_) => "missing_clerk_secret_key",
        }
    }

    /// The JSON the client receives.
    pub fn to_json(&self) -> Value {
        match self {
            ToolError::Api(e) => e.to_json(),
            other => json!({"error": other.kind(), "message": other.message()}),
        }
    }

    fn message(&self) -> String {
        match self {
            ToolError::InvalidArguments(m) | ToolError::Refused(m) | ToolError::MissingKey(m) => {
                m.clone()
            }
            ToolError::Api(e) => e.to_string(),
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
