//! The request edge: the one place request headers are read, on every route.
//!
//! In order: headers that must appear at most once (`Authorization`, `X-Clerk-Secret-Key`, `Host`,
//! `Origin`) are refused when repeated, since "the first one wins" lets a proxy and the server
//! disagree about who is calling; `Host` and `Origin` are checked (DNS-rebinding defence, the same
//! rules rmcp applies, so they cover `/api/health` too); the client's address is worked out
//! (`X-Forwarded-For` / `Forwarded` count only from `--trusted-proxies`); and the credentials leave
//! the header map for typed values whose `Debug` is redacted, so nothing downstream that logs
//! headers can see them.

use super::AppState;
use super::refusal::Refusal;
use crate::clerk::{KeyError, SecretKey};
use crate::config::Mode;
use crate::telemetry::traces;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The header public-mode clients put their Clerk secret key in.
pub const KEY_HEADER: &str = "x-clerk-secret-key";

/// The client's address: the TCP peer, or what a trusted proxy says it forwarded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

/// The Clerk key of the current request (public mode), or why its value is unusable.
#[derive(Clone, Debug)]
pub struct RequestKey(pub Result<SecretKey, KeyError>);

/// A bearer token as presented (not yet verified). `Debug` is redacted.
#[derive(Clone)]
pub struct Bearer(pub(crate) String);

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer(redacted)")
    }
}

/// Headers that must appear at most once.
const SINGLE: [HeaderName; 4] = [
    header::AUTHORIZATION,
    HeaderName::from_static(KEY_HEADER),
    header::HOST,
    header::ORIGIN,
];

/// One `Host` allow-list entry: a host name and, optionally, the only port it may come with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    host: String,
    port: Option<u16>,
}

/// The port an `Origin` entry allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPort {
    /// `:*`, or no port given (older configurations): any port.
    Any,
    /// Exactly this port (the scheme's default when the Origin has none).
    Exact(u16),
}

/// One `Origin` allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginRule {
    /// `Origin: null` (sandboxed documents, file URLs).
    Null,
    /// A scheme, host and port rule.
    Site {
        /// Lower-case scheme.
        scheme: String,
        /// Normalised host.
        host: String,
        /// Allowed port.
        port: OriginPort,
    },
}

/// Host names compare without brackets and case-insensitively (`[::1]` = `::1`, `LocalHost`).
fn normalize_host(h: &str) -> String {
    h.trim_matches(['[', ']']).to_ascii_lowercase()
}

impl HostRule {
    /// Parses an allow-list entry (`mcp.example.com`, `localhost:8787`, `::1`).
    pub fn parse(entry: &str) -> Result<HostRule, String> {
        let entry = entry.trim();
        match entry.parse::<axum::http::uri::Authority>() {
            Ok(a) => Ok(HostRule {
                host: normalize_host(a.host()),
                port: a.port_u16(),
            }),
            // A bare IPv6 address (`::1`) is not an authority, but is a valid host.
            Err(_) if entry.parse::<IpAddr>().is_ok() => Ok(HostRule {
                host: normalize_host(entry),
                port: None,
            }),
            Err(_) => Err(format!("`{entry}` is not a host name or host:port")),
        }
    }

    fn admits(&self, host: &str, port: Option<u16>) -> bool {
        self.host == host && self.port.is_none_or(|p| port == Some(p))
    }
}

impl OriginRule {
    /// Parses an allow-list entry (`https://app.example.com`, `http://localhost:*`, `null`).
    pub fn parse(entry: &str) -> Result<OriginRule, String> {
        let entry = entry.trim();
        if entry.eq_ignore_ascii_case("null") {
            return Ok(OriginRule::Null);
        }
        let (base, any) = match entry.strip_suffix(":*") {
            Some(b) => (b, true),
            None => (entry, false),
        };
        let (scheme, host, port) = parse_origin(base).ok_or_else(|| {
            format!("`{entry}` is not an origin (scheme://host[:port], `:*` for any port, or null)")
        })?;
        let port = match (any, port) {
            (true, Some(_)) => return Err(format!("`{entry}` has both a port and `:*`")),
            (true, None) | (false, None) => OriginPort::Any,
            (false, Some(p)) => OriginPort::Exact(p),
        };
        Ok(OriginRule::Site { scheme, host, port })
    }

