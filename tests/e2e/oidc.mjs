// A real OAuth 2.1 authorization server for the end-to-end OAuth test (tests/oauth_e2e.rs):
// npm `oidc-provider` (a certified OpenID provider), installed by scripts/test-deps into .node/oidc.
//
//   RESOURCE=http://127.0.0.1:8123/mcp node tests/e2e/oidc.mjs [port]
//
// Prints "LISTENING <issuer>" on stdout once ready; everything else goes to stderr.
// Login and consent are automatic (no HTML): the test's "browser" follows the redirects.
//
// Env:
//   RESOURCE      (required) the MCP server URL: the only RFC 8707 resource indicator accepted.
//   GRANT_SCOPES  scopes consent grants (default "clerk:read clerk:write"); others requested are
//                 rejected at consent, so the token carries only these.
//   ACCOUNT_ID    the subject who signs in (default "user_test").
//   OIDC_PROVIDER_PREFIX  where oidc-provider is installed (default .node/oidc in the checkout).
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const prefix = process.env.OIDC_PROVIDER_PREFIX ?? path.join(here, '..', '..', '.node', 'oidc');
const { default: Provider } = await import(
  pathToFileURL(createRequire(path.join(prefix, 'package.json')).resolve('oidc-provider')).href
);

const SUPPORTED = ['clerk:read', 'clerk:write'];
const port = Number(process.argv[2] ?? 0);
const resource = process.env.RESOURCE;
if (!resource) {
  console.error('RESOURCE (the MCP server URL) is required');
  process.exit(2);
}
const grantScopes = (process.env.GRANT_SCOPES ?? SUPPORTED.join(' ')).split(/\s+/).filter(Boolean);
const accountId = process.env.ACCOUNT_ID ?? 'user_test';

// A fresh RS256 signing key per run, published at jwks_uri.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `test-${crypto.randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' };

// The issuer includes the port, so bind first and attach the provider after.
const server = http.createServer();
// Node closes idle keep-alive connections after 5 s, the same moment httpx (the Python SDK's client)
// stops reusing them: a request sent on a connection Node is closing fails with "Server disconnected
// without sending a response". Keep them open longer than any client reuses them.
server.keepAliveTimeout = 65_000;
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  // Listed so they appear in scopes_supported and registration accepts them in `scope`.
  scopes: ['openid', 'offline_access', ...SUPPORTED],
  claims: { openid: ['sub'] },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub }; } };
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true, initialAccessToken: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => true,
      async getResourceServerInfo(ctx, indicator) {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget(`unknown resource ${indicator}`);
        return { scope: SUPPORTED.join(' '), audience: indicator, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Only the grant this interaction produced, so each authorization stands alone.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId;
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
});
for (const ev of ['server_error', 'authorization.error', 'grant.error', 'registration_create.error']) {
  provider.on(ev, (ctx, err) => console.error(`[oidc] ${ev}`, err.message, err.error_description ?? ''));
}

// Automatic login and consent; scopes outside GRANT_SCOPES are rejected explicitly (else consent loops).
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const allow = (s) => !SUPPORTED.includes(s) || grantScopes.includes(s);
    const { missingOIDCScope = [], missingResourceScopes = {} } = prompt.details;
    const split = (list) => [list.filter(allow), list.filter((s) => !allow(s))];
    const [okOIDC, noOIDC] = split(missingOIDCScope);
    if (okOIDC.length) grant.addOIDCScope(okOIDC.join(' '));
    if (noOIDC.length) grant.rejectOIDCScope(noOIDC.join(' '));
    for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
      const [ok, no] = split(scopes);
      if (ok.length) grant.addResourceScope(indicator, ok.join(' '));
      if (no.length) grant.rejectResourceScope(indicator, no.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  res.statusCode = 400;
  res.end(`unsupported prompt ${prompt.name}`);
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    if (req.method === 'GET' && req.url.startsWith('/interaction/')) return await interaction(req, res);
    return callback(req, res);
  } catch (err) {
    console.error('[oidc] interaction failed', err);
    if (!res.headersSent) { res.statusCode = 500; res.end(String(err)); }
  }
});

process.stdout.write(`LISTENING ${issuer}\n`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(); process.exit(0); });
