"""End to end, multi-tenant: `uvicorn function_app:asgi_app` with OAUTH_ALLOWED_TENANTS=[A], the local
identity provider serving tenants A and B, and the client CLI (`python -m client`) in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devidp import DevIdentityProvider, defaults
from tests.client.agent import Agent
from tests.client.run import cli
from tests.support import REPO, UvicornServer, uvicorn_server

TENANT_A = defaults.DEV_TENANT_ID
TENANT_B = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
API = defaults.DEV_API_CLIENT_ID


@pytest.fixture(scope="module")
def idp() -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider(other_tenant_ids=[TENANT_B]) as provider:
        yield provider


@pytest.fixture(scope="module")
def server(idp: DevIdentityProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UvicornServer]:
    env = {
        "OAUTH_ISSUER": idp.organizations_issuer,
        "OAUTH_AUDIENCE": API,
        "OAUTH_JWKS_URI": idp.common_jwks_uri,
        "OAUTH_ALLOWED_TENANTS": TENANT_A,
    }
    with uvicorn_server(env, str(tmp_path_factory.mktemp("uvicorn-multi-tenant"))) as running:
        yield running


def client_cli(server: UvicornServer, idp: DevIdentityProvider, tenant: str, cache: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m client --app ...` as a user would run it, signing in at one tenant's authority."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "OAUTH_"))},
        "MCP_URL": f"{server.url}/mcp",
        "MCP_CLIENT_ISSUER": idp.issuer_of(tenant),
        "MCP_CLIENT_ID": defaults.DEV_APP_CLIENT_ID,
        "MCP_CLIENT_SECRET": defaults.DEV_APP_CLIENT_SECRET,
        "MCP_CLIENT_APP_SCOPES": f"api://{API}/.default",
        "MCP_CLIENT_CACHE": str(cache),
    }
    return subprocess.run(
        [sys.executable, "-m", "client", "--app", *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_listed_tenant_is_served_and_get_me_names_it(server: UvicornServer, idp: DevIdentityProvider, tmp_path: Path):
    added = client_cli(server, idp, TENANT_A, tmp_path / "tokens.json", "call", "add", "2", "3")
    me = client_cli(server, idp, TENANT_A, tmp_path / "tokens.json", "me")

    assert (added.returncode, added.stdout) == (0, "5\n"), added.stderr
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout) == {
        "kind": "app",
        "subject": idp.clients[defaults.DEV_APP_CLIENT_ID].service_principal_oid,
        "object_id": idp.clients[defaults.DEV_APP_CLIENT_ID].service_principal_oid,
        "tenant_id": TENANT_A,
        "client_id": defaults.DEV_APP_CLIENT_ID,
        "name": None,
        "username": None,
        "permissions": ["calculator.add", "calculator.subtract"],
        "parent_app_id": None,
    }


def test_a_tenant_not_on_the_list_is_refused(server: UvicornServer, idp: DevIdentityProvider, tmp_path: Path):
    result = client_cli(server, idp, TENANT_B, tmp_path / "tokens.json", "call", "add", "2", "3")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        'error: the server refused the token (401): Bearer error="invalid_token", error_description="The access '
        f'token is invalid", resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp", '
        f'scope="api://{API}/calculator.add api://{API}/calculator.subtract offline_access"\n'
    )
    with open(server.output) as log:
        refusals = [line for line in log if "auth failure" in line]
    assert len(refusals) == 1 and " reason=tenant_not_allowed " in refusals[0]


def test_the_start_up_log_names_the_listed_tenants(server: UvicornServer):
    with open(server.output) as log:
        lines = log.read().splitlines()

    assert f"INFO auth.startup multi-tenant: tokens are accepted from the listed tenants {TENANT_A}" in lines


def test_a_user_signs_in_from_the_mcp_url_alone(server: UvicornServer, idp: DevIdentityProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # Discovery goes through the server's own origin (its RFC 9728 document names it), whose metadata
    # carries a concrete issuer and the provider's `organizations` endpoints; the user lives in tenant A.
    env = {"MCP_URL": f"{server.url}/mcp", "MCP_CLIENT_ID": defaults.DEV_PUBLIC_CLIENT_ID, "MCP_CLIENT_CACHE": str(tmp_path / "tokens.json")}
    agent = Agent()

    login = cli(capsys, "login", env=env, open_url=agent)
    me = cli(capsys, "me", env=env)

    assert login.code == 0, login.err
    (sign_in_url,) = agent.visited
    assert server_origin_metadata(server)["authorization_endpoint"] == f"{idp.url}/organizations/oauth2/v2.0/authorize"
    assert sign_in_url.startswith(f"{idp.url}/organizations/oauth2/v2.0/authorize?")
    assert me.code == 0, me.err
    assert json.loads(me.out)["tenant_id"] == TENANT_A


def server_origin_metadata(server: UvicornServer) -> dict[str, str]:
    document: dict[str, str] = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=10).json()
    assert document["issuer"] == server.url
    return document
