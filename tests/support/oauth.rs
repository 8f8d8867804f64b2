//! A stand-in OAuth authorization server for the tests: RFC 8414 metadata and a JWKS on
//! 127.0.0.1, and tokens signed with its test key (tests/fixtures/).

use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

pub const RESOURCE: &str = "https://mcp.example.test/mcp";
pub const ISSUER_KEY: &str = include_str!("../fixtures/oauth_issuer_key.pem");
pub const OTHER_KEY: &str = include_str!("../fixtures/oauth_other_key.pem");
pub const ISSUER_PUB: &str = include_str!("../fixtures/oauth_issuer_pub.pem");
pub const JWKS: &str = include_str!("../fixtures/oauth_issuer_jwks.json");

/// A minimal authorization server: metadata and keys, as an issuer publishes them.
pub struct Issuer {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn issuer() -> Issuer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let meta = json!({"issuer": url, "jwks_uri": format!("{url}/jwks"),
        "authorization_endpoint": format!("{url}/authorize"), "token_endpoint": format!("{url}/token"),
        "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"]});
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let m = meta.clone();
                async move { axum::Json(m) }
            }),
        )
        .route(
            "/jwks",
            get(|| async { axum::Json(serde_json::from_str::<Value>(JWKS).unwrap()) }),
        );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Issuer { url, task }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims of a good token; tests break one thing at a time.
pub fn claims(iss: &str, scope: &str) -> Value {
    json!({"iss": iss, "sub": "user_oauthsubject", "aud": [RESOURCE], "exp": now() + 600, "iat": now(),
        "nbf": now() - 5, "client_id": "client_claude", "jti": "jti_0001", "scope": scope})
}

pub fn sign(claims: &Value, key: &str, kid: Option<&str>) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    h.kid = kid.map(String::from);
    jsonwebtoken::encode(
        &h,
        claims,
        &EncodingKey::from_rsa_pem(key.as_bytes()).unwrap(),
    )
    .unwrap()
}

pub fn good(iss: &str, scope: &str) -> String {
    sign(&claims(iss, scope), ISSUER_KEY, Some("test-key-1"))
}

pub fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}
