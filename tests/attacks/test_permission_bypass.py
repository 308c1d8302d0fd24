"""The per-tool 403 cannot be dodged by a body the edge and the SDK would read differently.

The edge reads the body with the SDK's own parser (pydantic_core.from_json), so both
see one message. Duplicate keys, escapes, a BOM, stray bytes: whatever the body, a
caller without `calculator.subtract` never gets a subtraction done.
"""

from __future__ import annotations

import pytest

from tests.support import MCP_HEADERS, PUBLIC_HOST, SCOPE_SUBTRACT, FunctionHost, SigningKey, body_json, mint, user_claims

PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
FORBIDDEN = f'Bearer error="insufficient_scope", scope="{SCOPE_SUBTRACT}", resource_metadata="{PRM_URL}"'
CALL = b'"jsonrpc":"2.0","id":1,"method":"tools/call"'
SUBTRACT = b'"params":{"name":"subtract","arguments":{"a":1,"b":2}}'

BODIES = [
    pytest.param(b"\xef\xbb\xbf{" + CALL + b"," + SUBTRACT + b"}", 400, id="utf8-bom"),
    pytest.param(b"{" + CALL + b',"params":{"name":"add","name":"subtract","arguments":{"a":1,"b":2}}}', 403, id="duplicate-name-last-wins"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call",' + SUBTRACT + b"}", 403, id="duplicate-method"),
    pytest.param(b"{" + CALL + b',"params":{"name":"add"},' + SUBTRACT + b"}", 403, id="duplicate-params"),
    pytest.param(b"{" + CALL + b',"params":{"name":"\\u0073ubtract","arguments":{"a":1,"b":2}}}', 403, id="unicode-escape"),
    pytest.param(b" \r\n\t{" + CALL + b"," + SUBTRACT + b"} \n", 403, id="surrounding-whitespace"),
    pytest.param(b"{" + CALL + b"," + SUBTRACT + b',"x":"\xff"}', 400, id="invalid-utf8-elsewhere"),
    pytest.param(b"{" + CALL + b"," + SUBTRACT + b"}\x00", 400, id="trailing-nul"),
    pytest.param(b"{" + CALL + b"," + SUBTRACT + b"}{}", 400, id="two-documents"),
    pytest.param(b"{" + CALL + b',"params":{"name":"subtract ","arguments":{"a":1,"b":2}}}', 200, id="name-with-trailing-space"),
    pytest.param(b"{" + CALL + b',"params":{"name":"Subtract","arguments":{"a":1,"b":2}}}', 200, id="name-other-case"),
]


@pytest.mark.parametrize("body, status", BODIES)
def test_subtract_never_runs_without_its_permission(host: FunctionHost, signing_key: SigningKey, body: bytes, status: int):
    token = mint(signing_key, user_claims(scp="calculator.add"))

    response = host.request("POST", "/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, body=body)

    assert response.status_code == status
    answer = body_json(response)
    if status == 403:
        assert response.headers.get("WWW-Authenticate") == FORBIDDEN
    elif status == 400:
        assert answer["error"]["code"] == -32700  # the SDK refuses to parse it either
    else:
        assert answer["result"]["isError"] is True
        assert answer["result"]["content"][0]["text"].startswith("Unknown tool: ")
    assert "structuredContent" not in answer.get("result", {})
