//! Everything that talks to Clerk: the generated client (`generated`), the JSON entry point (`dispatch`),
//! hooks applied to every call (`hooks`), the catalog, the secret key type and the error type.

pub mod budget;
pub mod catalog;
pub mod dispatch;
pub mod error;
pub mod generated;
pub mod hooks;
pub mod secret;

pub use dispatch::ApiResponse;
pub use error::ApiError;
pub use hooks::RetryPolicy;
pub use secret::{KeyError, SecretKey};

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Clerk's production API.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com/v1";

/// The Clerk API version the client was generated for (`info.version` of the vendored spec).
pub const API_VERSION: &str = include_str!(concat!(env!("OUT_DIR"), "/api_version.txt"));

/// How the process talks to Clerk; one per process.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL including the version path, e.g. `https://api.clerk.com/v1`.
    pub base_url: String,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole attempt.
    pub timeout: Duration,
    /// Retries of failed attempts.
    pub retry: RetryPolicy,
    /// Most Clerk requests in flight at once across all clients of this server.
    pub max_concurrency: usize,
    /// Clerk's rate limit per 10 s for every instance (`None`: Clerk's published limits by kind of
    /// key; `Some(0)`: no budget).
    pub instance_limit: Option<u32>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_API_URL.into(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_concurrency: 64,
            instance_limit: None,
        }
    }
}

/// Normalises a `CLERK_API_URL` value: like Clerk's SDKs, a bare origin (`https://api.clerk.com`) gets
/// the `/v1` version path; a URL with a path is used as given. Only http and https are accepted.
pub fn normalize_api_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let url = reqwest::Url::parse(raw).map_err(|e| {
        format!("CLERK_API_URL `{raw}` is not a URL ({e}); expected e.g. https://api.clerk.com/v1")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "CLERK_API_URL must be http or https, not `{}`",
            url.scheme()
        ));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("CLERK_API_URL must not contain credentials, a query or a fragment".into());
    }
    let s = url.as_str().trim_end_matches('/').to_string();
    Ok(if url.path() == "/" || url.path().is_empty() {
        format!("{s}/v1")
    } else {
        s
    })
}

/// What one call observed on the wire, for errors whose body lost the status (an HTML 502).
#[derive(Debug, Clone, Copy, Default)]
pub struct Observed {
    /// Status of the last attempt's response.
    pub status: Option<u16>,
    /// `Retry-After` of the last attempt's response.
    pub retry_after: Option<u64>,
    /// Attempts made.
    pub attempts: u32,
    /// Seconds until the instance's budget has room, when an attempt was held back for lack of it.
    pub held_back: Option<u64>,
}

/// The per-call value inside the generated client: whose key to use and the shared limits.
///
/// Building one costs two `Arc` clones, so "a client per request" (public mode) costs no new
/// connection pool and no TLS setup.
#[derive(Clone, Debug)]
pub struct CallContext {
    key: SecretKey,
    retry: RetryPolicy,
    limiter: Arc<Semaphore>,
    budget: Arc<budget::Budget>,
    observed: Arc<Mutex<Observed>>,
    /// When the whole tool call must be answered; no retry wait may run past it.
    deadline: Instant,
    /// Set for a dry run: the request is recorded here instead of being sent.
    preview: Option<Arc<Mutex<Option<WireRequest>>>>,
}

/// A request as it would go to Clerk (a dry run's answer): nothing else about it is left out but
/// the `Authorization` header.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WireRequest {
    /// HTTP method.
    pub method: String,
    /// The URL path, ids filled in (e.g. `/v1/users/user_2x…`).
    pub path: String,
    /// Query parameters in order (array parameters repeat their key).
    pub query: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<serde_json::Value>,
}

impl WireRequest {
    fn of(request: &reqwest::Request) -> WireRequest {
        WireRequest {
            method: request.method().to_string(),
            path: request.url().path().to_string(),
            query: request
                .url()
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            body: request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .and_then(|b| serde_json::from_slice(b).ok()),
        }
    }
}

impl CallContext {
    /// Waits for room in the instance's request budget, within the deadline; `Err(seconds)` when
    /// there will be none before it (the attempt is then not made).
    async fn take_budget(&self) -> Result<(), u64> {
        loop {
            match self.budget.take(&self.key).await {
                Ok(()) => return Ok(()),
                Err(wait) if Instant::now() + wait < self.deadline => {
                    crate::telemetry::metrics::clerk_budget_wait();
                    tokio::time::sleep(wait).await;
                }
                Err(wait) => return Err(crate::ratelimit::ceil_secs(wait)),
            }
        }
    }

