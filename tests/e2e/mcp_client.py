"""Drive clerk-mcp with the official MCP Python SDK (PyPI `mcp`), for the Rust end-to-end tests.

Usage:
  mcp_client.py http URL MODE PLAN_JSON [HEADER=VALUE ...]
  mcp_client.py stdio MODE PLAN_JSON COMMAND [ARG ...]      (environment passed through)
  mcp_client.py oauth URL MODE PLAN_JSON                     (the SDK's OAuthClientProvider signs in)

MODE is the SDK's connect mode: "auto" (2026-07-28 via server/discover) or "legacy" (2025-11-25
initialize). PLAN_JSON is a list of [tool_name, arguments] calls made after tools/list; a string argument
"${N.path.to.value}" is replaced by that value from result N (e.g. "${0.structured.id}"), so a scenario
can use ids created earlier. Prints one JSON object: {"protocol_version", "server", "tools": [...],
"results": [{"is_error", "structured", "text", "schema_error"} | {"protocol_error": {"code", "message"}}]};
schema_error is what python-jsonschema finds wrong with structuredContent against the tool's outputSchema.

The oauth transport starts with no token: on the server's 401 the SDK's own OAuthClientProvider finds
the protected resource metadata, the authorization server, registers a client, runs authorization code
+ PKCE with `resource`, and retries with the token. The only parts supplied here are what an application
supplies: token storage and a "browser" that follows the authorization server's redirects (the test's
server logs in and consents by itself). Adds {"oauth": {"scope", "refresh_token", "registered"}}.

With ELICIT=accept|decline|cancel in the environment the client declares elicitation and answers every
question that way (MRTR rounds on 2026-07-28, elicitation/create on 2025-11-25 sessions); the questions
asked are added as {"elicitations": [message, ...]}.

With DRY_RUN_FIRST=1 every call to a tool that takes `dry_run` is preceded by the same call with
`dry_run: true`; those results go to {"dry_runs": [{"index": i, ...result}]} (i: the real call's index).
"""

import asyncio
import json
import os
import re
import sys

from jsonschema import Draft202012Validator
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

REDIRECT_URI = "http://127.0.0.1:33418/callback"  # never listened on: the browser stops at it

REF = re.compile(r"^\$\{(\d+)\.([^}]*)\}$")


def lookup(results, index, path):
    value = results[index]
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def resolve(obj, results):
    if isinstance(obj, str):
        m = REF.match(obj)
        return lookup(results, int(m.group(1)), m.group(2)) if m else obj
    if isinstance(obj, list):
        return [resolve(x, results) for x in obj]
    if isinstance(obj, dict):
        return {k: resolve(v, results) for k, v in obj.items()}
    return obj


def schema_error(schema, result):
    """Validates structuredContent against the tool's outputSchema with python-jsonschema (2020-12)."""
    if result.is_error or schema is None or result.structured_content is None:
        return None
    errors = sorted(Draft202012Validator(schema).iter_errors(result.structured_content), key=str)
    return "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]) or None


async def drive(client, plan):
    out = {"protocol_version": client.protocol_version}
    info = client.server_info
    out["server"] = {"name": info.name, "version": info.version} if info else None
    tools = await client.list_tools()
    schemas = {t.name: t.output_schema for t in tools.tools}
    out["tools"] = [
        {
            "name": t.name,
            "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else None,
            "has_output_schema": t.output_schema is not None,
        }
        for t in tools.tools
    ]
    inputs = {t.name: t.input_schema or {} for t in tools.tools}
    dry_first = os.environ.get("DRY_RUN_FIRST") == "1"

    async def call(name, args):
        try:
            r = await client.call_tool(name, args)
        except Exception as e:  # a JSON-RPC error: the SDK raises
            err = getattr(e, "error", None)
            return {"protocol_error": {"code": getattr(err, "code", None), "message": str(e)}}
        text = "".join(c.text for c in r.content if getattr(c, "type", None) == "text")
        return {"is_error": bool(r.is_error), "structured": r.structured_content, "text": text,
                "schema_error": schema_error(schemas.get(name), r)}

    results, dry_runs = [], []
    for name, args in plan:
        try:
            args = resolve(args, results)
        except (KeyError, IndexError, TypeError) as e:  # an earlier call failed: say which reference
            results.append({"unresolved": f"{args}: {e!r}"})
            continue
        if dry_first and "dry_run" in inputs.get(name, {}).get("properties", {}):
            dry_runs.append({"index": len(results), **(await call(name, {**args, "dry_run": True}))})
        results.append(await call(name, args))
    out["results"] = results
    if dry_first:
        out["dry_runs"] = dry_runs
    return out


