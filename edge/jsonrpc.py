"""What the edge reads of a JSON-RPC body before the SDK does: its envelope and the tool it calls.

Only enough to answer the envelope errors JSON-RPC 2.0 §5 assigns (-32600) and to
refuse a `tools/call` the caller has no permission for. The SDK parses and
answers everything else, -32700 for a body that is not JSON included.
"""

from __future__ import annotations

from typing import Any

import pydantic_core

import mcp_tools
from auth import Principal

__all__ = ["BATCH_REFUSED", "NOT_JSON", "invalid_request", "is_jsonrpc_message", "missing_permission", "peek_json"]

NOT_JSON = object()
# MCP 2025-06-18 removed JSON-RPC batching; JSON-RPC 2.0 §5 calls that an Invalid Request.
BATCH_REFUSED = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Batch requests are not supported"}}


def peek_json(body: bytes) -> Any:
    """The parsed body, or NOT_JSON when it is not JSON.

    Read with the parser the SDK's streamable-HTTP transport uses (pydantic_core.from_json),
    so the edge's permission check and the SDK's dispatch see one and the same message
    (json.loads and it differ on corner cases), and the fast path can reuse this parse.
    """
    try:
        return pydantic_core.from_json(body)
    except ValueError:  # invalid JSON or UTF-8, too deep: all ValueError here
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


def missing_permission(message: Any, principal: Principal) -> str | None:
    """The permission a `tools/call` needs and the caller lacks, if any."""
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    permission = mcp_tools.permission_for(name) if isinstance(name, str) else None
    if permission is not None and permission not in principal.permissions:
        return permission
    return None
