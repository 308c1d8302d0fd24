"""The token cache on disk, the TokenSet value, and tool argument parsing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from client.cache import TokenCache
from client.errors import ClientError
from client.mcp_calls import parse_arguments
from client.tokens import TokenSet

TOKENS = TokenSet(access_token="at-secret", expires_at=1000.0, scope="s", refresh_token="rt-secret")


def test_the_cache_file_is_private_and_round_trips(cache_path: Path) -> None:
    cache = TokenCache(cache_path)

    cache.save("k", TOKENS)

    assert stat.S_IMODE(cache_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_path.parent.stat().st_mode) == 0o700
    assert cache.load("k") == TOKENS
    assert cache.load("other") is None
    assert [p.name for p in cache_path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_delete(cache_path: Path) -> None:
    cache = TokenCache(cache_path)
    cache.save("k", TOKENS)

    assert (cache.delete("k"), cache.delete("k"), cache.load("k")) == (True, False, None)


def test_a_corrupt_cache_reads_as_signed_out(cache_path: Path) -> None:
    cache_path.parent.mkdir(parents=True)
    cache_path.write_text("{not json")

    assert TokenCache(cache_path).load("k") is None


def test_token_set_hides_its_tokens_and_expires_with_skew() -> None:
    assert "secret" not in repr(TOKENS)
    assert (TOKENS.expired(939.0), TOKENS.expired(940.0)) == (False, True)


def test_token_set_keeps_the_old_refresh_token_when_none_is_returned() -> None:
    tokens = TokenSet.from_response({"access_token": "a", "expires_in": 10}, 100.0, previous_refresh="old")

    assert (tokens.expires_at, tokens.refresh_token, tokens.token_type) == (110.0, "old", "Bearer")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["2", "3"], {"a": 2, "b": 3}),
        (["2.5", "b=-1"], {"a": 2.5, "b": -1}),
        (["b=1", "a=x"], {"a": "x", "b": 1}),
        ([], {}),
    ],
)
def test_arguments_map_by_schema_order_or_by_name(raw: list[str], expected: dict[str, object]) -> None:
    assert parse_arguments(raw, ["a", "b"]) == expected


def test_too_many_positional_arguments() -> None:
    with pytest.raises(ClientError, match="too many arguments: the tool takes a, b"):
        parse_arguments(["1", "2", "3"], ["a", "b"])
