"""The key cache under JWKS faults, counted on a real loopback JWKS server; the fetch is never mocked.

The cache's clock is frozen and moved by the tests, so every cooldown window is
crossed deterministically. Timing appears only as generous safety bounds.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
import pytest

from auth.keys import FETCH_TIMEOUT_SECONDS, fetch_jwks
from tests.log_capture import SuiteLog, report
from tests.support import (
    CHALLENGE_SCOPES,
    MCP_HEADERS,
    PUBLIC_HOST,
    InvocationContext,
    JwksServer,
    SigningKey,
    app_claims,
    body_json,
    call_tool,
    free_port,
    jwks_document,
    mint,
    user_claims,
)

from .conftest import Rig, build_rig

PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
INVALID_CHALLENGE = (
    f'Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="{PRM_URL}", '
    f'scope="{CHALLENGE_SCOPES}"'
)
UNAVAILABLE_BODY = {"error": "temporarily_unavailable", "error_description": "Signing keys are unavailable; retry shortly"}
FAILURE_COOLDOWN = 5.0
UNKNOWN_KID_COOLDOWN = 60.0
REFRESH_AFTER = 3600.0


def add(rig: Rig, token: str, a: int = 2, b: int = 3, timeout: float = 30.0) -> func.HttpResponse:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    return rig.host.request("POST", "/mcp", headers=headers, body=call_tool("add", {"a": a, "b": b}), timeout=timeout)


def assert_sum(response: func.HttpResponse, expected: int) -> None:
    assert response.status_code == 200
    assert body_json(response)["result"]["structuredContent"] == {"result": expected}


def assert_unavailable(response: func.HttpResponse, retry_after: str) -> None:
    assert response.status_code == 503
    assert response.headers.get("Retry-After") == retry_after
    assert response.headers.get("WWW-Authenticate") is None
    assert body_json(response) == UNAVAILABLE_BODY


def assert_invalid(response: func.HttpResponse) -> None:
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == INVALID_CHALLENGE


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def fetch_failures(suite_log: SuiteLog, reason: str) -> int:
    return len(suite_log.lines_with(f"jwks fetch failed reason={reason} "))


# --- down at a cold start ---------------------------------------------------------------


def test_jwks_down_at_cold_start_is_503_with_retry_after_then_recovers(rig: Rig, suite_log: SuiteLog):
    rig.jwks.status = 503
    token = mint(rig.key, user_claims())

    first = add(rig, token)

    assert_unavailable(first, "5")
    assert rig.jwks.hits == 1
    (line,) = suite_log.auth_failures(first.headers["x-correlation-id"])
    assert "status=503 reason=keys_unavailable" in line
    assert suite_log.lines_with("jwks fetch failed reason=jwks_http_503 kept_keys=0")

    # Inside the failure cooldown: no new fetch, and Retry-After counts down.
    rig.clock.advance(2)
    assert_unavailable(add(rig, token), "3")
    assert rig.jwks.hits == 1

    rig.jwks.status = 200
    rig.clock.advance(FAILURE_COOLDOWN)
    assert_sum(add(rig, token), 5)
    assert rig.jwks.hits == 2
    assert rig.cache.fetch_count == 2


def test_jwks_refusing_connections_at_cold_start_is_503_at_once(suite_log: SuiteLog):
    key = SigningKey.generate()
    closed = f"http://127.0.0.1:{free_port()}/discovery/v2.0/keys"
    unused = JwksServer()
    rig = build_rig(unused, key, jwks_url=closed)
    try:
        started = time.monotonic()
        response = add(rig, mint(key, user_claims()))
        elapsed = time.monotonic() - started

        assert_unavailable(response, "5")
        assert elapsed < FETCH_TIMEOUT_SECONDS  # refused at once, not after the timeout (safety bound)
        assert suite_log.lines_with("jwks fetch failed reason=jwks_unreachable kept_keys=0")
    finally:
        rig.host.close()
        unused.close()


def test_jwks_hanging_at_cold_start_is_503_within_the_fetch_timeout(rig: Rig):
    # The real fetch with a shorter socket timeout than the default 5 s: a timeout cannot be
    # moved on a clock, and the rule under test is the same at any length.
    timeout = 0.5
    hanging = build_rig(rig.jwks, rig.key, fetch=functools.partial(fetch_jwks, timeout=timeout))
    rig.jwks.hang_seconds = 60
    started = time.monotonic()
    try:
        response = add(hanging, mint(rig.key, user_claims()))
    finally:
        hanging.host.close()

    elapsed = time.monotonic() - started
    assert_unavailable(response, "5")
    assert rig.jwks.hits == 1
    assert timeout <= elapsed < timeout + 5  # the fetch timeout, plus a generous margin
    report(f"faults: cold start against a hanging JWKS answered 503 after {elapsed:.1f} s (fetch timeout {timeout} s)")


# --- down while warm --------------------------------------------------------------------


def test_jwks_down_while_warm_keeps_the_cached_keys_working(rig: Rig, suite_log: SuiteLog):
    token = mint(rig.key, user_claims())
    assert_sum(add(rig, token), 5)
    assert rig.jwks.hits == 1

    rig.jwks.status = 500
    failures = fetch_failures(suite_log, "jwks_http_500")
    rig.clock.advance(REFRESH_AFTER + 1)  # stale: the next use starts a background refresh, which fails
    assert_sum(add(rig, token), 5)
    wait_until(lambda: fetch_failures(suite_log, "jwks_http_500") == failures + 1, "the failed background refresh")
    assert rig.jwks.hits == 2
    assert suite_log.lines_with("jwks fetch failed reason=jwks_http_500 kept_keys=1")

    for n in range(5):
        assert_sum(add(rig, token, n, 1), n + 1)
    # An unknown kid while the JWKS is down and keys are held: a verdict (401), not 503.
    rig.clock.advance(UNKNOWN_KID_COOLDOWN + 1)
    assert_invalid(add(rig, mint(SigningKey.generate("rotated-but-unreachable"), user_claims())))
    assert_sum(add(rig, token), 5)
    assert rig.cache.snapshot()["kids"] == ["fault-key-1"]


# --- rotation ---------------------------------------------------------------------------


def test_a_newly_published_key_works_after_exactly_one_refetch(rig: Rig, suite_log: SuiteLog):
    assert_sum(add(rig, mint(rig.key, user_claims())), 5)
    assert rig.jwks.hits == 1

    new_key = SigningKey.generate("fault-key-2")
    rig.jwks.publish(rig.key, new_key)
    new_token = mint(new_key, user_claims())

    # Within the unknown-kid cooldown of the last fetch the new kid is refused without a fetch ...
    refused = add(rig, new_token)
    assert_invalid(refused)
    assert "reason=unknown_kid" in suite_log.auth_failures(refused.headers["x-correlation-id"])[0]
    assert rig.jwks.hits == 1
    # ... and once it has passed, one refetch picks the new key up.
    rig.clock.advance(UNKNOWN_KID_COOLDOWN)
    assert_sum(add(rig, new_token), 5)
    assert rig.jwks.hits == 2
    assert_sum(add(rig, mint(new_key, app_claims()), 7, 1), 8)
    assert_sum(add(rig, mint(rig.key, user_claims()), 1, 1), 2)
    assert rig.jwks.hits == 2
    assert rig.cache.snapshot()["kids"] == ["fault-key-1", "fault-key-2"]


def test_a_key_withdrawn_from_the_jwks_stops_working_after_the_next_refresh(rig: Rig):
    old_token = mint(rig.key, user_claims())
    new_key = SigningKey.generate("fault-key-2")
    rig.jwks.publish(rig.key, new_key)
    assert_sum(add(rig, old_token), 5)

    rig.jwks.publish(new_key)  # the issuer withdraws the old key
    rig.clock.advance(REFRESH_AFTER + 1)
    assert_sum(add(rig, old_token), 5)  # served from the cache while the refresh runs
    wait_until(lambda: rig.cache.snapshot()["kids"] == ["fault-key-2"], "the refresh to drop the withdrawn key")

    assert_invalid(add(rig, old_token))
    assert_sum(add(rig, mint(new_key, user_claims())), 5)
    assert rig.jwks.hits == 2


# --- random kids ------------------------------------------------------------------------


def test_1000_random_kids_are_all_401_with_one_refetch_per_cooldown_window(rig: Rig, suite_log: SuiteLog):
    valid = mint(rig.key, user_claims())
    assert_sum(add(rig, valid), 5)
    assert rig.jwks.hits == 1
    windows, per_window = 5, 200
    fetches_per_window = []
    refused_ids: set[str] = set()

    for _ in range(windows):
        rig.clock.advance(UNKNOWN_KID_COOLDOWN + 1)
        hits_before = rig.jwks.hits
        for n in range(per_window):
            response = add(rig, mint(rig.key, user_claims(), kid=uuid.uuid4().hex))
            assert_invalid(response)
            refused_ids.add(response.headers["x-correlation-id"])
            if n % 50 == 0:
                assert_sum(add(rig, valid, n, 1), n + 1)  # valid tokens keep working throughout
        fetches_per_window.append(rig.jwks.hits - hits_before)

    assert len(refused_ids) == windows * per_window
    assert fetches_per_window == [1] * windows
    assert rig.cache.fetch_count == 1 + windows
    reasons = [line.split(" reason=")[1].split()[0] for line in suite_log.lines_with("auth failure") if line.rsplit("correlation_id=", 1)[-1] in refused_ids]
    assert reasons == ["unknown_kid"] * (windows * per_window)
    report(f"faults: {windows * per_window} random-kid tokens -> all 401; JWKS fetches per 61 s window {fetches_per_window} (+1 warm-up)")


# --- concurrency ------------------------------------------------------------------------


def _request(n: int, token: str) -> func.HttpRequest:
    return func.HttpRequest(
        method="POST",
        url=f"https://{PUBLIC_HOST}/mcp",
        headers={"Host": PUBLIC_HOST, **MCP_HEADERS, "Authorization": f"Bearer {token}"},
        params={},
        body=json.dumps(call_tool("add", {"a": n, "b": 1000})).encode(),
    )


def test_50_concurrent_cold_requests_share_exactly_one_fetch(rig: Rig):
    # A slow JWKS widens the window in which the requests overlap; they arrive together
    # on one worker loop, as a burst reaches a cold Functions instance.
    rig.jwks.hang_seconds = 0.5
    token = mint(rig.key, user_claims())
    function = rig.host.function.get_user_function()

    async def burst() -> list[Any]:
        return await asyncio.gather(*(function(_request(n, token), InvocationContext()) for n in range(50)), return_exceptions=True)

    responses = rig.host.run(burst())

    assert [type(r).__name__ for r in responses if not isinstance(r, func.HttpResponse)] == []
    assert [r.status_code for r in responses] == [200] * 50
    assert [body_json(r)["result"]["structuredContent"]["result"] for r in responses] == [n + 1000 for n in range(50)]
    assert rig.jwks.hits == 1
    assert rig.cache.fetch_count == 1
    report("faults: 50 concurrent cold requests -> 50x200, JWKS fetches 1")


# --- a hanging endpoint ------------------------------------------------------------------


def test_a_hanging_jwks_never_blocks_requests_whose_key_is_cached(rig: Rig):
    token = mint(rig.key, user_claims())
    assert_sum(add(rig, token), 5)
    rig.jwks.hang_seconds = 120
    rig.clock.advance(REFRESH_AFTER + 1)  # the next use starts a background refresh, which will hang
    assert_sum(add(rig, token, 1, 1), 2)
    wait_until(lambda: rig.jwks.hits == 2, "the refresh to reach the hanging JWKS")
    # A request with an unknown kid now waits, in a worker thread, on that hanging fetch.
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(add, rig, mint(rig.key, user_claims(), kid="kid-behind-the-hang"))

        started = time.monotonic()
        for n in range(20):
            assert_sum(add(rig, token, n, 1, timeout=30), n + 1)
        elapsed = time.monotonic() - started

        # All 20 answered while the refresh was still hanging inside the JWKS server.
        assert rig.jwks.hits == 2
        assert not rig.jwks.release.is_set()
        assert not waiting.done()
        assert elapsed < 30  # a generous safety bound; the hang lasts 120 s
        rig.jwks.release.set()
        assert_invalid(waiting.result(timeout=30))
    assert rig.jwks.hits == 2


# --- bad documents ------------------------------------------------------------------------


def _ec_jwk() -> dict[str, Any]:
    return {"kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRjGtA9M6uq0Hmms7hcjmOJsPcjY5qLGxY9d6SE"}


BAD_DOCUMENTS = [
    pytest.param(json.dumps({"keys": [], "padding": "x" * 300_000}).encode(), "jwks_too_large", id="huge"),
    pytest.param(b"<html><body>Service Unavailable</body></html>", "jwks_not_json", id="html"),
    pytest.param(b"\xff\xfe\x00garbage", "jwks_not_json", id="binary"),
    pytest.param(b"", "jwks_not_json", id="empty"),
    pytest.param(b"[]", "jwks_not_a_key_set", id="json-array"),
    pytest.param(b'{"keys": {"kid": "x"}}', "jwks_not_a_key_set", id="keys-not-a-list"),
    pytest.param(b'{"keys": []}', "jwks_no_usable_keys", id="no-keys"),
    pytest.param(json.dumps({"keys": [_ec_jwk()]}).encode(), "jwks_no_usable_keys", id="only-ec-keys"),
    pytest.param(b'{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}', "jwks_no_usable_keys", id="only-symmetric-keys"),
    pytest.param(b'{"keys": [{"kty": "RSA", "kid": "r", "n": "!!", "e": "AQAB"}]}', "jwks_no_usable_keys", id="rsa-with-broken-modulus"),
    pytest.param(b'{"keys": [{"kty": "RSA", "kid": "r"}]}', "jwks_no_usable_keys", id="rsa-without-modulus"),
    pytest.param(b'{"keys": ["RSA", 1, null]}', "jwks_no_usable_keys", id="keys-not-objects"),
    pytest.param(b"[" * 100_000, "jwks_not_json", id="deeply-nested"),
]


@pytest.mark.parametrize("body, reason", BAD_DOCUMENTS)
def test_a_bad_jwks_document_at_cold_start_is_503_and_a_logged_reason(rig: Rig, suite_log: SuiteLog, body: bytes, reason: str):
    rig.jwks.body = body
    token = mint(rig.key, user_claims())
    failures = fetch_failures(suite_log, reason)

    response = add(rig, token)

    assert_unavailable(response, "5")
    assert fetch_failures(suite_log, reason) == failures + 1
    (line,) = suite_log.auth_failures(response.headers["x-correlation-id"])
    assert "status=503 reason=keys_unavailable" in line
    # No crash: once the JWKS is good again the same app recovers.
    rig.jwks.publish(rig.key)
    rig.clock.advance(FAILURE_COOLDOWN)
    assert_sum(add(rig, token), 5)
    assert rig.jwks.hits == 2


@pytest.mark.parametrize("body, reason", BAD_DOCUMENTS[:3] + BAD_DOCUMENTS[6:8])
def test_a_bad_jwks_document_while_warm_keeps_the_last_good_keys(rig: Rig, suite_log: SuiteLog, body: bytes, reason: str):
    token = mint(rig.key, user_claims())
    assert_sum(add(rig, token), 5)
    rig.jwks.body = body
    failures = fetch_failures(suite_log, reason)

    rig.clock.advance(REFRESH_AFTER + 1)
    assert_sum(add(rig, token), 5)
    wait_until(lambda: fetch_failures(suite_log, reason) == failures + 1, "the failed refresh")

    assert_sum(add(rig, token, 1, 1), 2)
    assert rig.cache.snapshot()["kids"] == ["fault-key-1"]


def test_one_broken_key_beside_a_good_one_leaves_the_good_one_usable(rig: Rig):
    rig.jwks.document = {"keys": [{"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"}, _ec_jwk(), *jwks_document(rig.key)["keys"]]}

    assert_sum(add(rig, mint(rig.key, user_claims())), 5)
    assert rig.cache.snapshot()["kids"] == ["fault-key-1"]


# --- what the key set holds: private material, short keys, shared kids (issue 8 item 3) ---------


def auth_failure_reason(suite_log: SuiteLog, response: func.HttpResponse) -> str:
    (line,) = suite_log.auth_failures(response.headers["x-correlation-id"])
    return line.split(" reason=")[1].split(" ")[0]


def test_a_published_private_jwk_is_never_used_and_its_tokens_are_401_not_500(rig: Rig, suite_log: SuiteLog):
    leaked = SigningKey.generate("leaked-private")
    rig.jwks.document = {"keys": [*jwks_document(rig.key)["keys"], leaked.private_jwk()]}
    good = mint(rig.key, user_claims())
    assert_sum(add(rig, good), 5)

    response = add(rig, mint(leaked, user_claims()))

    assert_invalid(response)
    assert body_json(response) == {"error": "invalid_token", "error_description": "The access token is invalid"}
    assert auth_failure_reason(suite_log, response) == "unknown_kid"
    assert rig.cache.snapshot()["kids"] == ["fault-key-1"]
    assert_sum(add(rig, good, 1, 1), 2)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # minting with it is the attack
def test_a_512_bit_key_is_skipped_and_its_tokens_are_401(rig: Rig, suite_log: SuiteLog):
    weak = SigningKey.generate("weak-512", bits=512)
    rig.jwks.publish(rig.key, weak)

    response = add(rig, mint(weak, user_claims()))

    assert_invalid(response)
    assert auth_failure_reason(suite_log, response) == "unknown_kid"
    assert suite_log.lines_with("jwks key skipped kid='weak-512' reason=rsa_key_too_short")
    assert_sum(add(rig, mint(rig.key, user_claims())), 5)


def test_tokens_signed_by_either_of_two_keys_under_one_kid_verify(rig: Rig):
    twin = SigningKey(rig.key.kid, SigningKey.generate().private)
    rig.jwks.document = {"keys": [rig.key.jwk(), twin.jwk()]}
    first, second = mint(rig.key, app_claims()), mint(twin, app_claims())

    for _ in range(2):  # the second round is answered from the verified-token cache
        assert_sum(add(rig, first), 5)
        assert_sum(add(rig, second, 10, 1), 11)
    assert rig.jwks.hits == 1