    /// Records that an attempt was held back for lack of budget.
    fn hold_back(&self, seconds: u64) {
        self.observed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .held_back = Some(seconds);
    }

    /// Counts an attempt as it starts (one cut short by the deadline still counts).
    fn start_attempt(&self, attempt: u32) {
        self.observed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .attempts = attempt;
    }

    fn record(&self, outcome: &reqwest::Result<reqwest::Response>) {
        let mut o = self.observed.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(r) = outcome {
            o.status = Some(r.status().as_u16());
            o.retry_after = hooks::retry_after_secs(r.headers());
        }
    }

    /// In a dry run, records the request and says so (it is then not sent).
    fn capture(&self, request: &reqwest::Request) -> bool {
        match &self.preview {
            Some(slot) => {
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(WireRequest::of(request));
                true
            }
            None => false,
        }
    }

    /// What the call saw so far.
    pub fn observed(&self) -> Observed {
        *self.observed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The process-wide Clerk API handle: one pooled HTTP client, the base URL and the limits.
#[derive(Clone, Debug)]
pub struct ClerkApi {
    http: reqwest::Client,
    base_url: Arc<str>,
    retry: RetryPolicy,
    limiter: Arc<Semaphore>,
    budget: Arc<budget::Budget>,
}

/// The outcome of [`ClerkApi::call`], with what the transport observed.
#[derive(Debug)]
pub struct CallOutcome {
    /// The response or the error.
    pub result: Result<ApiResponse, ApiError>,
    /// Attempts made (0 when nothing was sent).
    pub attempts: u32,
}

impl ClerkApi {
    /// Builds the pooled client. Fails only when TLS cannot be initialised.
    pub fn new(cfg: &ClientConfig) -> Result<ClerkApi, String> {
        Self::with_shared_limits(cfg, None)
    }

    /// As [`ClerkApi::new`], with the per-instance request budget kept in Redis (shared by every
    /// replica) when `shared` is given.
    pub fn with_shared_limits(
        cfg: &ClientConfig,
        shared: Option<Arc<crate::ratelimit::Shared>>,
    ) -> Result<ClerkApi, String> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            // Keep a few warm connections to Clerk; after a burst, the rest close instead of holding
            // buffers (and memory) until the idle timeout.
            .pool_max_idle_per_host(16)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("could not build the HTTP client: {e}"))?;
        Ok(ClerkApi {
            http,
            base_url: Arc::from(cfg.base_url.trim_end_matches('/')),
            retry: cfg.retry,
            limiter: Arc::new(Semaphore::new(cfg.max_concurrency.max(1))),
            budget: Arc::new(budget::Budget::new(cfg.instance_limit, shared)),
        })
    }

    /// The context of one call: `key`, the shared limits, and a recording slot for a dry run.
    fn context(
        &self,
        key: &SecretKey,
        deadline: Instant,
        preview: Option<Arc<Mutex<Option<WireRequest>>>>,
    ) -> CallContext {
        CallContext {
            key: key.clone(),
            retry: self.retry,
            limiter: self.limiter.clone(),
            budget: self.budget.clone(),
            observed: Arc::default(),
            deadline,
            preview,
        }
    }

    /// The base URL calls go to (from server configuration only, never from a request).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Validates and types one operation's arguments; nothing is sent. Numeric strings are accepted
    /// where the schema wants a number (some clients send every value as a string); any other value
    /// of the wrong type is refused, never replaced.
    pub fn prepare(
        &self,
        operation_id: &str,
        mut args: serde_json::Value,
    ) -> Result<PreparedCall, ApiError> {
        let (Some(entry), Some(op)) = (dispatch::entry(operation_id), catalog::get(operation_id))
        else {
            return Err(ApiError::UnknownOperation {
                operation_id: operation_id.to_string(),
            });
        };
        coerce_numeric_strings(&mut args, &op.input_schema);
        check_path_params(op, &args).map_err(|message| ApiError::InvalidArguments { message })?;
        Ok(PreparedCall {
            operation_id: entry.operation_id,
            send: (entry.prepare)(args)?,
        })
    }

