//! Every way a Clerk call can fail, as one type with messages a model (and a human) can act on.
//!
//! progenitor's `Error` is mapped here and nowhere else. The serialized form is what tools return in
//! an `isError` result, so it carries Clerk's own `code`, `message`, `long_message`, `meta` and trace id.

use super::Observed;
use super::generated::types::ClerkErrors;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// One entry of Clerk's `errors` array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClerkErrorItem {
    /// Stable machine code, e.g. `resource_not_found`, `form_param_format_invalid`.
    pub code: String,
    /// Short message.
    pub message: String,
    /// Longer explanation, often naming the offending parameter.
    pub long_message: String,
    /// Extra data, e.g. `{"param_name": "email_address"}`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub meta: Map<String, Value>,
}

/// A failed Clerk call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The arguments do not fit the operation; nothing was sent.
    #[error("invalid arguments: {message}")]
    InvalidArguments {
        /// What is wrong, naming the field and the valid ones.
        message: String,
    },
    /// No such operationId in the catalog.
    #[error("unknown Clerk operation `{operation_id}`")]
    UnknownOperation {
        /// What was asked for.
        operation_id: String,
    },
    /// Clerk answered with an error status and its error body.
    #[error("Clerk returned HTTP {status}: {}", summary(.errors))]
    Clerk {
        /// HTTP status.
        status: u16,
        /// Clerk's errors, in order.
        errors: Vec<ClerkErrorItem>,
        /// Clerk's trace id, to quote to Clerk support.
        clerk_trace_id: Option<String>,
        /// Seconds to wait, from `Retry-After` (429).
        retry_after: Option<u64>,
    },
    /// Clerk (or something in between) answered with a body that is not what the API documents.
    #[error("unexpected response from the Clerk API{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    BadResponse {
        /// HTTP status when known.
        status: Option<u16>,
        /// What was wrong, with a short snippet of the body.
        message: String,
    },
    /// The tool call's deadline passed before Clerk answered (across every attempt and wait).
    #[error(
        "Clerk did not answer in time: no response within the call deadline of {seconds:.0} s \
         ({attempts} attempt(s) made). Clerk may be slow or unreachable; try again shortly"
    )]
    DeadlineExceeded {
        /// The deadline the call had.
        seconds: f64,
        /// Attempts started before it passed.
        attempts: u32,
    },
    /// The instance's request budget (Clerk's rate limit, kept by this server) had no room before
    /// the call's deadline: nothing was sent.
    #[error(
        "not sent: this Clerk instance's request budget (Clerk's rate limit, shared by every replica of \
         this server) has no room before the call's deadline; retry in {retry_after} s"
    )]
    Throttled {
        /// Seconds until there is room.
        retry_after: u64,
    },
    /// The request did not complete: connection refused, DNS, TLS or timeout.
    #[error("could not reach the Clerk API: {message}")]
    Unreachable {
        /// What happened (no URL query, no key).
        message: String,
        /// Whether it was a timeout.
        timeout: bool,
    },
}

