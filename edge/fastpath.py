"""The fast path: one stateless JSON-RPC request answered by the SDK's `serve_one`, in one step.

For a stateless request on the handshake revisions (no `MCP-Protocol-Version`, 2025-06-18,
2025-11-25) the SDK's app builds a transport, a dispatcher, a server task, two task groups
and five memory streams per request, then tears them down: about half of its CPU. Its own
2026-07-28 entry answers a request with the public single-exchange driver
`mcp.server.runner.serve_one` and `Connection.from_envelope`. This module does the same:

- handshake revisions: with what the SDK's stateless handshake path passes its kernel
  (`Connection.from_envelope(header or DEFAULT_NEGOTIATED_VERSION, None, None)`, a transport
  context that cannot send requests, the HTTP request as metadata) and the answer it writes
  (the JSONRPCDispatcher's exception mapping, the transport's JSON dump);
- 2026-07-28: the SDK's single-exchange steps, through the public functions it calls
  (`classify_inbound_request`, `find_duplicated_routing_header`,
  `validate_mcp_param_headers`, `handler_exception_to_error_data`, `ERROR_CODE_HTTP_STATUS`),
  skipping only Starlette's router and the SDK's own re-read of the body. The one step that is
  not exported, `mcp.server.runner.modern_error_data`, is written out here (`_INTERNAL`): the
  shared ladder, else -32603 with the SDK's wording.

Whatever fails while answering (a handler's exception with no mapping, an answer json.dumps
refuses) is -32603 with no exception text, logged as one line with the correlation id.

It takes only what it can answer exactly as the SDK would: a POST whose headers the SDK
accepts and whose body is a request the SDK would dispatch. Anything else -- notifications,
responses, envelope errors, every ladder rejection, odd headers, GET and DELETE -- is
declined, and the edge hands it to the SDK's app unchanged. tests/parity/ compares the
answers byte for byte.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import pydantic_core
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import Server
from mcp.server.runner import serve_one
from mcp.server.streamable_http import check_accept_headers
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    MCP_PARAM_HEADER_PREFIX,
    MCP_PROTOCOL_VERSION_HEADER,
    InboundLadderRejection,
    classify_inbound_request,
    find_duplicated_routing_header,
    find_invalid_x_mcp_header,
    validate_mcp_param_headers,
    x_mcp_header_map,
)
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import MessageMetadata, ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    INTERNAL_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
    jsonrpc_message_adapter,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["FastPath"]

log = logging.getLogger("edge.fastpath")

# What the SDK's stateless handshake path gives every message (streamable_http_manager:
# `transport_builder=lambda _md: TransportContext(kind="streamable-http", can_send_request=False)`).
_HANDSHAKE_TRANSPORT = TransportContext(kind="streamable-http", can_send_request=False)
_JSON = "application/json"
_MCP_PARAM_PREFIX = MCP_PARAM_HEADER_PREFIX.lower()

_LISTEN = "subscriptions/listen"
# The SDK's 2026-07-28 wording for an exception with no mapping (mcp.server.runner.modern_error_data).
_INTERNAL = {"code": INTERNAL_ERROR, "message": "Internal server error"}

Reply = tuple[int, list[tuple[bytes, bytes]], bytes]


def _json_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    """The headers, in order, of a starlette Response with media_type application/json."""
    return [(b"content-length", str(len(body)).encode()), (b"content-type", _JSON.encode())]


def _loggable(method: Any) -> str:
    """The client's method name as it may appear in a log line: short printable ASCII, else its repr, cut."""
    text = str(method)
    return text if len(text) <= 64 and text.isascii() and text.isprintable() and " " not in text else repr(text)[:66]


def _is_request_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