    /// Sends a prepared call with `key`. Retries and waits all end by `deadline`: when it passes,
    /// the call stops and says how many attempts were made.
    pub async fn send(
        &self,
        key: &SecretKey,
        call: PreparedCall,
        deadline: Instant,
    ) -> CallOutcome {
        let ctx = self.context(key, deadline, None);
        let client = generated::Client::new_with_client(&self.base_url, self.http.clone(), ctx);
        let budget = deadline.saturating_duration_since(Instant::now());
        let mut result = match tokio::time::timeout_at(deadline, (call.send)(&client)).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::DeadlineExceeded {
                seconds: budget.as_secs_f64(),
                attempts: client.inner.observed().attempts,
            }),
        };
        if let Some(retry_after) = client.inner.observed().held_back {
            result = Err(ApiError::Throttled { retry_after });
        }
        CallOutcome {
            result,
            attempts: client.inner.observed().attempts,
        }
    }

    /// The request a prepared call would send, built by the same generated code and hooks as a
    /// real call, but not sent (a dry run).
    pub async fn preview(
        &self,
        key: &SecretKey,
        call: PreparedCall,
    ) -> Result<WireRequest, ApiError> {
        let slot = Arc::new(Mutex::new(None));
        let ctx = self.context(key, Instant::now(), Some(slot.clone()));
        let client = generated::Client::new_with_client(&self.base_url, self.http.clone(), ctx);
        // The stand-in answer is not what the operation expects; only the recorded request matters.
        let result = (call.send)(&client).await;
        let captured = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        match (captured, result) {
            (Some(w), _) => Ok(w),
            (None, Err(e)) => Err(e),
            (None, Ok(_)) => Err(ApiError::BadResponse {
                status: None,
                message: "the request could not be built".into(),
            }),
        }
    }

    /// [`prepare`](Self::prepare) then [`send`](Self::send).
    pub async fn call(
        &self,
        key: &SecretKey,
        operation_id: &str,
        args: serde_json::Value,
        deadline: Instant,
    ) -> CallOutcome {
        match self.prepare(operation_id, args) {
            Ok(call) => self.send(key, call, deadline).await,
            Err(e) => CallOutcome {
                result: Err(e),
                attempts: 0,
            },
        }
    }
}

/// A validated call, ready to send (see [`ClerkApi::prepare`]).
pub struct PreparedCall {
    /// The operation it calls.
    pub operation_id: &'static str,
    send: dispatch::Prepared,
}

impl std::fmt::Debug for PreparedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCall")
            .field("operation_id", &self.operation_id)
            .finish_non_exhaustive()
    }
}

/// Replaces strings that hold a number with the number, where the schema asks for one; leaves
/// every other value for the typed parse to accept or refuse with its path.
fn coerce_numeric_strings(v: &mut serde_json::Value, schema: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let coerced = match schema.get("type").and_then(Value::as_str) {
                Some("integer") => s.trim().parse::<i64>().ok().map(Value::from),
                Some("number") => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Value::from),
                _ => None,
            };
            if let Some(n) = coerced {
                *v = n;
            }
        }
        Value::Object(o) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, child) in o.iter_mut() {
                    if let Some(s) = props.get(k) {
                        coerce_numeric_strings(child, s);
                    }
                }
            }
        }
        Value::Array(a) => {
            if let Some(items) = schema.get("items") {
                a.iter_mut().for_each(|x| coerce_numeric_strings(x, items));
            }
        }
        _ => {}
    }
}

/// Refuses path parameter values that are not Clerk ids, slugs or keys.
///
/// The generated client percent-encodes what it must, but whether `%2F` or `;` reach the right
/// resource depends on how Clerk's router decodes them, and `.`/`..` segments or `\` would move up the
/// path. Clerk ids (`user_2x…`), slugs (`acme-inc`), template names and role keys (`org:admin`) only
/// use letters, digits and `_ - . :`, so anything else is refused before a request is built.
fn check_path_params(op: &catalog::Operation, args: &serde_json::Value) -> Result<(), String> {
    for p in op
        .params
        .iter()
        .filter(|p| p.location == catalog::Location::Path)
    {
        if let Some(v) = args.get(&p.name).and_then(serde_json::Value::as_str) {
            let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
            let bad = if v.is_empty() {
                Some("is empty".to_string())
            } else if v == "." || v == ".." {
                Some("is a relative path segment (`.` or `..`)".to_string())
            } else if let Some(c) = v.chars().find(|c| !allowed(*c)) {
                Some(format!(
                    "contains {c:?}, which no Clerk id or slug contains (only letters, digits and `_ - . :`)"
                ))
            } else if v.len() > 256 {
                Some("is longer than any Clerk id or slug (256 characters)".to_string())
            } else {
                None
            };
            if let Some(why) = bad {
                return Err(format!(
                    "`{}` {why}; it must be the id of an existing object (e.g. from a list tool)",
                    p.name
                ));
            }
        }
    }
    Ok(())
}

/// rustls needs one process-wide crypto provider; `ring` builds faster than aws-lc and is enough here.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
