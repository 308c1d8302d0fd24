"""What every benchmark needs: a signing key, a loopback JWKS, a valid token, the server's settings."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from tests.support import REPO, JwksServer, SigningKey, entra_env, mint, user_claims

__all__ = ["MODERN_TOOL_CALL", "REPO", "TOOL_CALL", "WIRES", "Fixture", "read_cpu_seconds"]

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

if REPO not in sys.path:
    sys.path.insert(0, REPO)


@dataclass
class Fixture:
    """A published key, the JWKS server serving it, and a token it signed (valid for an hour)."""

    key: SigningKey
    jwks: JwksServer
    token: str

    @classmethod
    def start(cls) -> Fixture:
        key = SigningKey.generate("bench-key-1")
        jwks = JwksServer()
        jwks.publish(key)
        return cls(key=key, jwks=jwks, token=mint(key, user_claims()))

    def env(self) -> dict[str, str]:
        """The process environment a server under test gets."""
        return {**os.environ, **entra_env(self.jwks.url), "BENCH_TOKEN": self.token, "PYTHONPATH": REPO}

    def close(self) -> None:
        self.jwks.close()


def read_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
