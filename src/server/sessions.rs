//! Legacy (2025-11-25) sessions: rmcp's in-memory session manager with the guards it lacks.
//!
//! - A cap, and a quota per client: `LocalSessionManager` closes idle sessions (keep-alive) but has
//!   no upper bound, so one client calling `initialize` in a loop filled the 1,000-session cap in a
//!   second and every other client got HTTP 500 for five minutes. Now a client over its quota, or a
//!   full server, first closes the session that has been idle longest (no request in flight); only
//!   when every session is busy is the new one refused (429 for the client's quota, 503 with
//!   `Retry-After` for the server's cap).
//! - Unique request ids: rmcp routes a session's responses by JSON-RPC id, so a second request reusing
//!   the id of an unfinished one takes over its route and the first HTTP request never gets an answer
//!   (found by the benchmark: a load generator sending `"id": 1` on 16 connections left most of them
//!   hanging). The reused id is refused at once with a JSON-RPC error instead.

use super::limits::ClientKey;
use super::refusal::Refusal;
use axum::http::StatusCode;
use futures::future::Either;
use futures::{Stream, StreamExt};
use rmcp::ErrorData;
use rmcp::model::{ClientJsonRpcMessage, RequestId, ServerJsonRpcMessage};
use rmcp::transport::common::server_side_http::ServerSseMessage;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{SessionId, SessionManager};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CappedError {
    /// The cap is reached.
    #[error(
        "session limit reached ({0} live sessions); retry later, or use protocol 2026-07-28, which needs no session"
    )]
    Full(usize),
    /// rmcp's own error.
    #[error(transparent)]
    Inner(#[from] LocalSessionManagerError),
}

/// Ids of the unfinished requests of each session.
type InFlight = Arc<Mutex<HashMap<SessionId, HashSet<RequestId>>>>;

/// `LocalSessionManager` with a maximum number of live sessions, a quota per client, and unique
/// in-flight request ids.
pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    per_client: usize,
    in_flight: InFlight,
    /// When each session last received a message.
    last_used: Mutex<HashMap<SessionId, Instant>>,
    /// The sessions each client opened.
    owners: Mutex<HashMap<ClientKey, Vec<SessionId>>>,
}

/// Holds one request id as in flight; frees it when the response passes or the stream is dropped.
struct IdGuard {
    in_flight: InFlight,
    session: SessionId,
    id: Option<RequestId>,
}

impl IdGuard {
    fn release(&mut self) {
        if let Some(id) = self.id.take() {
            let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(ids) = map.get_mut(&self.session) {
                ids.remove(&id);
                if ids.is_empty() {
                    map.remove(&self.session);
                }
            }
        }
    }
}

impl Drop for IdGuard {
    fn drop(&mut self) {
        self.release();
    }
}

/// Whether `m` is the final answer (response or error) to request `id`.
fn answers(m: &ServerSseMessage, id: &RequestId) -> bool {
    match m.message.as_deref() {
        Some(ServerJsonRpcMessage::Response(r)) => &r.id == id,
        Some(ServerJsonRpcMessage::Error(e)) => e.id.as_ref() == Some(id),
        _ => false,
    }
}

impl CappedSessions {
    /// Sessions close after `idle` without traffic; at most `max` live at once, `per_client` per client.
    pub fn new(idle: std::time::Duration, max: usize, per_client: usize) -> CappedSessions {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = Some(idle);
        CappedSessions {
            inner,
            max,
            per_client: per_client.max(1),
            in_flight: InFlight::default(),
            last_used: Mutex::default(),
            owners: Mutex::default(),
        }
    }

