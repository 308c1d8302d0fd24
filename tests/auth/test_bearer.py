from __future__ import annotations

import pytest

from auth import InvalidRequest, InvalidToken, MissingToken
from auth.bearer import bearer_token


@pytest.mark.parametrize(
    ("values", "token"),
    [
        ([b"Bearer abc.def.ghi"], "abc.def.ghi"),
        ([b"bearer abc.def.ghi"], "abc.def.ghi"),
        ([b"BEARER abc.def-_~+/="], "abc.def-_~+/="),
        ([b"Bearer   abc.def.ghi  "], "abc.def.ghi"),
    ],
)
def test_bearer_scheme_is_case_insensitive(values: list[bytes], token: str):
    assert bearer_token(values) == token


@pytest.mark.parametrize(
    ("values", "error", "reason"),
    [
        ([], MissingToken, "missing_token"),
        ([b"Basic dXNlcjpwYXNz"], MissingToken, "unsupported_scheme"),
        ([b"DPoP abc.def.ghi"], MissingToken, "unsupported_scheme"),
        ([b"Bearer"], MissingToken, "empty_token"),
        ([b"Bearer "], MissingToken, "empty_token"),
        ([b"Bearer a", b"Bearer b"], InvalidRequest, "duplicate_authorization"),
        ([b"Bearer " + b"a" * (16 * 1024)], InvalidRequest, "header_too_large"),
        ([b"Bearer abc def"], InvalidToken, "malformed_token"),
        ([b"Bearer abc\xff.def"], InvalidToken, "malformed_token"),
        ([b'Bearer "abc"'], InvalidToken, "malformed_token"),
        ([b"Bearer ==abc"], InvalidToken, "malformed_token"),
    ],
)
def test_bad_authorization_headers(values: list[bytes], error: type[Exception], reason: str):
    with pytest.raises(error) as caught:
        bearer_token(values)
    assert caught.value.reason == reason