fn summary(errors: &[ClerkErrorItem]) -> String {
    if errors.is_empty() {
        return "no error details".into();
    }
    errors
        .iter()
        .map(|e| {
            if e.long_message.is_empty() || e.long_message == e.message {
                format!("{} ({})", e.message, e.code)
            } else {
                format!("{} ({}): {}", e.message, e.code, e.long_message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// HTTP status of the failed call, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Clerk { status, .. } => Some(*status),
            ApiError::BadResponse { status, .. } => *status,
            _ => None,
        }
    }

    /// Clerk's trace id, when Clerk sent one.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            ApiError::Clerk { clerk_trace_id, .. } => clerk_trace_id.as_deref(),
            _ => None,
        }
    }

    /// A stable short kind for logs and structured errors.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::InvalidArguments { .. } => "invalid_arguments",
            ApiError::UnknownOperation { .. } => "unknown_operation",
            ApiError::Clerk { .. } => "clerk_error",
            ApiError::BadResponse { .. } => "bad_response",
            ApiError::Unreachable { .. } => "unreachable",
            ApiError::DeadlineExceeded { .. } => "deadline_exceeded",
            ApiError::Throttled { .. } => "rate_limited",
        }
    }

    /// The structured form returned to MCP clients.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"error": self.kind(), "message": self.to_string()});
        match self {
            ApiError::Clerk {
                status,
                errors,
                clerk_trace_id,
                retry_after,
            } => {
                v["status"] = json!(status);
                v["errors"] = json!(errors);
                if let Some(first) = errors.first() {
                    v["code"] = json!(first.code);
                    v["long_message"] = json!(first.long_message);
                    if !first.meta.is_empty() {
                        v["meta"] = json!(first.meta);
                    }
                }
                if let Some(t) = clerk_trace_id {
                    v["clerk_trace_id"] = json!(t);
                }
                if let Some(r) = retry_after {
                    v["retry_after"] = json!(r);
                }
            }
            ApiError::BadResponse {
                status: Some(s), ..
            } => v["status"] = json!(s),
            ApiError::Unreachable { timeout, .. } => v["timeout"] = json!(timeout),
            ApiError::Throttled { retry_after } => v["retry_after"] = json!(retry_after),
            ApiError::DeadlineExceeded { attempts, .. } => {
                v["timeout"] = json!(true);
                v["attempts"] = json!(attempts);
            }
            _ => {}
        }
        v
    }

    /// Builds a Clerk error from the typed error body.
    pub fn from_clerk_errors(status: u16, body: ClerkErrors, retry_after: Option<u64>) -> ApiError {
        ApiError::Clerk {
            status,
            errors: body
                .errors
                .into_iter()
                .map(|e| ClerkErrorItem {
                    code: e.code,
                    message: e.message,
                    long_message: e.long_message,
                    meta: e.meta,
                })
                .collect(),
            clerk_trace_id: body.clerk_trace_id,
            retry_after,
        }
    }

    /// Builds a Clerk error from a body that may or may not follow the documented shape.
    pub fn from_body(status: u16, body: &[u8], retry_after: Option<u64>) -> ApiError {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let Some(errors) = parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .and_then(Value::as_array)
        else {
            return ApiError::BadResponse {
                status: Some(status),
                message: format!("the body is not a Clerk error object: {}", snippet(body)),
            };
        };
        let text = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        ApiError::Clerk {
            status,
            errors: errors
                .iter()
                .map(|e| ClerkErrorItem {
                    code: text(e, "code"),
                    message: text(e, "message"),
                    long_message: text(e, "long_message"),
                    meta: e
                        .get("meta")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect(),
            clerk_trace_id: parsed
                .as_ref()
                .and_then(|v| v.get("clerk_trace_id"))
                .and_then(Value::as_str)
                .map(String::from),
            retry_after,
        }
    }
}

impl ApiError {
    /// A failed call of the generated client. `observed` is what the transport saw, for errors whose
    /// body lost the status (an HTML 502 page is not a `ClerkErrors` body).
    pub fn from_progenitor(
        e: progenitor_client::Error<ClerkErrors>,
        observed: Observed,
    ) -> ApiError {
        use progenitor_client::Error as E;
        match e {
            E::ErrorResponse(rv) => {
                let status = rv.status().as_u16();
                let retry_after = super::hooks::retry_after_secs(rv.headers());
                ApiError::from_clerk_errors(status, rv.into_inner(), retry_after)
            }
            E::InvalidResponsePayload(bytes, err) => {
                let status = observed.status.unwrap_or(0);
                if status >= 400 {
                    // An error body that does not fit ClerkErrors exactly (or is not JSON).
                    ApiError::from_body(status, &bytes, observed.retry_after)
                } else {
                    ApiError::BadResponse {
                        status: observed.status,
                        message: format!("the body is not valid JSON ({err}): {}", snippet(&bytes)),
                    }
                }
            }
            E::UnexpectedResponse(resp) => ApiError::BadResponse {
                status: Some(resp.status().as_u16()),
                message: "a status the Clerk API does not document for this operation".into(),
            },
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                ApiError::from_transport(&e)
            }
            E::InvalidRequest(m) => ApiError::InvalidArguments { message: m },
            E::Custom(m) => ApiError::Unreachable {
                message: m,
                timeout: false,
            },
        }
    }

    /// A transport error: what happened, never the URL's query or a header.
    pub fn from_transport(e: &reqwest::Error) -> ApiError {
        let what = if e.is_timeout() {
            "the request timed out"
        } else if e.is_connect() {
            "the connection failed (refused, DNS or TLS)"
        } else if e.is_body() || e.is_decode() {
            "the response body could not be read"
        } else {
            "the request failed"
        };
        let mut source = std::error::Error::source(e);
        let mut detail = String::new();
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        let message = if detail.is_empty() {
            what.to_string()
        } else {
            format!("{what}: {detail}")
        };
        ApiError::Unreachable {
            message,
            timeout: e.is_timeout(),
        }
    }
}

/// The first 200 characters of a body, lossily decoded, on one line.
pub fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if s.chars().count() > 200 {
        format!("{one_line}…")
    } else if one_line.trim().is_empty() {
        "(empty body)".into()
    } else {
        one_line
    }
}
