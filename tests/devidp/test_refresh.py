"""Refresh tokens (RFC 6749 §6): only with offline_access, a new one on every use.

By default a used refresh token stays valid, as Entra's does ("Refresh tokens in the Microsoft
identity platform"); with `strict_refresh_rotation` it is revoked on use and its replay revokes
the family (RFC 9700 §4.14.2).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devidp import DevIdentityProvider, OffsetClock, defaults
from tests.devidp.flows import login, refresh, verified_claims

API = defaults.DEV_API_CLIENT_ID
ADD = f"api://{API}/calculator.add"
BOTH = f"{ADD} api://{API}/calculator.subtract"


def test_refresh_returns_a_new_access_token_and_a_new_refresh_token(idp: DevIdentityProvider, clock: OffsetClock) -> None:
    first = login(idp, f"{BOTH} offline_access")
    clock.advance(3601)  # the first access token has expired

    response = refresh(idp, first["refresh_token"])

    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["access_token", "expires_in", "ext_expires_in", "refresh_token", "scope", "token_type"]
    assert body["refresh_token"] != first["refresh_token"]
    assert body["scope"] == BOTH
    old, new = verified_claims(idp, first["access_token"]), verified_claims(idp, body["access_token"])
    assert new["iat"] - old["iat"] >= 3601
    assert (new["scp"], new["oid"], new["sub"]) == (old["scp"], old["oid"], old["sub"])


@pytest.fixture(scope="module")
def strict_idp(clock: OffsetClock) -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider(clock=clock, strict_refresh_rotation=True) as provider:
        yield provider


def test_a_used_refresh_token_stays_valid_as_entras_does(idp: DevIdentityProvider) -> None:
    first = login(idp, f"{ADD} offline_access")
    second = refresh(idp, first["refresh_token"])

    replay = refresh(idp, first["refresh_token"])

    assert second.status_code == 200 and replay.status_code == 200
    assert replay.json()["refresh_token"] not in (first["refresh_token"], second.json()["refresh_token"])
    assert verified_claims(idp, replay.json()["access_token"])["scp"] == "calculator.add"
    # Both successors stay usable: nothing was revoked.
    assert refresh(idp, second.json()["refresh_token"]).status_code == 200
    assert refresh(idp, replay.json()["refresh_token"]).status_code == 200


def test_a_used_refresh_token_still_expires(idp: DevIdentityProvider, clock: OffsetClock) -> None:
    first = login(idp, f"{ADD} offline_access")
    assert refresh(idp, first["refresh_token"]).status_code == 200
    clock.advance(86401)

    response = refresh(idp, first["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error_codes"] == [700082]


def test_strict_rotation_rejects_a_used_token_and_revokes_its_successor(strict_idp: DevIdentityProvider) -> None:
    first = login(strict_idp, f"{ADD} offline_access")
    second = refresh(strict_idp, first["refresh_token"]).json()

    replay = refresh(strict_idp, first["refresh_token"])

    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_grant",
        "error_description": "AADSTS70000: The provided value for the input parameter 'refresh_token' is not valid. "
        "The refresh token was already used or revoked.",
        "error_codes": [70000],
    }
    # Reuse means a leak: the whole chain is revoked, the legitimate holder must sign in again.
    assert refresh(strict_idp, second["refresh_token"]).status_code == 400


def test_rotation_continues_down_the_chain(idp: DevIdentityProvider) -> None:
    token = login(idp, f"{ADD} offline_access")["refresh_token"]
    seen = {token}
    for _ in range(3):
        response = refresh(idp, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
        assert token not in seen
        seen.add(token)


def test_refresh_may_narrow_but_not_widen_the_scope(idp: DevIdentityProvider) -> None:
    first = login(idp, f"{BOTH} offline_access")
    narrowed = refresh(idp, first["refresh_token"], scope=ADD)
    assert narrowed.status_code == 200
    assert verified_claims(idp, narrowed.json()["access_token"])["scp"] == "calculator.add"
    assert "refresh_token" in narrowed.json()  # offline_access stays with the grant

    only_add = login(idp, f"{ADD} offline_access")
    widened = refresh(idp, only_add["refresh_token"], scope=BOTH)

    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_scope"


def test_an_unknown_refresh_token_is_invalid_grant(idp: DevIdentityProvider) -> None:
    response = refresh(idp, "never-issued")

    assert response.status_code == 400
    assert response.json()["error_codes"] == [9002313]


def test_an_expired_refresh_token_is_invalid_grant(idp: DevIdentityProvider, clock: OffsetClock) -> None:
    first = login(idp, f"{ADD} offline_access")
    clock.advance(86401)

    response = refresh(idp, first["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error_codes"] == [700082]


def test_a_refresh_token_is_bound_to_its_client(idp: DevIdentityProvider) -> None:
    first = login(idp, f"{ADD} offline_access")

    response = refresh(
        idp,
        first["refresh_token"],
        client_id=defaults.DEV_APP_CLIENT_ID,
        client_secret=defaults.DEV_APP_CLIENT_SECRET,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
