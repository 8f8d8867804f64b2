//! The OAuth 2.1 resource server (MCP authorization, RFC 9728): `/mcp` accepts access tokens from one
//! issuer — Clerk itself or any OAuth authorization server — and grants `read` or `write` access by
//! scope or by Clerk organization role.
//!
//! Fail-closed everywhere: a JWT must carry an asymmetric signature from the issuer's JWKS, the
//! issuer, a live `exp`/`nbf`, and an `aud` naming this server's resource URL (a token without `aud`
//! is refused: the MCP spec requires the audience check, and Clerk only sets `aud` when the client
//! sent `resource`). Clerk's opaque `oat_…` tokens are checked with Clerk's verify endpoint, using
//! the issuer instance's key. Tokens are never forwarded to Clerk as credentials and never logged.

use crate::clerk::{ClerkApi, SecretKey};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Tools that only read.
    Read,
    /// Every tool.
    Write,
}

impl Access {
    /// `read` / `write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// The caller behind a verified OAuth access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCaller {
    /// The token's subject (a Clerk user id when Clerk is the issuer).
    pub sub: String,
    /// The OAuth client the token was issued to.
    pub client_id: Option<String>,
    /// The token's id (`jti`, or Clerk's token id), never the token.
    pub token_id: Option<String>,
    /// The organization the access was granted through, if any.
    pub org_id: Option<String>,
    /// What it may do.
    pub access: Access,
}

/// Who may do what by Clerk organization role.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    /// The organization whose members may use the server.
    pub org_id: String,
    /// Roles that may read.
    pub read_roles: BTreeSet<String>,
    /// Roles that may write.
    pub write_roles: BTreeSet<String>,
}

/// The resource server's configuration.
#[derive(Clone)]
pub struct OAuthConfig {
    /// The authorization server's issuer identifier.
    pub issuer: String,
    /// The exact public URL of `/mcp`: the resource, and the audience tokens must carry.
    pub resource: String,
    /// The scope that grants read access.
    pub read_scope: String,
    /// The scope that grants write access.
    pub write_scope: String,
    /// Access by Clerk organization role instead of scopes.
    pub org_policy: Option<OrgPolicy>,
    /// The issuer Clerk instance's key, for opaque tokens and membership lookups.
    pub clerk_key: Option<SecretKey>,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("issuer", &self.issuer)
            .field("resource", &self.resource)
            .field("read_scope", &self.read_scope)
            .field("write_scope", &self.write_scope)
            .field("org_policy", &self.org_policy)
            .field("clerk_key", &self.clerk_key.as_ref().map(|_| "redacted"))
            .finish()
    }
}

/// Why a token was refused (the reason is logged and counted, never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a token this server accepts (malformed, bad signature, wrong issuer or audience,
    /// expired, revoked, …).
    Invalid(String),
    /// A valid token that grants nothing here.
    NoAccess(String),
    /// The authorization server or Clerk could not be reached to check it.
    Unavailable(String),
}

/// Asymmetric algorithms only: an HMAC "signed" with the issuer's public key is a known forgery.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;
/// How long the issuer's metadata and keys are reused.
const KEYS_TTL: Duration = Duration::from_secs(600);
/// Shortest time between two JWKS fetches caused by unknown key ids (a token with a random `kid`
/// must not make the server hammer the issuer).
const REFETCH_GAP: Duration = Duration::from_secs(30);
/// Longest time a Clerk check (opaque token, membership) is reused.
const CLERK_CACHE_TTL: Duration = Duration::from_secs(60);

/// The issuer's keys, as last fetched.
struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// The resource server.
pub struct ResourceServer {
    cfg: OAuthConfig,
    http: reqwest::Client,
    jwks_uri: Mutex<Option<String>>,
    keys: Mutex<Option<Keys>>,
    last_refetch: Mutex<Option<Instant>>,
    /// Clerk, with the issuer instance's key: opaque tokens and membership lookups.
    clerk: Option<(ClerkApi, SecretKey)>,
    opaque: moka::future::Cache<[u8; 32], (Verified, Instant)>,
    roles: moka::future::Cache<String, Option<String>>,
}

/// A checked token before the access decision: the caller, its scopes and its org role claim.
type Verified = Result<(OAuthCaller, BTreeSet<String>, Option<String>), Refused>;

impl std::fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceServer")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// Standard claims of an access token (RFC 9068), plus Clerk's.
#[derive(Debug, serde::Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<Value>,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    org_role: Option<String>,
}

