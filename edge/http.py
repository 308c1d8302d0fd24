"""The few raw-ASGI helpers the edge needs: headers, a bounded body read, JSON answers."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

__all__ = ["BodyTooLarge", "ClientGone", "header_values", "read_body", "send_json"]


class BodyTooLarge(Exception):
    """The request body is over the cap."""


class ClientGone(Exception):
    """The client disconnected before its body arrived."""


def header_values(scope: Scope, name: bytes) -> list[bytes]:
    """Every value of header `name` (lower-case), in order; ASGI keeps repeats."""
    return [value for key, value in scope["headers"] if key.lower() == name]


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name`, decoded as latin-1, or None."""
    values = header_values(scope, name)
    return values[0].decode("latin-1") if values else None


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; BodyTooLarge as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    """Answer with a small JSON document."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})