    fn admits(&self, origin: &Origin) -> bool {
        match (self, origin) {
            (OriginRule::Null, Origin::Null) => true,
            (
                OriginRule::Site { scheme, host, port },
                Origin::Site {
                    scheme: s,
                    host: h,
                    port: p,
                },
            ) => {
                scheme == s
                    && host == h
                    && match port {
                        OriginPort::Any => true,
                        OriginPort::Exact(want) => p.or_else(|| default_port(s)) == Some(*want),
                    }
            }
            _ => false,
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// A presented `Origin`.
enum Origin {
    Null,
    Site {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

fn parse_origin(s: &str) -> Option<(String, String, Option<u16>)> {
    let uri: axum::http::Uri = s.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let auth = uri.authority()?;
    Some((scheme, normalize_host(auth.host()), auth.port_u16()))
}

/// Checks `Host` and `Origin` against the configured allow lists.
fn check_host_and_origin(state: &AppState, req: &Request) -> Result<(), Refusal> {
    let cfg = &state.config;
    let raw = match req.headers().get(header::HOST) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| Refusal::bad_request("The Host header is not valid text"))?
                .to_string(),
        ),
        None => req.uri().authority().map(|a| a.to_string()),
    };
    let raw = raw.ok_or_else(|| Refusal::bad_request("The request has no Host header"))?;
    let authority: axum::http::uri::Authority = raw
        .parse()
        .map_err(|_| Refusal::bad_request(format!("The Host header `{raw}` is not a host name")))?;
    let (host, port) = (normalize_host(authority.host()), authority.port_u16());
    if let Some(rules) = &cfg.allowed_hosts
        && !rules.iter().any(|r| r.admits(&host, port))
    {
        return Err(Refusal::forbidden(format!(
            "Host `{raw}` is not allowed on this server (DNS-rebinding protection); its operator can add it \
             with --allowed-hosts"
        )));
    }
    let Some(rules) = &cfg.allowed_origins else {
        return Ok(());
    };
    let Some(value) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let text = value
        .to_str()
        .map_err(|_| Refusal::forbidden("The Origin header is not valid text"))?;
    let origin = if text.trim().eq_ignore_ascii_case("null") {
        Origin::Null
    } else {
        let (scheme, host, port) = parse_origin(text).ok_or_else(|| {
            Refusal::forbidden(format!("The Origin header `{text}` is not an origin"))
        })?;
        Origin::Site { scheme, host, port }
    };
    if rules.iter().any(|r| r.admits(&origin)) {
        Ok(())
    } else {
        Err(Refusal::forbidden(format!(
            "Origin `{text}` is not allowed on this server; its operator can add it with --allowed-origins"
        )))
    }
}

/// The client's address. Forwarding headers are believed only from a trusted proxy, and then the
/// client is the right-most address that is not itself a trusted proxy (the left part of the list
/// is whatever the client chose to send).
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_hop)
        .collect();
    if hops.is_empty() {
        hops = headers
            .get_all(header::FORWARDED)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_hop(v.trim().trim_matches('"')))
                        .flatten()
                })
            })
            .collect();
    }
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

/// One forwarded hop: `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.trim_start_matches('[')
        .split(']')
        .next()
        .and_then(|x| x.parse().ok())
}

/// `Bearer <token>`, with the scheme matched case-insensitively (RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<Bearer> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| Bearer(token.to_string()))
}

/// The edge middleware, outermost on every route.
pub async fn edge(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    use tracing::Instrument;
    let span = tracing::debug_span!(
        target: traces::TARGET,
        "mcp.request",
        otel.name = %format!("{} {}", req.method(), req.uri().path()),
        otel.kind = "server",
        http.request.method = %req.method(),
        url.path = %req.uri().path(),
        http.response.status_code = tracing::field::Empty,
    );
    traces::continue_from_headers(&span, req.headers());
    req.extensions_mut().insert(RequestSpan(span.clone()));
    let response = checks(state, req, next).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}

