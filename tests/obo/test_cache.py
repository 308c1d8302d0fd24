"""The downstream token cache: per user and per scope set, bounded, expiring early."""

from __future__ import annotations

from obo.cache import CacheKey, TokenCache


def key(user: str = "u1", scopes: tuple[str, ...] = ("https://graph.microsoft.com/User.Read",), client: str = "c") -> CacheKey:
    return CacheKey(tenant_id="t", user=user, client_id=client, scopes=scopes)


def test_a_token_is_kept_per_user_client_and_scope_set():
    cache = TokenCache()
    cache.put(key(), "token-1", expires_at=10_000)

    assert cache.get(key(), now=0) == "token-1"
    assert cache.get(key(user="u2"), now=0) is None
    assert cache.get(key(client="other"), now=0) is None
    assert cache.get(key(scopes=("https://graph.microsoft.com/Mail.Read",)), now=0) is None


def test_a_token_is_not_handed_out_in_the_last_five_minutes_of_its_life():
    cache = TokenCache()
    cache.put(key(), "token-1", expires_at=1000)

    assert cache.get(key(), now=699) == "token-1"
    assert cache.get(key(), now=700) is None
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first_when_full():
    cache = TokenCache(max_entries=2)
    cache.put(key("a"), "A", expires_at=10_000)
    cache.put(key("b"), "B", expires_at=10_000)
    cache.get(key("a"), now=0)
    cache.put(key("c"), "C", expires_at=10_000)

    assert (cache.get(key("a"), now=0), cache.get(key("b"), now=0), cache.get(key("c"), now=0)) == ("A", None, "C")
    assert len(cache) == 2


def test_drop_forgets_one_entry():
    cache = TokenCache()
    cache.put(key("a"), "A", expires_at=10_000)
    cache.put(key("b"), "B", expires_at=10_000)
    cache.drop(key("a"))

    assert (cache.get(key("a"), now=0), cache.get(key("b"), now=0)) == (None, "B")
