// Drives clerk-mcp with the official TypeScript v2 client (npm @modelcontextprotocol/client), for
// the Rust end-to-end tests. scripts/test-deps installs it into .node/ts-client.
//
//   node tests/e2e/ts_client.cjs URL ERA PLAN_JSON
//
// ERA: "modern" (pins 2026-07-28 via server/discover) or "legacy" (2025-11-25 initialize).
// PLAN_JSON: [[tool, arguments], ...] called after tools/list.
// ELICIT=accept|decline|cancel: declare elicitation and answer every question that way (the client
// runs 2026-07-28 input_required rounds itself).
// Prints {"protocol_version", "results": [{"is_error", "structured", "text"} | {"error"}],
//         "elicitations": [message, ...]}.
'use strict';
const path = require('node:path');

const prefix = process.env.TS_CLIENT_PREFIX ?? path.join(__dirname, '..', '..', '.node', 'ts-client');
const { Client, StreamableHTTPClientTransport } = require(
  require.resolve('@modelcontextprotocol/client', { paths: [path.join(prefix, 'node_modules')] }),
);

async function main() {
  const [url, era, planText] = process.argv.slice(2);
  const plan = JSON.parse(planText);
  const elicit = process.env.ELICIT;
  const elicitations = [];
  const client = new Client(
    { name: 'clerk-mcp-e2e-ts', version: '1.0.0' },
    {
      capabilities: elicit ? { elicitation: { form: {} } } : {},
      versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' },
    },
  );
  if (elicit) {
    client.setRequestHandler('elicitation/create', async (request) => {
      elicitations.push(request.params.message);
      return elicit === 'accept' ? { action: 'accept', content: {} } : { action: elicit };
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  await client.listTools();
  const results = [];
  for (const [name, args] of plan) {
    try {
      const r = await client.callTool({ name, arguments: args });
      const text = (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
      results.push({ is_error: Boolean(r.isError), structured: r.structuredContent ?? null, text });
    } catch (e) {
      results.push({ error: String(e && e.message ? e.message : e) });
    }
  }
  const version = typeof client.getNegotiatedProtocolVersion === 'function'
    ? client.getNegotiatedProtocolVersion() : null;
  await client.close();
  process.stdout.write(`${JSON.stringify({ protocol_version: version ?? null, results, elicitations })}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
