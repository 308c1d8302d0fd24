"""`python devserver.py --front` as docs/direct-clients.md runs it: the official Python SDK client signs in
with no setup, through the front, whose upstream client authenticates with the managed-identity stand-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import devserver_output

from .sdk import MemoryStorage, Person, sign_in_list_and_add


@pytest.fixture(scope="module")
def devserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], Path]]:
    output = tmp_path_factory.mktemp("devserver-front") / "devserver.log"
    with devserver_output("--front", output, unset=("OAUTH_", "MCP_", "IDENTITY_")) as lines:
        mcp = next(m.group(1) for line in lines if (m := re.match(r"MCP server:  (\S+)", line)))
        yield mcp, lines, output


def test_the_banner_says_how_to_connect(devserver: tuple[str, list[str], Path]) -> None:
    mcp_url, lines, _ = devserver
    origin = mcp_url.removesuffix("/mcp")

    assert f"OAuth front:  {origin}  (authorization server metadata: {origin}/.well-known/oauth-authorization-server)" in lines
    assert f"  npx @modelcontextprotocol/inspector     # Transport: Streamable HTTP, URL {mcp_url}" in lines


def test_the_python_sdk_signs_in_with_no_setup(devserver: tuple[str, list[str], Path]) -> None:
    mcp_url, _, _ = devserver

    tools, added, _ = sign_in_list_and_add(mcp_url, Person(), MemoryStorage())

    assert tools == ["add", "subtract", "get_me"]
    assert (added.is_error, added.structured_content) == (False, {"result": 5})  # type: ignore[attr-defined]


def test_the_front_s_refusals_and_the_edge_s_auth_failures_are_printed(devserver: tuple[str, list[str], Path]) -> None:
    # A developer debugging a sign-in must see why it was refused: the one line each refusal logs.
    mcp_url, _, output_path = devserver
    origin = mcp_url.removesuffix("/mcp")

    refused = httpx.get(f"{origin}/oauth/authorize", params={"client_id": "made-up-client", "redirect_uri": "http://127.0.0.1:1/cb"})
    unauthenticated = httpx.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={"Authorization": "Bearer not-a-token"})

    output = output_path.read_text()
    assert refused.status_code == 401 and unauthenticated.status_code == 401
    assert (
        f"INFO front front refusal endpoint=authorize error=invalid_client reason=registration_unreadable "
        f"correlation_id={refused.headers['x-correlation-id']}"
    ) in output
    assert "INFO edge auth failure status=401 reason=" in output
    assert f"correlation_id={unauthenticated.headers['x-correlation-id']}" in output
