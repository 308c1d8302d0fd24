"""A loopback reverse proxy that adds one bearer token: what the conformance suite cannot send itself.

Everything else travels as the client sent it, Host and Origin included, so the server sees the
suite's own requests (its DNS-rebinding checks depend on exactly those two headers) and every one
of them goes through the real Authorization check. Only loopback: `upstream` must be 127.0.0.1.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from starlette.types import Message, Receive, Scope, Send

__all__ = ["BearerProxy"]

# RFC 9110 §7.6.1 hop-by-hop fields, and the ones httpx sets itself from the body it sends.
_NOT_FORWARDED = frozenset({b"authorization", b"connection", b"keep-alive", b"transfer-encoding", b"te",
                            b"upgrade", b"proxy-authorization", b"content-length"})


class BearerProxy:
    """ASGI app forwarding every HTTP request to `upstream` with `Authorization: Bearer <token>`."""

    def __init__(self, upstream: str, token: str) -> None:
        if urlsplit(upstream).hostname != "127.0.0.1":
            raise ValueError("the proxy forwards to loopback only")
        self._upstream = upstream.rstrip("/")
        self._token = token
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k not in _NOT_FORWARDED]
        headers.append((b"authorization", f"Bearer {self._token}".encode()))
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{self._upstream}{scope['path']}" + (f"?{query}" if query else "")
        assert self._client is not None
        request = self._client.build_request(scope["method"], url, headers=headers, content=bytes(body))
        response = await self._client.send(request, stream=True)
        try:
            out = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in (b"connection", b"transfer-encoding")]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = httpx.AsyncClient(timeout=30, follow_redirects=False)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
