"""Which browser origins may call /mcp, and CORS for them (Fetch Standard, "CORS protocol")."""

from __future__ import annotations

import re

from starlette.types import Scope, Send

from auth import Settings
from web.place import request_host, resource_for

__all__ = ["cors_headers", "origin_allowed", "preflight"]

# RFC 9110 §7.2 Host on a loopback name (RFC 6761 §6.3 localhost, RFC 1122 127.0.0.1, RFC 4291 ::1).
_LOOPBACK_HOST = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?", re.IGNORECASE)

_ALLOW_HEADERS = b"authorization, content-type, accept, mcp-protocol-version, mcp-session-id, mcp-method, mcp-name"
_EXPOSE_HEADERS = b"www-authenticate, mcp-protocol-version, x-correlation-id"


def origin_allowed(origin: str, scope: Scope, settings: Settings) -> bool:
    """Whether a browser `Origin` may call /mcp: one in MCP_ALLOWED_ORIGINS, or this server's own.

    MCP transports, "Security Warning" (2025-11-25; "Security & Endpoint" in 2026-07-28): servers
    "MUST validate the Origin header on all incoming connections to prevent DNS rebinding attacks",
    and answer 403 when it "is present and invalid". A rebinding page's Origin is the attacker's
    own name, and so is the Host its browser sends; so "own origin" is never read from an
    arbitrary Host. It is the origin of MCP_PUBLIC_URL when set, else the request's origin only
    when its Host is a loopback name, which no rebinding page can have as its origin (a page at
    http://localhost:port calling http://localhost:port is same-origin, not cross-site).
    """
    origin = origin.lower()
    if origin in settings.allowed_origins:
        return True
    if settings.public_url:
        return origin == resource_for(scope, settings).origin.lower()
    host = request_host(scope)
    if host is None or not _LOOPBACK_HOST.fullmatch(host):
        return False
    return origin == f"{scope.get('scheme', 'https')}://{host}".lower()


def cors_headers(origin: str) -> list[tuple[bytes, bytes]]:
    """What an answer to an allowed origin carries, so a browser client may read it."""
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-expose-headers", _EXPOSE_HEADERS),
        (b"vary", b"Origin"),
    ]


async def preflight(send: Send) -> None:
    """Answer an OPTIONS preflight from an allowed origin."""
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-methods", b"POST, OPTIONS"),
                (b"access-control-allow-headers", _ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
