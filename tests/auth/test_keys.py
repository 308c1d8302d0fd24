"""The JWKS cache against a real loopback JWKS server, with an injected clock instead of sleeps."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from auth import InvalidToken, JwksCache, KeysUnavailable
from auth.claims import verify_signature
from auth.jwks import MAX_KEYS_PER_KID, ParsedJwks, SkippedKey
from auth.keys import JwksFetchError, fetch_jwks, parse_jwks
from tests.log_capture import SuiteLog
from tests.support import JwksServer, SigningKey, jwks_document, mint, user_claims

KEY_A = SigningKey.generate("key-a")
KEY_B = SigningKey.generate("key-b")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[JwksServer]:
    server = JwksServer()
    server.publish(KEY_A)
    yield server
    server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cache_for(server: JwksServer, clock: Clock) -> JwksCache:
    return JwksCache(server.url, clock=clock, refresh_after=3600, unknown_kid_cooldown=60, failure_cooldown=5)


def test_a_known_kid_is_fetched_once_then_served_from_memory(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)

    assert [k.key_id for k in cache.get("key-a")] == ["key-a"]
    assert [k.key_id for k in cache.get("key-a")] == ["key-a"]
    assert cache.cached("key-a") is not None
    assert (server.hits, cache.fetch_count) == (1, 1)


def test_cached_never_fetches(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)

    assert cache.cached("key-a") is None
    assert server.hits == 0


def test_an_unknown_kid_refetches_at_most_once_per_cooldown(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    cache.get("key-a")

    for attempt in range(20):
        with pytest.raises(InvalidToken) as caught:
            cache.get(f"random-{attempt}")
        assert caught.value.reason == "unknown_kid"
    assert server.hits == 1  # still inside the cooldown that the first fetch opened

    clock.now += 61
    with pytest.raises(InvalidToken):
        cache.get("random-after-cooldown")
    assert server.hits == 2


def test_a_rotated_key_is_found_by_one_refetch_after_the_cooldown(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    cache.get("key-a")
    server.publish(KEY_A, KEY_B)
    clock.now += 61

    assert [k.key_id for k in cache.get("key-b")] == ["key-b"]
    assert server.hits == 2


def test_stale_keys_are_served_while_a_background_refresh_runs(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    cache.get("key-a")
    server.publish(KEY_B)
    server.hang_seconds = 30  # the refresh is slow
    clock.now += 3601

    assert [k.key_id for k in cache.cached("key-a")] == ["key-a"]  # answered at once, from memory
    server.release.set()
    deadline_hits = 2
    for _ in range(200):
        if cache.cached("key-b") is not None:
            break
        threading.Event().wait(0.02)
    assert [k.key_id for k in cache.cached("key-b")] == ["key-b"]
    assert server.hits == deadline_hits


def test_a_failed_refresh_keeps_the_last_good_keys(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    cache.get("key-a")
    server.status = 500
    clock.now += 61

    with pytest.raises(InvalidToken):
        cache.get("key-unknown")
    assert [k.key_id for k in cache.get("key-a")] == ["key-a"]
    assert server.hits == 2


def test_no_keys_at_all_is_keys_unavailable_with_retry_after(server: JwksServer, clock: Clock):
    server.status = 503
    cache = cache_for(server, clock)

    with pytest.raises(KeysUnavailable) as caught:
        cache.get("key-a")
    assert (caught.value.reason, caught.value.retry_after) == ("keys_unavailable", 5)

    clock.now += 2
    with pytest.raises(KeysUnavailable) as again:
        cache.get("key-a")
    assert again.value.retry_after == 3
    assert server.hits == 1  # inside the failure cooldown nobody refetches

    server.publish(KEY_A)
    clock.now += 3
    assert [k.key_id for k in cache.get("key-a")] == ["key-a"]
    assert server.hits == 2


def test_concurrent_cold_callers_share_one_fetch(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    server.hang_seconds = 30
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("key-a")[0].key_id)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for _ in range(200):
        if server.hits:
            break
        threading.Event().wait(0.01)
    server.release.set()
    for thread in threads:
        thread.join(10)

    assert results == ["key-a"] * 20
    assert server.hits == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>nope</html>", "jwks_not_json"),
        (b"\xff\xfe", "jwks_not_json"),
        (b"[]", "jwks_not_a_key_set"),
        (b'{"keys": {}}', "jwks_not_a_key_set"),
        (b'{"keys": []}', "jwks_no_usable_keys"),
        (json.dumps({"keys": [{**KEY_A.jwk(), "use": "enc"}]}).encode(), "jwks_no_usable_keys"),
        (json.dumps({"keys": [{**KEY_A.jwk(), "alg": "RS512"}]}).encode(), "jwks_no_usable_keys"),
        (json.dumps({"keys": [{**KEY_A.jwk(), "kid": None}]}).encode(), "jwks_no_usable_keys"),
        (json.dumps({"keys": [{"kty": "RSA", "kid": "x", "n": "!!", "e": "AQAB"}]}).encode(), "jwks_no_usable_keys"),
        (json.dumps({"keys": [{"kty": "EC", "kid": "ec", "crv": "P-256", "x": "a", "y": "b"}]}).encode(), "jwks_no_usable_keys"),
    ],
)
def test_unusable_documents_are_refused_with_a_reason(body: bytes, reason: str):
    with pytest.raises(JwksFetchError) as caught:
        parse_jwks(body)
    assert caught.value.reason == reason


def test_only_usable_rsa_signing_keys_are_kept():
    document = {"keys": [KEY_A.jwk(), {**KEY_B.jwk(), "use": "enc"}, {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]}
    assert sorted(parse_jwks(json.dumps(document).encode()).keys) == ["key-a"]


# --- hygiene: what an issuer's key set may hold but must never be used (issue 8 item 3) ----------

WEAK_512 = SigningKey.generate("weak-512", bits=512)
WEAK_2047 = SigningKey.generate("weak-2047", bits=2047)


def parsed(*entries: dict[str, Any]) -> ParsedJwks:
    return parse_jwks(json.dumps({"keys": [KEY_A.jwk(), *entries]}).encode())


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
def test_a_jwk_carrying_private_material_is_never_used(member: str):
    private = KEY_B.private_jwk()
    entry = {**KEY_B.jwk(), member: private.get(member, "AQAB") if member != "oth" else [{"r": "AQAB", "d": "AQAB", "t": "AQAB"}]}

    keys = parsed(entry)

    assert sorted(keys.keys) == ["key-a"]
    assert keys.skipped == (SkippedKey("key-b", "private_material"),)


def test_a_whole_private_jwk_is_never_used():
    keys = parsed(KEY_B.private_jwk())
    assert sorted(keys.keys) == ["key-a"]
    assert keys.skipped == (SkippedKey("key-b", "private_material"),)


@pytest.mark.parametrize("weak", [WEAK_512, WEAK_2047], ids=["512", "2047"])
def test_rsa_keys_under_2048_bits_are_skipped(weak: SigningKey):
    keys = parsed(weak.jwk())
    assert sorted(keys.keys) == ["key-a"]
    assert keys.skipped == (SkippedKey(weak.kid, "rsa_key_too_short"),)


def test_every_skipped_key_is_reported_with_its_reason():
    keys = parsed(
        {**KEY_B.jwk(), "kid": "enc", "use": "enc"},
        {**KEY_B.jwk(), "kid": "rs512", "alg": "RS512"},
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "a", "y": "b"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {**KEY_B.jwk(), "kid": None},
        "not-an-object",
    )
    assert keys.skipped == (
        SkippedKey("enc", "not_for_signing"),
        SkippedKey("rs512", "alg_not_rs256"),
        SkippedKey("ec", "kty_not_rsa"),
        SkippedKey("broken", "unusable_key"),
        SkippedKey(None, "no_kid"),
        SkippedKey(None, "not_an_object"),
    )


def test_two_keys_under_one_kid_are_both_candidates_in_document_order():
    twin = SigningKey("key-a", KEY_B.private)

    keys = parsed(twin.jwk())

    assert [candidate.key_id for candidate in keys.keys["key-a"]] == ["key-a", "key-a"]
    assert [candidate.key.public_numbers() for candidate in keys.keys["key-a"]] == [
        KEY_A.private.public_key().public_numbers(),
        KEY_B.private.public_key().public_numbers(),
    ]
    assert keys.skipped == ()


def test_at_most_four_keys_per_kid_are_kept_and_a_repeated_key_counts_once():
    twins = [SigningKey("key-a", SigningKey.generate().private) for _ in range(4)]

    keys = parsed(KEY_A.jwk(), *(twin.jwk() for twin in twins))

    assert len(keys.keys["key-a"]) == MAX_KEYS_PER_KID == 4
    assert keys.skipped == (SkippedKey("key-a", "duplicate_key"), SkippedKey("key-a", "too_many_keys_for_kid"))


def test_a_token_signed_by_either_key_under_one_kid_verifies(server: JwksServer, clock: Clock):
    twin = SigningKey("key-a", KEY_B.private)
    server.document = {"keys": [KEY_A.jwk(), twin.jwk()]}
    cache = cache_for(server, clock)

    for signer in (KEY_A, twin):
        claims, key = verify_signature(mint(signer, user_claims()), cache.get("key-a"))
        assert (claims["sub"], key.key.public_numbers()) == ("user-subject-1", signer.private.public_key().public_numbers())
    with pytest.raises(InvalidToken) as caught:
        verify_signature(mint(SigningKey.generate("key-a"), user_claims()), cache.get("key-a"))
    assert caught.value.reason == "bad_signature"


def test_each_skipped_key_is_logged_once_with_kid_and_reason_and_no_key_material(server: JwksServer, clock: Clock, suite_log: SuiteLog):
    private = KEY_B.private_jwk()
    server.document = {"keys": [KEY_A.jwk(), private, WEAK_512.jwk()]}
    cache = cache_for(server, clock)
    before = len(suite_log.lines_with("jwks key skipped"))

    cache.get("key-a")
    for attempt in range(3):  # refetches, each after the cooldown: the same skipped keys are not logged again
        clock.now += 61
        with pytest.raises(InvalidToken):
            cache.get(f"unknown-{attempt}")
    assert server.hits == 4

    lines = suite_log.lines_with("jwks key skipped")[before:]
    assert lines == [
        "auth.keys WARNING jwks key skipped kid='key-b' reason=private_material",
        "auth.keys WARNING jwks key skipped kid='weak-512' reason=rsa_key_too_short",
    ]
    for member in ("d", "p", "q", "n"):
        assert all(private[member] not in line for line in lines)


def test_a_key_skipped_again_after_it_left_the_set_is_logged_again(server: JwksServer, clock: Clock, suite_log: SuiteLog):
    server.document = {"keys": [KEY_A.jwk(), WEAK_2047.jwk()]}
    cache = cache_for(server, clock)
    before = len(suite_log.lines_with("kid='weak-2047'"))
    cache.get("key-a")
    server.publish(KEY_A)
    clock.now += 61
    with pytest.raises(InvalidToken):
        cache.get("unknown-1")
    server.document = {"keys": [KEY_A.jwk(), WEAK_2047.jwk()]}
    clock.now += 61
    with pytest.raises(InvalidToken):
        cache.get("unknown-2")

    assert len(suite_log.lines_with("kid='weak-2047'")) == before + 2


def test_fetch_refuses_an_oversized_document(server: JwksServer):
    server.body = json.dumps({**jwks_document(KEY_A), "padding": "x" * 300_000}).encode()

    with pytest.raises(JwksFetchError) as caught:
        fetch_jwks(server.url)
    assert caught.value.reason == "jwks_too_large"


def test_fetch_reports_http_errors_and_unreachable_hosts(server: JwksServer):
    server.status = 404
    with pytest.raises(JwksFetchError) as not_found:
        fetch_jwks(server.url)
    assert not_found.value.reason == "jwks_http_404"

    with pytest.raises(JwksFetchError) as refused:
        fetch_jwks("http://127.0.0.1:9/keys", timeout=2)
    assert refused.value.reason == "jwks_unreachable"


def test_a_bug_in_the_refresh_is_logged_with_its_traceback_not_as_an_outage(
    server: JwksServer, clock: Clock, caplog: pytest.LogCaptureFixture
):
    def fetch_with_a_bug(uri: str) -> bytes:
        document = fetch_jwks(uri)
        return document.decode()["keys"]  # type: ignore[index,return-value]  # a programming error: TypeError

    cache = JwksCache(server.url, fetch=fetch_with_a_bug, clock=clock, failure_cooldown=5)

    with pytest.raises(KeysUnavailable):
        cache.get("key-a")

    (record,) = [r for r in caplog.records if r.name == "auth.keys"]
    assert (record.levelname, record.getMessage()) == ("ERROR", "jwks fetch failed reason=jwks_fetch_failed kept_keys=0")
    assert record.exc_info is not None and record.exc_info[0] is TypeError


def test_an_outage_is_one_warning_line_without_a_traceback(
    server: JwksServer, clock: Clock, caplog: pytest.LogCaptureFixture
):
    server.status = 503

    with pytest.raises(KeysUnavailable):
        cache_for(server, clock).get("key-a")

    (record,) = [r for r in caplog.records if r.name == "auth.keys"]
    assert (record.levelname, record.getMessage()) == ("WARNING", "jwks fetch failed reason=jwks_http_503 kept_keys=0")
    assert record.exc_info is None


# --- the `issuer` member Entra's v2.0 keys documents carry per key ---------------------------------


def test_each_key_keeps_the_issuer_its_document_names_and_none_without_one():
    templated = "https://login.microsoftonline.com/{tenantid}/v2.0"
    keys = parsed({**KEY_B.jwk(), "issuer": templated})

    assert (keys.keys["key-a"][0].issuer, keys.keys["key-b"][0].issuer) == (None, templated)
    assert keys.skipped == ()


@pytest.mark.parametrize("issuer", ["", "   ", 42, None, ["https://login.microsoftonline.com/{tenantid}/v2.0"], {"a": 1}])
def test_a_key_whose_issuer_member_names_no_issuer_is_never_used(issuer: Any):
    keys = parsed({**KEY_B.jwk(), "issuer": issuer})

    assert sorted(keys.keys) == ["key-a"]
    assert keys.skipped == (SkippedKey("key-b", "bad_key_issuer"),)
