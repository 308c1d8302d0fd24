"""The CLI against the dev provider and the real MCP server: login, tools, calls, refresh after expiry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import requests

from client.cache import TokenCache
from client.mcp_calls import Unauthorized, list_tools
from devidp import defaults
from tests.support import remember_token
from tests.client.agent import Agent
from tests.client.conftest import ACCESS_TOKEN_LIFETIME, Stack
from tests.client.run import cli, stack_env

DEV_USER = {
    "client_id": defaults.DEV_PUBLIC_CLIENT_ID,
    "kind": "user",
    "parent_app_id": None,
    "name": "Dev User",
    "object_id": "55555555-5555-4555-8555-555555555555",
    "permissions": ["calculator.add", "calculator.subtract"],
    "tenant_id": defaults.DEV_TENANT_ID,
    "username": "dev.user@contoso.test",
}


def cached(cache_path: Path) -> dict[str, object]:
    (entry,) = json.loads(cache_path.read_text())["entries"].values()
    return entry  # type: ignore[no-any-return]


def login(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path, **env: str) -> None:
    result = cli(capsys, "login", env=stack_env(stack, cache_path, **env), now=stack.clock, open_url=Agent())
    assert result.code == 0, result.err
    assert result.out.startswith("signed in; Bearer access token expires in ")


def test_login_then_tools_calls_and_get_me(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    env = stack_env(stack, cache_path)
    login(capsys, stack, cache_path)

    tools = cli(capsys, "tools", env=env)
    added = cli(capsys, "call", "add", "2", "3", env=env)
    subtracted = cli(capsys, "call", "subtract", "5", "1", env=env)
    named = cli(capsys, "call", "subtract", "a=10", "b=2.5", env=env)
    me = cli(capsys, "me", env=env)

    assert (tools.code, [line.split("\t")[0] for line in tools.out.splitlines()]) == (0, ["add", "subtract", "get_me"])
    assert (added.code, added.out) == (0, "5\n")
    assert (subtracted.code, subtracted.out) == (0, "4\n")
    assert (named.code, named.out) == (0, "7.5\n")
    identity = json.loads(me.out)
    assert identity.pop("subject")  # pairwise; its value is the provider's business
    assert (me.code, identity) == (0, DEV_USER)


def test_legacy_handshake_mode(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    login(capsys, stack, cache_path)

    result = cli(capsys, "--legacy", "call", "add", "20", "22", env=stack_env(stack, cache_path))

    assert (result.code, result.out) == (0, "42\n")


def test_app_identity_by_client_credentials(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    env = stack_env(stack, cache_path)

    added = cli(capsys, "--app", "call", "add", "2", "3", env=env)
    me = cli(capsys, "me", "--app", env=env)

    assert (added.code, added.out) == (0, "5\n")
    identity = json.loads(me.out)
    sp = stack.idp.clients[defaults.DEV_APP_CLIENT_ID].service_principal_oid
    assert identity == {
        "client_id": defaults.DEV_APP_CLIENT_ID,
        "kind": "app",
        "parent_app_id": None,
        "name": None,
        "object_id": sp,
        "permissions": ["calculator.add", "calculator.subtract"],
        "subject": sp,
        "tenant_id": defaults.DEV_TENANT_ID,
        "username": None,
    }
    assert not cache_path.exists()  # app tokens are fetched per command, never cached


def test_an_agent_identity_by_client_credentials_is_an_autonomous_agent(
    capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path
) -> None:
    env = stack_env(stack, cache_path)
    agent = ("--app", "--client-id", defaults.DEV_AGENT_CLIENT_ID, "--client-secret", defaults.DEV_AGENT_CLIENT_SECRET)

    me = cli(capsys, *agent, "me", env=env)

    identity = json.loads(me.out)
    sp = stack.idp.clients[defaults.DEV_AGENT_CLIENT_ID].service_principal_oid
    assert me.code == 0
    assert identity == {
        "client_id": defaults.DEV_AGENT_CLIENT_ID,
        "kind": "autonomous_agent",
        "parent_app_id": defaults.DEV_AGENT_BLUEPRINT_ID,
        "name": None,
        "object_id": sp,
        "permissions": ["calculator.add", "calculator.subtract"],
        "subject": sp,
        "tenant_id": defaults.DEV_TENANT_ID,
        "username": None,
    }


def test_refresh_after_expiry_rotates_the_refresh_token(
    capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path
) -> None:
    # Sign in an hour in the past: the access token the provider issues is long expired.
    stack.clock.offset = -3600
    login(capsys, stack, cache_path)
    first = cached(cache_path)
    with pytest.raises(Unauthorized):  # the server agrees it is expired: 401
        asyncio.run(list_tools(stack.mcp_url, str(first["access_token"])))

    stack.clock.offset = 0  # now the client's clock, too, says the token has expired
    me = cli(capsys, "me", env=stack_env(stack, cache_path), now=stack.clock)

    assert me.code == 0, me.err
    assert json.loads(me.out)["username"] == "dev.user@contoso.test"
    second = cached(cache_path)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_at"] == pytest.approx(stack.clock() + ACCESS_TOKEN_LIFETIME, abs=30)
    # The client keeps the newest refresh token. The first one still works, as Entra's does: Entra
    # does not revoke a refresh token when it is used ("Refresh tokens in the Microsoft identity platform").
    replay = requests.post(
        stack.idp.token_endpoint,
        data={"grant_type": "refresh_token", "client_id": defaults.DEV_PUBLIC_CLIENT_ID, "refresh_token": first["refresh_token"]},
        timeout=10,
    )
    assert replay.status_code == 200 and replay.json()["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    remember_token(replay.json()["access_token"])
    remember_token(replay.json()["refresh_token"])


def test_a_refused_token_is_refreshed_once_and_the_call_retried(
    capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path
) -> None:
    # The provider's clock is an hour behind the client's: the client believes its token is
    # fresh, the server refuses it with 401, and the client refreshes once, as a gateway does.
    stack.clock.offset = -3600
    env = stack_env(stack, cache_path)
    assert cli(capsys, "login", env=env, open_url=Agent()).code == 0
    first = cached(cache_path)
    stack.clock.offset = 0

    result = cli(capsys, "call", "add", "1", "1", env=env)

    assert (result.code, result.out) == (0, "2\n")
    assert cached(cache_path)["refresh_token"] != first["refresh_token"]


def test_a_spent_sign_in_asks_for_login_again(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    login(capsys, stack, cache_path)
    entry = cached(cache_path)
    # The sign-in is revoked at the issuer (as `Revoke-MgUserSignInSession` does in Entra).
    issued = stack.idp.store.find_refresh(entry["refresh_token"])
    assert issued is not None
    stack.idp.store.revoke_family(issued.family)
    stack.clock.offset = 2 * ACCESS_TOKEN_LIFETIME

    result = cli(capsys, "tools", env=stack_env(stack, cache_path), now=stack.clock)

    assert result.code == 1
    assert result.err.endswith("run `python -m client login`\n")
    assert "AADSTS70000" in result.err
    assert json.loads(cache_path.read_text())["entries"] == {}


def test_a_missing_permission_is_a_403(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    env = stack_env(stack, cache_path, MCP_CLIENT_SCOPES=f"{stack.idp.scope('calculator.add')} offline_access")
    login(capsys, stack, cache_path, MCP_CLIENT_SCOPES=env["MCP_CLIENT_SCOPES"])

    tools = cli(capsys, "tools", env=env)
    refused = cli(capsys, "call", "subtract", "a=5", "b=1", env=env)

    assert [line.split("\t")[0] for line in tools.out.splitlines()] == ["add", "get_me"]
    assert refused.code == 1
    assert refused.err.splitlines()[-1] == (
        'error: the token lacks a permission (403): Bearer error="insufficient_scope", '
        f'scope="{stack.idp.scope("calculator.subtract")}", '
        f'resource_metadata="{stack.mcp_url.replace("/mcp", "")}/.well-known/oauth-protected-resource/mcp"'
    )


def test_not_signed_in(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    result = cli(capsys, "tools", env=stack_env(stack, cache_path))

    assert (result.code, result.out) == (1, "")
    assert result.err.endswith("error: not signed in: run `python -m client login` first\n")


def test_no_command_prints_a_token(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    env = stack_env(stack, cache_path)
    login(capsys, stack, cache_path)
    entry = cached(cache_path)
    outputs = [cli(capsys, *argv, env=env) for argv in (["token", "--claims"], ["me"], ["tools"], ["--app", "token", "--claims"])]

    assert all(r.code == 0 for r in outputs)
    for r in outputs:
        for secret in (entry["access_token"], entry["refresh_token"], defaults.DEV_APP_CLIENT_SECRET):
            assert str(secret) not in r.out + r.err
        assert "eyJ" not in r.out + r.err  # no JWT of any kind
    claims = json.loads(outputs[0].out.split("\n", 1)[1])
    assert (claims["scp"], claims["aud"]) == ("calculator.add calculator.subtract", defaults.DEV_API_CLIENT_ID)


def test_logout_forgets_the_tokens(capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path) -> None:
    env = stack_env(stack, cache_path)
    login(capsys, stack, cache_path)

    first = cli(capsys, "logout", env=env)
    second = cli(capsys, "logout", env=env)

    assert (first.code, first.out, second.out) == (0, "signed out\n", "was not signed in\n")
    assert TokenCache(cache_path).load("anything") is None


def test_only_the_mcp_url_is_needed_for_the_rest_comes_from_its_metadata(
    capsys: pytest.CaptureFixture[str], stack: Stack, cache_path: Path
) -> None:
    # RFC 9728: the server's protected resource metadata names the issuer and the scopes.
    env = {"MCP_URL": stack.mcp_url, "MCP_CLIENT_CACHE": str(cache_path)}

    signed_in = cli(capsys, "login", env=env, open_url=Agent())
    me = cli(capsys, "me", env=env)
    as_app = cli(capsys, "--app", "call", "subtract", "9", "4", env=env)

    assert signed_in.code == 0, signed_in.err
    assert f"(local development provider at {stack.idp.issuer}; see devserver.py)" in signed_in.err
    api = f"api://{defaults.DEV_API_CLIENT_ID}"
    assert f"scope: {api}/calculator.add {api}/calculator.subtract; refresh token: yes" in signed_in.out
    assert (me.code, json.loads(me.out)["username"]) == (0, "dev.user@contoso.test")
    assert (as_app.code, as_app.out) == (0, "5\n")
