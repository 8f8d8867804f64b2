//! The axum application: `/mcp` (rmcp's streamable HTTP service behind our layers) and
//! `/api/health`, `/metrics` (here or on `--metrics-addr`), plus binding, the startup log line and
//! graceful shutdown.
//!
//! Layers, outermost first: the edge (headers, Host/Origin, client address; every route), then on
//! `/mcp` authentication, the rate limit, the rewrapping of rmcp's plain-text errors and the body
//! checks; `/api/health` gets the edge and the rate limit.

use super::handler::{ClerkMcp, Transport};
use super::{AppState, auth, body, conn, edge, errors, health, limits};
use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Builds the router over the shared state; `shutdown` ends open SSE streams and sessions.
pub fn router(state: Arc<AppState>, shutdown: CancellationToken) -> Router {
    let cfg = &state.config;
    // Host and Origin are checked by the edge, for every route.
    let mcp_cfg = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(cfg.legacy_sessions)
        .with_json_response(true)
        .with_max_request_body_bytes(cfg.max_body_bytes)
        .with_cancellation_token(shutdown)
        .disable_allowed_hosts()
        .disable_allowed_origins();
    let factory_state = state.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(ClerkMcp::new(factory_state.clone(), Transport::Http)),
        state.sessions.clone(),
        mcp_cfg,
    );
    let mcp_routes = Router::new()
        .route_service("/mcp", mcp)
        .layer(from_fn_with_state(state.clone(), body::check_body))
        .layer(axum::middleware::from_fn(errors::jsonrpc_errors))
        .layer(from_fn_with_state(state.clone(), limits::rate_limit))
        .layer(from_fn_with_state(state.clone(), auth::guard));
    let mut health_routes = Router::new()
        .route("/api/health", get(health::health))
        .route(
            "/.well-known/oauth-protected-resource",
            get(auth::protected_resource),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(auth::protected_resource),
        )
        .layer(from_fn_with_state(state.clone(), limits::rate_limit))
        .with_state(state.clone());
    if cfg.metrics_addr.is_none() {
        health_routes = health_routes.merge(metrics_router(state.clone()));
    }
    Router::new()
        .merge(health_routes)
        .merge(mcp_routes)
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(
                    serde_json::json!({"error": "not found", "endpoints": ["/mcp", "/api/health"]}),
                ),
            )
        })
        .layer(from_fn_with_state(state, edge::edge))
}

/// `GET /metrics`: Prometheus text format. Not behind the MCP access token: it holds no Clerk data
/// and no label carries a caller's value.
fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(
                |axum::extract::State(s): axum::extract::State<Arc<AppState>>| async move {
                    let body = crate::telemetry::metrics::render(s.sessions.live().await);
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        body,
                    )
                },
            ),
        )
        .with_state(state)
}

/// A server listening on a socket.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Where `/metrics` is served when it has its own listener.
    pub metrics_addr: Option<SocketAddr>,
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
    crate::telemetry::metrics::handle();
    let shutdown = CancellationToken::new();
    let metrics_addr = match cfg.metrics_addr {
        Some(a) => {
            let l = tokio::net::TcpListener::bind(a)
                .await
                .map_err(|e| format!("cannot listen on --metrics-addr {a}: {e}"))?;
            let bound = l.local_addr().map_err(|e| e.to_string())?;
            let app = metrics_router(state.clone());
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let _ = axum::serve(l, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
            });
            tracing::info!(address = %bound, "metrics on http://{bound}/metrics");
            Some(bound)
        }
        None => None,
    };
    // rmcp's token ends SSE streams and sessions; it fires only after the grace period, so calls that are
    // in flight when shutdown starts can finish.
    let mcp_stop = CancellationToken::new();
    let app = router(state.clone(), mcp_stop.clone());
    let grace = cfg.shutdown_grace;
    let stop = shutdown.clone();
    let limits = conn::ConnLimits {
        header_timeout: cfg.header_timeout,
        max_connections: cfg.max_connections,
    };
    let task = tokio::spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        conn::accept_loop(listener, app, limits, &graceful, stop.clone()).await;
        // Stopped accepting: in-flight requests finish; idle connections close at once.
        let deadline = async {
            tokio::time::sleep(grace).await;
            mcp_stop.cancel();
            // Streams get a moment to end cleanly once told to.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        };
        tokio::select! {
            _ = graceful.shutdown() => Ok(()),
            _ = deadline => {
                tracing::warn!("shutdown grace period over; closing the remaining connections");
                Ok(())
            }
        }
    });
    Ok(Running {
        addr,
        metrics_addr,
        shutdown,
        task,
    })
}
