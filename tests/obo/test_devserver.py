"""`python devserver.py --obo` as docs/downstream.md runs it: the client CLI signs a user in and calls
get_my_profile, which the server answers through devidp's OBO grant, authenticated by the managed-identity
stand-in with no secret configured."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.agent import Agent
from tests.client.run import cli
from tests.support import devserver_output


@pytest.fixture(scope="module")
def devserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    output = tmp_path_factory.mktemp("devserver-obo") / "devserver.log"
    with devserver_output("--obo", output, unset=("OAUTH_", "MCP_", "IDENTITY_", "OBO_")) as lines:
        yield lines


def banner_value(lines: list[str], pattern: str) -> str:
    return next(m.group(1) for line in lines if (m := re.match(pattern, line)))


def test_a_user_signs_in_with_the_cli_and_reads_their_profile(
    devserver: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    issuer = banner_value(devserver, r"Dev identity provider: (\S+)")
    mcp_url = banner_value(devserver, r"MCP server:  (\S+)")
    # What the banner tells the person to export, so the CLI trusts the provider's https certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", banner_value(devserver, r"  export REQUESTS_CA_BUNDLE=(\S+)"))
    env = {"MCP_URL": mcp_url, "MCP_CLIENT_ISSUER": issuer, "MCP_CLIENT_CACHE": str(tmp_path / "cache.json")}

    signed_in = cli(capsys, "login", env=env, open_url=Agent())
    tools = cli(capsys, "tools", env=env)
    profile = cli(capsys, "call", "get_my_profile", env=env)

    assert (signed_in.code, tools.code, profile.code) == (0, 0, 0), (signed_in, tools, profile)
    assert issuer.startswith("https://127.0.0.1:")
    assert "get_my_profile" in tools.out
    assert json.loads(profile.out) == {
        "id": "55555555-5555-4555-8555-555555555555",
        "display_name": "Dev User",
        "user_principal_name": "dev.user@contoso.test",
        "mail": "dev.user@contoso.test",
    }
