"""What the edge reads of a JSON-RPC body before the SDK does: its envelope and the tool it calls.

Only enough to answer the errors JSON-RPC 2.0 §5 assigns to the body as a whole
(-32700 for a body that is not JSON, -32600 for a bad envelope) and to refuse a
`tools/call` the caller has no permission for, or whose caller kind the operator refuses that tool.
The SDK answers everything else.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

import pydantic_core

import mcp_tools
from auth import Principal
from auth.refusals import CallerRefusals

__all__ = [
    "BATCH_REFUSED",
    "NOT_JSON",
    "PARSE_ERROR",
    "invalid_request",
    "is_jsonrpc_message",
    "missing_permission",
    "peek_json",
    "refused_tool",
]

NOT_JSON = object()
# MCP 2025-06-18 removed JSON-RPC batching; JSON-RPC 2.0 §5 calls that an Invalid Request.
BATCH_REFUSED = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Batch requests are not supported"}}
# JSON-RPC 2.0 §5.1: -32700 "Parse error", id null. Written as the SDK's 2026-07-28 path writes it
# (mcp/server/_streamable_http_modern.py: `id` last, status 400), so both answer the same bytes.
PARSE_ERROR = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}


def peek_json(body: bytes) -> Any:
    """The parsed body, or NOT_JSON when the parser refuses it.

    Read with the parser the SDK's streamable-HTTP transport uses (pydantic_core.from_json), so
    the permission check and the SDK's dispatch see one and the same message, and the fast path
    (edge/fastpath.py) reuses this parse. It accepts less than json.loads (no BOM, nesting to 200,
    no lone surrogates), and what both accept they read alike, so on the 2026-07-28 wire, whose SDK
    entry uses json.loads, the edge never reads a body differently from the SDK. Every refusal is a
    ValueError: malformed text or UTF-8, an integer over 4,300 digits, nesting too deep.
    """
    try:
        return pydantic_core.from_json(body)
    except ValueError:
        return NOT_JSON


def _is_id(value: Any) -> bool:
    # JSON-RPC 2.0 §4: "An identifier ... MUST contain a String, Number, or NULL value if included".
    return value is None or isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def is_jsonrpc_message(message: Any) -> bool:
    """Whether `message` is a JSON-RPC 2.0 request, notification or response object (§4, §5)."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return False
    if "id" in message and not _is_id(message["id"]):
        return False
    if "method" in message:
        return isinstance(message["method"], str)
    return "result" in message or "error" in message


def invalid_request(message: Any) -> dict[str, Any]:
    """The -32600 answer, echoing the request's id when it has a valid one."""
    request_id = message.get("id") if isinstance(message, dict) and _is_id(message.get("id")) else None
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32600, "message": "Invalid Request"}}


def _called_tool(message: Any) -> str | None:
    """The tool name a `tools/call` asks for, if it is one."""
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    return name if isinstance(name, str) else None


def refused_tool(message: Any, principal: Principal, refusals: CallerRefusals, tools: Container[str]) -> str | None:
    """The tool a `tools/call` asks for, when the operator refuses the caller's kind that tool.

    Only one of the server's `tools`: an unknown name goes on to the SDK's own "Unknown tool"
    answer, so no name the client made up is ever echoed in a refusal.
    """
    if not refusals:
        return None
    name = _called_tool(message)
    if name is None or name not in tools or not refusals.refuses(principal.kind, name):
        return None
    return name


def missing_permission(message: Any, principal: Principal) -> str | None:
    """The permission a `tools/call` needs and the caller lacks, if any."""
    name = _called_tool(message)
    permission = mcp_tools.permission_for(name) if name is not None else None
    if permission is not None and permission not in principal.permissions:
        return permission
    return None
