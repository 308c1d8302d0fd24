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
#: The SDK's prefix on a ToolError's text (mcp.server.mcpserver.tools.base).
ERROR = "Error executing tool get_my_profile: "
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


@pytest.mark.parametrize("mode", MODES)
def test_an_app_caller_gets_a_tool_error_because_on_behalf_of_has_no_user(obo_stack: OboStack, mode: str):
    token = remember_token(obo_stack.idp.mint_app_token())

    result = call(obo_stack, token, mode)

    assert result.is_error is True
    assert [block.text for block in result.content] == [
        f"{ERROR}this tool acts on behalf of a signed-in user, and the caller acts for itself (an application's "
        "client credentials, or an autonomous agent): on-behalf-of has no user to act for. Call it with a user's token."
    ]


def test_missing_consent_becomes_a_url_elicitation_and_the_retry_succeeds(obo_stack: OboStack):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    downstream.consent_required = True
    person = Person(obo_stack)

    result = call(obo_stack, user_token(obo_stack), "auto", person)

    assert (result.is_error, result.structured_content) == (False, DEV_USER)
    assert [(p.mode, p.url, p.message) for p in person.asked] == [
        (
            "url",
            expected_url(obo_stack, consent=True),
            "Open this page, sign in, and approve the permissions this server needs to read your profile. (AADSTS65001)",
        )
    ]
    assert person.landed[0].startswith(f"{obo_stack.idp.done_url}?code=")


@pytest.mark.parametrize("code", [50076, 53003])
def test_conditional_access_becomes_the_authorize_url_with_claims_and_the_retry_succeeds(obo_stack: OboStack, code: int):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    downstream.conditional_access = code  # type: ignore[assignment]
    person = Person(obo_stack)

    result = call(obo_stack, user_token(obo_stack), "auto", person)

    assert (result.is_error, result.structured_content) == (False, DEV_USER)
    assert [(p.url, p.message) for p in person.asked] == [
        (
            expected_url(obo_stack, claims=downstream.conditional_access_claims),
            "Open this page and complete the extra sign-in step your organization requires (for example MFA). "
            f"(AADSTS{code})",
        )
    ]


def test_a_claims_challenge_from_the_api_drops_the_cached_token_and_the_retry_succeeds(obo_stack: OboStack):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    token = user_token(obo_stack)
    first = call(obo_stack, token, "auto")
    obo_stack.clock.advance(5)  # a critical event after the cached downstream token was issued
    downstream.claims_challenge()
    person = Person(obo_stack)

    second = call(obo_stack, token, "auto", person)

    assert (first.structured_content, second.is_error, second.structured_content) == (DEV_USER, False, DEV_USER)
    claims = downstream.event_claims()
    assert claims is not None and '"nbf"' in claims
    assert [(p.url, p.message) for p in person.asked] == [
        (
            expected_url(obo_stack, claims=claims),
            "Open this page and sign in again: the profile service asks for a fresh sign-in. (insufficient_claims)",
        )
    ]


def test_on_a_handshake_revision_the_challenge_is_a_tool_error_with_the_url_and_what_to_do(obo_stack: OboStack):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    downstream.consent_required = True
    token = user_token(obo_stack)

    refused = call(obo_stack, token, "legacy")
    Browser().sign_in(expected_url(obo_stack, consent=True), obo_stack.idp.done_url)  # the person follows the text
    retried = call(obo_stack, token, "legacy")

    assert refused.is_error is True
    assert [block.text for block in refused.content] == [
        f"{ERROR}Open this page, sign in, and approve the permissions this server needs to read your profile: "
        f"{expected_url(obo_stack, consent=True)} Then call get_my_profile again. (AADSTS65001)"
    ]
    assert (retried.is_error, retried.structured_content) == (False, DEV_USER)


def test_a_client_without_url_elicitation_gets_the_tool_error_on_2026_07_28_too(obo_stack: OboStack):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    downstream.consent_required = True

    result = call(obo_stack, user_token(obo_stack), "auto")  # no elicitation callback: no capability declared

    assert result.is_error is True
    assert expected_url(obo_stack, consent=True) in result.content[0].text


