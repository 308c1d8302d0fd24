"""The official TypeScript MCP SDK client (npm, tests/node) signs in through devidp and keeps going on refresh tokens.

The SDK 1.32 requests exactly the 401's `scope=`. Entra, and devidp like it, issue a
refresh token only when `offline_access` is among the requested scopes, so this is the
test of the server's challenge (edge/challenge.py): sign in once, then refresh when the
access token expires, without a second sign-in.

The SDK sends RFC 8707 `resource` = the protected resource metadata's `resource`, which
Entra's v2 endpoint refuses unless it is one of the API's identifier URIs (AADSTS9010010),
and devidp refuses the same way. Both ways out are tested:
- `omit-resource`: the client's provider implements `validateResourceURL` to leave it out;
- `identifier-uri`: the API's App ID URI is the MCP URL itself, with MCP_PUBLIC_URL set to it
  (docs/gateway.md, "The resource parameter").

devidp and the server (build_asgi_app's clock) read one OffsetClock, so moving it expires tokens
for both without sleeping.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auth import Settings
from devidp import DevIdentityProvider, OffsetClock, defaults
from edge import build_asgi_app
from tests.client.conftest import serve
from tests.nodeclient import ensure_node_modules

ACCESS_TOKEN_LIFETIME = 300
REFRESH_TOKEN_LIFETIME = 86400
#: Beyond the access token's lifetime and the server's 60 s leeway.
ACCESS_TOKEN_EXPIRED = ACCESS_TOKEN_LIFETIME + 61
#: The loopback redirect of a native app; devidp, like Entra, ignores the port of a registered http://localhost.
REDIRECT_URL = "http://localhost:53682/"
USER = "dev.user@contoso.test"
MODES = ("omit-resource", "identifier-uri")


@dataclass(frozen=True)
class TsStack:
    idp: DevIdentityProvider
    clock: OffsetClock
    mcp_url: str
    mode: str

    @property
    def scopes(self) -> str:
        return f"{self.idp.scope('calculator.add')} {self.idp.scope('calculator.subtract')}"


@pytest.fixture(scope="module", params=MODES)
def ts_stack(request: pytest.FixtureRequest) -> Iterator[TsStack]:
    mode: str = request.param
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    mcp_url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    clock = OffsetClock()
    with DevIdentityProvider(
        clock=clock,
        access_token_lifetime=ACCESS_TOKEN_LIFETIME,
        refresh_token_lifetime=REFRESH_TOKEN_LIFETIME,
        app_id_uri=mcp_url if mode == "identifier-uri" else None,
    ) as idp:
        env = {
            "OAUTH_ISSUER": idp.issuer,
            "OAUTH_AUDIENCE": defaults.DEV_API_CLIENT_ID,
            "OAUTH_JWKS_URI": idp.jwks_uri,
            "OAUTH_APP_ID_URI": idp.app_id_uri,
            "OAUTH_SCOPE_PREFIX": f"{idp.app_id_uri}/",
        }
        if mode == "identifier-uri":
            env["MCP_PUBLIC_URL"] = mcp_url
        settings = Settings.from_env(env)
        edge = build_asgi_app(settings, clock=clock)
        server, thread, _ = serve(edge, sock)
        try:
            yield TsStack(idp=idp, clock=clock, mcp_url=mcp_url, mode=mode)
        finally:
            server.should_exit = True
            thread.join(10)


def run_driver(stack: TsStack, state_file: Path, *, allow_sign_in: bool, omit_resource: bool | None = None) -> dict[str, Any]:
    """One run of tests/node/oauth_client.mjs; its tokens live in `state_file` between runs."""
    node_dir = ensure_node_modules()
    config = state_file.with_suffix(".config.json")
    config.write_text(
        json.dumps(
            {
                "mcpUrl": stack.mcp_url,
                "clientId": defaults.DEV_PUBLIC_CLIENT_ID,
                "redirectUrl": REDIRECT_URL,
                "user": USER,
                "stateFile": str(state_file),
                "omitResource": stack.mode == "omit-resource" if omit_resource is None else omit_resource,
                "allowSignIn": allow_sign_in,
            }
        )
    )
    done = subprocess.run(
        ["node", "oauth_client.mjs", str(config)], cwd=node_dir, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def stored_tokens(state_file: Path) -> dict[str, Any]:
    tokens: dict[str, Any] = json.loads(state_file.read_text())["tokens"]
    return tokens


def test_the_typescript_client_signs_in_once_and_refreshes_after_expiry(ts_stack: TsStack, tmp_path: Path) -> None:
    state = tmp_path / "client-state.json"
    resource = None if ts_stack.mode == "omit-resource" else ts_stack.mcp_url
    ts_stack.clock.offset = 0.0

    first = run_driver(ts_stack, state, allow_sign_in=True)
    first_tokens = stored_tokens(state)

    # The client asked for exactly the 401's scope, which names offline_access, so it got a refresh token.
    # `prompt=consent` is the SDK's own addition whenever offline_access is requested (OIDC Core §11).
    assert first["signIns"] == [{"scope": f"{ts_stack.scopes} offline_access", "resource": resource, "prompt": "consent"}]
    assert first["tokenRequests"] == [{"grant_type": "authorization_code", "resource": resource}]
    assert (first["error"], first["tools"]) == (None, ["add", "subtract", "get_me"])
    assert first["add"] == {"isError": False, "structuredContent": {"result": 5}}
    assert sorted(first_tokens) == ["access_token", "expires_in", "issuer", "refresh_token", "scope", "token_type"]
    assert first_tokens["scope"] == ts_stack.scopes

    ts_stack.clock.advance(ACCESS_TOKEN_EXPIRED)
    second = run_driver(ts_stack, state, allow_sign_in=False)
    second_tokens = stored_tokens(state)

    # The server answered the expired token with 401; the SDK refreshed and retried: no sign-in.
    assert second["signIns"] == []
    assert second["tokenRequests"] == [{"grant_type": "refresh_token", "resource": resource}]
    assert (second["error"], second["tools"]) == (None, ["add", "subtract", "get_me"])
    assert second["add"] == {"isError": False, "structuredContent": {"result": 5}}
    assert second_tokens["access_token"] != first_tokens["access_token"]
    assert second_tokens["refresh_token"] != first_tokens["refresh_token"]  # rotated (RFC 9700 §4.14.2)


def test_after_the_refresh_token_lapses_the_new_sign_in_asks_for_offline_access_again(
    ts_stack: TsStack, tmp_path: Path
) -> None:
    state = tmp_path / "client-state.json"
    resource = None if ts_stack.mode == "omit-resource" else ts_stack.mcp_url
    ts_stack.clock.offset = 0.0
    run_driver(ts_stack, state, allow_sign_in=True)

    ts_stack.clock.advance(REFRESH_TOKEN_LIFETIME + 1)
    again = run_driver(ts_stack, state, allow_sign_in=True)

    # The expired token got 401 invalid_token, whose challenge carries the scope too; the refresh
    # was refused (AADSTS700082), and the sign-in that followed asked for offline_access again.
    assert again["signIns"] == [{"scope": f"{ts_stack.scopes} offline_access", "resource": resource, "prompt": "consent"}]
    assert again["tokenRequests"] == [
        {"grant_type": "refresh_token", "resource": resource},
        {"grant_type": "authorization_code", "resource": resource},
    ]
    assert (again["error"], again["tools"], again["add"]["structuredContent"]) == (None, ["add", "subtract", "get_me"], {"result": 5})
    assert "refresh_token" in stored_tokens(state)


# Only where the MCP URL is not the App ID URI: in the other mode the default resource is accepted (tested above).
@pytest.mark.parametrize("ts_stack", ["omit-resource"], indirect=True)
def test_the_sdk_default_resource_is_refused_when_it_is_no_identifier_uri(ts_stack: TsStack, tmp_path: Path) -> None:
    ts_stack.clock.offset = 0.0

    refused = run_driver(ts_stack, tmp_path / "client-state.json", allow_sign_in=True, omit_resource=False)

    # What Entra answers a resource that is not one of the API's identifier URIs, before any sign-in page.
    assert refused["signIns"] == [
        {"scope": f"{ts_stack.scopes} offline_access", "resource": ts_stack.mcp_url, "prompt": "consent"}
    ]
    assert refused["error"] == (
        'authorization endpoint refused: 302 {"error":"invalid_target","error_description":"AADSTS9010010: '
        "The resource parameter provided in the request doesn't match with the requested scopes.\"}"
    )
