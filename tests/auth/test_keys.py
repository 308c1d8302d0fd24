"""The JWKS cache against a real loopback JWKS server, with an injected clock instead of sleeps."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from auth import InvalidToken, JwksCache, KeysUnavailable
from auth.keys import JwksFetchError, fetch_jwks, parse_jwks
from tests.support import JwksServer, SigningKey, jwks_document

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

    assert cache.get("key-a").key_id == "key-a"
    assert cache.get("key-a").key_id == "key-a"
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

    assert cache.get("key-b").key_id == "key-b"
    assert server.hits == 2


def test_stale_keys_are_served_while_a_background_refresh_runs(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    cache.get("key-a")
    server.publish(KEY_B)
    server.hang_seconds = 30  # the refresh is slow
    clock.now += 3601

    assert cache.cached("key-a").key_id == "key-a"  # answered at once, from memory
    server.release.set()
    deadline_hits = 2
    for _ in range(200):
        if cache.cached("key-b") is not None:
            break
        threading.Event().wait(0.02)
    assert cache.cached("key-b").key_id == "key-b"
    assert server.hits == deadline_hits


def test_a_failed_refresh_keeps_the_last_good_keys(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    cache.get("key-a")
    server.status = 500
    clock.now += 61

    with pytest.raises(InvalidToken):
        cache.get("key-unknown")
    assert cache.get("key-a").key_id == "key-a"
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
    assert cache.get("key-a").key_id == "key-a"
    assert server.hits == 2


def test_concurrent_cold_callers_share_one_fetch(server: JwksServer, clock: Clock):
    cache = cache_for(server, clock)
    server.hang_seconds = 30
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("key-a").key_id)) for _ in range(20)]
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
    assert sorted(parse_jwks(json.dumps(document).encode())) == ["key-a"]


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
