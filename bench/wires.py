"""The benchmarked request on each wire revision; imported alone by the load generator.

Kept free of the rest of the harness (tests.support pulls in azure.functions, PyJWT and
cryptography), because `bench.loadgen` starts once per measured load, and each start paid
for those imports.
"""

from __future__ import annotations

import json

__all__ = ["MODERN_TOOL_CALL", "TOOL_CALL", "TOOL_CALL_BODY", "WIRES"]

TOOL_CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 2, "b": 3}}}
TOOL_CALL_BODY = json.dumps(TOOL_CALL).encode()
# The same call on the 2026-07-28 wire: no handshake, the envelope in params._meta, routing headers.
MODERN_TOOL_CALL = {
    **TOOL_CALL,
    "params": {
        **TOOL_CALL["params"],
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1.0"},
        },
    },
}
_COMMON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
WIRES: dict[str, tuple[dict[str, str], bytes]] = {
    "handshake": ({**_COMMON_HEADERS, "MCP-Protocol-Version": "2025-06-18"}, TOOL_CALL_BODY),
    "modern": (
        {**_COMMON_HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "add"},
        json.dumps(MODERN_TOOL_CALL).encode(),
    ),
}
"""Each wire revision's request headers and body for the benchmarked `tools/call add(2, 3)`."""
