"""The refresh window, with no store (issue 14 item 3; RFC 9700 §4.14.2).

Entra keeps a used refresh token valid, and so does the dev identity provider now. Without a
store the front cannot tell a replay from the client, so what bounds a stolen sealed refresh
token is its family's window: the sign-in's time plus OAUTH_FRONT_REFRESH_WINDOW_HOURS (24 h by
default), never extended by refreshing. The front's clock is injected; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, MultiFernet

from devidp import DevIdentityProvider, defaults
from front.sealing import Sealer, fingerprint
from tests.log_capture import SuiteLog

from .conftest import FrontStack, start_front
from .flows import expect_refusal, expect_token_error, register, token_request, tokens_for
from .sdk import remember_sealed

DAY = 86400


def sealed_payload(keys: list[str], value: str) -> dict[str, Any]:
    """What a sealed value says, expiry included, read with the front's own keys."""
    payload: dict[str, Any] = json.loads(MultiFernet([Fernet(k) for k in keys]).decrypt(value.encode()))
    return payload


def refresh(origin: str, client_id: str, refresh_token: str) -> httpx.Response:
    response = token_request(origin, grant_type="refresh_token", client_id=client_id, refresh_token=refresh_token)
    if response.status_code == 200:
        remember_sealed(response.json()["refresh_token"])
    return response


@pytest.fixture(scope="module")
def clocked(front_stack: FrontStack) -> Iterator[FrontStack]:
    """Another instance of the front, on the provider's clock, so tests move both together."""
    server, thread, origin, env = start_front(front_stack.idp, clock=front_stack.clock)
    yield FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=origin, env=env)
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(10)


@pytest.fixture(scope="module")
def client_id(clocked: FrontStack) -> str:
    return register(clocked.origin)


def test_a_sealed_refresh_token_names_its_family_and_ends_with_the_window(clocked: FrontStack, client_id: str) -> None:
    signed_in_at = int(clocked.clock())
    tokens = tokens_for(clocked, client_id)

    payload = sealed_payload(clocked.sealing_keys, tokens["refresh_token"])

    assert payload["p"] == "refresh"
    assert sorted(payload["d"]) == ["cf", "fm", "fs", "gn", "rt", "sc"]
    assert payload["d"]["gn"] == 0
    assert signed_in_at <= payload["d"]["fs"] <= int(clocked.clock())
    assert payload["e"] == payload["d"]["fs"] + DAY
    assert len(payload["d"]["fm"]) == 22  # 128 random bits, url-safe base64


def test_without_a_store_a_replayed_refresh_token_still_works_within_the_window(clocked: FrontStack, client_id: str) -> None:
    first = tokens_for(clocked, client_id)
    renewed = refresh(clocked.origin, client_id, first["refresh_token"])

    replay = refresh(clocked.origin, client_id, first["refresh_token"])

    # Entra (and the dev provider) keep the used token valid, and the front remembers nothing:
    # the replay gets tokens too. It stays in the same family and inside the same window.
    assert (renewed.status_code, replay.status_code) == (200, 200)
    assert sorted(replay.json()) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
    origin, again, twice = (sealed_payload(clocked.sealing_keys, t) for t in (first["refresh_token"], renewed.json()["refresh_token"], replay.json()["refresh_token"]))
    assert again["d"]["fm"] == twice["d"]["fm"] == origin["d"]["fm"]
    assert again["d"]["fs"] == twice["d"]["fs"] == origin["d"]["fs"]
    assert (again["d"]["gn"], twice["d"]["gn"]) == (1, 1)
    assert again["e"] == twice["e"] == origin["e"]


def test_the_window_does_not_slide_when_refreshing(clocked: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    first = tokens_for(clocked, client_id)
    ends = sealed_payload(clocked.sealing_keys, first["refresh_token"])["e"]
    clocked.clock.advance(ends - clocked.clock() - 1)  # one second before the window closes

    last_moment = refresh(clocked.origin, client_id, first["refresh_token"])
    assert last_moment.status_code == 200
    assert sealed_payload(clocked.sealing_keys, last_moment.json()["refresh_token"])["e"] == ends
    clocked.clock.advance(1)  # the window's end

    after = refresh(clocked.origin, client_id, last_moment.json()["refresh_token"])
    replayed = refresh(clocked.origin, client_id, first["refresh_token"])

    for response in (after, replayed):
        expect_token_error(response, 400, "invalid_grant", "The refresh token is invalid or expired")
        expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_expired")


def test_a_shorter_window_also_ends_sign_ins_from_before_the_change(clocked: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    tokens = tokens_for(clocked, client_id)
    server, thread, one_hour, _ = start_front(
        clocked.idp, clock=clocked.clock, OAUTH_FRONT_REFRESH_WINDOW_HOURS="1", OAUTH_FRONT_SEALING_KEYS=",".join(clocked.sealing_keys)
    )
    try:
        clocked.clock.advance(3600)

        response = refresh(one_hour, client_id, tokens["refresh_token"])
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)

    expect_token_error(response, 400, "invalid_grant", "The sign-in is older than the refresh window; sign in again")
    expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_window_ended")


def test_a_refresh_token_sealed_without_a_family_is_refused(clocked: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    # What the front sealed before the window existed: valid for 90 days, with no sign-in time. It no
    # longer opens as a refresh token (front/sealed.py), so no token outlives the window.
    legacy = remember_sealed(
        Sealer(clocked.sealing_keys, clock=clocked.clock).seal(
            "refresh", {"rt": "upstream-token", "cf": fingerprint(client_id), "sc": [clocked.idp.scope("calculator.add")]}, 90 * DAY
        )
    )

    response = refresh(clocked.origin, client_id, legacy)

    expect_token_error(response, 400, "invalid_grant", "The refresh token is invalid or expired")
    expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_unreadable")


def test_without_a_store_there_is_no_revocation_endpoint(clocked: FrontStack, client_id: str) -> None:
    metadata = httpx.get(f"{clocked.origin}/.well-known/oauth-authorization-server").json()
    revoke = httpx.post(f"{clocked.origin}/oauth/revoke", data={"token": "x", "client_id": client_id})

    assert "revocation_endpoint" not in metadata
    assert revoke.status_code == 404


def test_an_issuer_with_strict_rotation_refuses_the_replay_itself(front_stack: FrontStack) -> None:
    # For issuers that revoke on use (RFC 9700 §4.14.2): their refusal reaches the client as it came.
    with DevIdentityProvider(clock=front_stack.clock, strict_refresh_rotation=True) as strict:
        # Its secret, not the managed identity: the process's IDENTITY_ENDPOINT is the suite's provider.
        server, thread, origin, _ = start_front(
            strict, clock=front_stack.clock, OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID="", OAUTH_FRONT_CLIENT_SECRET=defaults.DEV_FRONT_CLIENT_SECRET
        )
        try:
            stack = FrontStack(idp=strict, clock=front_stack.clock, origin=origin, env={})
            client_id = register(origin)
            first = tokens_for(stack, client_id)
            renewed = refresh(origin, client_id, first["refresh_token"])
            replay = refresh(origin, client_id, first["refresh_token"])
            successor = refresh(origin, client_id, renewed.json()["refresh_token"])
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(10)

    assert renewed.status_code == 200
    expect_token_error(
        replay, 400, "invalid_grant",
        "AADSTS70000: The provided value for the input parameter 'refresh_token' is not valid. The refresh token was already used or revoked.",
    )
    assert successor.status_code == 400 and successor.json()["error"] == "invalid_grant"
