"""Sealed values are typed in the code and short on the wire, and the wire is the one the front always sealed."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from front.sealed import ClientRegistration, ConsentTransaction, RememberedApprovals, SealedCode, SealedRefresh, UpstreamState
from front.sealing import Sealer, Unreadable, WrongPurpose

KEY = Fernet.generate_key().decode()

# Each purpose's payload as the front sealed it before the models existed: what may be in
# flight (a DCR client id, a refresh token in a client's store, a consent cookie) at a deploy.
# The upstream state has since gained the browser binding ("bb"), which it must carry.
WIRE: list[tuple[Any, dict[str, Any], Any]] = [
    (
        ClientRegistration,
        {"n": "Inspector", "r": ["http://127.0.0.1:6274/cb"]},
        ClientRegistration(name="Inspector", redirect_uris=("http://127.0.0.1:6274/cb",)),
    ),
    (
        ConsentTransaction,
        {"cf": "f", "ak": "a", "rd": "http://127.0.0.1/cb", "st": None, "ch": "c" * 43, "sc": ["api://x/calculator.add"], "x": "csrf"},
        ConsentTransaction(
            client_fingerprint="f", approval_key="a", redirect_uri="http://127.0.0.1/cb", client_state=None,
            code_challenge="c" * 43, scopes=("api://x/calculator.add",), csrf="csrf",
        ),
    ),
    (
        UpstreamState,
        {"cf": "f", "rd": "http://127.0.0.1/cb", "st": "s", "ch": "c" * 43, "sc": [], "uv": "v" * 64, "cb": "https://mcp.example/oauth/callback", "bb": "b"},
        UpstreamState(
            client_fingerprint="f", redirect_uri="http://127.0.0.1/cb", client_state="s", code_challenge="c" * 43, scopes=(),
            upstream_verifier="v" * 64, callback_url="https://mcp.example/oauth/callback", browser_binding="b",
        ),
    ),
    (
        SealedCode,
        {"uc": "upstream", "uv": "v" * 64, "cb": "https://mcp.example/oauth/callback", "cf": "f", "rd": "http://127.0.0.1/cb", "ch": "c" * 43, "sc": ["s"]},
        SealedCode(
            upstream_code="upstream", upstream_verifier="v" * 64, callback_url="https://mcp.example/oauth/callback",
            client_fingerprint="f", redirect_uri="http://127.0.0.1/cb", code_challenge="c" * 43, scopes=("s",),
        ),
    ),
    (
        # The family fields are newer than the models (issue 14 item 3): see the "another shape" cases.
        SealedRefresh,
        {"rt": "upstream-refresh", "cf": "f", "sc": ["s"], "fm": "family", "fs": 1000, "gn": 2},
        SealedRefresh(
            upstream_refresh_token="upstream-refresh", client_fingerprint="f", scopes=("s",),
            family_id="family", family_started=1000, generation=2,
        ),
    ),
    (RememberedApprovals, {"k": ["a", "b"]}, RememberedApprovals(approval_keys=("a", "b"))),
]


@pytest.mark.parametrize(("kind", "wire", "value"), WIRE, ids=[kind.PURPOSE for kind, _, _ in WIRE])
def test_a_value_sealed_in_the_old_format_opens_typed_and_seals_back_the_same(kind: Any, wire: dict[str, Any], value: Any) -> None:
    sealer = Sealer([KEY])

    assert sealer.open_value(kind, sealer.seal(kind.PURPOSE, wire, 60)) == value
    assert sealer.open(kind.PURPOSE, sealer.seal_value(value, 60)) == wire


@pytest.mark.parametrize(
    "wire",
    [
        {"rt": 7, "cf": "f", "sc": [], "fm": "m", "fs": 1, "gn": 0},  # a mistyped field
        {"cf": "f", "sc": [], "fm": "m", "fs": 1, "gn": 0},  # a missing one
        {"rt": "r", "cf": "f", "sc": "calculator.add", "fm": "m", "fs": 1, "gn": 0},  # a string where a list belongs
        {"rt": "r", "cf": "f", "sc": [1], "fm": "m", "fs": 1, "gn": 0},
        # A refresh token sealed before the refresh window: it had 90 days and no family. It must not
        # open, or it would outlive every window (RFC 9700 §4.14.2); its holder signs in again once.
        {"rt": "r", "cf": "f", "sc": []},
    ],
)
def test_a_payload_of_another_shape_is_unreadable(wire: dict[str, Any]) -> None:
    sealer = Sealer([KEY])

    with pytest.raises(Unreadable):
        sealer.open_value(SealedRefresh, sealer.seal("refresh", wire, 60))


def test_a_state_sealed_before_the_browser_binding_is_unreadable() -> None:
    # A sign-in under way at the deploy that added it must start again: finishing it unbound is the attack.
    sealer = Sealer([KEY])
    unbound = {"cf": "f", "rd": "http://127.0.0.1/cb", "st": "s", "ch": "c" * 43, "sc": [], "uv": "v" * 64, "cb": "https://mcp.example/oauth/callback"}

    with pytest.raises(Unreadable):
        sealer.open_value(UpstreamState, sealer.seal("state", unbound, 60))


def test_the_purpose_still_decides_before_the_shape() -> None:
    sealer = Sealer([KEY])
    state = sealer.seal("state", {"rt": "r", "cf": "f", "sc": []}, 60)  # refresh-shaped, sealed as a state

    with pytest.raises(WrongPurpose):
        sealer.open_value(SealedRefresh, state)
