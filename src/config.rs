//! Configuration: flags and environment (and a `.env` file) → a validated [`Config`], with mode
//! detection and errors that say what to change. Secrets come from the environment only (flags show
//! up in `ps`), and every type here that can hold one has a redacting `Debug`.

use crate::clerk::{self, ClientConfig, RetryPolicy, SecretKey};
use crate::server::confirm::ConfirmMode;
use crate::server::edge::{HostRule, OriginRule};
use crate::server::oauth::{OAuthConfig, OrgPolicy};
use crate::tools::registry::{self, Filter, Registry};
use crate::tools::toolsets;
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, ValueEnum};
use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How the server gets its Clerk key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Hosted when CLERK_SECRET_KEY is set, public otherwise.
    Auto,
    /// The server holds CLERK_SECRET_KEY and uses it for every call.
    Hosted,
    /// Every request brings its own key in X-Clerk-Secret-Key.
    Public,
}

/// The mode the server runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The server's own key.
    Hosted,
    /// A key per request.
    Public,
}

impl Mode {
    /// `hosted` / `public`, as shown in logs and `/api/health`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Hosted => "hosted",
            Mode::Public => "public",
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Which tools are exposed (shared by `serve`, `stdio` and `tools`).
#[derive(Debug, Clone, Args, Default)]
pub struct FilterArgs {
    #[arg(long, env = "CLERK_MCP_TOOLSETS", value_name = "LIST", help = toolsets::help())]
    pub toolsets: Option<String>,
    /// Allow list of tool names, comma-separated. Without --toolsets, tools from every toolset may be named.
    #[arg(long, env = "CLERK_MCP_TOOLS", value_name = "LIST")]
    pub tools: Option<String>,
    /// Deny list, comma-separated: tool names, and for clerk_api_call also operationIds or tags (e.g. Billing).
    #[arg(long, env = "CLERK_MCP_EXCLUDE_TOOLS", value_name = "LIST")]
    pub exclude_tools: Option<String>,
    /// Only list and allow tools (and API operations) that read.
    #[arg(long, env = "CLERK_MCP_READ_ONLY", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub read_only: bool,
    /// Largest tool result, in tokens (bytes/4 of the text the client sees); a longer list returns
    /// the items that fit and says how to get the rest. Claude Code warns above 10,000.
    #[arg(
        long,
        env = "MCP_MAX_RESULT_TOKENS",
        default_value_t = 10_000,
        value_name = "TOKENS"
    )]
    pub max_result_tokens: usize,
    /// Leave out the notice (and the random boundary) that marks Clerk data as written by end users.
    #[arg(long, env = "MCP_NO_UNTRUSTED_NOTICE", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_untrusted_notice: bool,
    /// Return private metadata in results instead of redacting it.
    #[arg(long, env = "CLERK_MCP_EXPOSE_PRIVATE_METADATA", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub expose_private_metadata: bool,
}

impl FilterArgs {
    /// The server filter, with every name checked against the registry.
    pub fn to_filter(&self, reg: &Registry) -> Result<Filter, String> {
        let allow = self
            .tools
            .as_deref()
            .map(registry::parse_list)
            .filter(|s| !s.is_empty());
        let toolsets = match (&self.toolsets, &allow) {
            (Some(t), _) => toolsets::parse(t)?,
            // An allow list on its own may name tools from any toolset.
            (None, Some(_)) => toolsets::parse("all")?,
            (None, None) => toolsets::defaults(),
        };
        let deny = self
            .exclude_tools
            .as_deref()
            .map(registry::parse_list)
            .unwrap_or_default();
        if let Some(a) = &allow {
            reg.validate_names("--tools", a, |_| false)?;
        }
        let is_op_or_tag = |n: &str| {
            clerk::catalog::all().iter().any(|o| {
                o.operation_id.eq_ignore_ascii_case(n)
                    || o.tags.iter().any(|t| t.eq_ignore_ascii_case(n))
            })
        };
        reg.validate_names("--exclude-tools", &deny, is_op_or_tag)?;
        Ok(Filter {
            toolsets: Some(toolsets),
            allow,
            deny,
            read_only: self.read_only,
        })
    }
}

