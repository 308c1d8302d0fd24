"""The fast path: one stateless handshake-revision JSON-RPC request answered by `serve_one`.

For a stateless request on the handshake revisions (no `MCP-Protocol-Version`, 2025-06-18,
2025-11-25) the SDK's app builds a transport, a dispatcher, a server task, two task groups
and five memory streams per request, then tears them down: about half of its CPU. Its own
2026-07-28 entry answers a request with the public single-exchange driver
`mcp.server.runner.serve_one` and `Connection.from_envelope`; this module does the same
for the handshake revisions, with what the SDK's stateless handshake path passes its
kernel (`Connection.from_envelope(header or DEFAULT_NEGOTIATED_VERSION, None, None)`, a
transport context that cannot send requests, the HTTP request as message metadata) and
the answer it writes (the dispatcher's exception mapping, the transport's JSON dump).

It takes only what it can answer exactly as the SDK would: a POST the SDK's transport
accepts (Content-Type `application/json`, an Accept that takes JSON) whose body the SDK's
own message adapter reads as a request. Anything else -- notifications, responses,
envelope errors, odd headers, the 2026-07-28 wire, GET and DELETE -- is declined, and the
edge hands it to the SDK's app unchanged. tests/parity/ compares the answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import Server
from mcp.server.runner import serve_one
from mcp.server.streamable_http import check_accept_headers
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import MessageMetadata, ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
    jsonrpc_message_adapter,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["FastPath"]

log = logging.getLogger("edge.fastpath")

# What the SDK's stateless handshake path gives every message (streamable_http_manager:
# `transport_builder=lambda _md: TransportContext(kind="streamable-http", can_send_request=False)`).
_TRANSPORT = TransportContext(kind="streamable-http", can_send_request=False)
_JSON = "application/json"


@dataclass
class _SingleRequest:
    """The DispatchContext (mcp.shared.dispatcher) of one stateless JSON request.

    No back-channel: a JSON body carries only the response, so requests raise
    NoBackChannelError and notifications (progress included) have no wire, as in the
    SDK's JSON-response mode.
    """

    request_id: RequestId
    message_metadata: MessageMetadata
    transport: TransportContext = _TRANSPORT
    cancel_requested: anyio.Event = field(default_factory=anyio.Event)

    @property
    def can_send_request(self) -> bool:
        return False

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None) -> None:
        log.debug("dropped %s: a JSON response has no room for it", method)

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        return None


class FastPath:
    """The SDK's stateless app, plus `answer` for the requests it can serve in one step.

    As an ASGI app it passes everything to the SDK's app; around the lifespan it also
    enters the low-level server's own lifespan, whose state `serve_one` needs (the
    session manager keeps its copy private). The project's server has the SDK's default
    lifespan, which yields an empty dict.
    """

    def __init__(self, server: Server[Any], app: ASGIApp, security: TransportSecuritySettings) -> None:
        self.server = server
        self.app = app
        self._security = TransportSecurityMiddleware(security)
        self._lifespan_state: Any = None
        self._ready = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        async with self.server.lifespan(self.server) as state:
            self._lifespan_state, self._ready = state, True
            try:
                await self.app(scope, receive, send)
            finally:
                self._ready = False

    async def answer(self, scope: Scope, message: Any, send: Send) -> bool:
        """Answer the POSTed, already parsed `message` and return True, or return False untouched."""
        if not self._ready or not isinstance(message, dict) or "id" not in message or "method" not in message:
            return False
        request = Request(scope)
        headers = request.headers
        version = headers.get(MCP_PROTOCOL_VERSION_HEADER)
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            return False  # the 2026-07-28 wire: the SDK's single-exchange entry answers it
        # The SDK's transport refuses other Content-Types (400, then 415) and an Accept without JSON (406).
        if (headers.get("content-type") or "").split(";")[0].strip() != _JSON or not check_accept_headers(request)[0]:
            return False
        if await self._security.validate_request(request, is_post=True) is not None:
            return False
        try:
            parsed = jsonrpc_message_adapter.validate_python(message, by_name=False)
        except ValidationError:
            return False  # the SDK answers 400 -32602 with its own wording
        if not isinstance(parsed, JSONRPCRequest):
            return False
        reply = await self._serve(parsed, version or DEFAULT_NEGOTIATED_VERSION, request)
        body = reply.model_dump_json(by_alias=True, exclude_unset=True).encode()
        # The headers, in order, of the transport's `_create_json_response` (a starlette Response).
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", _JSON.encode()), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return True

    async def _serve(self, request: JSONRPCRequest, version: str, http_request: Request) -> JSONRPCResponse | JSONRPCError:
        dispatch = _SingleRequest(
            request_id=request.id,
            message_metadata=ServerMessageMetadata(request_context=http_request, can_send_request=False),
        )
        connection = Connection.from_envelope(version, None, None)
        try:
            result = await serve_one(
                self.server,
                dispatch,
                request.method,
                request.params,
                connection=connection,
                lifespan_state=self._lifespan_state,
            )
        except Exception as exc:
            # The JSONRPCDispatcher's mapping: MCPError and ValidationError by the shared
            # ladder, anything else code 0 with its message (the SDK's v1-compatible catch-all).
            error = handler_exception_to_error_data(exc)
            if error is None:
                log.exception("handler for %r raised", request.method)
                error = ErrorData(code=0, message=str(exc))
            return JSONRPCError(jsonrpc="2.0", id=request.id, error=error)
        return JSONRPCResponse(jsonrpc="2.0", id=request.id, result=result)
