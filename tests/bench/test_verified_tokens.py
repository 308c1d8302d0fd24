"""The verified-token cache (added for the warm path) changes no verdict, only its cost."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import pytest
from jwt import PyJWK

import auth.verifier
from auth import InvalidRequest, InvalidToken, JwksCache, Settings, TokenExpired, TokenVerifier
from auth.claims import verify_signature
from tests.support import SigningKey, entra_env, jwks_document, mint, user_claims

JWKS_URI = "http://127.0.0.1:9/keys"
SETTINGS = Settings.from_env(entra_env(JWKS_URI))


class Published:
    """A JWKS document that the test can change, served through JwksCache's fetch seam."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = keys
        self.fetches = 0

    def fetch(self, uri: str) -> bytes:
        self.fetches += 1
        return json.dumps(jwks_document(*self.keys)).encode()


def _verifier(published: Published, clock: list[float], size: int = 1024) -> TokenVerifier:
    keys = JwksCache(JWKS_URI, fetch=published.fetch, unknown_kid_cooldown=0.0)
    return TokenVerifier(SETTINGS, keys, clock=lambda: clock[0], verified_cache_size=size)


def _verify(verifier: TokenVerifier, token: str):  # type: ignore[no-untyped-def]
    return asyncio.run(verifier.verify([f"Bearer {token}".encode()]))


class SignatureChecks:
    """Counts calls of the real signature check (auth.claims.verify_signature), which still runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, token: str, keys: Sequence[PyJWK]) -> tuple[dict[str, Any], PyJWK]:
        self.count += 1
        return verify_signature(token, keys)


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> SignatureChecks:
    checks = SignatureChecks()
    monkeypatch.setattr(auth.verifier, "verify_signature", checks)
    return checks


def test_a_reused_token_is_verified_once_and_answers_the_same_principal(signature_checks: SignatureChecks) -> None:
    key = SigningKey.generate("k1")
    verifier = _verifier(Published(key), [time.time()])
    token = mint(key, user_claims())
    first = _verify(verifier, token)
    assert signature_checks.count == 1
    # The very Principal the first verification built: served from the cache, not rebuilt.
    assert _verify(verifier, token) is first
    assert signature_checks.count == 1  # no second signature check
    assert len(verifier.verified) == 1


def test_a_cached_token_still_expires_at_its_exp() -> None:
    key = SigningKey.generate("k1")
    clock = [time.time()]
    verifier = _verifier(Published(key), clock)
    token = mint(key, user_claims(exp=int(clock[0]) + 120))
    _verify(verifier, token)
    clock[0] += 120 + 60  # exp plus the leeway
    with pytest.raises(TokenExpired):
        _verify(verifier, token)
    assert len(verifier.verified) == 0


def test_a_cached_token_whose_key_was_rotated_out_is_refused_as_without_the_cache() -> None:
    old, new = SigningKey.generate("old"), SigningKey.generate("new")
    published = Published(old)
    verifier = _verifier(published, [time.time()])
    token = mint(old, user_claims())
    _verify(verifier, token)
    published.keys = (new,)
    verifier.keys.get("new")  # a token signed by the new key triggers the refetch
    with pytest.raises(InvalidToken) as refused:
        _verify(verifier, token)
    assert refused.value.reason == "unknown_kid"


def test_a_tampered_token_is_a_miss_and_fails_its_signature() -> None:
    key = SigningKey.generate("k1")
    verifier = _verifier(Published(key), [time.time()])
    token = mint(key, user_claims())
    _verify(verifier, token)
    head, payload, signature = token.split(".")
    forged = f"{head}.{mint(key, user_claims(scp='calculator.add')).split('.')[1]}.{signature}"
    with pytest.raises(InvalidToken) as refused:
        _verify(verifier, forged)
    assert refused.value.reason == "bad_signature"
    assert len(verifier.verified) == 1


def test_the_cache_is_bounded_and_holds_digests_not_tokens() -> None:
    key = SigningKey.generate("k1")
    verifier = _verifier(Published(key), [time.time()], size=2)
    tokens = [mint(key, user_claims(sub=f"user-{i}")) for i in range(3)]
    for token in tokens:
        _verify(verifier, token)
    assert len(verifier.verified) == 2
    held = list(verifier.verified._entries)
    assert all(isinstance(digest, bytes) and len(digest) == 32 for digest in held)
    assert not any(token.encode() in digest or token.split(".")[2].encode() in digest for token in tokens for digest in held)


def test_a_cached_token_in_a_repeated_header_is_still_invalid_request() -> None:
    key = SigningKey.generate("k1")
    verifier = _verifier(Published(key), [time.time()])
    token = mint(key, user_claims())
    _verify(verifier, token)
    value = f"Bearer {token}".encode()
    with pytest.raises(InvalidRequest) as refused:
        asyncio.run(verifier.verify([value, value]))
    assert refused.value.reason == "duplicate_authorization"


def test_the_same_token_under_another_spelling_of_the_scheme_is_verified_afresh() -> None:
    key = SigningKey.generate("k1")
    verifier = _verifier(Published(key), [time.time()])
    token = mint(key, user_claims())
    first = _verify(verifier, token)
    again = asyncio.run(verifier.verify([f"bearer {token}".encode()]))
    assert again == first and again is not first  # the same verdict, reached afresh
    assert len(verifier.verified) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [("exp", float("nan")), ("exp", float("inf")), ("nbf", float("nan")), ("iat", 10**400)],
    ids=["exp-nan", "exp-inf", "nbf-nan", "iat-10**400"],
)
def test_a_token_with_a_non_finite_time_claim_is_refused_every_time_and_never_cached(name: str, value: float) -> None:
    from tests.attacks.tokens import forge

    key = SigningKey.generate("k1")
    verifier = _verifier(Published(key), [time.time()])
    token = forge({"alg": "RS256", "kid": "k1"}, user_claims(**{name: value}), rs256_key=key)
    for _ in range(2):
        with pytest.raises(InvalidToken) as refused:
            _verify(verifier, token)
        assert refused.value.reason == f"malformed_{name}"
    assert len(verifier.verified) == 0


def test_with_two_keys_under_one_kid_each_token_is_cached_with_the_key_that_verified_it(signature_checks: SignatureChecks) -> None:
    first, second = SigningKey.generate("shared"), SigningKey.generate("shared")
    published = Published(first, second)
    verifier = _verifier(published, [time.time()])
    by_first, by_second = mint(first, user_claims(sub="one")), mint(second, user_claims(sub="two"))

    seen = [_verify(verifier, by_first), _verify(verifier, by_second)]

    assert [p.subject for p in seen] == ["one", "two"]
    assert _verify(verifier, by_first) is seen[0] and _verify(verifier, by_second) is seen[1]  # hits
    assert signature_checks.count == 2
    published.keys = (first,)  # the second key is withdrawn; the refetch builds new key objects
    with pytest.raises(InvalidToken):
        verifier.keys.get("another-kid")  # an unknown kid triggers the refetch
    checks_before = signature_checks.count
    again = _verify(verifier, by_first)
    assert again == seen[0] and again is not seen[0]  # verified afresh against the new key object
    assert signature_checks.count == checks_before + 1
    with pytest.raises(InvalidToken) as refused:
        _verify(verifier, by_second)
    assert refused.value.reason == "bad_signature"
