"""The MCP URL as the App ID URI, end to end with the official MCP Python SDK client and its OAuth defaults.

`mcp.client.auth.OAuthClientProvider` discovers everything from the MCP URL and sends RFC 8707
`resource` = that URL. The local identity provider refuses a `resource` that is not an identifier
URI of the API, as Entra does (AADSTS9010010), so the sign-in works only when the API's App ID URI
is the MCP URL. The browser step is driven headlessly: consent page, approve, read the redirect.

Two server configurations:
- single-tenant: the provider's issuer, matched exactly; v2 tokens (`aud` = client id).
- multi-tenant: OAUTH_ALLOWED_TENANTS with the provider's `organizations` authority, whose metadata has
  a templated issuer; the server advertises its own origin and serves a concrete issuer there. v1 tokens,
  whose `aud` is the App ID URI = the MCP URL.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import requests
from mcp.client import Client
from mcp.client.auth import OAuthClientProvider, OAuthFlowError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from devidp import DevIdentityProvider, defaults
from edge import build_asgi_app
from auth import Settings
from tests.support import serve_on

REDIRECT_URI = "http://127.0.0.1:53682/"
_TICKET = re.compile(r'name="ticket" value="([^"]+)"')


class MemoryStorage:
    """The SDK's TokenStorage, holding a pre-registered public client (Entra has no dynamic registration)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client = OAuthClientInformationFull(
            client_id=defaults.DEV_PUBLIC_CLIENT_ID,
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"],
        )

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class HeadlessBrowser:
    """The user's browser: open the sign-in URL, approve on the consent page, hand the redirect back."""

    def __init__(self) -> None:
        self.authorize_urls: list[str] = []
        self.redirect: dict[str, str] = {}
        self.refusal: dict[str, str] = {}

    async def open(self, url: str) -> None:
        self.authorize_urls.append(url)
        await asyncio.to_thread(self._sign_in, url)

    def _sign_in(self, url: str) -> None:
        page = requests.get(url, allow_redirects=False, timeout=10)
        if page.status_code != 200:  # the provider refused the request (e.g. invalid_target)
            self.refusal = _query(page.headers.get("location", "")) or page.json()
            return
        ticket = _TICKET.search(page.text)
        assert ticket is not None, page.text
        decided = requests.post(
            url.split("?", 1)[0],
            data={"ticket": ticket.group(1), "decision": "approve", "user": "dev.user@contoso.test"},
            allow_redirects=False,
            timeout=10,
        )
        assert decided.status_code == 302, decided.text
        self.redirect = _query(decided.headers["location"])

    async def callback(self) -> AuthorizationCodeResult:
        if "code" not in self.redirect:
            raise OAuthFlowError(f"sign-in refused: {self.refusal}")
        return AuthorizationCodeResult(code=self.redirect["code"], state=self.redirect.get("state"))


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sign_in_and_call(mcp_url: str, browser: HeadlessBrowser | None = None) -> tuple[HeadlessBrowser, MemoryStorage, list[str], Any, Any]:
    browser, storage = browser or HeadlessBrowser(), MemoryStorage()
    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(redirect_uris=[REDIRECT_URI]),  # type: ignore[list-item]
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )

    async def session() -> tuple[list[str], Any, Any]:
        async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
            async with Client(streamable_http_client(mcp_url, http_client=http)) as client:  # type: ignore[arg-type]
                tools = [tool.name for tool in (await client.list_tools()).tools]
                return tools, await client.call_tool("add", {"a": 2, "b": 3}), await client.call_tool("get_me", {})

    tools, added, me = asyncio.run(session())
    return browser, storage, tools, added, me


@pytest.fixture
def mcp_socket() -> Iterator[tuple[socket.socket, str]]:
    """The server's port is chosen first, so the provider can register the MCP URL as an identifier URI."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    sock.close()


def settings_for(idp: DevIdentityProvider, mcp_url: str, tenancy: str) -> Settings:
    env = {"OAUTH_AUDIENCE": defaults.DEV_API_CLIENT_ID, "OAUTH_APP_ID_URI": f"{mcp_url},api://{defaults.DEV_API_CLIENT_ID}"}
    if tenancy == "single-tenant":
        env |= {"OAUTH_ISSUER": idp.issuer, "OAUTH_JWKS_URI": idp.jwks_uri, "OAUTH_SCOPE_PREFIX": f"{mcp_url}/"}
    else:
        env |= {"OAUTH_ISSUER": idp.organizations_issuer, "OAUTH_JWKS_URI": idp.common_jwks_uri, "OAUTH_ALLOWED_TENANTS": idp.tenant_id}
    return Settings.from_env(env)


@pytest.mark.parametrize(("tenancy", "version"), [("single-tenant", 2), ("multi-tenant", 1)])
def test_the_sdk_client_signs_in_with_resource_equal_to_the_app_id_uri(mcp_socket, tenancy: str, version: int):
    sock, mcp_url = mcp_socket
    with DevIdentityProvider(app_id_uri=mcp_url, access_token_version=version) as idp:  # type: ignore[arg-type]
        with serve_on(build_asgi_app(settings_for(idp, mcp_url, tenancy)), sock):
            browser, storage, tools, added, me = sign_in_and_call(mcp_url)

    (authorize_url,) = browser.authorize_urls
    asked = _query(authorize_url)
    assert asked["resource"] == mcp_url  # RFC 8707, the SDK's default
    assert asked["scope"] == f"{mcp_url}/calculator.add {mcp_url}/calculator.subtract offline_access"
    expected_authority = idp.url + ("/organizations" if tenancy == "multi-tenant" else f"/{idp.tenant_id}")
    assert authorize_url.startswith(f"{expected_authority}/oauth2/v2.0/authorize?")
    assert storage.tokens is not None and storage.tokens.token_type == "Bearer"
    assert tools == ["add", "subtract", "get_me"]
    assert (added.is_error, added.structured_content) == (False, {"result": 5})
    assert (me.structured_content["kind"], me.structured_content["tenant_id"]) == ("user", idp.tenant_id)


def test_without_the_mcp_url_as_an_identifier_uri_the_provider_refuses_the_resource(mcp_socket):
    sock, mcp_url = mcp_socket
    with DevIdentityProvider() as idp:  # identifier URI api://{client id} only
        settings = Settings.from_env(
            {"OAUTH_ISSUER": idp.issuer, "OAUTH_AUDIENCE": defaults.DEV_API_CLIENT_ID, "OAUTH_JWKS_URI": idp.jwks_uri,
             "OAUTH_SCOPE_PREFIX": f"{idp.app_id_uri}/"}
        )
        browser = HeadlessBrowser()
        with serve_on(build_asgi_app(settings), sock):
            with pytest.raises(ExceptionGroup) as failed:
                sign_in_and_call(mcp_url, browser)

    assert [type(e) for e in failed.value.exceptions] == [OAuthFlowError]
    assert _query(browser.authorize_urls[0])["resource"] == mcp_url
    assert {k: v for k, v in browser.refusal.items() if k != "state"} == {
        "error": "invalid_target",
        "error_description": "AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes.",
    }
