//! Toolset `sessions`: who is signed in, and signing them out.

use super::{Set, curated};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::SESSIONS,
    tools: &[
        curated!(clerk_list_sessions => GetSessionList, "List sessions",
        "List sessions of a user (user_id) or a client (client_id) — one of them is required; filter by status \
         (active, revoked, ended, expired, …).",
        list = true, hide = &["paginated"], defaults = &[("paginated", "true")]),
        curated!(clerk_get_session => GetSession, "Get session",
        "Get one session by id (sess_…): user, client, status, last activity and expiry."),
        curated!(clerk_revoke_session => RevokeSession, "Revoke session",
        "Sign a session out now; the user must sign in again on that device.", destructive = Some(true)),
    ],
};
