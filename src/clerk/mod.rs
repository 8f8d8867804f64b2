//! Everything that talks to Clerk: the generated client (`api`), the JSON entry point (`dispatch`),
//! hooks applied to every call (`hooks`), the catalog, the secret key type and the error type.

pub mod api;
pub mod catalog;
pub mod dispatch;
pub mod error;
pub mod hooks;
pub mod secret;

pub use dispatch::ApiResponse;
pub use error::ApiError;
pub use hooks::RetryPolicy;
pub use secret::{KeyError, SecretKey};

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

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
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_API_URL.into(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_concurrency: 64,
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
    observed: Arc<Mutex<Observed>>,
}

impl CallContext {
    fn record(&self, attempts: u32, outcome: &reqwest::Result<reqwest::Response>) {
        let mut o = self.observed.lock().unwrap_or_else(|p| p.into_inner());
        o.attempts = attempts;
        if let Ok(r) = outcome {
            o.status = Some(r.status().as_u16());
            o.retry_after = hooks::retry_after_secs(r.headers());
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
        })
    }

    /// The base URL calls go to (from server configuration only, never from a request).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Runs one operation with `key`: arguments are validated and typed before anything is sent.
    pub async fn call(
        &self,
        key: &SecretKey,
        operation_id: &str,
        args: serde_json::Value,
    ) -> CallOutcome {
        let Some(entry) = dispatch::entry(operation_id) else {
            return CallOutcome {
                result: Err(ApiError::UnknownOperation {
                    operation_id: operation_id.to_string(),
                }),
                attempts: 0,
            };
        };
        if let Err(message) = check_path_params(operation_id, &args) {
            return CallOutcome {
                result: Err(ApiError::InvalidArguments { message }),
                attempts: 0,
            };
        }
        let ctx = CallContext {
            key: key.clone(),
            retry: self.retry,
            limiter: self.limiter.clone(),
            observed: Arc::default(),
        };
        let client = api::Client::new_with_client(&self.base_url, self.http.clone(), ctx);
        let result = (entry.call)(&client, args).await;
        CallOutcome {
            result,
            attempts: client.inner.observed().attempts,
        }
    }
}

/// Refuses path parameter values that percent-encoding cannot make safe.
///
/// The generated client percent-encodes `/`, `?`, `#`, `%`, spaces and controls, but URL parsing would
/// still turn a whole segment of `.` or `..` into a move up the path, and treats `\` as `/`; an empty
/// value would address the collection instead of one item. None of these is ever a valid Clerk id.
fn check_path_params(operation_id: &str, args: &serde_json::Value) -> Result<(), String> {
    let Some(op) = catalog::get(operation_id) else {
        return Ok(());
    };
    for p in op
        .params
        .iter()
        .filter(|p| p.location == catalog::Location::Path)
    {
        if let Some(v) = args.get(&p.name).and_then(serde_json::Value::as_str) {
            let bad = if v.is_empty() {
                Some("is empty")
            } else if v == "." || v == ".." {
                Some("is a relative path segment (`.` or `..`)")
            } else if v.contains('\\') {
                Some("contains a backslash")
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