@dataclass
class _SingleRequest:
    """The DispatchContext (mcp.shared.dispatcher) of one stateless JSON request.

    No back-channel: a JSON body carries only the response, so requests raise
    NoBackChannelError and notifications (progress included) have no wire, as in both of
    the SDK's JSON-response paths.
    """

    request_id: RequestId
    message_metadata: MessageMetadata
    transport: TransportContext = _HANDSHAKE_TRANSPORT
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
        self._unannotated: dict[int, tuple[Any, bool]] = {}

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

    async def answer(self, scope: Scope, receive: Receive, message: Any, send: Send) -> bool:
        """Answer the POSTed, already parsed `message` and return True, or return False having sent nothing.

        `scope` and `receive` are what the SDK's app would get; the request handed to handlers
        (`ctx.request_context`) is built from them, so it reads the same path and body.

        Any exception while answering becomes the revision's JSON-RPC internal error (-32603,
        no exception text: JSON-RPC 2.0 §5.1; the 2026-07-28 entry's `_to_jsonrpc_response`
        says the same), sent through the edge's `send`, so it carries x-correlation-id.
        """
        if not self._ready or not isinstance(message, dict) or "id" not in message or "method" not in message:
            return False
        try:
            reply = await self._reply(scope, receive, message)
        except Exception as exc:
            reply = self._internal_error(scope, message, exc)
        if reply is None:
            return False
        status, headers, body = reply
        log.debug("answered %s in one step", message["method"])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    async def _reply(self, scope: Scope, receive: Receive, message: dict[str, Any]) -> Reply | None:
        request = Request(scope, receive)
        # Both SDK paths refuse a Content-Type that is not JSON (400) and an Accept without JSON (406).
        if await self._security.validate_request(request, is_post=True) is not None:
            return None
        accepts_json, accepts_sse = check_accept_headers(request)
        if not accepts_json:
            return None
        version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER)
        if version is None or version in HANDSHAKE_PROTOCOL_VERSIONS:
            return await self._handshake(request, message, version or DEFAULT_NEGOTIATED_VERSION)
        return await self._single_exchange(request, message, accepts_sse)

    def _internal_error(self, scope: Scope, message: dict[str, Any], exc: Exception) -> Reply:
        """-32603 for `message`, on either wire, logged as one line with the correlation id.

        The traceback goes to DEBUG: a failure a client can cause on every request (an answer
        json.dumps refuses) must not write a traceback per request at ERROR.
        """
        correlation_id = (scope.get("state") or {}).get("correlation_id")
        log.error(
            "answer failed method=%s error=%s correlation_id=%s",
            _loggable(message.get("method")), type(exc).__name__, correlation_id,
        )
        log.debug("answer failed correlation_id=%s", correlation_id, exc_info=exc)
        request_id = message.get("id")
        error = {"jsonrpc": "2.0", "id": request_id if _is_request_id(request_id) else None, "error": _INTERNAL}
        # pydantic's serializer writes any int the parser let in, where json.dumps stops at 4,300 digits.
        body = pydantic_core.to_json(error)
        return ERROR_CODE_HTTP_STATUS.get(INTERNAL_ERROR, 200), _json_headers(body), body

    async def _handshake(self, request: Request, message: dict[str, Any], version: str) -> Reply | None:
        # The transport's own check (415 otherwise) is stricter than the security one.
        if (request.headers.get("content-type") or "").split(";")[0].strip() != _JSON:
            return None
        try:
            parsed = jsonrpc_message_adapter.validate_python(message, by_name=False)
        except ValidationError:
            return None  # the SDK answers 400 -32602 with its own wording
        if not isinstance(parsed, JSONRPCRequest):
            return None
        dispatch = _SingleRequest(
            request_id=parsed.id,
            message_metadata=ServerMessageMetadata(request_context=request, can_send_request=False),
        )
        try:
            result = await self._serve(parsed, dispatch, Connection.from_envelope(version, None, None))
            reply: JSONRPCResponse | JSONRPCError = JSONRPCResponse(jsonrpc="2.0", id=parsed.id, result=result)
        except Exception as exc:
            # The JSONRPCDispatcher's mapping: MCPError and ValidationError by the shared
            # ladder, anything else code 0 with its message (the SDK's v1-compatible catch-all).
            error = handler_exception_to_error_data(exc)
            if error is None:
                log.info("handler for %r raised %s", parsed.method, type(exc).__name__)
                log.debug("handler for %r raised", parsed.method, exc_info=exc)
                error = ErrorData(code=0, message=str(exc))
            reply = JSONRPCError(jsonrpc="2.0", id=parsed.id, error=error)
        body = reply.model_dump_json(by_alias=True, exclude_unset=True).encode()
        # The headers, in order, of the transport's `_create_json_response` (a starlette Response).
        return 200, [(b"content-type", _JSON.encode()), (b"content-length", str(len(body)).encode())], body

    async def _single_exchange(self, request: Request, message: dict[str, Any], accepts_sse: bool) -> Reply | None:
        try:
            parsed = JSONRPCRequest.model_validate(message)
        except ValidationError:
            return None
        if parsed.method == _LISTEN and (not accepts_sse or self.server.get_request_handler(_LISTEN) is not None):
            # The SDK answers a listen without text/event-stream in Accept with 406 itself, and a
            # served listen is a stream (sdk_app.new_server turns it off, so it is -32601 here).
            return None
        headers = request.headers
        pairs = headers.items()
        # Every rung of the inbound ladder answers with its own error.
        if find_duplicated_routing_header(pairs) is not None:
            return None
        first_values: dict[str, str] = {}
        for name, value in pairs:  # dict(headers) in one pass: Headers.__getitem__ rescans per name
            first_values.setdefault(name, value)
        route = classify_inbound_request(message, headers=first_values)
        if isinstance(route, InboundLadderRejection) or not self._param_headers_agree(parsed, headers):
            return None
        dispatch = _SingleRequest(
            request_id=parsed.id,
            message_metadata=ServerMessageMetadata(request_context=request),
            transport=TransportContext(kind="streamable-http", can_send_request=False, headers=headers),
        )
        connection = Connection.from_envelope(route.protocol_version, route.client_info, route.client_capabilities)
        try:
            result = await self._serve(parsed, dispatch, connection)
            reply: JSONRPCResponse | JSONRPCError = JSONRPCResponse(jsonrpc="2.0", id=parsed.id, result=result)
            status = 200
        except Exception as exc:
            # The SDK's 2026-07-28 mapping (mcp.server.runner.modern_error_data, not exported):
            # the shared ladder, else INTERNAL_ERROR with the SDK's wording and no exception text.
            error = handler_exception_to_error_data(exc)
            if error is None:
                raise  # answer() turns it into -32603 with one log line
            reply = JSONRPCError(jsonrpc="2.0", id=parsed.id, error=error)
            status = ERROR_CODE_HTTP_STATUS.get(error.code, 200)
        # As the SDK's `_write`; json.dumps refuses an int over 4,300 digits (answer() → -32603).
        body = json.dumps(reply.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")).encode()
        return status, _json_headers(body), body

    def _param_headers_agree(self, request: JSONRPCRequest, headers: Headers) -> bool:
        """Whether a tools/call's Mcp-Param-* headers pass the SDK's check (False: let the SDK answer)."""
        if request.method != "tools/call":
            return True
        lookup = self.server.get_tool_input_schema
        if lookup is None:
            return False  # the SDK would list the tools to find the schema; leave that to it
        params = request.params or {}
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str) or (arguments is not None and not isinstance(arguments, Mapping)):
            return True
        if not arguments and not any(header.startswith(_MCP_PARAM_PREFIX) for header in headers):
            return True
        try:
            schema = lookup(name)
        except Exception:
            return False  # the SDK logs it and skips the check; let it
        if schema is None or self._declares_no_param_headers(schema):
            return True
        return validate_mcp_param_headers(schema, arguments or {}, headers) is None

    def _declares_no_param_headers(self, schema: Any) -> bool:
        """Whether `schema` has no valid x-mcp-header annotation, so validate_mcp_param_headers
        returns None whatever the headers (it validates nothing on an invalid schema, and
        checks only annotated positions). Walking the schema is most of that check's cost;
        the verdict is remembered per schema object."""
        remembered = self._unannotated.get(id(schema))
        if remembered is not None and remembered[0] is schema:
            return remembered[1]
        verdict = find_invalid_x_mcp_header(schema) is not None or not x_mcp_header_map(schema)
        if len(self._unannotated) < 256:
            self._unannotated[id(schema)] = (schema, verdict)
        return verdict

    async def _serve(self, request: JSONRPCRequest, dispatch: _SingleRequest, connection: Connection) -> dict[str, Any]:
        return await serve_one(
            self.server,
            dispatch,
            request.method,
            request.params,
            connection=connection,
            lifespan_state=self._lifespan_state,
        )
