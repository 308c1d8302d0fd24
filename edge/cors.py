"""CORS for the origins in MCP_ALLOWED_ORIGINS (Fetch Standard, "CORS protocol")."""

from __future__ import annotations

from starlette.types import Send

__all__ = ["cors_headers", "preflight"]

_ALLOW_HEADERS = b"authorization, content-type, accept, mcp-protocol-version, mcp-session-id, mcp-method, mcp-name"
_EXPOSE_HEADERS = b"www-authenticate, mcp-protocol-version, x-correlation-id"


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
