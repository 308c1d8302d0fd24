"""Raw ASGI: headers, a bounded body read, and the small JSON answers every endpoint shares."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.types import Message, Receive, Scope, Send

__all__ = [
    "BodyTooLarge",
    "ClientGone",
    "Handler",
    "header",
    "header_values",
    "method_not_allowed",
    "read_body",
    "send_json",
]

#: An endpoint: a raw ASGI callable for one exact path.
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


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


async def send_json(send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
    """Answer with a small JSON document."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def method_not_allowed(send: Send, allow: Sequence[str], headers: Mapping[str, str] | None = None) -> None:
    """405 naming the methods the endpoint takes (RFC 9110 §15.5.6: a 405 MUST carry Allow)."""
    await send_json(
        send,
        405,
        {"error": "method_not_allowed", "error_description": f"Use {' or '.join(allow)}"},
        {"Allow": ", ".join(allow), **(headers or {})},
    )