class MemoryStorage:
    """mcp.client.auth.TokenStorage kept in memory (a desktop client would persist it)."""

    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class Browser:
    """Plays the user's browser: follows the authorization server's redirects, with its cookies,
    until it is sent to REDIRECT_URI, and hands code, state and iss (RFC 9207) to the SDK."""

    def __init__(self):
        self.result = None

    async def redirect(self, authorization_url):
        import httpx2
        from urllib.parse import parse_qs, urljoin, urlsplit
        from mcp.client.auth import AuthorizationCodeResult

        async with httpx2.AsyncClient(follow_redirects=False, timeout=10) as browser:
            url = authorization_url
            for _ in range(10):
                r = await browser.get(url)
                if r.status_code not in (301, 302, 303, 307, 308):
                    raise RuntimeError(f"authorization stopped at {url}: {r.status_code} {r.text[:300]}")
                url = urljoin(url, r.headers["location"])
                if url.startswith(REDIRECT_URI):
                    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
                    if "error" in q:
                        raise RuntimeError(f"authorization error: {q}")
                    self.result = AuthorizationCodeResult(code=q["code"], state=q.get("state"), iss=q.get("iss"))
                    return
            raise RuntimeError("too many redirects during authorization")

    async def callback(self):
        result, self.result = self.result, None
        return result


ELICITATIONS = []


async def on_elicit(context, params):
    import mcp.types as types

    ELICITATIONS.append(params.message)
    choice = os.environ["ELICIT"]
    if choice == "accept":
        return types.ElicitResult(action="accept", content={})
    return types.ElicitResult(action=choice)


def client_options():
    return {"elicitation_callback": on_elicit} if os.environ.get("ELICIT") else {}


async def main():
    kind = sys.argv[1]
    if kind == "http":
        url, mode, plan = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        headers = dict(h.split("=", 1) for h in sys.argv[5:])
        http = create_mcp_http_client(headers=headers)
        async with http, Client(streamable_http_client(url, http_client=http), mode=mode, **client_options()) as client:
            out = await drive(client, plan)
    elif kind == "stdio":
        mode, plan, command = sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
        params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
        async with Client(params, mode=mode, **client_options()) as client:
            out = await drive(client, plan)
    elif kind == "oauth":
        from pydantic import AnyUrl
        from mcp.client.auth import OAuthClientProvider
        from mcp.shared.auth import OAuthClientMetadata

        url, mode, plan = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        storage, browser = MemoryStorage(), Browser()
        provider = OAuthClientProvider(
            server_url=url,
            # A public client with PKCE, as desktop MCP clients register; scope comes from the server.
            client_metadata=OAuthClientMetadata(
                client_name="clerk-mcp e2e", redirect_uris=[AnyUrl(REDIRECT_URI)], token_endpoint_auth_method="none"
            ),
            storage=storage,
            redirect_handler=browser.redirect,
            callback_handler=browser.callback,
        )
        http = create_mcp_http_client(auth=provider)
        async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            out = await drive(client, plan)
        tok = storage.tokens
        out["oauth"] = {"scope": tok.scope if tok else None, "refresh_token": bool(tok and tok.refresh_token),
                        "registered": storage.client_info is not None}
    else:
        raise SystemExit(f"unknown transport {kind}")
    if os.environ.get("ELICIT"):
        out["elicitations"] = ELICITATIONS
    print(json.dumps(out))


asyncio.run(main())
