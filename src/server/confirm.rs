//! A person confirms what cannot be undone: destructive calls are put to the user, not the model.
//!
//! Which calls: tools annotated `destructiveHint: true`, and `clerk_api_call` of an operation the
//! catalog marks destructive (DELETE, bans, locks, revocations). How the user is asked depends on
//! what the client can do:
//! - a 2026-07-28 client that declares elicitation gets an `input_required` result (Multi
//!   Round-Trip Request) with a form and a sealed `requestState`; its retry carries the answer;
//! - a 2025-11-25 client with a session that declares elicitation gets `elicitation/create`;
//! - any other client: `--confirm-destructive` decides (`auto` proceeds on the client's own
//!   approval, `always` refuses, `never` does not ask anyone).
//!
//! The state is sealed with HMAC-SHA256 (rmcp's `RequestStateCodec`) under `MCP_STATE_SECRET`
//! (random per process when unset, so one replica's states do not open on another), bound to the
//! principal, the tool and a digest of the arguments, valid for five minutes, and used once: a
//! consumed nonce is remembered until the state would have expired anyway. The state is signed, not
//! encrypted: it holds only the tool name, digests and a nonce.

use crate::clerk::{ClerkApi, SecretKey};
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
    InputRequest, InputRequiredResult, InputResponses, RequestStateCodec, SealOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Longest a 2025-11-25 `elicitation/create` waits for the user: below rmcp's session keep-alive
/// (300 s), which would otherwise end the session mid-question.
pub const ELICIT_TIMEOUT_MAX: Duration = Duration::from_secs(240);
/// The key of the question in `inputRequests` / `inputResponses`.
pub const QUESTION: &str = "confirm";

/// `--confirm-destructive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConfirmMode {
    /// Ask when the client can answer; otherwise rely on the client's own approval.
    Auto,
    /// Ask, and refuse destructive calls from clients that cannot be asked.
    Always,
    /// Never ask.
    Never,
}

/// What sealing binds a state to.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Sealed {
    /// Digest of the principal's label (never the label itself: it may name a key fingerprint).
    who: String,
    tool: String,
    /// Digest of the canonical arguments.
    args: String,
    /// Random, for single use.
    nonce: String,
}

/// Why a returned state is refused. Nothing is sent to Clerk in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateRefusal {
    /// Not sealed by this server, altered, or expired.
    Invalid,
    /// Already used once.
    Replayed,
    /// Sealed for another caller, another tool or other arguments.
    Mismatch,
    /// The retry carries no answer to the question.
    NoAnswer,
}

impl StateRefusal {
    /// The message the caller sees.
    pub fn message(&self) -> &'static str {
        match self {
            StateRefusal::Invalid => {
                "the confirmation state is invalid or has expired; nothing was done. \
                 Call the tool again to be asked again."
            }
            StateRefusal::Replayed => {
                "this confirmation was already used; nothing was done. Each confirmation allows one call: call the \
                 tool again to be asked again."
            }
            StateRefusal::Mismatch => {
                "the confirmation was given for another call (other arguments, tool or caller); nothing was done. \
                 Call the tool again to be asked about this one."
            }
            StateRefusal::NoAnswer => {
                "the retried call carries no answer to the confirmation (`inputResponses.confirm`); nothing was done"
            }
        }
    }
}

/// Seals and checks confirmation states.
pub struct Confirmations {
    codec: RequestStateCodec,
    /// Nonces already used, until they expire.
    consumed: moka::sync::Cache<String, ()>,
    /// `--confirm-destructive`.
    pub mode: ConfirmMode,
    /// `--confirm-timeout`: how long the user has to answer (and a state stays valid).
    pub ttl: Duration,
}

