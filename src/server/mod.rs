//! The server: shared state and, in the order a request meets them, the connection layer (`conn`),
//! the axum router (`http`), the request edge (`edge`: headers, Host/Origin, client address),
//! authentication (`auth`), rate limits (`limits`), body checks (`body`), legacy sessions, the MCP
//! handler, and health; `refusal` is the one shape of an HTTP-level error. Plus the stdio transport.

pub mod auth;
pub mod body;
pub mod conn;
pub mod edge;
pub mod errors;
pub mod handler;
pub mod health;
pub mod http;
pub mod limits;
pub mod memory;
pub mod refusal;
pub mod sessions;

use crate::clerk::ClerkApi;
use crate::config::Config;
use crate::tools::Registry;
use std::sync::Arc;

/// Everything shared by all requests; built once at start.
pub struct AppState {
    /// Validated configuration.
    pub config: Config,
    /// Every tool.
    pub registry: Registry,
    /// The pooled Clerk client.
    pub api: ClerkApi,
    /// Health probe results, per key.
    pub health: health::HealthCache,
    /// The per-client rate limit, when enabled.
    pub rate_limit: Option<limits::ClientRateLimit>,
    /// Request counter for returning memory after bursts.
    pub activity: Arc<memory::Activity>,
    /// Legacy sessions (also handed to rmcp).
    pub sessions: Arc<sessions::CappedSessions>,
}

impl AppState {
    /// Builds the shared state.
    pub fn new(config: Config, registry: Registry) -> Result<Arc<AppState>, String> {
        let api = ClerkApi::new(&config.client)?;
        let rate_limit = limits::ClientRateLimit::new(config.rate_limit);
        Ok(Arc::new(AppState {
            registry,
            api,
            health: Default::default(),
            rate_limit,
            activity: Default::default(),
            sessions: Arc::new(sessions::CappedSessions::new(
                config.session_idle_timeout,
                config.max_sessions,
                config.max_sessions_per_client,
            )),
            config,
        }))
    }
}

/// Serves MCP over stdin/stdout until the client closes it. Logs must go to stderr.
pub async fn serve_stdio(state: Arc<AppState>) -> Result<(), String> {
    use rmcp::ServiceExt;
    let handler = handler::ClerkMcp::new(state, handler::Transport::Stdio);
    let running = handler
        .serve(rmcp::transport::io::stdio())
        .await
        .map_err(|e| format!("stdio transport failed: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("stdio session ended with an error: {e}"))?;
    Ok(())
}
