"""End to end with the Node clients: the official TypeScript clients and the MCP Inspector CLI.

All run against `uvicorn function_app:asgi_app` in its own process, with a pre-minted
bearer token in a header (no OAuth flow: that is tests/client's job).
- `@modelcontextprotocol/sdk` 1.32 speaks the handshake revisions (latest 2025-11-25);
- `@modelcontextprotocol/client` 2.3 (the v2 client) speaks both wires: legacy, `auto`
  (probes for 2026-07-28) and pinned to 2026-07-28;
- the Inspector CLI (`@modelcontextprotocol/inspector-cli` 1.0.3) is built on the 1.x SDK.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.nodeclient import ensure_node_modules
from tests.support import SigningKey, UvicornServer, app_claims, mint, user_claims

INSPECTOR_PACKAGE = os.path.join("node_modules", "@modelcontextprotocol", "inspector-cli")


@pytest.fixture(scope="module")
def server(entra_uvicorn: UvicornServer) -> str:
    return f"{entra_uvicorn.url}/mcp"


def _typescript_client(url: str, token: str) -> dict[str, object]:
    node_dir = ensure_node_modules()
    done = subprocess.run(
        ["node", "list_and_add.mjs", url], cwd=node_dir, env={**os.environ, "MCP_TOKEN": token},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _typescript_v2_client(url: str, token: str, mode: str) -> dict[str, object]:
    done = subprocess.run(
        ["node", "list_and_add_v2.mjs", url, mode], cwd=ensure_node_modules(), env={**os.environ, "MCP_TOKEN": token},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _inspector(url: str, token: str, *method: str) -> subprocess.CompletedProcess[str]:
    package = os.path.join(ensure_node_modules(), INSPECTOR_PACKAGE)
    # inspector-cli 1.0.3 looks for its own package.json as "../package.json" relative to the
    # working directory but imports it relative to its module: run it from its build folder.
    return subprocess.run(
        ["node", os.path.join(package, "build", "cli.js"), "--cli", url, "--transport", "http",
         "--header", f"Authorization: Bearer {token}", *method],
        cwd=os.path.join(package, "build"), capture_output=True, text=True, timeout=60,
    )


def test_the_typescript_client_lists_the_tools_and_adds(server: str, signing_key: SigningKey):
    answer = _typescript_client(server, mint(signing_key, user_claims()))

    assert answer == {
        "protocolVersion": "2025-11-25",
        "tools": ["add", "subtract", "get_me"],
        "isError": False,
        "structuredContent": {"result": 5},
        "text": ["5"],
    }


def test_the_typescript_client_sees_only_what_an_app_may_call(server: str, signing_key: SigningKey):
    answer = _typescript_client(server, mint(signing_key, app_claims(roles=["calculator.add"])))

    assert answer["tools"] == ["add", "get_me"]
    assert answer["structuredContent"] == {"result": 5}


@pytest.mark.parametrize("mode, wire", [("legacy", "2025-11-25"), ("auto", "2026-07-28"), ("pin", "2026-07-28")])
def test_the_typescript_v2_client_lists_the_tools_and_adds_on_both_wires(
    server: str, signing_key: SigningKey, mode: str, wire: str
):
    answer = _typescript_v2_client(server, mint(signing_key, user_claims()), mode)

    assert answer == {
        "protocolVersion": wire,
        "tools": ["add", "subtract", "get_me"],
        "isError": False,
        "structuredContent": {"result": 5},
        "text": ["5"],
    }


def test_the_typescript_v2_client_on_the_2026_wire_sees_only_what_an_app_may_call(server: str, signing_key: SigningKey):
    answer = _typescript_v2_client(server, mint(signing_key, app_claims(roles=["calculator.add"])), "pin")

    assert (answer["protocolVersion"], answer["tools"]) == ("2026-07-28", ["add", "get_me"])


def test_the_inspector_cli_lists_the_tools_with_a_bearer_header(server: str, signing_key: SigningKey):
    done = _inspector(server, mint(signing_key, user_claims()), "--method", "tools/list")

    assert done.returncode == 0, done.stderr
    tools = json.loads(done.stdout)["tools"]
    assert [tool["name"] for tool in tools] == ["add", "subtract", "get_me"]
    assert tools[0]["annotations"] == {
        "title": "Add two numbers", "readOnlyHint": True, "destructiveHint": False,
        "idempotentHint": True, "openWorldHint": False,
    }


def test_the_inspector_cli_calls_add_with_a_bearer_header(server: str, signing_key: SigningKey):
    done = _inspector(
        server, mint(signing_key, user_claims()), "--method", "tools/call", "--tool-name", "add",
        "--tool-arg", "a=2", "b=3",
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}, "isError": False,
    }


def test_the_inspector_cli_with_a_bad_token_gets_the_edge_refusal(server: str):
    done = _inspector(server, "not-a-token", "--method", "tools/list")

    assert done.returncode != 0
    assert '{"error":"invalid_token","error_description":"The access token is invalid"}' in done.stderr
    assert "not-a-token" not in done.stderr
