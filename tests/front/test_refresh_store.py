"""Reuse detection and RFC 7009 revocation with the token store: Azurite's Table Storage, for real.

With OAUTH_FRONT_TOKEN_STORE the front keeps each sign-in's (family's) newest generation. A
refresh token of an older generation is a replay: the family is revoked, the newest token too
(RFC 9700 §4.14.2). /oauth/revoke revokes a family (RFC 7009). The front's clock is injected.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from front.families import Family, FamilyReused, FamilyRevoked
from front.table_store import TableFamilyStore
from tests.log_capture import SuiteLog

from .conftest import FrontStack, start_front
from .flows import expect_refusal, expect_token_error, register, tokens_for
from .test_refresh_window import refresh, sealed_payload

REUSED = "The refresh token was already used; its sign-in is revoked, sign in again"
REVOKED = "The refresh token is revoked; sign in again"


@pytest.fixture(scope="module")
def client_id(stored: FrontStack) -> str:
    return register(stored.origin)


def revoke(origin: str, **form: str) -> httpx.Response:
    return httpx.post(f"{origin}/oauth/revoke", data=form)


# -- reuse detection ------------------------------------------------------------------------


def test_each_refresh_moves_the_family_on(stored: FrontStack, client_id: str) -> None:
    token = tokens_for(stored, client_id)["refresh_token"]
    for generation in (1, 2, 3):
        response = refresh(stored.origin, client_id, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
        assert sealed_payload(stored.sealing_keys, token)["d"]["gn"] == generation


def test_a_replayed_refresh_token_revokes_its_family_the_newest_token_too(stored: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    first = tokens_for(stored, client_id)
    renewed = refresh(stored.origin, client_id, first["refresh_token"])
    assert renewed.status_code == 200

    replay = refresh(stored.origin, client_id, first["refresh_token"])
    newest = refresh(stored.origin, client_id, renewed.json()["refresh_token"])
    again = refresh(stored.origin, client_id, first["refresh_token"])

    expect_token_error(replay, 400, "invalid_grant", REUSED)
    expect_refusal(suite_log, replay, "token", "invalid_grant", "refresh_reused")
    for response in (newest, again):
        expect_token_error(response, 400, "invalid_grant", REVOKED)
        expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_revoked")
    # The Table SDK's own request lines (a family id in each URL) stay out of the app's log (INFO and up).
    assert [line for line in suite_log.lines_with("oauthfrontrefreshfamilies") if " DEBUG " not in line] == []


def test_another_sign_in_of_the_same_client_is_its_own_family(stored: FrontStack, client_id: str) -> None:
    leaked = tokens_for(stored, client_id)
    other = tokens_for(stored, client_id)
    refresh(stored.origin, client_id, leaked["refresh_token"])
    refresh(stored.origin, client_id, leaked["refresh_token"])  # revokes the first family only

    assert refresh(stored.origin, client_id, other["refresh_token"]).status_code == 200


def test_with_the_store_the_window_still_ends(stored: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    first = tokens_for(stored, client_id)
    ends = sealed_payload(stored.sealing_keys, first["refresh_token"])["e"]
    stored.clock.advance(ends - stored.clock())

    response = refresh(stored.origin, client_id, first["refresh_token"])

    expect_token_error(response, 400, "invalid_grant", "The refresh token is invalid or expired")
    expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_expired")


def test_two_instances_redeeming_one_generation_cannot_both_win(table_url: str) -> None:
    # Two stores on one table, as two function instances: both read generation 0, both ask the
    # issuer, and the ETag (or the insert) lets only the first write the next generation.
    first_instance = TableFamilyStore(table_url, managed_identity=None)
    second_instance = TableFamilyStore(table_url, managed_identity=None)
    for history in (0, 1):  # a family the store has not seen yet, and one it has
        family = Family.start(1_000_000)
        for _ in range(history):
            first_instance.advance(first_instance.claim(family, 2_000_000))
            family = family.next()
        one = first_instance.claim(family, 2_000_000)
        two = second_instance.claim(family, 2_000_000)

        first_instance.advance(one)
        with pytest.raises(FamilyReused):
            second_instance.advance(two)
        # The loser revoked the family: the winner's successor is refused as well.
        with pytest.raises(FamilyRevoked):
            first_instance.claim(family.next(), 2_000_000)


def test_two_refreshes_of_one_token_at_once_are_one_success_and_one_replay(stored: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = tokens_for(stored, client_id)["refresh_token"]

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: refresh(stored.origin, client_id, token), range(2)))

    # Whichever order the two instances' reads and writes interleave in, one wins and the other is a replay.
    winner, loser = sorted(answers, key=lambda response: response.status_code)
    assert winner.status_code == 200
    expect_token_error(loser, 400, "invalid_grant", REUSED)
    expect_refusal(suite_log, loser, "token", "invalid_grant", "refresh_reused")
    expect_token_error(refresh(stored.origin, client_id, winner.json()["refresh_token"]), 400, "invalid_grant", REVOKED)


# -- RFC 7009 revocation ----------------------------------------------------------------------


def test_metadata_advertises_the_revocation_endpoint(stored: FrontStack) -> None:
    metadata = httpx.get(f"{stored.origin}/.well-known/oauth-authorization-server").json()

    assert metadata["revocation_endpoint"] == f"{stored.origin}/oauth/revoke"
    assert metadata["revocation_endpoint_auth_methods_supported"] == ["none"]


def test_revocation_ends_the_family(stored: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    first = tokens_for(stored, client_id)
    renewed = refresh(stored.origin, client_id, first["refresh_token"])

    answer = revoke(stored.origin, token=renewed.json()["refresh_token"], token_type_hint="refresh_token", client_id=client_id)

    assert (answer.status_code, answer.content) == (200, b"")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["access-control-allow-origin"] == "*"
    for token in (renewed.json()["refresh_token"], first["refresh_token"]):
        response = refresh(stored.origin, client_id, token)
        expect_token_error(response, 400, "invalid_grant", REVOKED)
        expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_revoked")


def test_a_never_refreshed_token_can_be_revoked(stored: FrontStack, client_id: str) -> None:
    tokens = tokens_for(stored, client_id)

    assert revoke(stored.origin, token=tokens["refresh_token"], client_id=client_id).status_code == 200
    expect_token_error(refresh(stored.origin, client_id, tokens["refresh_token"]), 400, "invalid_grant", REVOKED)


@pytest.mark.parametrize("token", ["never-issued", "gAAAAABnot-a-real-fernet-token", "x" * 9000])
def test_an_unknown_token_is_revoked_with_200(stored: FrontStack, client_id: str, token: str) -> None:
    # RFC 7009 §2.2: invalid tokens do not cause an error; the client has nothing left to do.
    answer = revoke(stored.origin, token=token, client_id=client_id)

    assert (answer.status_code, answer.content) == (200, b"")


def test_an_access_token_cannot_be_revoked_here(stored: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    tokens = tokens_for(stored, client_id)

    answer = revoke(stored.origin, token=tokens["access_token"], token_type_hint="access_token", client_id=client_id)

    expect_token_error(answer, 400, "unsupported_token_type", "Access tokens cannot be revoked here; they expire on their own")
    expect_refusal(suite_log, answer, "revoke", "unsupported_token_type", "access_token")


def test_another_client_cannot_revoke_a_token(stored: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    tokens = tokens_for(stored, client_id)
    stranger = register(stored.origin, name="another client")

    answer = revoke(stored.origin, token=tokens["refresh_token"], client_id=stranger)

    # RFC 7009 §2.1: the token must have been issued to the client asking; it stays valid.
    expect_token_error(answer, 400, "invalid_grant", "The token was issued to another client")
    expect_refusal(suite_log, answer, "revoke", "invalid_grant", "revoke_other_client")
    assert refresh(stored.origin, client_id, tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("form", "content_type", "description"),
    [
        ({"client_id": "x"}, None, "token is required"),
        ({"token": "x"}, None, "client_id is required"),
        ({"token": ["x", "y"], "client_id": "x"}, None, "The token parameter is repeated"),
        ({"token": "x", "client_id": "x"}, "application/json", "Send application/x-www-form-urlencoded"),
    ],
)
def test_a_malformed_revocation_request_is_invalid_request(
    stored: FrontStack, form: dict[str, str | list[str]], content_type: str | None, description: str
) -> None:
    if content_type is not None:
        answer = httpx.post(f"{stored.origin}/oauth/revoke", content=b'{"token":"x"}', headers={"Content-Type": content_type})
    else:
        answer = httpx.post(f"{stored.origin}/oauth/revoke", data=form)

    expect_token_error(answer, 400, "invalid_request", description)


def test_revocation_takes_post_only(stored: FrontStack) -> None:
    answer = httpx.get(f"{stored.origin}/oauth/revoke")

    assert answer.status_code == 405 and answer.headers["allow"] == "POST"


# -- the store down: fail closed, never a 500 ------------------------------------------------


@pytest.fixture(scope="module")
def store_down(front_stack: FrontStack) -> Iterator[FrontStack]:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    server, thread, origin, env = start_front(
        front_stack.idp, clock=front_stack.clock, OAUTH_FRONT_TOKEN_STORE=f"http://127.0.0.1:{port}/devstoreaccount1"
    )
    yield FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=origin, env=env)
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(10)


def test_with_the_store_unreachable_refresh_and_revocation_are_503(store_down: FrontStack, suite_log: SuiteLog) -> None:
    client_id = register(store_down.origin)
    tokens = tokens_for(store_down, client_id)  # signing in needs no store

    refreshed = refresh(store_down.origin, client_id, tokens["refresh_token"])
    revoked = revoke(store_down.origin, token=tokens["refresh_token"], client_id=client_id)

    # Reuse detection is never skipped: without the store, no refresh (RFC 6749 §5.2 has no code
    # for this; temporarily_unavailable is §4.1.2.1's, as for the issuer being down).
    expect_token_error(refreshed, 503, "temporarily_unavailable", "The token store is unavailable; retry shortly")
    expect_refusal(suite_log, refreshed, "token", "temporarily_unavailable", "store_unavailable")
    expect_token_error(revoked, 503, "temporarily_unavailable", "The token store is unavailable; retry shortly")
    expect_refusal(suite_log, revoked, "revoke", "temporarily_unavailable", "store_unavailable")


# -- the managed identity, as on Azure ----------------------------------------------------------


def test_the_typescript_sdk_refreshes_and_steps_up_with_the_store_on(stored: FrontStack) -> None:
    # A real client against reuse detection: it must always present its newest refresh token.
    from .test_typescript_sdk import drive

    stored.idp.access_token_lifetime = 8
    stored.clock.offset = -60.0  # tokens really expire 8 s after issue, the server's leeway included

    results, _ = drive(stored, "--expire")

    signed_in, after_expiry, step_up = results
    assert signed_in == {"step": "signed-in", "tools": ["add", "get_me"], "add": {"result": 5}}
    assert after_expiry["add"] == {"result": 5} and after_expiry["renewed"] is True
    assert after_expiry["authorizations"] == 1
    assert "POST /oauth/token" in after_expiry["requests"] and "GET /oauth/authorize" not in after_expiry["requests"]
    assert step_up["subtract"] == {"result": 4} and step_up["authorizations"] == 2


def test_the_managed_identity_credential_gets_a_storage_token(front_stack: FrontStack) -> None:
    # The suite's provider stands in for App Service's IDENTITY_ENDPOINT (set by front_stack).
    import jwt

    from devidp import defaults
    from front.table_store import ManagedIdentityTokenCredential
    from tests.support import remember_token

    credential = ManagedIdentityTokenCredential(defaults.DEV_MANAGED_IDENTITY_CLIENT_ID)

    token = credential.get_token("https://storage.azure.com/.default")

    remember_token(token.token)
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["aud"] == "https://storage.azure.com"
    assert abs(token.expires_on - claims["exp"]) <= 5  # MSAL gives expires_in; the two clocks agree

