"""The shipped local.settings examples configure the server right for the provider they are named for.

An example is copied as it is, so what it leaves out matters as much as what it sets:
an Okta user who copied Entra-only values would serve Entra's metadata and advertise
`api://…` scopes. Each example's `Values` go through `Settings.from_env` and the real
app, and the advertised scopes and metadata URL are checked.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from auth import Settings
from edge import build_asgi_app
from tests.support import MCP_HEADERS, REPO, list_tools

ENTRA_TENANT = "00000000-0000-0000-0000-000000000000"
ENTRA_API = "11111111-1111-1111-1111-111111111111"
OKTA_ISSUER = "https://contoso.okta.com/oauth2/aus0000000000000000"
#: Settings that only make sense for Entra; docs/okta.md says to leave them unset elsewhere.
ENTRA_ONLY = {"OAUTH_APP_ID_URI", "OAUTH_SCOPE_PREFIX", "OAUTH_METADATA_URL"}
PRM_URL = "http://localhost:7071/.well-known/oauth-protected-resource/mcp"

EXAMPLES = {
    "local.settings.json.example": {
        "metadata_url": f"https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0/.well-known/openid-configuration",
        "scopes": [f"api://{ENTRA_API}/calculator.add", f"api://{ENTRA_API}/calculator.subtract"],
        "issuer": f"https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0",
    },
    "local.settings.okta.json.example": {
        "metadata_url": f"{OKTA_ISSUER}/.well-known/oauth-authorization-server",
        "scopes": ["calculator.add", "calculator.subtract"],
        "issuer": OKTA_ISSUER,
    },
}


def example_values(name: str) -> dict[str, str]:
    document = json.loads(Path(REPO, name).read_text())
    values: dict[str, str] = document["Values"]
    return values


def advertised(settings: Settings) -> tuple[dict, httpx.Response]:
    """The protected resource metadata and the no-token 401, from the real app over ASGI."""

    async def ask() -> tuple[dict, httpx.Response]:
        transport = httpx.ASGITransport(app=build_asgi_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:7071") as client:
            document = (await client.get("/.well-known/oauth-protected-resource/mcp")).json()
            refused = await client.post("/mcp", json=list_tools(), headers=MCP_HEADERS)
            return document, refused

    return asyncio.run(ask())


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_advertises_its_providers_scopes_and_metadata(name: str):
    expected = EXAMPLES[name]
    settings = Settings.from_env(example_values(name))

    document, refused = advertised(settings)

    assert settings.metadata_url == expected["metadata_url"]
    assert document == {
        "resource": "http://localhost:7071/mcp",
        "authorization_servers": [expected["issuer"]],
        "scopes_supported": expected["scopes"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Calculator MCP server",
    }
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{PRM_URL}", scope="{" ".join(expected["scopes"])} offline_access"'
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_example_hard_codes_what_the_code_derives_or_needs_a_storage_emulator(name: str):
    values = example_values(name)

    # Entra's App ID URI, scope prefix and metadata URL follow from OAUTH_ISSUER and OAUTH_AUDIENCE
    # (auth/settings.py); written out, they would be wrong for anyone who changes only those.
    assert ENTRA_ONLY & set(values) == set()
    # An HTTP-trigger-only app needs no AzureWebJobsStorage locally; UseDevelopmentStorage=true would need Azurite.
    assert values["AzureWebJobsStorage"] == ""
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"


def test_both_examples_are_left_out_of_the_published_package():
    ignored = Path(REPO, ".funcignore").read_text().splitlines()

    assert "local.settings*.json.example" in ignored