impl ResourceServer {
    /// A resource server for `cfg`; `api` is used with `cfg.clerk_key` for Clerk's checks.
    pub fn new(cfg: OAuthConfig, api: &ClerkApi) -> Result<ResourceServer, String> {
        crate::clerk::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("could not build the OAuth HTTP client: {e}"))?;
        let clerk = cfg.clerk_key.clone().map(|k| (api.clone(), k));
        Ok(ResourceServer {
            cfg,
            http,
            clerk,
            jwks_uri: Mutex::new(None),
            keys: Mutex::new(None),
            last_refetch: Mutex::new(None),
            opaque: moka::future::Cache::builder()
                .time_to_live(CLERK_CACHE_TTL)
                .max_capacity(100_000)
                .build(),
            roles: moka::future::Cache::builder()
                .time_to_live(CLERK_CACHE_TTL)
                .max_capacity(100_000)
                .build(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OAuthConfig {
        &self.cfg
    }

    /// The URL of this resource's RFC 9728 metadata (`/.well-known/oauth-protected-resource/mcp`).
    pub fn metadata_url(&self) -> String {
        match reqwest::Url::parse(&self.cfg.resource) {
            Ok(u) => {
                let origin = u.origin().ascii_serialization();
                let path = u.path().trim_end_matches('/');
                format!("{origin}/.well-known/oauth-protected-resource{path}")
            }
            Err(_) => String::new(),
        }
    }

    /// The protected-resource metadata document.
    pub fn metadata(&self) -> Value {
        json!({
            "resource": self.cfg.resource,
            "authorization_servers": [self.cfg.issuer],
            "scopes_supported": [self.cfg.read_scope, self.cfg.write_scope],
            "bearer_methods_supported": ["header"],
            "resource_name": "clerk-mcp",
        })
    }

    /// The scopes a caller needs for `access`.
    pub fn scopes_for(&self, access: Access) -> String {
        match access {
            Access::Read => self.cfg.read_scope.clone(),
            Access::Write => format!("{} {}", self.cfg.read_scope, self.cfg.write_scope),
        }
    }

    /// Finds `jwks_uri` in the issuer's metadata: RFC 8414 (`/.well-known/oauth-authorization-server`,
    /// inserted before the issuer's path) first, then OpenID Connect discovery.
    async fn discover(&self) -> Result<String, Refused> {
        if let Some(u) = self.jwks_uri.lock().await.clone() {
            return Ok(u);
        }
        let issuer = self.cfg.issuer.trim_end_matches('/');
        let parsed = reqwest::Url::parse(issuer)
            .map_err(|e| Refused::Unavailable(format!("issuer URL: {e}")))?;
        let origin = parsed.origin().ascii_serialization();
        let path = parsed.path().trim_end_matches('/');
        let candidates = [
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{issuer}/.well-known/openid-configuration"),
        ];
        let mut last = String::new();
        for url in candidates {
            match self.get_json(&url).await {
                Ok(m) => {
                    let said = m["issuer"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_end_matches('/');
                    if said != issuer {
                        last = format!("{url} names issuer `{said}`, not `{issuer}`");
                        continue;
                    }
                    let Some(jwks) = m["jwks_uri"].as_str() else {
                        last = format!("{url} has no jwks_uri");
                        continue;
                    };
                    *self.jwks_uri.lock().await = Some(jwks.to_string());
                    return Ok(jwks.to_string());
                }
                Err(e) => last = e,
            }
        }
        Err(Refused::Unavailable(format!(
            "the authorization server's metadata could not be read ({last})"
        )))
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let r = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !r.status().is_success() {
            return Err(format!("{url}: HTTP {}", r.status().as_u16()));
        }
        r.json().await.map_err(|e| format!("{url}: {e}"))
    }

    /// The key for `kid`, fetching the JWKS when it is stale or (at most every [`REFETCH_GAP`]) when
    /// the key is unknown (the issuer may have rotated).
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, Refused> {
        let find = |set: &JwkSet| -> Option<DecodingKey> {
            let jwk = match kid {
                Some(k) => set.find(k)?,
                None if set.keys.len() == 1 => &set.keys[0],
                None => return None,
            };
            DecodingKey::from_jwk(jwk).ok()
        };
        {
            let keys = self.keys.lock().await;
            if let Some(k) = keys.as_ref()
                && k.fetched.elapsed() < KEYS_TTL
                && let Some(key) = find(&k.set)
            {
                return Ok(key);
            }
        }
        {
            let mut last = self.last_refetch.lock().await;
            let fresh = self
                .keys
                .lock()
                .await
                .as_ref()
                .is_some_and(|k| k.fetched.elapsed() < KEYS_TTL);
            if fresh && last.is_some_and(|t| t.elapsed() < REFETCH_GAP) {
                return Err(Refused::Invalid(
                    "the token's key id is not among the issuer's keys".into(),
                ));
            }
            *last = Some(Instant::now());
        }
        let uri = self.discover().await?;
        let set: JwkSet = serde_json::from_value(
            self.get_json(&uri)
                .await
                .map_err(|e| Refused::Unavailable(format!("the issuer's keys: {e}")))?,
        )
        .map_err(|e| Refused::Unavailable(format!("the issuer's keys are not a JWKS: {e}")))?;
        let key = find(&set);
        *self.keys.lock().await = Some(Keys {
            set,
            fetched: Instant::now(),
        });
        key.ok_or_else(|| {
            Refused::Invalid("the token's key id is not among the issuer's keys".into())
        })
    }

    /// Verifies a bearer token and decides the caller's access.
    pub async fn verify(&self, token: &str) -> Result<OAuthCaller, Refused> {
        let caller = if token.starts_with("oat_") {
            self.verify_opaque(token).await?
        } else {
            self.verify_jwt(token).await?
        };
        self.authorize(caller).await
    }

    async fn verify_jwt(&self, token: &str) -> Verified {
        let invalid = |m: &str| Refused::Invalid(m.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            invalid("not a JWT this server accepts (malformed, or an algorithm such as none)")
        })?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid(
                "the token is not signed with an asymmetric algorithm",
            ));
        }
        let typ = header.typ.as_deref().unwrap_or("").to_ascii_lowercase();
        if !matches!(typ.as_str(), "at+jwt" | "application/at+jwt" | "jwt") {
            return Err(invalid("the token's typ is not at+jwt or JWT"));
        }
        let key = self.key(header.kid.as_deref()).await?;
        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        // Issuers differ on a trailing slash (Auth0 has one); the configured value has none.
        let bare = self.cfg.issuer.trim_end_matches('/');
        v.set_issuer(&[bare.to_string(), format!("{bare}/")]);
        v.set_audience(&[self.cfg.resource.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            invalid(match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::ImmatureSignature => "the token is not valid yet",
                K::InvalidIssuer => "the token was issued by another authorization server",
                K::InvalidAudience => "the token was not issued for this server (audience)",
                K::MissingRequiredClaim(c) if c == "aud" => {
                    "the token has no audience: ask for it with the resource parameter (RFC 8707)"
                }
                K::InvalidSignature => "the token's signature does not verify",
                _ => "the token could not be verified",
            })
        })?;
        let c = data.claims;
        let mut scopes: BTreeSet<String> = c
            .scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(String::from)
            .collect();
        match &c.scp {
            Some(Value::Array(a)) => {
                scopes.extend(a.iter().filter_map(Value::as_str).map(String::from))
            }
            Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(String::from)),
            _ => {}
        }
        Ok((
            OAuthCaller {
                sub: c.sub,
                client_id: c.client_id.or(c.azp),
                token_id: c.jti,
                org_id: c.org_id,
                access: Access::Read,
            },
            scopes,
            c.org_role,
        ))
    }

    /// Clerk's opaque tokens, checked with `verifyOAuthAccessToken` (cached ≤ 60 s, never past the
    /// token's expiry).
    async fn verify_opaque(&self, token: &str) -> Verified {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some((hit, until)) = self.opaque.get(&digest).await
            && Instant::now() < until
        {
            return hit;
        }
        let Some((api, key)) = &self.clerk else {
            return Err(Refused::Unavailable(
                "opaque Clerk tokens need the issuer instance's key (MCP_OAUTH_CLERK_SECRET_KEY)"
                    .into(),
            ));
        };
        let out = api
            .call(
                key,
                crate::clerk::catalog::ops::verifyOAuthAccessToken,
                json!({"body": {"access_token": token}}),
                tokio::time::Instant::now() + Duration::from_secs(10),
            )
            .await;
        let (verdict, until) = match out.result {
            Ok(r) => read_opaque(&r.body),
            // Clerk answers 4xx for tokens it does not know.
            Err(e)
                if e.status()
                    .is_some_and(|s| (400..500).contains(&s) && s != 429) =>
            {
                (
                    Err(Refused::Invalid("Clerk does not know this token".into())),
                    Instant::now() + CLERK_CACHE_TTL,
                )
            }
            Err(e) => {
                return Err(Refused::Unavailable(format!(
                    "Clerk could not check the token: {e}"
                )));
            }
        };
        self.opaque.insert(digest, (verdict.clone(), until)).await;
        verdict
    }

    async fn authorize(
        &self,
        (mut caller, scopes, org_role): (OAuthCaller, BTreeSet<String>, Option<String>),
    ) -> Result<OAuthCaller, Refused> {
        let access = match &self.cfg.org_policy {
            None => {
                if scopes.contains(&self.cfg.write_scope) {
                    Some(Access::Write)
                } else if scopes.contains(&self.cfg.read_scope) {
                    Some(Access::Read)
                } else {
                    None
                }
            }
            Some(p) => {
                let role = match (&caller.org_id, org_role) {
                    (Some(o), Some(r)) if *o == p.org_id => Some(r),
                    _ => self.member_role(&caller.sub, p).await?,
                };
                caller.org_id = Some(p.org_id.clone());
                match role {
                    Some(r) if p.write_roles.contains(&r) => Some(Access::Write),
                    Some(r) if p.read_roles.contains(&r) => Some(Access::Read),
                    _ => None,
                }
            }
        };
        match access {
            Some(a) => {
                caller.access = a;
                Ok(caller)
            }
            None => Err(Refused::NoAccess(match &self.cfg.org_policy {
                None => format!(
                    "the token grants neither {} nor {}",
                    self.cfg.read_scope, self.cfg.write_scope
                ),
                Some(p) => format!(
                    "the token's user has no role in organization {} that grants access",
                    p.org_id
                ),
            })),
        }
    }

    /// The user's role in the policy's organization, looked up with the issuer key (cached ≤ 60 s).
    async fn member_role(&self, user_id: &str, p: &OrgPolicy) -> Result<Option<String>, Refused> {
        if let Some(hit) = self.roles.get(user_id).await {
            return Ok(hit);
        }
        let Some((api, key)) = &self.clerk else {
            return Err(Refused::Unavailable(
                "role lookups need the issuer instance's key (MCP_OAUTH_CLERK_SECRET_KEY)".into(),
            ));
        };
        let out = api
            .call(
                key,
                crate::clerk::catalog::ops::UsersGetOrganizationMemberships,
                json!({"user_id": user_id, "limit": 100}),
                tokio::time::Instant::now() + Duration::from_secs(10),
            )
            .await;
        let role = match out.result {
            Ok(r) => r.body["data"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m["organization"]["id"] == json!(p.org_id))
                .and_then(|m| m["role"].as_str())
                .map(String::from),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => {
                return Err(Refused::Unavailable(format!(
                    "Clerk could not list the user's memberships: {e}"
                )));
            }
        };
        self.roles.insert(user_id.to_string(), role.clone()).await;
        Ok(role)
    }
}