impl std::fmt::Debug for Confirmations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Confirmations")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A digest of the arguments that does not depend on key order.
pub fn digest(args: &Value) -> String {
    fn canonical(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), canonical(&o[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    sha256_hex(canonical(args).to_string().as_bytes())
}

impl Confirmations {
    /// `secret` is `MCP_STATE_SECRET`: at least 32 bytes; unset, a random one for this process.
    pub fn new(
        secret: Option<&str>,
        mode: ConfirmMode,
        ttl: Duration,
    ) -> Result<Confirmations, String> {
        let key = match secret {
            Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
            Some(_) => {
                return Err(
                    "MCP_STATE_SECRET must be at least 32 characters (generate one with `openssl rand -hex 32`)"
                        .into(),
                );
            }
            None => {
                let mut k = vec![0u8; 32];
                getrandom::fill(&mut k)
                    .map_err(|e| format!("no randomness for the state secret: {e}"))?;
                k
            }
        };
        let codec =
            RequestStateCodec::try_new(key).map_err(|e| format!("MCP_STATE_SECRET: {e}"))?;
        Ok(Confirmations {
            codec,
            consumed: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl + Duration::from_secs(5))
                .build(),
            mode,
            ttl,
        })
    }

    /// The `input_required` answer asking `message` about this call.
    pub fn ask(&self, who: &str, tool: &str, args: &Value, message: String) -> InputRequiredResult {
        let mut nonce = [0u8; 16];
        let _ = getrandom::fill(&mut nonce);
        let sealed = Sealed {
            who: sha256_hex(who.as_bytes()),
            tool: tool.to_string(),
            args: digest(args),
            nonce: hex::encode(nonce),
        };
        let state = self
            .codec
            .seal_json_with(&sealed, &SealOptions::new().ttl(self.ttl))
            .expect("the sealed fields serialize");
        let mut requests = rmcp::model::InputRequests::new();
        requests.insert(
            QUESTION.to_string(),
            InputRequest::Elicitation(ElicitRequest::new(form(message))),
        );
        InputRequiredResult::new(Some(requests), Some(state))
    }

    /// Checks a returned state against this call and uses it up; gives the user's answer.
    pub fn answer(
        &self,
        state: &str,
        responses: Option<&InputResponses>,
        who: &str,
        tool: &str,
        args: &Value,
    ) -> Result<ElicitationAction, StateRefusal> {
        let sealed: Sealed = self
            .codec
            .open_json(state)
            .map_err(|_| StateRefusal::Invalid)?;
        let expected = Sealed {
            who: sha256_hex(who.as_bytes()),
            tool: tool.to_string(),
            args: digest(args),
            nonce: sealed.nonce.clone(),
        };
        if sealed != expected {
            return Err(StateRefusal::Mismatch);
        }
        let answer = responses
            .and_then(|r| r.get(QUESTION))
            .and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok())
            .ok_or(StateRefusal::NoAnswer)?;
        // Used once, whatever the answer: the entry API makes check-and-insert one step.
        let fresh = self.consumed.entry(sealed.nonce).or_insert(()).is_fresh();
        if !fresh {
            return Err(StateRefusal::Replayed);
        }
        Ok(answer.action)
    }
}

/// Names a call's targets from a read of each (a person confirms "Jane Doe <jane@…>", not an id).
/// A target that cannot be read is named by its id; the question is still asked.
pub async fn describe_targets(
    api: &ClerkApi,
    key: Option<&SecretKey>,
    args: &Value,
    deadline: tokio::time::Instant,
) -> Vec<String> {
    let scopes = [Some(args), args.get("arguments")];
    let ids: Vec<(String, String)> = scopes
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|o| o.iter())
        .filter(|(k, v)| k.ends_with("_id") && *k != "operation_id" && v.is_string())
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let mut out = Vec::new();
    for (name, id) in ids {
        let read = match (name.as_str(), key) {
            ("user_id", Some(k)) => Some(("GetUser", serde_json::json!({"user_id": id}), k)),
            ("organization_id", Some(k)) => Some((
                "GetOrganization",
                serde_json::json!({"organization_id": id}),
                k,
            )),
            _ => None,
        };
        let found = match read {
            Some((op, a, k)) => api
                .call(k, op, a, deadline)
                .await
                .result
                .ok()
                .map(|r| r.body),
            None => None,
        };
        out.push(match found {
            Some(u) if name == "user_id" => describe_user(&u, &id),
            Some(o) => match o.get("name").and_then(Value::as_str) {
                Some(n) => format!("{n} ({id})"),
                None => id,
            },
            None => id,
        });
    }
    out
}