    fn touch(&self, id: &SessionId) {
        self.last_used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), Instant::now());
    }

    /// The session among `candidates` idle longest with no request in flight.
    fn idlest<'a>(&self, candidates: impl Iterator<Item = &'a SessionId>) -> Option<SessionId> {
        let busy = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let used = self.last_used.lock().unwrap_or_else(|e| e.into_inner());
        candidates
            .filter(|id| busy.get(*id).is_none_or(HashSet::is_empty))
            .min_by_key(|id| used.get(*id).copied())
            .cloned()
    }

    async fn evict(&self, id: &SessionId, why: &str) {
        tracing::info!(reason = why, "closing the idlest legacy session");
        let _ = self.inner.close_session(id).await;
        self.last_used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Makes room for one more session of `client`, or says why there is none.
    pub async fn admit(&self, client: &ClientKey) -> Result<(), Refusal> {
        let live: HashSet<SessionId> = self.inner.sessions.read().await.keys().cloned().collect();
        // Forget sessions rmcp has already closed (idle expiry, DELETE).
        self.last_used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| live.contains(id));
        let mine: Vec<SessionId> = {
            let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
            owners.retain(|_, ids| {
                ids.retain(|id| live.contains(id));
                !ids.is_empty()
            });
            owners.get(client).cloned().unwrap_or_default()
        };
        if mine.len() >= self.per_client {
            let Some(id) = self.idlest(mine.iter()) else {
                return Err(Refusal::limited(
                    StatusCode::TOO_MANY_REQUESTS,
                    5,
                    format!(
                        "This client already has {} legacy sessions, all busy; reuse one (Mcp-Session-Id), end                          unused ones with DELETE, or use protocol 2026-07-28, which needs no session",
                        mine.len()
                    ),
                ));
            };
            self.evict(&id, "client session quota").await;
            return Ok(());
        }
        if live.len() >= self.max {
            let Some(id) = self.idlest(live.iter()) else {
                return Err(Refusal::limited(
                    StatusCode::SERVICE_UNAVAILABLE,
                    5,
                    format!(
                        "Session limit reached ({} live sessions, all busy); retry shortly, or use protocol                          2026-07-28, which needs no session",
                        live.len()
                    ),
                ));
            };
            self.evict(&id, "server session cap").await;
        }
        Ok(())
    }

    /// Records that `client` opened session `id` (from the `initialize` response).
    pub fn assign(&self, client: ClientKey, id: SessionId) {
        self.touch(&id);
        self.owners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(client)
            .or_default()
            .push(id);
    }

    /// Marks `id` in flight on `session`; `None` if an unfinished request already uses it.
    fn claim(&self, session: &SessionId, id: &RequestId) -> Option<IdGuard> {
        let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(session.clone())
            .or_default()
            .insert(id.clone())
            .then(|| IdGuard {
                in_flight: self.in_flight.clone(),
                session: session.clone(),
                id: Some(id.clone()),
            })
    }

    /// Live sessions now.
    pub async fn live(&self) -> usize {
        self.inner.sessions.read().await.len()
    }
}

impl SessionManager for CappedSessions {
    type Error = CappedError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let live = self.live().await;
        if live >= self.max {
            return Err(CappedError::Full(live));
        }
        Ok(self.inner.create_session().await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        let ClientJsonRpcMessage::Request(request) = &message else {
            return Ok(Either::Left(self.inner.create_stream(id, message).await?));
        };
        let request_id = request.id.clone();
        let Some(mut guard) = self.claim(id, &request_id) else {
            let shown = serde_json::to_string(&request_id).unwrap_or_default();
            let refusal = ServerJsonRpcMessage::error(
                ErrorData::invalid_request(
                    format!(
                        "request id {shown} is already used by an unfinished request in this session; give every \
                         request a new id (JSON-RPC ids must be unique among a session's pending requests)"
                    ),
                    None,
                ),
                Some(request_id),
            );
            let once =
                futures::stream::once(std::future::ready(ServerSseMessage::from_message(refusal)));
            return Ok(Either::Right(Either::Left(once)));
        };
        let stream = self.inner.create_stream(id, message).await?;
        // Freed before the answer is handed on, so a client may reuse the id as soon as it has the answer.
        Ok(Either::Right(Either::Right(stream.inspect(move |m| {
            if answers(m, &request_id) {
                guard.release();
            }
        }))))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}
