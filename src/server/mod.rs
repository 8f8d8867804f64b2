//! The server: shared state and, in the order a request meets them, the connection layer (`conn`),
//! the axum router (`http`), the request edge (`edge`: headers, Host/Origin, client address),
//! authentication (`auth`: static tokens, and OAuth access tokens through `oauth`), rate limits
//! (`limits`), body checks (`body`), legacy sessions, the MCP handler (asking a person to
//! `confirm` destructive calls), and health; `refusal` is the
//! one shape of an HTTP-level error. Plus the stdio transport.

pub mod auth;
pub mod body;
pub mod confirm;
pub mod conn;
pub mod edge;
pub mod errors;
pub mod handler;
pub mod health;
pub mod http;
pub mod limits;
pub mod memory;
pub mod oauth;
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
    /// Redis, when limits are shared by several replicas.
    pub shared_limits: Option<Arc<crate::ratelimit::Shared>>,
    /// Request counter for returning memory after bursts.
    pub activity: Arc<memory::Activity>,
    /// Legacy sessions (also handed to rmcp).
    pub sessions: Arc<sessions::CappedSessions>,
    /// The OAuth resource server, when tokens from an authorization server are accepted.
    pub oauth: Option<oauth::ResourceServer>,
    /// The audit log, when configured.
    pub audit: Option<crate::audit::Audit>,
    /// Confirmation of destructive calls.
    pub confirm: confirm::Confirmations,
}

impl AppState {
    /// Builds the shared state.
    pub fn new(config: Config, registry: Registry) -> Result<Arc<AppState>, String> {
        let shared = config
            .redis_url
            .as_ref()
            .map(|u| crate::ratelimit::Shared::new(&u.0, "clerk-mcp").map(Arc::new))
            .transpose()?;
        if let Some(s) = &shared {
            tracing::info!(redis = %s.location, "limits are shared through Redis");
        }
        let api = ClerkApi::with_shared_limits(&config.client, shared.clone())?;
        let rate_limit = limits::ClientRateLimit::new(config.rate_limit, shared.clone());
        let oauth = config
            .oauth
            .clone()
            .map(|c| oauth::ResourceServer::new(c, &api))
            .transpose()?;
        let audit = config
            .audit
            .as_ref()
            .map(|(target, reads)| crate::audit::Audit::new(target, *reads))
            .transpose()?;
        let confirm = confirm::Confirmations::new(
            config.state_secret.as_ref().map(|s| s.0.as_str()),
            config.confirm_destructive,
            config.confirm_timeout,
        )?;
        Ok(Arc::new(AppState {
            confirm,
            registry,
            api,
            health: Default::default(),
            rate_limit,
            shared_limits: shared,
            activity: Default::default(),
            sessions: Arc::new(sessions::CappedSessions::new(
                config.session_idle_timeout,
                config.max_sessions,
                config.max_sessions_per_client,
            )),
            oauth,
            audit,
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
