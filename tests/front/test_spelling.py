"""Each sealed value has one spelling: the exact characters Fernet wrote.

Fernet's decoder is lenient: it skips characters outside the base64 alphabet, takes `+/` for
`-_`, ignores the unused bits of the last character and anything after the padding. So a
sealed code with `==` or `AAAA` appended, a newline inserted or `-_` swapped for `+/` used to
open, and one was redeemed with 200. Now only the canonical encoding opens (RFC 4648 §3.5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from front.sealed import ClientRegistration, ConsentTransaction, RememberedApprovals, SealedCode, SealedRefresh, UpstreamState
from front.sealing import Sealer, Unreadable
from tests.log_capture import SuiteLog

from .conftest import FrontStack
from .flows import authorize_url, exchange, expect_page, expect_refusal, expect_token_error, new_verifier, register, sign_in_for_code
from .sdk import remember_sealed

KEY = Fernet.generate_key().decode()
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _other_unused_bits(sealed: str) -> str:
    """The same bytes, spelled with other values in the last character's unused bits (padded values only)."""
    body = sealed.rstrip("=")
    last = _ALPHABET.index(body[-1])
    return body[:-1] + _ALPHABET[last ^ 1] + sealed[len(body) :]


VARIANTS: dict[str, Callable[[str], str]] = {
    "padding-appended": lambda s: s + "==",
    "quantum-appended": lambda s: s + "AAAA",
    "newline-inserted": lambda s: s[:40] + "\n" + s[40:],
    "space-appended": lambda s: s + " ",
    "standard-alphabet": lambda s: s.replace("-", "+").replace("_", "/"),
    "unused-bits": _other_unused_bits,
}

PAYLOADS: list[Any] = [
    ClientRegistration(name="n", redirect_uris=("http://127.0.0.1/cb",)),
    ConsentTransaction(
        client_fingerprint="f", approval_key="a", redirect_uri="http://127.0.0.1/cb", client_state=None,
        code_challenge="c" * 43, scopes=("s",), csrf="x",
    ),
    UpstreamState(
        client_fingerprint="f", redirect_uri="http://127.0.0.1/cb", client_state="s", code_challenge="c" * 43,
        scopes=(), upstream_verifier="v" * 64, callback_url="https://mcp.example/oauth/callback", browser_binding="b",
    ),
    SealedCode(
        upstream_code="u", upstream_verifier="v" * 64, callback_url="https://mcp.example/oauth/callback",
        client_fingerprint="f", redirect_uri="http://127.0.0.1/cb", code_challenge="c" * 43, scopes=("s",),
    ),
    SealedRefresh(upstream_refresh_token="r", client_fingerprint="f", scopes=("s",), family_id="family-" + "x" * 13, family_started=1, generation=0),  # a padded length
    RememberedApprovals(approval_keys=("ak",)),  # a length whose sealing is padded
]


def _sealed_with_padding_and_both_url_characters(sealer: Sealer, value: Any) -> str:
    """A sealing of `value` whose spelling has padding, a `-` and a `_`, so that every variant changes it.

    A Fernet token is 57 + 16k bytes: it is padded when k is not a multiple of 3, and each
    sealing has a fresh IV, so a few tries give one with both url-safe characters."""
    for _ in range(200):
        sealed = sealer.seal_value(value, 60)
        if sealed.endswith("=") and "-" in sealed and "_" in sealed:
            return sealed
    raise AssertionError("no padded sealing with both url-safe characters in 200 tries: change a field's length by 16 so that it pads")


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
@pytest.mark.parametrize("value", PAYLOADS, ids=[type(p).PURPOSE for p in PAYLOADS])
def test_only_the_canonical_spelling_of_a_sealed_value_opens(value: Any, variant: str) -> None:
    sealer = Sealer([KEY])
    sealed = _sealed_with_padding_and_both_url_characters(sealer, value)
    respelled = VARIANTS[variant](sealed)

    assert respelled != sealed
    assert sealer.open_value(type(value), sealed) == value
    with pytest.raises(Unreadable):
        sealer.open_value(type(value), respelled)


# -- end to end: the redeem, and a registration ---------------------------------------------


@pytest.fixture(scope="module")
def client_id(front_stack: FrontStack) -> str:
    return register(front_stack.origin)


# These four open on the old decoder whatever the token's length; the others need padding.
REDEEMED_VARIANTS = ["padding-appended", "newline-inserted", "space-appended", "standard-alphabet"]


@pytest.mark.parametrize("variant", REDEEMED_VARIANTS)
def test_a_respelled_code_is_not_redeemed_and_the_code_itself_still_is(
    front_stack: FrontStack, client_id: str, suite_log: SuiteLog, variant: str
) -> None:
    verifier = new_verifier()
    code = sign_in_for_code(front_stack, client_id, verifier)
    respelled = VARIANTS[variant](code)
    assert respelled != code, "the code has no '-' or '_' to swap"

    refused = exchange(front_stack, client_id, respelled, verifier)
    redeemed = exchange(front_stack, client_id, code, verifier)

    expect_token_error(refused, 400, "invalid_grant", "The code is invalid or expired")
    expect_refusal(suite_log, refused, "token", "invalid_grant", "code_unreadable")
    assert redeemed.status_code == 200, redeemed.text
    remember_sealed(redeemed.json()["refresh_token"])


def test_a_respelled_registration_names_no_client(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    response = httpx.get(authorize_url(front_stack, client_id + "==", new_verifier()))

    expect_page(response, 401, "The client_id names no client this server can verify")
    expect_refusal(suite_log, response, "authorize", "invalid_client", "registration_unreadable")