fn describe_user(u: &Value, id: &str) -> String {
    let s = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or_default();
    let name = format!("{} {}", s("first_name"), s("last_name"))
        .trim()
        .to_string();
    let primary = s("primary_email_address_id");
    let email = u
        .get("email_addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| e.get("id").and_then(Value::as_str) == Some(primary))
        .and_then(|e| e.get("email_address"))
        .and_then(Value::as_str);
    let label = match (name.is_empty(), email) {
        (false, Some(e)) => format!("{name} <{e}>"),
        (false, None) => name,
        (true, Some(e)) => format!("<{e}>"),
        (true, None) => s("username").to_string(),
    };
    if label.is_empty() {
        id.to_string()
    } else {
        format!("{label} ({id})")
    }
}

/// The question put to the user: what will be done, to whom, and whether it can be undone.
pub fn question(action: &str, targets: &[String], irreversible: bool) -> String {
    let on = if targets.is_empty() {
        String::new()
    } else {
        format!(": {}", targets.join(", "))
    };
    let tail = if irreversible {
        " This cannot be undone."
    } else {
        ""
    };
    format!("{action}{on}?{tail}")
}

/// The form: a message and nothing to fill in; accepting is the confirmation.
pub fn form(message: String) -> ElicitRequestParams {
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: ElicitationSchema::new(Default::default()),
    }
}

/// The result of a call the user declined or cancelled: not an error, and nothing was done.
pub fn not_done(action: &ElicitationAction, question: &str) -> Value {
    let how = match action {
        ElicitationAction::Decline => "declined",
        _ => "cancelled",
    };
    serde_json::json!({
        "done": false,
        "message": format!("Nothing was done: the user {how} \"{question}\"."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn accept() -> InputResponses {
        let mut r = InputResponses::new();
        r.insert(QUESTION.into(), json!({"action": "accept", "content": {}}));
        r
    }

    fn state_of(r: &InputRequiredResult) -> String {
        r.request_state.clone().unwrap()
    }

    #[test]
    fn a_state_opens_once_for_the_same_call_only() {
        let c = Confirmations::new(None, ConfirmMode::Auto, Duration::from_secs(300)).unwrap();
        let args = json!({"user_id": "user_1", "x": {"b": 1, "a": 2}});
        let same_args_reordered = json!({"x": {"a": 2, "b": 1}, "user_id": "user_1"});
        let r = c.ask("oauth:ann", "clerk_delete_user", &args, "Delete?".into());
        let s = state_of(&r);
        for (who, tool, a, want) in [
            (
                "oauth:bob",
                "clerk_delete_user",
                &args,
                StateRefusal::Mismatch,
            ),
            ("oauth:ann", "clerk_ban_user", &args, StateRefusal::Mismatch),
            (
                "oauth:ann",
                "clerk_delete_user",
                &json!({"user_id": "user_2"}),
                StateRefusal::Mismatch,
            ),
        ] {
            assert_eq!(c.answer(&s, Some(&accept()), who, tool, a), Err(want));
        }
        assert_eq!(
            c.answer(&s, None, "oauth:ann", "clerk_delete_user", &args),
            Err(StateRefusal::NoAnswer)
        );
        assert_eq!(
            c.answer(
                &s,
                Some(&accept()),
                "oauth:ann",
                "clerk_delete_user",
                &same_args_reordered
            ),
            Ok(ElicitationAction::Accept)
        );
        assert_eq!(
            c.answer(&s, Some(&accept()), "oauth:ann", "clerk_delete_user", &args),
            Err(StateRefusal::Replayed)
        );
        // Tampered, or sealed by another process's secret.
        let mut t = s.clone();
        t.replace_range(t.len() - 3.., "AAA");
        assert_eq!(
            c.answer(&t, Some(&accept()), "oauth:ann", "clerk_delete_user", &args),
            Err(StateRefusal::Invalid)
        );
        let other = Confirmations::new(None, ConfirmMode::Auto, Duration::from_secs(300)).unwrap();
        let s2 = state_of(&other.ask("oauth:ann", "clerk_delete_user", &args, "Delete?".into()));
        assert_eq!(
            c.answer(
                &s2,
                Some(&accept()),
                "oauth:ann",
                "clerk_delete_user",
                &args
            ),
            Err(StateRefusal::Invalid)
        );
        assert!(
            Confirmations::new(Some("short"), ConfirmMode::Auto, Duration::from_secs(300)).is_err()
        );
    }

    #[test]
    fn an_expired_state_is_refused() {
        let c = Confirmations::new(None, ConfirmMode::Auto, Duration::from_millis(1)).unwrap();
        let args = json!({"user_id": "user_1"});
        let s = state_of(&c.ask("k", "clerk_delete_user", &args, "Delete?".into()));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            c.answer(&s, Some(&accept()), "k", "clerk_delete_user", &args),
            Err(StateRefusal::Invalid)
        );
    }
}
