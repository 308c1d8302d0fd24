"""The parity corpus: requests sent to both apps, and the listed answers the edge gives on purpose.

Every case is POSTed (unless it says otherwise) to /mcp with a full-permission
user's bearer token on the project's side and none on the SDK's. Each answer
must be identical (status; every header but the edge's own x-correlation-id, with
its value; the body byte for byte) except for the cases in EDGE_ANSWERS, where the
edge answers itself; each of those has its exact expected answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mcp.shared.inbound import encode_header_value
from mcp_types import CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY

from tests.support import CHALLENGE_SCOPES, PUBLIC_HOST

__all__ = ["CASES", "EDGE_ANSWERS", "Case", "EdgeAnswer"]

ACCEPT_BOTH = "application/json, text/event-stream"
MODERN = "2026-07-28"
CLIENT_INFO = {"name": "parity", "version": "1.0"}


@dataclass(frozen=True)
class Case:
    """One request: method, headers (Authorization is added for the project), body."""

    id: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "POST"
    path: str = "/mcp"
    token: str = "full"  # which caller's token the project gets: "full", "add-only", or "none"


@dataclass(frozen=True)
class EdgeAnswer:
    """The edge's own answer to a case: exact status, content type and body."""

    status: int
    body: bytes
    content_type: bytes = b"application/json"
    extra_headers: tuple[tuple[bytes, bytes], ...] = field(default=())


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _headers(version: str | None = "2025-11-25", accept: str | None = ACCEPT_BOTH,
             content_type: str | None = "application/json", **extra: str) -> tuple[tuple[str, str], ...]:
    pairs = [("Host", PUBLIC_HOST)]
    if content_type is not None:
        pairs.append(("Content-Type", content_type))
    if accept is not None:
        pairs.append(("Accept", accept))
    if version is not None:
        pairs.append(("MCP-Protocol-Version", version))
    pairs += [(name.replace("_", "-"), value) for name, value in extra.items()]
    return tuple(pairs)


