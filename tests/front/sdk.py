"""The official MCP Python SDK client with its OAuth provider, defaults untouched, and a headless person."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import anyio.to_thread
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from tests.support import remember_token

from .browser import Browser
from .conftest import REDIRECT_URI


def remember_sealed(value: str) -> str:
    """Register a sealed value (no dots) with the log audit, which scans the segments after a token's first dot."""
    remember_token(f"sealed.{value}")
    return value


class MemoryStorage:
    """TokenStorage kept in memory; every token it sees is registered with the log audit."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        remember_token(tokens.access_token)
        if tokens.refresh_token:
            remember_sealed(tokens.refresh_token)
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        remember_sealed(client_info.client_id)
        self.client_info = client_info


@dataclass
class Person:
    """Answers the SDK's redirect and callback handlers by driving the headless browser."""

    browser: Browser = field(default_factory=Browser)
    #: Rewrites the authorization URL before it is opened (a test narrows the scope with it).
    rewrite: Callable[[str], str] | None = None
    authorization_urls: list[str] = field(default_factory=list)
    landed: str | None = None

    async def redirect_handler(self, url: str) -> None:
        self.authorization_urls.append(url)
        if self.rewrite is not None:
            url = self.rewrite(url)
        self.landed = await anyio.to_thread.run_sync(lambda: self.browser.sign_in(url, REDIRECT_URI))

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.landed is not None
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.landed).query).items()}
        if "code" not in query:
            raise AssertionError(f"no code: {query}")
        remember_sealed(query["code"])
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


def only_scope(scope: str) -> Callable[[str], str]:
    """A rewrite that asks for `scope` (plus offline_access) instead of what the client asked for."""

    def rewrite(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["scope"] = f"{scope} offline_access"
        return urlunsplit(parts._replace(query=urlencode(query)))

    return rewrite


def oauth_provider(mcp_url: str, person: Person, storage: MemoryStorage, *, client_metadata_url: str | None = None) -> OAuthClientProvider:
    metadata = OAuthClientMetadata(
        client_name="Python SDK test client",
        redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=person.redirect_handler,
        callback_handler=person.callback_handler,
        client_metadata_url=client_metadata_url,
    )


class Session:
    """An MCP client session over an httpx2 client that carries the OAuth provider; records the requests."""

    def __init__(self, mcp_url: str, provider: OAuthClientProvider) -> None:
        self.mcp_url = mcp_url
        self.provider = provider
        self.requests: list[tuple[str, str]] = []
        self._stack: Any = None

    async def __aenter__(self) -> Any:
        import contextlib

        import httpx2
        from mcp.client import Client
        from mcp.client.streamable_http import streamable_http_client

        async def record(request: Any) -> None:
            self.requests.append((request.method, urlsplit(str(request.url)).path))

        self._stack = contextlib.AsyncExitStack()
        http = await self._stack.enter_async_context(
            httpx2.AsyncClient(auth=self.provider, timeout=30, event_hooks={"request": [record]})
        )
        return await self._stack.enter_async_context(Client(streamable_http_client(self.mcp_url, http_client=http)))

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.__aexit__(*exc)


def sign_in_list_and_add(
    mcp_url: str, person: Person, storage: MemoryStorage, client_metadata_url: str | None = None
) -> tuple[list[str], object, Session]:
    """A fresh session: sign in (on the first 401), list the tools and call add."""
    session = Session(mcp_url, oauth_provider(mcp_url, person, storage, client_metadata_url=client_metadata_url))

    async def run() -> tuple[list[str], object]:
        async with session as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            return tools, await client.call_tool("add", {"a": 2, "b": 3})

    tools, added = asyncio.run(run())
    return tools, added, session
