"""The official MCP Python SDK client signs in through the front with its defaults (it sends `resource`):
once with a client metadata document (CIMD), once by registering (DCR). Then tools, a refresh after
the token expires (on a moved clock, not a slept one), and a 403 step-up.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
import jwt
import mcp.client.auth.oauth2
import mcp.shared.auth_utils
import pytest

from tests.support import MCP_HEADERS, list_tools

from .conftest import REDIRECT_URI, DocumentServer, FrontStack
from .sdk import MemoryStorage, Person, Session, oauth_provider, only_scope, sign_in_list_and_add


def claims_of(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def test_dcr_sign_in_lists_tools_and_calls_add(front_stack: FrontStack) -> None:
    person, storage = Person(), MemoryStorage()

    tools, added, session = sign_in_list_and_add(front_stack.mcp_url, person, storage)

    assert tools == ["add", "subtract", "get_me"]
    assert (added.is_error, added.structured_content) == (False, {"result": 5})  # type: ignore[attr-defined]
    assert ("POST", "/oauth/register") in session.requests
    assert storage.client_info is not None and storage.client_info.client_id.startswith("gAAAAA")
    # The client sent RFC 8707 `resource`; the front kept it away from the issuer.
    authorize = person.authorization_urls[0]
    assert f"resource={front_stack.mcp_url.replace(':', '%3A').replace('/', '%2F')}" in authorize
    upstream = next(p for p in person.browser.pages if p.request.url.path.endswith("/oauth2/v2.0/authorize"))
    assert "resource" not in upstream.request.url.params
    assert upstream.request.url.params["scope"] == (
        f"{front_stack.idp.scope('calculator.add')} {front_stack.idp.scope('calculator.subtract')} offline_access"
    )
    # The access token is the issuer's own, unchanged: its issuer and audience are the identity provider's.
    assert storage.tokens is not None
    claims = claims_of(storage.tokens.access_token)
    assert (claims["iss"], claims["aud"]) == (front_stack.idp.issuer, front_stack.env["OAUTH_AUDIENCE"])
    assert claims["azp"] == front_stack.env["OAUTH_FRONT_CLIENT_ID"]


def test_cimd_sign_in_uses_the_document_url_as_client_id(front_stack: FrontStack, trust_documents: DocumentServer) -> None:
    url = trust_documents.publish(
        "/clients/python-sdk.json",
        {"client_id": trust_documents.url + "/clients/python-sdk.json", "client_name": "Python SDK (CIMD)",
         "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none",
         "grant_types": ["authorization_code", "refresh_token"]},
    )
    person, storage = Person(), MemoryStorage()

    tools, added, session = sign_in_list_and_add(front_stack.mcp_url, person, storage, client_metadata_url=url)

    assert tools == ["add", "subtract", "get_me"]
    assert (added.is_error, added.structured_content) == (False, {"result": 5})  # type: ignore[attr-defined]
    assert ("POST", "/oauth/register") not in session.requests
    assert storage.client_info is not None and storage.client_info.client_id == url
    consent = next(p for p in person.browser.pages if p.request.url.path == "/oauth/authorize")
    assert "Python SDK (CIMD)" in consent.text and '<span class="badge verified">&#10003; Verified</span>' in consent.text
    assert trust_documents.hits["/clients/python-sdk.json"] == 1


def test_an_expired_access_token_is_renewed_with_the_refresh_grant(front_stack: FrontStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # The identity provider, the server and the client all read front_stack.clock: moving it past the
    # token's 8 s of life and the server's 60 s leeway expires the token everywhere at once.
    front_stack.idp.access_token_lifetime = 8
    # The SDK judges its token's expiry by `time.time()` (OAuthContext.is_token_valid, and
    # calculate_token_expiry when the token arrives); it reads the same clock.
    shared_clock = SimpleNamespace(time=front_stack.clock)
    monkeypatch.setattr(mcp.client.auth.oauth2, "time", shared_clock)
    monkeypatch.setattr(mcp.shared.auth_utils, "time", shared_clock)
    person, storage = Person(), MemoryStorage()
    session = Session(front_stack.mcp_url, oauth_provider(front_stack.mcp_url, person, storage))

    async def run() -> tuple[object, str, int, object, list[tuple[str, str]]]:
        async with session as client:
            await client.list_tools()
            assert storage.tokens is not None
            first = storage.tokens.access_token
            expires = int(claims_of(first)["exp"]) + 60  # type: ignore[call-overload]
            front_stack.clock.advance(expires - front_stack.clock() + 1.0)  # expired, server leeway included
            refused = httpx.post(front_stack.mcp_url, json=list_tools(), headers={**MCP_HEADERS, "Authorization": f"Bearer {first}"})
            before = len(session.requests)
            added = await client.call_tool("add", {"a": 2, "b": 3})
            return refused, first, before, added, session.requests

    refused, first, before, added, requests = asyncio.run(run())

    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert (added.is_error, added.structured_content) == (False, {"result": 5})  # type: ignore[attr-defined]
    assert storage.tokens is not None and storage.tokens.access_token != first
    assert requests[before] == ("POST", "/oauth/token")  # the refresh, before the call
    assert len(person.authorization_urls) == 1  # no second sign-in


def test_a_403_step_up_signs_in_again_for_the_missing_scope(front_stack: FrontStack) -> None:
    # The first sign-in grants only calculator.add (the browser narrows the request).
    person, storage = Person(rewrite=only_scope(front_stack.idp.scope("calculator.add"))), MemoryStorage()
    session = Session(front_stack.mcp_url, oauth_provider(front_stack.mcp_url, person, storage))

    async def run() -> tuple[list[str], object, list[str]]:
        async with session as client:
            first_tools = [tool.name for tool in (await client.list_tools()).tools]
            person.rewrite = None
            subtracted = await client.call_tool("subtract", {"a": 5, "b": 1})
            assert storage.tokens is not None
            return first_tools, subtracted, str(claims_of(storage.tokens.access_token)["scp"]).split()

    first_tools, subtracted, scopes = asyncio.run(run())

    assert first_tools == ["add", "get_me"]
    assert (subtracted.is_error, subtracted.structured_content) == (False, {"result": 4})  # type: ignore[attr-defined]
    assert len(person.authorization_urls) == 2
    assert sorted(scopes) == ["calculator.add", "calculator.subtract"]