/// The span of the HTTP request, for the spans of what it does (a tool call is answered in a task
/// of its own, so it names its parent explicitly).
#[derive(Clone, Debug)]
pub struct RequestSpan(pub tracing::Span);

async fn checks(state: Arc<AppState>, mut req: Request, next: Next) -> Response {
    state.activity.touch();
    for name in &SINGLE {
        if req.headers().get_all(name).iter().nth(1).is_some() {
            return Refusal::bad_request(format!(
                "The request carries more than one `{name}` header; send exactly one"
            ))
            .into_response();
        }
    }
    if let Err(r) = check_host_and_origin(&state, &req) {
        return r.into_response();
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let addr = client_addr(peer, req.headers(), &state.config.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(addr));
    if let Some(b) = bearer(req.headers()) {
        req.extensions_mut().insert(b);
    }
    req.headers_mut().remove(header::AUTHORIZATION);
    if let Some(raw) = req.headers_mut().remove(KEY_HEADER) {
        if state.config.mode == Mode::Hosted {
            return Refusal::bad_request(
                "This clerk-mcp server runs in hosted mode and uses its own Clerk key; it refuses requests that carry \
                 X-Clerk-Secret-Key so that a call meant for your instance never runs against the server owner's. \
                 Remove the header, or use a server started in public mode.",
            )
            .into_response();
        }
        let parsed = match raw.to_str() {
            Ok(s) => SecretKey::parse(s.trim()),
            Err(_) => Err(KeyError::BadCharacters),
        };
        req.extensions_mut().insert(RequestKey(parsed));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "198.51.100.9".parse().unwrap();
        let xff = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.0.0.5")]);
        // From a trusted proxy: the right-most untrusted hop (1.1.1.1 is what the client claimed).
        assert_eq!(
            client_addr(proxy, &xff, &trusted),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // From anyone else the header is ignored.
        assert_eq!(client_addr(stranger, &xff, &trusted), stranger);
        assert_eq!(client_addr(proxy, &xff, &[]), proxy);
        let fwd = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(
            client_addr(proxy, &fwd, &trusted),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        // Only trusted hops: the left-most one; nothing usable: the peer.
        let only = headers(&[("x-forwarded-for", "10.9.9.9, garbage")]);
        assert_eq!(
            client_addr(proxy, &only, &trusted),
            "10.9.9.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &trusted), proxy);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for v in ["Bearer abc", "bearer abc", "BEARER   abc ", " Bearer abc"] {
            let b = bearer(&headers(&[("authorization", v)])).unwrap();
            assert_eq!(b.0, "abc", "{v}");
        }
        for v in ["Basic abc", "Bearer", "Bearer ", "abc"] {
            assert!(bearer(&headers(&[("authorization", v)])).is_none(), "{v}");
        }
        assert_eq!(format!("{:?}", Bearer("secret".into())), "Bearer(redacted)");
    }

    #[test]
    fn host_and_origin_rules_match_like_rmcp() {
        let h = HostRule::parse("localhost").unwrap();
        assert!(h.admits("localhost", Some(8787)) && h.admits("localhost", None));
        let hp = HostRule::parse("mcp.example.com:443").unwrap();
        assert!(hp.admits("mcp.example.com", Some(443)) && !hp.admits("mcp.example.com", None));
        assert_eq!(
            HostRule::parse("::1").unwrap(),
            HostRule::parse("[::1]").unwrap()
        );
        let any = OriginRule::parse("http://localhost:*").unwrap();
        let site = |s: &str| {
            let (scheme, host, port) = parse_origin(s).unwrap();
            Origin::Site { scheme, host, port }
        };
        assert!(any.admits(&site("http://localhost:5173")));
        assert!(!any.admits(&site("https://localhost:5173")));
        let exact = OriginRule::parse("https://app.example.com:443").unwrap();
        assert!(exact.admits(&site("https://app.example.com")));
        assert!(!exact.admits(&site("https://app.example.com:8443")));
        assert!(OriginRule::parse("null").unwrap().admits(&Origin::Null));
        assert!(OriginRule::parse("https://a:1:*").is_err());
    }
}
