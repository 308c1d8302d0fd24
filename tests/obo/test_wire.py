"""The 2026-07-28 exchange on the wire: the InputRequiredResult's exact shape, the fast path against the
SDK's own app, a retry finished by another instance, and requestState that is replayed or forged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from mcp_types import CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY
from starlette.types import Receive, Scope, Send

from auth import Principal, Settings, current_principal
from obo.exchange import OnBehalfOf
from obo.server import build_example_server
from obo.settings import OboSettings
from sdk_app import stateless_app
from tests.client.conftest import serve
from tests.front.browser import Browser
from tests.support import remember_token

from .conftest import OboStack
from .test_example import DEV_USER, expected_url

MODERN = "2026-07-28"
URL_CAPABLE = {"elicitation": {"url": {}}}
CONSENT_MESSAGE = "Open this page, sign in, and approve the permissions this server needs to read your profile. (AADSTS65001)"


def call_body(state: str | None = None, responses: dict[str, Any] | None = None, name: str = "get_my_profile") -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": name,
        "arguments": {},
        "_meta": {
            PROTOCOL_VERSION_META_KEY: MODERN,
            CLIENT_CAPABILITIES_META_KEY: URL_CAPABLE,
            CLIENT_INFO_META_KEY: {"name": "wire", "version": "1.0"},
        },
    }
    if state is not None:
        params["requestState"] = state
    if responses is not None:
        params["inputResponses"] = responses
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}


def post(url: str, token: str, body: dict[str, Any]) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": body["params"]["name"],
    }
    return httpx.post(url, headers=headers, content=json.dumps(body), timeout=30)


@pytest.fixture(scope="module")
def sdk_instance(obo_stack: OboStack) -> Iterator[str]:
    """A second instance: the SDK's own stateless app over the example server, built with the same
    settings (OBO_STATE_KEYS included), the caller read from the token as the edge would."""
    settings = Settings.from_env(obo_stack.env)
    obo = OboSettings.from_env(obo_stack.env, settings)
    assert obo is not None
    sdk_app = stateless_app(build_example_server(obo, OnBehalfOf(obo))).app

    async def as_caller(scope: Scope, receive: Receive, send: Send) -> None:
        principal = None
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(b"authorization", b"").decode()
            claims = jwt.decode(header.removeprefix("Bearer "), options={"verify_signature": False})
            principal = Principal.from_claims(claims, claims["azp"])
        reset = current_principal.set(principal)
        try:
            await sdk_app(scope, receive, send)
        finally:
            current_principal.reset(reset)

    server, thread, port = serve(as_caller)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)


def masked(response: httpx.Response) -> dict[str, Any]:
    document: dict[str, Any] = response.json()
    if isinstance(document.get("result"), dict) and "requestState" in document["result"]:
        document["result"]["requestState"] = "<sealed>"
    return document


def test_the_input_required_result_is_the_spec_shape_and_the_fast_path_answers_as_the_sdk(
    obo_stack: OboStack, sdk_instance: str
):
    assert obo_stack.idp.downstream is not None
    obo_stack.idp.downstream.consent_required = True
    token = remember_token(obo_stack.idp.mint_user_token())

    edge = post(obo_stack.mcp_url, token, call_body())
    sdk = post(sdk_instance, token, call_body())

    assert (edge.status_code, edge.headers["content-type"]) == (sdk.status_code, sdk.headers["content-type"]) == (200, "application/json")
    assert masked(edge) == masked(sdk) == {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "resultType": "input_required",
            "inputRequests": {
                "downstream_sign_in": {
                    "method": "elicitation/create",
                    "params": {"mode": "url", "message": CONSENT_MESSAGE, "url": expected_url(obo_stack, consent=True)},
                }
            },
            "requestState": "<sealed>",
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "calculator", "version": ""}},
        },
    }
    state = edge.json()["result"]["requestState"]
    assert isinstance(state, str) and "consent" not in state and "round" not in state  # sealed, not readable


def test_another_instance_finishes_the_round_with_the_state_the_first_one_sealed(obo_stack: OboStack, sdk_instance: str):
    assert obo_stack.idp.downstream is not None
    obo_stack.idp.downstream.consent_required = True
    token = remember_token(obo_stack.idp.mint_user_token())
    state = post(obo_stack.mcp_url, token, call_body()).json()["result"]["requestState"]
    Browser().sign_in(expected_url(obo_stack, consent=True), obo_stack.idp.done_url)

    finished = post(sdk_instance, token, call_body(state, {"downstream_sign_in": {"action": "accept"}}))

    assert finished.json()["result"]["structuredContent"] == DEV_USER
    assert finished.json()["result"]["isError"] is False


INVALID_STATE = {"code": -32602, "message": "Invalid or expired requestState", "data": {"reason": "invalid_request_state"}}


@pytest.mark.parametrize(
    "attack",
    ["another-user", "tampered", "another-tool", "not-ours"],
)
def test_request_state_replayed_by_another_caller_or_forged_is_refused(obo_stack: OboStack, attack: str):
    assert obo_stack.idp.downstream is not None
    obo_stack.idp.downstream.consent_required = True
    token = remember_token(obo_stack.idp.mint_user_token())
    state: str = post(obo_stack.mcp_url, token, call_body()).json()["result"]["requestState"]
    accept = {"downstream_sign_in": {"action": "accept"}}
    if attack == "another-user":
        token = remember_token(obo_stack.idp.mint_user_token(user="second.user@contoso.test"))
        body = call_body(state, accept)
    elif attack == "tampered":
        body = call_body(state[:-8] + ("A" * 8 if not state.endswith("A" * 8) else "B" * 8), accept)
    elif attack == "another-tool":
        body = call_body(state, accept, name="get_me")
    else:
        body = call_body('{"v":1,"claims":null,"round":0}', accept)

    refused = post(obo_stack.mcp_url, token, body)

    assert refused.json() == {"jsonrpc": "2.0", "id": 1, "error": INVALID_STATE}
