"""Drive clerk-mcp with the official MCP Python SDK (PyPI `mcp`), for the Rust end-to-end tests.

Usage:
  mcp_client.py http URL MODE PLAN_JSON [HEADER=VALUE ...]
  mcp_client.py stdio MODE PLAN_JSON COMMAND [ARG ...]      (environment passed through)

MODE is the SDK's connect mode: "auto" (2026-07-28 via server/discover) or "legacy" (2025-11-25
initialize). PLAN_JSON is a list of [tool_name, arguments] calls made after tools/list; a string argument
"${N.path.to.value}" is replaced by that value from result N (e.g. "${0.structured.id}"), so a scenario
can use ids created earlier. Prints one JSON object: {"protocol_version", "server", "tools": [...],
"results": [{"is_error", "structured", "text", "schema_error"} | {"protocol_error": {"code", "message"}}]};
schema_error is what python-jsonschema finds wrong with structuredContent against the tool's outputSchema.
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
    results = []
    for name, args in plan:
        try:
            r = await client.call_tool(name, resolve(args, results))
        except Exception as e:  # a JSON-RPC error: the SDK raises
            err = getattr(e, "error", None)
            results.append({"protocol_error": {"code": getattr(err, "code", None), "message": str(e)}})
            continue
        text = "".join(c.text for c in r.content if getattr(c, "type", None) == "text")
        results.append({"is_error": bool(r.is_error), "structured": r.structured_content, "text": text,
                        "schema_error": schema_error(schemas.get(name), r)})
    out["results"] = results
    return out


async def main():
    kind = sys.argv[1]
    if kind == "http":
        url, mode, plan = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        headers = dict(h.split("=", 1) for h in sys.argv[5:])
        http = create_mcp_http_client(headers=headers)
        async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            out = await drive(client, plan)
    elif kind == "stdio":
        mode, plan, command = sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
        params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
        async with Client(params, mode=mode) as client:
            out = await drive(client, plan)
    else:
        raise SystemExit(f"unknown transport {kind}")
    print(json.dumps(out))


asyncio.run(main())
