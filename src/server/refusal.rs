//! Every HTTP-level refusal, as one type with one `IntoResponse`: a JSON-RPC error body without an
//! id (clients expect JSON-RPC even when the request never reached the MCP layer), the status, and
//! the headers that tell a client what to do next (`Retry-After`, `WWW-Authenticate`).

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// JSON-RPC codes used for HTTP-level refusals.
pub mod code {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// The request is not an acceptable JSON-RPC request (batch, `id: null`, refused headers).
    pub const INVALID_REQUEST: i64 = -32600;
    /// A method's parameters have the wrong shape.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The server failed.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Limits (rate, sessions, size): a server-defined error.
    pub const LIMITED: i64 = -32000;
    /// Authentication failed.
    pub const UNAUTHORIZED: i64 = -32001;
}

/// A request refused before (or instead of) the MCP layer.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON-RPC error code.
    pub code: i64,
    /// What was wrong and how to fix it.
    pub message: String,
    /// Extra response headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Refusal {
    /// A refusal with a status, code and message.
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// 400 / -32600.
    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, code::INVALID_REQUEST, message)
    }

    /// 403 / -32600.
    pub fn forbidden(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::FORBIDDEN, code::INVALID_REQUEST, message)
    }

    /// A limit was hit: `status` with `Retry-After: seconds`.
    pub fn limited(status: StatusCode, retry_after: u64, message: impl Into<String>) -> Refusal {
        Refusal::new(status, code::LIMITED, message)
            .header(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)))
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Refusal {
        self.headers.push((name, value));
        self
    }

    /// The JSON-RPC body.
    pub fn body(&self) -> String {
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": self.code, "message": self.message}})
            .to_string()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut r = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        for (k, v) in self.headers {
            r.headers_mut().insert(k, v);
        }
        r
    }
}
