"""get_my_profile end to end: the official MCP Python client, the server, devidp's OBO grant and /me."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ElicitRequestURLParams, ElicitResult, ErrorData

from devidp import defaults
from tests.front.browser import Browser
from tests.support import remember_token

from .conftest import OboStack

MODES = {"auto": "2026-07-28", "legacy": "2025-11-25"}
DEV_USER = {
    "id": "55555555-5555-4555-8555-555555555555",
    "display_name": "Dev User",
    "user_principal_name": "dev.user@contoso.test",
    "mail": "dev.user@contoso.test",
}


@asynccontextmanager
async def client_for(stack: OboStack, token: str, mode: str, on_url: Any = None) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with Client(
            streamable_http_client(stack.mcp_url, http_client=http),  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            elicitation_callback=on_url,
        ) as client:
            yield client


def user_token(stack: OboStack, user: str = "dev.user@contoso.test") -> str:
    return remember_token(stack.idp.mint_user_token(user=user))


def call(stack: OboStack, token: str, mode: str, on_url: Any = None) -> Any:
    async def session() -> Any:
        async with client_for(stack, token, mode, on_url) as client:
            return await client.call_tool("get_my_profile", {})

    return asyncio.run(session())


def expected_url(stack: OboStack, *, consent: bool = False, claims: str | None = None) -> str:
    query = {
        "client_id": defaults.DEV_API_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": stack.idp.done_url,
        "response_mode": "query",
        "scope": "https://graph.microsoft.com/User.Read",
    }
    if consent:
        query["prompt"] = "consent"
    if claims is not None:
        query["claims"] = claims
    return f"{stack.idp.authorization_endpoint}?{urlencode(query)}"


class Person:
    """The MCP client's URL-elicitation handler: a person opens the page in a headless browser and approves."""

    def __init__(self, stack: OboStack, decision: str = "approve", action: str = "accept") -> None:
        self.stack = stack
        self.decision = decision
        self.action = action
        self.asked: list[ElicitRequestURLParams] = []
        self.landed: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult | ErrorData:
        assert isinstance(params, ElicitRequestURLParams)
        self.asked.append(params)
        if self.action == "accept":
            browser = Browser()
            landed = await asyncio.to_thread(
                browser.sign_in, params.url, self.stack.idp.done_url, decisions=(self.decision,)
            )
            self.landed.append(landed)
        return ElicitResult(action=self.action)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
def test_a_user_reads_their_profile_through_on_behalf_of(obo_stack: OboStack, mode: str):
    async def session() -> tuple[list[str], Any]:
        async with client_for(obo_stack, user_token(obo_stack), mode) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            return tools, await client.call_tool("get_my_profile", {})

    tools, result = asyncio.run(session())

    assert tools == ["add", "subtract", "get_me", "get_my_profile"]
    assert (result.is_error, result.structured_content) == (False, DEV_USER)
