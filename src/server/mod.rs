//! The server: shared state, the axum router (`http`), request authentication (`auth`), health, the
//! MCP handler, the legacy-session cap, and the stdio transport.

pub mod auth;
pub mod errors;
pub mod handler;
pub mod health;
pub mod http;
pub mod limits;
pub mod memory;
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
    /// The hosted-mode health probe cache.
    pub health: health::HealthCache,
    /// The per-client rate limit on `/mcp`, when enabled.
    pub rate_limit: Option<limits::ClientRateLimit>,
    /// Request counter for returning memory after bursts.
    pub activity: Arc<memory::Activity>,
}

impl AppState {
    /// Builds the shared state.
    pub fn new(config: Config, registry: Registry) -> Result<Arc<AppState>, String> {
        let api = ClerkApi::new(&config.client)?;
        let rate_limit = limits::ClientRateLimit::new(config.rate_limit);
        Ok(Arc::new(AppState {
            config,
            registry,
            api,
            health: Default::default(),
            rate_limit,
            activity: Default::default(),
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