@pytest.mark.parametrize("action", ["decline", "cancel"])
def test_a_declined_elicitation_is_a_tool_error_and_nothing_is_exchanged(obo_stack: OboStack, action: str):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    downstream.consent_required = True
    person = Person(obo_stack, action=action)

    result = call(obo_stack, user_token(obo_stack), "auto", person)

    assert result.is_error is True
    assert [block.text for block in result.content] == [
        f"{ERROR}The sign-in step was not completed ({action}), so the profile was not read."
    ]
    assert len(person.asked) == 1


def test_a_person_who_denies_consent_is_asked_again_then_told_the_url(obo_stack: OboStack):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    downstream.consent_required = True
    person = Person(obo_stack, decision="deny")  # says "done" to the client, but denied on the page

    result = call(obo_stack, user_token(obo_stack), "auto", person)

    assert len(person.asked) == 3
    assert result.is_error is True
    assert [block.text for block in result.content] == [
        f"{ERROR}Open this page, sign in, and approve the permissions this server needs to read your profile "
        f"(the earlier attempts did not complete it): {expected_url(obo_stack, consent=True)} "
        "Then call get_my_profile again. (AADSTS65001)"
    ]


def test_a_second_call_is_answered_from_the_cache_and_another_user_is_not(obo_stack: OboStack):
    downstream = obo_stack.idp.downstream
    assert downstream is not None
    first = call(obo_stack, user_token(obo_stack), "legacy")
    downstream.consent_required = True  # from now on only a cached token can succeed

    again = call(obo_stack, user_token(obo_stack), "legacy")  # a new token of the same user, same client
    other = call(obo_stack, user_token(obo_stack, "second.user@contoso.test"), "legacy")

    assert (first.structured_content, again.structured_content) == (DEV_USER, DEV_USER)
    assert other.is_error is True and "(AADSTS65001)" in other.content[0].text


def test_an_unreachable_managed_identity_endpoint_is_a_short_tool_error(obo_stack: OboStack, monkeypatch: pytest.MonkeyPatch):
    from auth import Settings
    from obo.cache import CacheKey
    from obo.exchange import ExchangeUnavailable, OnBehalfOf
    from obo.settings import OboSettings
    from tests.support import free_port

    settings = OboSettings.from_env(obo_stack.env, Settings.from_env(obo_stack.env))
    assert settings is not None
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"https://127.0.0.1:{free_port()}/msi/token")
    key = CacheKey(tenant_id=obo_stack.idp.tenant_id, user="someone", client_id=None, scopes=settings.scopes)

    with pytest.raises(ExchangeUnavailable) as caught:
        OnBehalfOf(settings).token(key, user_token(obo_stack))

    assert caught.value.reason == "managed_identity"


def test_a_cached_token_the_api_refuses_is_dropped_and_the_next_call_exchanges_again(obo_stack: OboStack):
    import time

    import jwt as pyjwt

    from devidp import SigningKey
    from obo.cache import CacheKey

    user = obo_stack.idp.users["dev.user@contoso.test"]
    key = CacheKey(
        tenant_id=obo_stack.idp.tenant_id,
        user=user.oid,
        client_id=defaults.DEV_PUBLIC_CLIENT_ID,
        scopes=("https://graph.microsoft.com/User.Read",),
    )
    forged = pyjwt.encode({"aud": "https://graph.microsoft.com", "exp": int(time.time()) + 3600}, SigningKey().private_key, "RS256")
    obo_stack.exchange.cache.put(key, remember_token(forged), time.time() + 3600)

    refused = call(obo_stack, user_token(obo_stack), "legacy")
    again = call(obo_stack, user_token(obo_stack), "legacy")

    assert [block.text for block in refused.content] == [f"{ERROR}The profile service did not answer with a profile (status_401)."]
    assert (again.is_error, again.structured_content) == (False, DEV_USER)