/// Flags of `serve` and `stdio`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// hosted (server holds CLERK_SECRET_KEY), public (key per request in X-Clerk-Secret-Key), or auto.
    #[arg(long, env = "CLERK_MCP_MODE", value_enum, default_value_t = ModeArg::Auto)]
    pub mode: ModeArg,
    /// Address to listen on. Anything but loopback exposes the server to the network.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8787)]
    pub port: u16,
    /// Host header values accepted on /mcp (DNS-rebinding defence), comma-separated; `*` disables the check.
    /// Default: localhost, 127.0.0.1 and ::1 when bound to loopback; required otherwise.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_name = "LIST")]
    pub allowed_hosts: Option<String>,
    /// Origin header values accepted on /mcp, comma-separated (`https://app.example.com`, `http://localhost:*`);
    /// `*` disables the check. Default: localhost origins on loopback; elsewhere any Origin is refused.
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_name = "LIST")]
    pub allowed_origins: Option<String>,
    /// Start in hosted mode on a non-loopback address without MCP_AUTH_TOKEN (anyone who can reach the port
    /// can use the server's Clerk key).
    #[arg(long, env = "MCP_ALLOW_UNAUTHENTICATED", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub allow_unauthenticated: bool,
    /// Serve 2025-11-25 clients with Mcp-Session-Id sessions (2026-07-28 requests stay stateless).
    #[arg(long, env = "MCP_LEGACY_SESSIONS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub legacy_sessions: bool,
    /// Seconds after which an idle legacy session is closed.
    #[arg(
        long,
        env = "MCP_SESSION_IDLE_TIMEOUT",
        default_value_t = 300,
        value_name = "SECS"
    )]
    pub session_idle_timeout: u64,
    /// Most live legacy sessions; when full, the session idle longest is closed for a new one.
    #[arg(long, env = "MCP_MAX_SESSIONS", default_value_t = 1000)]
    pub max_sessions: usize,
    /// Most live legacy sessions per client; past it, that client's idlest session is closed.
    #[arg(long, env = "MCP_MAX_SESSIONS_PER_CLIENT", default_value_t = 16)]
    pub max_sessions_per_client: usize,
    /// Clerk Backend API base URL; a bare origin gets `/v1`.
    #[arg(long = "clerk-api-url", env = "CLERK_API_URL", default_value = clerk::DEFAULT_API_URL, value_name = "URL")]
    pub api_url: String,
    /// Seconds allowed for one Clerk request attempt.
    #[arg(long, env = "CLERK_TIMEOUT", default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// Seconds allowed to connect to Clerk.
    #[arg(
        long,
        env = "CLERK_CONNECT_TIMEOUT",
        default_value_t = 5,
        value_name = "SECS"
    )]
    pub connect_timeout: u64,
    /// Attempts per Clerk call, including the first (1 disables retries).
    #[arg(long, env = "CLERK_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: u32,
    /// Longest wait before a retry, in seconds; a longer Retry-After is returned to the caller instead.
    #[arg(
        long,
        env = "CLERK_MAX_RETRY_DELAY",
        default_value_t = 10,
        value_name = "SECS"
    )]
    pub max_retry_delay: u64,
    /// Seconds one tool call may take in all, across every Clerk attempt and retry wait; then the
    /// call answers that Clerk did not respond in time (keep it below your client's own timeout:
    /// 60 s in the official TypeScript SDK).
    #[arg(
        long,
        env = "CLERK_CALL_DEADLINE",
        default_value_t = 45,
        value_name = "SECS"
    )]
    pub call_deadline: u64,
    /// Most Clerk requests in flight at once.
    #[arg(long, env = "CLERK_MAX_CONCURRENCY", default_value_t = 64)]
    pub max_concurrency: usize,
    /// Largest accepted request body on /mcp, in bytes.
    #[arg(long, env = "MCP_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Requests per minute per client (by verified access token; in public mode by Clerk key and
    /// address; else by address); 0 disables.
    #[arg(long, env = "MCP_RATE_LIMIT", default_value_t = 600)]
    pub rate_limit: u32,
    /// Proxies whose X-Forwarded-For / Forwarded headers are believed, comma-separated CIDRs
    /// (e.g. 10.0.0.0/8,192.168.1.5/32). From anyone else those headers are ignored.
    #[arg(long, env = "MCP_TRUSTED_PROXIES", value_name = "CIDRS")]
    pub trusted_proxies: Option<String>,
    /// Redis for limits shared by every replica: the per-client rate limit and each Clerk instance's
    /// request budget (e.g. redis://redis:6379/0; a password belongs in the env var, not a flag).
    /// Without it each replica limits alone; when Redis is down, too (health says degraded).
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Clerk's rate limit per 10 s for the instance, which calls wait for instead of meeting 429s
    /// (default: Clerk's limits, 1000 for an sk_live_ key, 100 for sk_test_); 0 turns it off.
    #[arg(long, env = "CLERK_RATE_LIMIT", value_name = "REQUESTS")]
    pub clerk_rate_limit: Option<u32>,
    /// Serve Prometheus metrics on this address (e.g. 0.0.0.0:9464) instead of `/metrics` on the main
    /// listener: scrapers then need neither the allowed Host nor the rate-limit budget.
    #[arg(long, env = "MCP_METRICS_ADDR", value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
    /// Seconds a client has to send a request's headers, counted from when the server waits for
    /// them, so it also closes idle keep-alive connections.
    #[arg(
        long,
        env = "MCP_HEADER_TIMEOUT",
        default_value_t = 10,
        value_name = "SECS"
    )]
    pub header_timeout: u64,
    /// Seconds a client has to send a whole request body.
    #[arg(
        long,
        env = "MCP_BODY_TIMEOUT",
        default_value_t = 30,
        value_name = "SECS"
    )]
    pub body_timeout: u64,
    /// Most open client connections; further ones wait to be accepted. Default: 1024, or 64 below the
    /// process's open-file limit if that is lower.
    #[arg(long, env = "MCP_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// OAuth authorization server whose access tokens `/mcp` accepts (Clerk's frontend API URL or any
    /// OAuth issuer); needs --resource-url. See the README's "Team access with OAuth".
    #[arg(long, env = "MCP_OAUTH_ISSUER", value_name = "URL")]
    pub oauth_issuer: Option<String>,
    /// The exact public URL of /mcp (e.g. https://mcp.example.com/mcp): the resource clients ask
    /// tokens for, and the audience every token must carry.
    #[arg(long, env = "MCP_RESOURCE_URL", value_name = "URL")]
    pub resource_url: Option<String>,
    /// The scope that grants read access.
    #[arg(long, env = "MCP_OAUTH_READ_SCOPE", default_value = "clerk:read")]
    pub oauth_read_scope: String,
    /// The scope that grants write access.
    #[arg(long, env = "MCP_OAUTH_WRITE_SCOPE", default_value = "clerk:write")]
    pub oauth_write_scope: String,
    /// Grant access by role in this Clerk organization (org_…) instead of by scope.
    #[arg(long, env = "MCP_OAUTH_ORG", value_name = "ORG_ID")]
    pub oauth_org: Option<String>,
    /// Roles in --oauth-org that may read, comma-separated (e.g. org:member).
    #[arg(long, env = "MCP_OAUTH_READ_ROLES", value_name = "LIST")]
    pub oauth_read_roles: Option<String>,
    /// Roles in --oauth-org that may write, comma-separated (e.g. org:admin).
    #[arg(long, env = "MCP_OAUTH_WRITE_ROLES", value_name = "LIST")]
    pub oauth_write_roles: Option<String>,
    /// Write one JSON line per tool call that writes to this file (`-` for stderr).
    #[arg(long, env = "MCP_AUDIT_LOG", value_name = "PATH")]
    pub audit_log: Option<String>,
    /// Also audit tool calls that only read.
    #[arg(long, env = "MCP_AUDIT_READS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub audit_reads: bool,
    /// Ask a person before destructive calls: `auto` asks when the client can answer and otherwise
    /// relies on the client's own approval; `always` also refuses them from clients that cannot be
    /// asked; `never` does not ask.
    #[arg(long, env = "MCP_CONFIRM_DESTRUCTIVE", value_enum, default_value_t = ConfirmMode::Auto)]
    pub confirm_destructive: ConfirmMode,
    /// Seconds a person has to answer a confirmation (a returned state is refused after it).
    #[arg(
        long,
        env = "MCP_CONFIRM_TIMEOUT",
        default_value_t = 300,
        value_name = "SECS"
    )]
    pub confirm_timeout: u64,
    /// Most objects one call may change at once (e.g. bulk invitations); larger calls are refused.
    #[arg(long, env = "MCP_MAX_BULK", default_value_t = 25, value_name = "N")]
    pub max_bulk: usize,
    /// Seconds to let in-flight requests finish on SIGTERM/SIGINT.
    #[arg(
        long,
        env = "MCP_SHUTDOWN_GRACE",
        default_value_t = 10,
        value_name = "SECS"
    )]
    pub shutdown_grace: u64,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax), e.g. `info`, `clerk_mcp=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "info,rmcp=warn")]
    pub log_level: String,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// A bearer token a client must present when `MCP_AUTH_TOKEN` is set. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(pub(crate) String);

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(redacted)")
    }
}

/// `MCP_STATE_SECRET`, which seals confirmation states. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct StateSecret(pub(crate) String);

impl fmt::Debug for StateSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateSecret(redacted)")
    }
}

/// `REDIS_URL`, which may carry a password. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(pub(crate) String);

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedisUrl(redacted)")
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Hosted or public.
    pub mode: Mode,
    /// The server's key (hosted mode and stdio).
    pub server_key: Option<SecretKey>,
    /// Listen address.
    pub host: String,
    /// Listen port.
    pub port: u16,
    /// Accepted access tokens; empty means none required.
    pub access_tokens: Vec<AccessToken>,
    /// Host header check: `None` disables it.
    pub allowed_hosts: Option<Vec<HostRule>>,
    /// Origin check: `None` disables it; an empty list refuses every Origin.
    pub allowed_origins: Option<Vec<OriginRule>>,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// A separate listener for `/metrics`.
    pub metrics_addr: Option<SocketAddr>,
    /// Redis for shared limits.
    pub redis_url: Option<RedisUrl>,
    /// Time to receive a request head (and the idle keep-alive limit).
    pub header_timeout: Duration,
    /// Time to receive a request body.
    pub body_timeout: Duration,
    /// Most open connections.
    pub max_connections: usize,
    /// Most live legacy sessions per client.
    pub max_sessions_per_client: usize,
    /// Legacy sessions on.
    pub legacy_sessions: bool,
    /// Idle timeout of legacy sessions.
    pub session_idle_timeout: Duration,
    /// Cap on live legacy sessions.
    pub max_sessions: usize,
    /// How to reach Clerk.
    pub client: ClientConfig,
    /// Time one tool call may take in all.
    pub call_deadline: Duration,
    /// Which tools are exposed.
    pub filter: Filter,
    /// Return private metadata.
    pub expose_private_metadata: bool,
    /// OAuth resource server settings, when tokens from an authorization server are accepted.
    pub oauth: Option<OAuthConfig>,
    /// The audit log target (`-` for stderr) and whether reads are audited too.
    pub audit: Option<(String, bool)>,
    /// When to ask a person before a destructive call.
    pub confirm_destructive: ConfirmMode,
    /// How long a person has to answer.
    pub confirm_timeout: Duration,
    /// Seals confirmation states (random per process when unset).
    pub state_secret: Option<StateSecret>,
    /// Most objects one call may change.
    pub max_bulk: usize,
    /// Largest tool result, in tokens.
    pub max_result_tokens: usize,
    /// Mark Clerk data as untrusted in result text.
    pub untrusted_notice: bool,
    /// Body limit on /mcp.
    pub max_body_bytes: usize,
    /// Requests per minute per client (0 = off).
    pub rate_limit: u32,
    /// Drain time on shutdown.
    pub shutdown_grace: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_level: String,
    /// Warnings to log once the logger is up (e.g. running unauthenticated on purpose).
    pub warnings: Vec<String>,
}

/// Whether a host string names a loopback address.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The environment values the configuration reads beyond clap (secrets are never flags).
#[derive(Clone, Default)]
pub struct Secrets {
    /// `CLERK_SECRET_KEY`.
    pub clerk_secret_key: Option<String>,
    /// `MCP_AUTH_TOKEN`.
    pub auth_token: Option<String>,
    /// `MCP_OAUTH_CLERK_SECRET_KEY`: the issuer Clerk instance's key (defaults to CLERK_SECRET_KEY).
    pub oauth_clerk_key: Option<String>,
    /// `MCP_STATE_SECRET`: seals confirmation states; every replica needs the same one.
    pub state_secret: Option<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field(
                "clerk_secret_key",
                &self.clerk_secret_key.as_ref().map(|_| "redacted"),
            )
            .field("auth_token", &self.auth_token.as_ref().map(|_| "redacted"))
            .field(
                "oauth_clerk_key",
                &self.oauth_clerk_key.as_ref().map(|_| "redacted"),
            )
            .field(
                "state_secret",
                &self.state_secret.as_ref().map(|_| "redacted"),
            )
            .finish()
    }
}

impl Secrets {
    /// Reads the secrets from the process environment (after `.env` was loaded).
    pub fn from_env() -> Secrets {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Secrets {
            clerk_secret_key: get("CLERK_SECRET_KEY"),
            auth_token: get("MCP_AUTH_TOKEN"),
            oauth_clerk_key: get("MCP_OAUTH_CLERK_SECRET_KEY"),
            state_secret: get("MCP_STATE_SECRET"),
        }
    }
}

impl Config {
    /// Validates flags and secrets. `stdio` relaxes the network checks that only apply to HTTP.
    pub fn build(
        args: &ServeArgs,
        secrets: &Secrets,
        reg: &Registry,
        stdio: bool,
    ) -> Result<Config, String> {
        let key = match &secrets.clerk_secret_key {
            Some(raw) => {
                Some(SecretKey::parse(raw.trim()).map_err(|e| format!("CLERK_SECRET_KEY: {e}"))?)
            }
            None => None,
        };
        let mut warnings = Vec::new();
        let mode = match (args.mode, &key) {
            (ModeArg::Auto, Some(_)) | (ModeArg::Hosted, Some(_)) => Mode::Hosted,
            (ModeArg::Auto, None) | (ModeArg::Public, None) => Mode::Public,
            (ModeArg::Hosted, None) => {
                return Err(
                    "--mode hosted needs CLERK_SECRET_KEY in the environment or in a .env file \
                            (find it in the Clerk Dashboard → API keys), or use --mode public"
                        .into(),
                );
            }
            (ModeArg::Public, Some(_)) => {
                warnings.push("--mode public: CLERK_SECRET_KEY is set but ignored; every request must bring X-Clerk-Secret-Key".into());
                Mode::Public
            }
        };
        let server_key = if mode == Mode::Hosted || stdio {
            key
        } else {
            None
        };
        let access_tokens: Vec<AccessToken> = secrets
            .auth_token
            .as_deref()
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| AccessToken(t.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        for t in &access_tokens {
            if t.0.len() < 16 || t.0.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
                return Err("MCP_AUTH_TOKEN: each token must be at least 16 visible ASCII characters (generate one with \
                            `openssl rand -hex 32`)"
                    .into());
            }
        }
        let oauth = oauth_config(args, secrets)?;
        let loopback = is_loopback(&args.host);
        if !stdio
            && mode == Mode::Hosted
            && !loopback
            && access_tokens.is_empty()
            && oauth.is_none()
        {
            if args.allow_unauthenticated {
                warnings.push(format!(
                    "hosted mode on {} without MCP_AUTH_TOKEN: anyone who can reach this port can act on your Clerk instance",
                    args.host
                ));
            } else {
                return Err(format!(
                    "refusing to start: hosted mode on non-loopback address {} without an access token would hand your \
                     Clerk secret key to anyone who can reach the port. Set MCP_AUTH_TOKEN (clients then send \
                     `Authorization: Bearer <token>`), bind to 127.0.0.1, or pass --allow-unauthenticated if a proxy in \
                     front authenticates requests",
                    args.host
                ));
            }
        }
        let list = |raw: &Option<String>| {
            raw.as_deref()
                .map(registry::parse_list)
                .map(|s| s.into_iter().collect::<Vec<_>>())
        };
        let allowed_hosts = match list(&args.allowed_hosts) {
            Some(h) if h.iter().any(|x| x == "*") => None,
            Some(h) if !h.is_empty() => Some(h),
            _ if loopback => Some(vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]),
            _ if stdio => None,
            _ => {
                return Err(format!(
                    "bound to {} but no --allowed-hosts / MCP_ALLOWED_HOSTS: the Host check would reject every request. \
                     Set it to the host names clients use (e.g. mcp.example.com), or `*` to disable the check behind a \
                     proxy that validates Host",
                    args.host
                ));
            }
        };
        let allowed_origins = match list(&args.allowed_origins) {
            Some(o) if o.iter().any(|x| x == "*") => None,
            Some(o) => Some(o),
            None if loopback => Some(
                [
                    "http://localhost:*",
                    "https://localhost:*",
                    "http://127.0.0.1:*",
                    "https://127.0.0.1:*",
                    "http://[::1]:*",
                ]
                .map(String::from)
                .to_vec(),
            ),
            None => Some(Vec::new()),
        };
        let allowed_hosts = allowed_hosts
            .map(|h| {
                h.iter()
                    .map(|x| HostRule::parse(x))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| format!("--allowed-hosts: {e}"))?;
        let allowed_origins = allowed_origins
            .map(|o| {
                o.iter()
                    .map(|x| OriginRule::parse(x))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| format!("--allowed-origins: {e}"))?;
        let trusted_proxies = list(&args.trusted_proxies)
            .unwrap_or_default()
            .iter()
            .map(|c| {
                c.parse::<IpNet>()
                    .or_else(|_| c.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "--trusted-proxies: `{c}` is not an address or CIDR (e.g. 10.0.0.0/8 or 192.168.1.5)"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let base_url = clerk::normalize_api_url(&args.api_url)?;
        if args.max_attempts == 0 {
            return Err("--max-attempts must be at least 1".into());
        }
        let filter = args.filters.to_filter(reg)?;
        Ok(Config {
            mode,
            server_key,
            host: args.host.clone(),
            port: args.port,
            access_tokens,
            allowed_hosts,
            allowed_origins,
            trusted_proxies,
            metrics_addr: args
                .metrics_addr
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                .map(|a| {
                    a.trim().parse::<SocketAddr>().map_err(|e| {
                        format!("--metrics-addr `{a}` is not HOST:PORT with an IP address ({e}), e.g. 0.0.0.0:9464")
                    })
                })
                .transpose()?,
            redis_url: args
                .redis_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|u| RedisUrl(u.to_string())),
            header_timeout: Duration::from_secs(args.header_timeout.max(1)),
            body_timeout: Duration::from_secs(args.body_timeout.max(1)),
            max_connections: args
                .max_connections
                .unwrap_or_else(crate::server::conn::default_max_connections)
                .max(1),
            max_sessions_per_client: args.max_sessions_per_client.max(1),
            legacy_sessions: args.legacy_sessions,
            session_idle_timeout: Duration::from_secs(args.session_idle_timeout.max(1)),
            max_sessions: args.max_sessions.max(1),
            client: ClientConfig {
                base_url,
                connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
                timeout: Duration::from_secs(args.timeout.max(1)),
                retry: RetryPolicy {
                    max_attempts: args.max_attempts,
                    max_delay: Duration::from_secs(args.max_retry_delay),
                    ..RetryPolicy::default()
                },
                max_concurrency: args.max_concurrency.max(1),
                instance_limit: args.clerk_rate_limit,
            },
            call_deadline: Duration::from_secs(args.call_deadline.max(1)),
            filter,
            expose_private_metadata: args.filters.expose_private_metadata,
            oauth,
            audit: args
                .audit_log
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| (p.trim().to_string(), args.audit_reads)),
            confirm_destructive: args.confirm_destructive,
            confirm_timeout: Duration::from_secs(args.confirm_timeout.clamp(1, 3600)),
            state_secret: match &secrets.state_secret {
                Some(s) if s.trim().len() < 32 => {
                    return Err(
                        "MCP_STATE_SECRET must be at least 32 characters (generate one with \
                        `openssl rand -hex 32`)"
                            .into(),
                    );
                }
                Some(s) => Some(StateSecret(s.trim().to_string())),
                None => None,
            },
            max_bulk: args.max_bulk.max(1),
            max_result_tokens: args.filters.max_result_tokens.max(500),
            untrusted_notice: !args.filters.no_untrusted_notice,
            max_body_bytes: args.max_body_bytes.max(1024),
            rate_limit: args.rate_limit,
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
            log_format: args.log_format,
            log_level: args.log_level.clone(),
            warnings,
        })
    }
}

/// An `http(s)` URL with a host and no query or fragment, as given (only a trailing `/` removed).
fn plain_url(what: &str, raw: &str) -> Result<String, String> {
    let u = reqwest::Url::parse(raw.trim())
        .map_err(|e| format!("{what} `{raw}` is not a URL ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(format!(
            "{what} must be an http(s) URL with a host, not `{raw}`"
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!("{what} must not have a query or a fragment"));
    }
    Ok(raw.trim().trim_end_matches('/').to_string())
}

/// The OAuth resource server settings, checked: an issuer needs the resource URL; an organization
/// policy needs roles and the issuer instance's key.
fn oauth_config(args: &ServeArgs, secrets: &Secrets) -> Result<Option<OAuthConfig>, String> {
    let (issuer, resource) = match (&args.oauth_issuer, &args.resource_url) {
        (None, None) => return Ok(None),
        (Some(i), Some(r)) => (
            plain_url("--oauth-issuer", i)?,
            plain_url("--resource-url", r)?,
        ),
        (Some(_), None) => {
            return Err("--oauth-issuer needs --resource-url (MCP_RESOURCE_URL): the exact public URL of /mcp, \
                        e.g. https://mcp.example.com/mcp, which is also the audience tokens must carry"
                .into());
        }
        (None, Some(_)) => {
            return Err(
                "--resource-url is only used with --oauth-issuer (MCP_OAUTH_ISSUER)".into(),
            );
        }
    };
    let clerk_key = secrets
        .oauth_clerk_key
        .as_ref()
        .or(secrets.clerk_secret_key.as_ref())
        .map(|k| SecretKey::parse(k.trim()).map_err(|e| format!("MCP_OAUTH_CLERK_SECRET_KEY: {e}")))
        .transpose()?;
    let roles = |raw: &Option<String>| -> Vec<String> {
        raw.as_deref()
            .map(registry::parse_list)
            .unwrap_or_default()
            .into_iter()
            .collect()
    };
    let org_policy = match &args.oauth_org {
        None => None,
        Some(org) => {
            let (read, write) = (
                roles(&args.oauth_read_roles),
                roles(&args.oauth_write_roles),
            );
            if read.is_empty() && write.is_empty() {
                return Err("--oauth-org needs --oauth-read-roles and/or --oauth-write-roles (e.g. org:member, org:admin)".into());
            }
            if clerk_key.is_none() {
                return Err(
                    "--oauth-org looks up members' roles with the issuer instance's key: set \
                            MCP_OAUTH_CLERK_SECRET_KEY (or CLERK_SECRET_KEY)"
                        .into(),
                );
            }
            Some(OrgPolicy {
                org_id: org.trim().to_string(),
                read_roles: read.into_iter().collect(),
                write_roles: write.into_iter().collect(),
            })
        }
    };
    if args.oauth_read_scope.trim().is_empty() || args.oauth_write_scope.trim().is_empty() {
        return Err("--oauth-read-scope and --oauth-write-scope must not be empty".into());
    }
    Ok(Some(OAuthConfig {
        issuer,
        resource,
        read_scope: args.oauth_read_scope.trim().to_string(),
        write_scope: args.oauth_write_scope.trim().to_string(),
        org_policy,
        clerk_key,
    }))
}
