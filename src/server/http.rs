//! The axum application: `/mcp` (rmcp's streamable HTTP service behind our tower layers) and
//! `/api/health`, plus binding, the startup log line and graceful shutdown.

use super::handler::{ClerkMcp, Transport};
use super::sessions::CappedSessions;
use super::{AppState, auth, errors, health, limits};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Builds the router over the shared state; `shutdown` ends open SSE streams and sessions.
pub fn router(state: Arc<AppState>, shutdown: CancellationToken) -> Router {
    let cfg = &state.config;
    let mut mcp_cfg = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(cfg.legacy_sessions)
        .with_json_response(true)
        .with_max_request_body_bytes(cfg.max_body_bytes)
        .with_cancellation_token(shutdown);
    mcp_cfg = match &cfg.allowed_hosts {
        Some(h) => mcp_cfg.with_allowed_hosts(h.clone()),
        None => mcp_cfg.disable_allowed_hosts(),
    };
    mcp_cfg = match &cfg.allowed_origins {
        Some(o) if o.is_empty() => mcp_cfg.enforce_origin_validation(),
        Some(o) => mcp_cfg.with_allowed_origins(o.clone()),
        None => mcp_cfg.disable_allowed_origins(),
    };
    let sessions = Arc::new(CappedSessions::new(
        cfg.session_idle_timeout,
        cfg.max_sessions,
    ));
    let factory_state = state.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(ClerkMcp::new(factory_state.clone(), Transport::Http)),
        sessions,
        mcp_cfg,
    );
    let mcp_routes = Router::new()
        .route_service("/mcp", mcp)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::from_fn(errors::jsonrpc_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ));
    Router::new()
        .route("/api/health", get(health::health))
        .with_state(state)
        .merge(mcp_routes)
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(
                    serde_json::json!({"error": "not found", "endpoints": ["/mcp", "/api/health"]}),
                ),
            )
        })
}

/// A server listening on a socket.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Cancel to shut down gracefully.
    pub shutdown: CancellationToken,
    /// Resolves when the server has stopped.
    pub task: tokio::task::JoinHandle<Result<(), String>>,
}

/// Binds and starts serving; returns once the socket is listening.
pub async fn start(state: Arc<AppState>) -> Result<Running, String> {
    let cfg = &state.config;
    let listener = tokio::net::TcpListener::bind((cfg.host.as_str(), cfg.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", cfg.host, cfg.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    tracing::info!(
        mode = cfg.mode.as_str(),
        address = %addr,
        api_url = state.api.base_url(),
        legacy_sessions = cfg.legacy_sessions,
        access_token = !cfg.access_tokens.is_empty(),
        tools = state.registry.visible(&[&cfg.filter]).count(),
        "clerk-mcp listening on http://{addr}/mcp"
    );
    tokio::spawn(super::memory::trim_when_idle(state.activity.clone()));
    let shutdown = CancellationToken::new();
    // rmcp's token ends SSE streams and sessions; it fires only after the grace period, so calls that are
    // in flight when shutdown starts can finish.
    let mcp_stop = CancellationToken::new();
    let app = router(state.clone(), mcp_stop.clone());
    let grace = cfg.shutdown_grace;
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        // Small JSON-RPC answers must not wait for Nagle's algorithm (40 ms stalls on streamed replies).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop.clone().cancelled_owned());
        let deadline = async {
            stop.cancelled().await;
            tokio::time::sleep(grace).await;
            mcp_stop.cancel();
            // Streams get a moment to end cleanly once told to.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        };
        tokio::select! {
            r = server.into_future() => r.map_err(|e| format!("server error: {e}")),
            _ = deadline => {
                tracing::warn!("shutdown grace period over; closing the remaining connections");
                Ok(())
            }
        }
    });
    Ok(Running {
        addr,
        shutdown,
        task,
    })
}