def _request(method: str, params: Any = None, request_id: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def _call(name: str, arguments: Any, request_id: Any = 1) -> dict[str, Any]:
    return _request("tools/call", {"name": name, "arguments": arguments}, request_id)


def handshake(case_id: str, message: Any, version: str | None = "2025-11-25", **header_args: Any) -> Case:
    return Case(case_id, _json(message), _headers(version, **header_args))


def _envelope(params: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = {PROTOCOL_VERSION_META_KEY: MODERN, CLIENT_CAPABILITIES_META_KEY: {}, CLIENT_INFO_META_KEY: CLIENT_INFO}
    return {**(params or {}), "_meta": meta}


def modern(case_id: str, method: str, params: dict[str, Any] | None = None, *, name: str | None = None,
           envelope: bool = True, **header_args: str) -> Case:
    body = _request(method, _envelope(params) if envelope else params)
    extra = {"Mcp-Method": method, **({"Mcp-Name": name} if name is not None else {}),
             **{key.replace("_", "-"): value for key, value in header_args.items()}}
    accept = extra.pop("accept", ACCEPT_BOTH)
    return Case(case_id, _json(body), _headers(MODERN, accept=accept, **extra))


INITIALIZE = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": CLIENT_INFO}
LARGE_TEXT = "x" * 200_000
UNICODE = "Ωmega ✓ 数学 😀 \u200d e\u0301"
HUGE = int("9" * 4300)  # the most digits the parsers accept; the sum has 4,301

CASES: tuple[Case, ...] = (
    # initialize and notifications
    handshake("initialize-no-version-header", _request("initialize", INITIALIZE), version=None),
    handshake("initialize-2025-11-25", _request("initialize", INITIALIZE)),
    handshake("initialize-2025-06-18", _request("initialize", {**INITIALIZE, "protocolVersion": "2025-06-18"}),
              version="2025-06-18"),
    handshake("initialize-unknown-version", _request("initialize", {**INITIALIZE, "protocolVersion": "1999-01-01"})),
    handshake("initialize-without-params", _request("initialize")),
    handshake("initialize-bad-capabilities", _request("initialize", {**INITIALIZE, "capabilities": 7})),
    handshake("notification-initialized", {"jsonrpc": "2.0", "method": "notifications/initialized"}),
    handshake("notification-cancelled", {"jsonrpc": "2.0", "method": "notifications/cancelled",
                                         "params": {"requestId": 1}}),
    handshake("notification-unknown", {"jsonrpc": "2.0", "method": "notifications/whatever"}),
    handshake("posted-response", {"jsonrpc": "2.0", "id": 1, "result": {}}),
    handshake("posted-error", {"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "no"}}),
    # every method the server serves, and ping
    handshake("ping", _request("ping")),
    handshake("ping-empty-params", _request("ping", {})),
    handshake("ping-string-id", _request("ping", request_id="abc")),
    handshake("ping-zero-id", _request("ping", request_id=0)),
    handshake("ping-negative-big-id", _request("ping", request_id=-(2**62))),
    handshake("ping-unicode-id", _request("ping", request_id=UNICODE)),
    handshake("tools-list", _request("tools/list")),
    handshake("tools-list-2025-06-18", _request("tools/list", {}), version="2025-06-18"),
    handshake("tools-list-no-version-header", _request("tools/list"), version=None),
    handshake("add-2025-03-26", _call("add", {"a": 2, "b": 3}), version="2025-03-26"),
    handshake("add-2024-11-05", _call("add", {"a": 2, "b": 3}), version="2024-11-05"),
    handshake("tools-list-cursor", _request("tools/list", {"cursor": "abc"})),
    handshake("tools-list-progress-token", _request("tools/list", {"_meta": {"progressToken": 5}})),
    handshake("resources-list", _request("resources/list")),
    handshake("resources-templates-list", _request("resources/templates/list")),
    handshake("resources-read-unknown", _request("resources/read", {"uri": "file:///nope"})),
    handshake("prompts-list", _request("prompts/list")),
    handshake("prompts-get-unknown", _request("prompts/get", {"name": "nope"})),
    handshake("completion-complete", _request("completion/complete", {
        "ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "a", "value": "b"}})),
    handshake("logging-set-level", _request("logging/setLevel", {"level": "info"})),
    handshake("add-ints", _call("add", {"a": 2, "b": 3})),
    handshake("add-floats", _call("add", {"a": 0.1, "b": 0.2})),
    handshake("add-mixed-2025-06-18", _call("add", {"a": 2, "b": 0.5}), version="2025-06-18"),
    handshake("add-no-version-header", _call("add", {"a": 2, "b": 3}), version=None),
    handshake("subtract", _call("subtract", {"a": 2, "b": 3.5})),
    handshake("get-me", _call("get_me", {})),
    handshake("get-me-without-arguments", _request("tools/call", {"name": "get_me"})),
    # tool errors and argument validation
    handshake("add-overflow", _call("add", {"a": 1e308, "b": 1e308})),
    handshake("add-string-argument", _call("add", {"a": "3", "b": 1})),
    handshake("add-bool-argument", _call("add", {"a": True, "b": 1})),
    handshake("add-missing-argument", _call("add", {"a": 1})),
    handshake("add-extra-argument", _call("add", {"a": 1, "b": 2, "c": 3})),
    handshake("add-null-argument", _call("add", {"a": None, "b": 2})),
    handshake("add-arguments-not-object", _call("add", [1, 2])),
    handshake("add-huge-int", _call("add", {"a": 10**300, "b": 1})),
    handshake("tools-call-without-name", _request("tools/call", {"arguments": {}})),
    handshake("tools-call-name-not-string", _request("tools/call", {"name": 5, "arguments": {}})),
    handshake("tools-call-params-not-object", _request("tools/call", [1])),
    # unknown methods and tools
    handshake("unknown-method", _request("nope/nothing")),
    handshake("unknown-method-no-params", _request("sampling/createMessage", {})),
    handshake("unknown-tool", _call("multiply", {"a": 1, "b": 2})),
    handshake("unknown-unicode-tool", _call("ädd", {"a": 1, "b": 2})),
    # unicode and large arguments
    handshake("unicode-argument-key", _call("add", {"a": 1, "b": 2, UNICODE: UNICODE})),
    handshake("large-argument", _call("add", {"a": 1, "b": 2, "note": LARGE_TEXT})),
    handshake("large-string-as-number", _call("add", {"a": LARGE_TEXT, "b": 2})),
    handshake("deep-arguments", _call("add", {"a": 1, "b": 2, "deep": json.loads("[" * 100 + "]" * 100)})),
    # parse errors (the edge answers) and envelope errors the SDK answers
    Case("parse-error", b"{", _headers()),
    Case("empty-body", b"", _headers()),
    Case("invalid-utf8", b'{"jsonrpc":"2.0","id":1,"method":"ping","x":"\xff"}', _headers()),
    Case("utf8-bom", b'\xef\xbb\xbf{"jsonrpc":"2.0","id":1,"method":"ping"}', _headers()),
    Case("too-deep", b"[" * 300 + b"]" * 300, _headers()),
    Case("integer-over-4300-digits", b'{"jsonrpc":"2.0","id":1,"method":"ping","x":' + b"9" * 5000 + b"}", _headers()),
    handshake("float-id", _request("ping", request_id=1.5)),
    handshake("null-id", _request("ping", request_id=None)),
    handshake("params-null", {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": None}),
    handshake("extra-envelope-member", {**_request("ping"), "extra": True}),
    # envelope errors the edge answers itself (JSON-RPC 2.0 §5)
    handshake("batch", [_request("ping"), _request("tools/list", request_id=2)]),
    handshake("empty-batch", []),
    handshake("jsonrpc-1.0", {"jsonrpc": "1.0", "id": 1, "method": "ping"}),
    handshake("no-jsonrpc-member", {"id": 1, "method": "ping"}),
    handshake("method-not-string", {"jsonrpc": "2.0", "id": 1, "method": 5}),
    handshake("object-id", _request("ping", request_id={"a": 1})),
    handshake("scalar-body", 5),
    # Accept and Content-Type
    handshake("accept-json-only", _request("ping"), accept="application/json"),
    handshake("accept-sse-only", _request("ping"), accept="text/event-stream"),
    handshake("accept-missing", _request("ping"), accept=None),
    handshake("accept-any", _request("ping"), accept="*/*"),
    handshake("accept-application-wildcard", _request("ping"), accept="application/*"),
    handshake("accept-with-quality", _call("add", {"a": 1, "b": 1}), accept="application/json;q=0.9, text/plain"),
    handshake("content-type-charset", _call("add", {"a": 1, "b": 1}), content_type="application/json; charset=utf-8"),
    handshake("content-type-text", _request("ping"), content_type="text/plain"),
    handshake("content-type-missing", _request("ping"), content_type=None),
    handshake("content-type-upper-case", _request("ping"), content_type="Application/JSON"),
    handshake("content-type-list", _request("ping"), content_type="application/json, text/plain"),
    handshake("content-type-json-seq", _request("ping"), content_type="application/json-seq"),
    handshake("notification-accept-sse-only", {"jsonrpc": "2.0", "method": "notifications/initialized"},
              accept="text/event-stream"),
    # GET and DELETE and other methods
    Case("get", b"", _headers(content_type=None, accept="text/event-stream"), method="GET"),
    Case("delete", b"", _headers(), method="DELETE"),
    Case("put", _json(_request("ping")), _headers(), method="PUT"),
    # the 2026-07-28 wire
    modern("modern-ping", "ping"),
    modern("modern-tools-list", "tools/list"),
    modern("modern-add", "tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}}, name="add"),
    modern("modern-get-me", "tools/call", {"name": "get_me", "arguments": {}}, name="get_me"),
    modern("modern-add-overflow", "tools/call", {"name": "add", "arguments": {"a": 1e308, "b": 1e308}}, name="add"),
    modern("modern-add-string-argument", "tools/call", {"name": "add", "arguments": {"a": "1", "b": 1}}, name="add"),
    modern("modern-unknown-tool", "tools/call", {"name": "multiply", "arguments": {}}, name="multiply"),
    modern("modern-unicode-argument", "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2, "u": UNICODE}},
           name="add"),
    modern("modern-unknown-method", "nope/nothing"),
    modern("modern-without-envelope", "tools/list", envelope=False),
    modern("modern-method-header-mismatch", "tools/list", Mcp_Method="ping"),
    modern("modern-name-header-mismatch", "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}}, name="get_me"),
    Case("modern-initialize", _json(_request("initialize", INITIALIZE)), _headers(MODERN, Mcp_Method="initialize")),
    Case("modern-notification", _json({"jsonrpc": "2.0", "method": "notifications/initialized"}), _headers(MODERN)),
    Case("modern-parse-error", b"{", _headers(MODERN)),
    Case("modern-utf8-bom", b"\xef\xbb\xbf" + _json(_request("ping", _envelope())), _headers(MODERN, Mcp_Method="ping")),
    Case("unsupported-version-header", _json(_request("ping")), _headers("2099-01-01", Mcp_Method="ping")),
    modern("modern-accept-sse-only", "ping", accept="text/event-stream"),
    # subscriptions/listen: not served (sdk_app.new_server), so -32601, and discover says listChanged false
    modern("modern-listen", "subscriptions/listen", {"notifications": {"toolsListChanged": True}}),
    modern("modern-listen-bad-filter", "subscriptions/listen", {"notifications": 7}),
    modern("modern-listen-accept-json-only", "subscriptions/listen", {"notifications": {"toolsListChanged": True}},
           accept="application/json"),
    modern("modern-discover", "server/discover"),
    # a 2026-07-28 handler that raises (MCPServer's prompts/get raises ValueError for an unknown name)
    modern("modern-handler-raises", "prompts/get", {"name": "nope"}, name="nope"),
    # an answer json.dumps refuses: a sum over 4,300 digits (the handshake wire's pydantic writes it)
    modern("modern-add-over-4300-digits", "tools/call", {"name": "add", "arguments": {"a": HUGE, "b": HUGE}}, name="add"),
    handshake("add-over-4300-digits", _call("add", {"a": HUGE, "b": HUGE})),
    # answers of the SDK's app (the fast path declines a Content-Type list) that depend on the caller
    handshake("fallback-tools-list-full", _request("tools/list"), content_type="application/json, text/plain"),
    Case("fallback-tools-list-add-only", _json(_request("tools/list")),
         _headers(content_type="application/json, text/plain"), token="add-only"),
    Case("fallback-get-me-add-only", _json(_call("get_me", {})),
         _headers(content_type="application/json, text/plain"), token="add-only"),
    # headers an attacker may repeat or add
    Case("version-header-twice-handshake-first", _json(_request("ping")),
         (*_headers(), ("MCP-Protocol-Version", MODERN), ("Mcp-Method", "ping"))),
    Case("version-header-twice-modern-first", _json(_request("ping", _envelope())),
         (*_headers(MODERN, Mcp_Method="ping"), ("MCP-Protocol-Version", "2025-11-25"))),
    Case("content-type-twice", _json(_request("ping")), (*_headers(), ("Content-Type", "text/plain"))),
    Case("accept-twice", _json(_request("ping")), (*_headers(accept="text/event-stream"), ("Accept", "application/json"))),
    Case("modern-method-header-twice", _json(_request("ping", _envelope())),
         (*_headers(MODERN, Mcp_Method="ping"), ("Mcp-Method", "ping"))),
    modern("modern-param-header-for-unannotated-argument", "tools/call",
           {"name": "add", "arguments": {"a": 2, "b": 3}}, name="add", Mcp_Param_a="2"),
    modern("modern-progress-token", "tools/call",
           {"name": "add", "arguments": {"a": 2, "b": 3}, "_meta": {"progressToken": "p"}}, name="add"),
    # A non-ASCII name travels base64-wrapped in Mcp-Name, as clients send it.
    modern("modern-unicode-tool-name", "tools/call", {"name": UNICODE, "arguments": {}}, name=encode_header_value(UNICODE)),
    handshake("progress-token-call", _request("tools/call", {"name": "add", "arguments": {"a": 2, "b": 3},
                                                            "_meta": {"progressToken": "p"}})),
    handshake("id-beyond-64-bits", _request("ping", request_id=2**70)),
    handshake("modern-envelope-on-handshake-wire", _request("tools/list", _envelope())),
    # what only the edge answers: the caller, the size cap
    Case("no-token", _json(_call("add", {"a": 1, "b": 2})), _headers(), token="none"),
    Case("missing-permission", _json(_call("subtract", {"a": 1, "b": 2})), _headers(), token="add-only"),
    Case("over-one-mebibyte", _json(_call("add", {"a": 1, "b": 2, "note": "y" * (1024 * 1024)})), _headers()),
)

_METADATA_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
# JSON-RPC 2.0 §5.1, as the SDK's 2026-07-28 entry writes it (edge/jsonrpc.py PARSE_ERROR).
_PARSE_ERROR = EdgeAnswer(400, b'{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
_INVALID_REQUEST_NULL_ID = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}'
_METHOD_NOT_ALLOWED = b'{"error":"method_not_allowed","error_description":"Use POST"}'

EDGE_ANSWERS: dict[str, EdgeAnswer] = {
    # A body the SDK transport's parser (pydantic_core) refuses is never handed on: its tool
    # permission could not be checked. The handshake path's own answer adds the parser's text
    # ("Parse error: EOF while parsing ..."); the 2026-07-28 entry reads a BOM that pydantic refuses.
    "parse-error": _PARSE_ERROR,
    "empty-body": _PARSE_ERROR,
    "invalid-utf8": _PARSE_ERROR,
    "utf8-bom": _PARSE_ERROR,
    "too-deep": _PARSE_ERROR,
    "integer-over-4300-digits": _PARSE_ERROR,
    "modern-utf8-bom": _PARSE_ERROR,
    # MCP 2025-06-18 removed JSON-RPC batching; JSON-RPC 2.0 §5 calls that an Invalid Request.
    # The SDK answers 400 -32602 "Validation error: ..." with pydantic's text.
    "batch": EdgeAnswer(400, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Batch requests are not supported"}}'),
    "empty-batch": EdgeAnswer(400, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Batch requests are not supported"}}'),
    # JSON-RPC 2.0 §5: a malformed envelope is -32600; the SDK says -32602 with pydantic's text.
    "jsonrpc-1.0": EdgeAnswer(400, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Invalid Request"}}'),
    "no-jsonrpc-member": EdgeAnswer(400, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Invalid Request"}}'),
    "method-not-string": EdgeAnswer(400, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Invalid Request"}}'),
    "object-id": EdgeAnswer(400, _INVALID_REQUEST_NULL_ID),
    "scalar-body": EdgeAnswer(400, _INVALID_REQUEST_NULL_ID),
    # A stateless server has no stream to offer on GET and no session to DELETE (edge/app.py).
    "get": EdgeAnswer(405, _METHOD_NOT_ALLOWED, extra_headers=((b"allow", b"POST"),)),
    "delete": EdgeAnswer(405, _METHOD_NOT_ALLOWED, extra_headers=((b"allow", b"POST"),)),
    "put": EdgeAnswer(405, _METHOD_NOT_ALLOWED, extra_headers=((b"allow", b"POST"),)),
    # RFC 6750 §3.1: no token, 401 with a challenge naming the metadata (RFC 9728 §5.1).
    "no-token": EdgeAnswer(
        401,
        b'{"error":"unauthorized","error_description":"A bearer token is required"}',
        extra_headers=((b"www-authenticate", f'Bearer resource_metadata="{_METADATA_URL}", scope="{CHALLENGE_SCOPES}"'.encode()),),
    ),
    # RFC 6750 §3.1 insufficient_scope, per tool.
    "missing-permission": EdgeAnswer(
        403,
        b'{"error":"insufficient_scope","error_description":"The token lacks the '
        b'api://6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55/calculator.subtract permission"}',
        extra_headers=((b"www-authenticate", (
            'Bearer error="insufficient_scope", scope="api://6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55/calculator.subtract", '
            f'resource_metadata="{_METADATA_URL}"').encode()),),
    ),
    # JSON-RPC 2.0 §5.1 -32603, as the SDK's 2026-07-28 entry words it, with no exception text: the
    # SDK's own app lets json.dumps's ValueError escape (a 500 with no JSON-RPC answer).
    "modern-add-over-4300-digits": EdgeAnswer(
        200, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal server error"}}'
    ),
    # The edge's 1 MiB cap (the SDK's is 4 MiB).
    "over-one-mebibyte": EdgeAnswer(413, b'{"error":"payload_too_large","error_description":"The body is over 1048576 bytes"}'),
}