/// Reads Clerk's answer about an opaque token, and until when it may be reused.
fn read_opaque(body: &Value) -> (Verified, Instant) {
    let soon = Instant::now() + CLERK_CACHE_TTL;
    if body.get("active") == Some(&Value::Bool(false)) {
        return (
            Err(Refused::Invalid("the token is not active".into())),
            soon,
        );
    }
    if body["revoked"] == json!(true) {
        return (Err(Refused::Invalid("the token was revoked".into())), soon);
    }
    if body["expired"] == json!(true) {
        return (Err(Refused::Invalid("the token has expired".into())), soon);
    }
    let Some(sub) = body["subject"].as_str() else {
        return (
            Err(Refused::Invalid("Clerk's answer names no subject".into())),
            soon,
        );
    };
    // Never reuse the answer past the token's own expiry. Clerk's timestamps are Unix milliseconds, but
    // the spec's example for this field is in seconds: a value below 10^11 (1973 in ms) is read as
    // seconds.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let expires_ms = body["expiration"]
        .as_f64()
        .map(|v| if v < 1e11 { v * 1000.0 } else { v } as u64);
    if expires_ms.is_some_and(|ms| ms <= now_ms) {
        // Fail closed: past its expiry even if Clerk has not flagged it yet.
        return (Err(Refused::Invalid("the token has expired".into())), soon);
    }
    let until = expires_ms
        .map(|ms| Instant::now() + Duration::from_millis(ms - now_ms))
        .map_or(soon, |t| t.min(soon));
    let scopes = body["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    let caller = OAuthCaller {
        sub: sub.to_string(),
        client_id: body["client_id"].as_str().map(String::from),
        token_id: body["id"].as_str().map(String::from),
        org_id: None,
        access: Access::Read,
    };
    (Ok((caller, scopes, None)), until)
}

/// A short, stable fingerprint of a value (a public-mode key in the audit log): enough to tell two
/// apart, useless to recover either.
pub fn fingerprint(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    format!("sha256:{}", hex::encode(&d[..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_token_expiry_is_read_in_seconds_or_milliseconds_and_enforced() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let token = |expiration: Value| {
            json!({"object": "clerk_idp_oauth_access_token", "id": "oat_1", "client_id": "client_1",
                "subject": "user_1", "scopes": ["clerk:read"], "revoked": false, "expired": false,
                "expiration": expiration})
        };
        for (expiration, ok) in [
            (json!(now_ms + 600_000), true),
            (json!(now_ms / 1000 + 600), true),
            (json!(now_ms - 1_000), false),
            (json!(now_ms / 1000 - 10), false),
            (Value::Null, true),
        ] {
            let (verdict, until) = read_opaque(&token(expiration.clone()));
            assert_eq!(verdict.is_ok(), ok, "{expiration}");
            assert!(until <= Instant::now() + CLERK_CACHE_TTL);
        }
        assert!(read_opaque(&json!({"active": false})).0.is_err());
    }
}
