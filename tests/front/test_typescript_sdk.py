"""The official MCP TypeScript SDK client (from npm, tests/node) signs in through the front with its defaults:
by DCR and by CIMD, lists tools, calls add, renews an expired token with the refresh grant, and steps up on 403.
The sign-in's browser step is the Python headless browser: the Node driver prints the authorization URL.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from tests.nodeclient import ensure_node_modules
from tests.support import remember_token

from .browser import Browser
from .conftest import REDIRECT_URI, DocumentServer, FrontStack
from .sdk import only_scope, remember_sealed


def drive(front_stack: FrontStack, *flags: str, ca_path: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Run the driver; sign in whenever it asks (the first time for calculator.add only)."""
    node_dir = ensure_node_modules()
    env = {**os.environ, **({"NODE_EXTRA_CA_CERTS": ca_path} if ca_path else {})}
    process = subprocess.Popen(
        ["node", "front-client.mjs", front_stack.mcp_url, *flags],
        cwd=node_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    results: list[dict[str, Any]] = []
    authorization_urls: list[str] = []
    narrow = only_scope(front_stack.idp.scope("calculator.add"))
    try:
        for line in process.stdout:
            kind, _, value = line.rstrip("\n").partition(" ")
            if kind == "AUTHORIZE":
                authorization_urls.append(value)
                url = narrow(value) if len(authorization_urls) == 1 else value
                landed = Browser().sign_in(url, REDIRECT_URI)
                process.stdin.write(f"CALLBACK {landed}\n")
                process.stdin.flush()
            elif kind == "TOKENS":
                access, *refresh = json.loads(value)
                remember_token(access)
                for sealed in refresh:
                    remember_sealed(sealed)
            elif kind == "EXPIRE":
                # Past the token's `exp` and the server's 60 s leeway, on the clock the server reads.
                front_stack.clock.advance(int(value) + 61 - front_stack.clock())
                process.stdin.write("EXPIRED\n")
                process.stdin.flush()
            elif kind == "RESULT":
                results.append(json.loads(value))
            elif kind == "ERROR":
                raise AssertionError(value)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return results, authorization_urls


def test_dcr_sign_in_tools_refresh_and_step_up(front_stack: FrontStack) -> None:
    front_stack.idp.access_token_lifetime = 8  # expired by moving the clock: see EXPIRE in drive()

    results, authorization_urls = drive(front_stack, "--expire")

    signed_in, after_expiry, step_up = results
    assert signed_in == {"step": "signed-in", "tools": ["add", "get_me"], "add": {"result": 5}}
    assert "resource=" in authorization_urls[0]  # the SDK's default: RFC 8707 resource is sent
    # The 401 on the expired token made the SDK refresh through the front, then retry; no new sign-in.
    assert after_expiry["add"] == {"result": 5} and after_expiry["renewed"] is True
    assert after_expiry["authorizations"] == 1
    assert "POST /oauth/token" in after_expiry["requests"] and "GET /oauth/authorize" not in after_expiry["requests"]
    assert step_up["subtract"] == {"result": 4}
    assert step_up["authorizations"] == 2 and step_up["registered"] is True
    assert step_up["clientIdPrefix"] == "gAAAAA"  # a Fernet token: the sealed registration
    # SDK 1.32.2 answers the 403 by refreshing, which cannot widen a grant, and gives up on the second
    # 403; the driver then signs in again, as an application would (see docs/direct-clients.md).
    assert step_up["sdkStepUp"] == "Streamable HTTP error: Server returned 403 after trying upscoping"


def test_cimd_sign_in_uses_the_document(front_stack: FrontStack, trust_documents: DocumentServer) -> None:
    url = trust_documents.publish(
        "/clients/typescript-sdk.json",
        {"client_id": trust_documents.url + "/clients/typescript-sdk.json", "client_name": "TypeScript SDK (CIMD)",
         "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"},
    )

    results, authorization_urls = drive(front_stack, "--cimd", url, ca_path=str(trust_documents.ca_path))

    signed_in, step_up = results
    assert signed_in == {"step": "signed-in", "tools": ["add", "get_me"], "add": {"result": 5}}
    assert step_up["subtract"] == {"result": 4} and step_up["registered"] is False
    assert step_up["clientIdPrefix"] == "https:"
    assert "client_id=https%3A%2F%2F127.0.0.1" in authorization_urls[0]
