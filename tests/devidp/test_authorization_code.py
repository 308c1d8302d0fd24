"""Authorization code (RFC 6749 §4.1) with PKCE S256 required (RFC 7636) and the consent page."""

from __future__ import annotations

import pytest
import requests

from devidp import ClientRegistration, DevIdentityProvider, OffsetClock, defaults
from tests.devidp.flows import (
    REDIRECT_URI,
    authorize,
    decide,
    get_code,
    login,
    pkce_pair,
    redeem,
    redirect_params,
    ticket_of,
    verified_claims,
)

API = defaults.DEV_API_CLIENT_ID
ADD = f"api://{API}/calculator.add"
SUBTRACT = f"api://{API}/calculator.subtract"
BOTH = f"{ADD} {SUBTRACT}"


def test_consent_page_lists_the_scopes_and_the_users(idp: DevIdentityProvider) -> None:
    page = authorize(idp, f"{BOTH} offline_access")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    for text in (f"<code>{ADD}</code>", f"<code>{SUBTRACT}</code>", "<code>offline_access</code>",
                 'value="dev.user@contoso.test"', 'value="second.user@contoso.test"',
                 'name="decision" value="approve"', 'name="decision" value="deny"'):
        assert text in page.text


def test_approval_redirects_with_code_and_state_and_the_code_buys_a_user_token(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, f"{BOTH} offline_access", verifier)

    response = redeem(idp, code, verifier)

    assert response.status_code == 200
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    body = response.json()
    assert sorted(body) == ["access_token", "expires_in", "ext_expires_in", "refresh_token", "scope", "token_type"]
    assert (body["token_type"], body["scope"], body["expires_in"]) == ("Bearer", BOTH, 3600)
    claims = verified_claims(idp, body["access_token"])
    assert sorted(claims) == [
        "aud", "azp", "azpacr", "exp", "iat", "iss", "name", "nbf", "oid", "preferred_username", "scp", "sub",
        "tid", "uti", "ver",
    ]
    assert {k: claims[k] for k in ("aud", "iss", "azp", "azpacr", "name", "oid", "preferred_username", "scp", "tid", "ver")} == {
        "aud": API,
        "iss": idp.issuer,
        "azp": defaults.DEV_PUBLIC_CLIENT_ID,
        "azpacr": "0",
        "name": "Dev User",
        "oid": "55555555-5555-4555-8555-555555555555",
        "preferred_username": "dev.user@contoso.test",
        "scp": "calculator.add calculator.subtract",
        "tid": defaults.DEV_TENANT_ID,
        "ver": "2.0",
    }
    assert claims["sub"] != claims["oid"]  # pairwise, as in Entra


def test_the_consent_form_chooses_the_user(idp: DevIdentityProvider) -> None:
    verifier, challenge = pkce_pair()
    page = authorize(idp, ADD, code_challenge=challenge)
    code = redirect_params(decide(idp, ticket_of(page), user="second.user@contoso.test"))["code"]

    claims = verified_claims(idp, redeem(idp, code, verifier).json()["access_token"])

    assert (claims["name"], claims["scp"]) == ("Second User", "calculator.add")


def test_without_offline_access_there_is_no_refresh_token(idp: DevIdentityProvider) -> None:
    body = login(idp, ADD)

    assert "refresh_token" not in body
    assert body["scope"] == ADD


def test_default_scope_in_the_code_flow_grants_every_api_scope(idp: DevIdentityProvider) -> None:
    body = login(idp, f"api://{API}/.default")

    assert verified_claims(idp, body["access_token"])["scp"] == "calculator.add calculator.subtract"


def test_wrong_verifier_is_invalid_grant(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, ADD, verifier)
    other, _ = pkce_pair()

    response = redeem(idp, code, other)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the "
        "authorization request.",
        "error_codes": [501481],
    }


def test_missing_verifier_is_invalid_request(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, ADD, verifier)

    response = redeem(idp, code, None)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "Missing 'code_verifier'", "error_codes": []}


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_challenge_method": "plain"}, "Unsupported 'code_challenge_method': only S256 is accepted (RFC 7636 4.2)."),
        ({"code_challenge_method": None}, "Unsupported 'code_challenge_method': only S256 is accepted (RFC 7636 4.2)."),
        ({"code_challenge": None, "code_challenge_method": None},
         "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge."),
    ],
    ids=["plain", "method-omitted-means-plain", "no-challenge"],
)
def test_pkce_other_than_s256_is_refused_back_to_the_client(
    idp: DevIdentityProvider, overrides: dict[str, str | None], description: str
) -> None:
    response = authorize(idp, ADD, **overrides)  # type: ignore[arg-type]

    assert redirect_params(response) == {"error": "invalid_request", "error_description": description, "state": "state-123"}
    assert response.headers["location"].startswith(REDIRECT_URI + "?")


def test_a_code_is_single_use(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, ADD, verifier)
    assert redeem(idp, code, verifier).status_code == 200

    again = redeem(idp, code, verifier)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_codes"] == [54005]


def test_an_unknown_code_is_invalid_grant(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()

    response = redeem(idp, "not-a-code", verifier)

    assert response.status_code == 400
    assert response.json()["error_codes"] == [70000]


def test_an_expired_code_is_invalid_grant(idp: DevIdentityProvider, clock: OffsetClock) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, ADD, verifier)
    clock.advance(601)  # RFC 6749 §4.1.2: codes live at most ten minutes

    response = redeem(idp, code, verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization_request(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, ADD, verifier)

    response = redeem(idp, code, verifier, redirect_uri="http://localhost:1234")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied(idp: DevIdentityProvider) -> None:
    page = authorize(idp, ADD)

    response = decide(idp, ticket_of(page), decision="deny")

    assert redirect_params(response) == {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app.",
        "state": "state-123",
    }


def test_a_consent_ticket_is_single_use(idp: DevIdentityProvider) -> None:
    ticket = ticket_of(authorize(idp, ADD))
    assert decide(idp, ticket).status_code == 302

    again = decide(idp, ticket)

    assert again.status_code == 400
    assert "Consent expired" in again.text


def test_an_unregistered_redirect_uri_is_not_redirected_to(idp: DevIdentityProvider) -> None:
    response = authorize(idp, ADD, redirect_uri="https://evil.example/callback")

    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Redirect URI https://evil.example/callback is not supported by client.",
        "state": "state-123",
        "error_codes": [],
    }


@pytest.mark.parametrize("redirect_uri", ["http://localhost:1", "http://127.0.0.1:65000", "http://localhost"])
def test_loopback_redirects_may_use_any_port(idp: DevIdentityProvider, redirect_uri: str) -> None:
    # RFC 8252 §7.3
    assert authorize(idp, ADD, redirect_uri=redirect_uri).status_code == 200


def test_an_unknown_client_is_not_redirected_to(idp: DevIdentityProvider) -> None:
    response = authorize(idp, ADD, client_id="nobody")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("scope", "error", "code"),
    [
        ("calculator.add", "invalid_scope", 650053),  # a bare name is a Microsoft Graph scope
        (f"api://{API}/calculator.divide", "invalid_scope", 70011),
        ("api://other-api/calculator.add", "invalid_resource", 500011),
        ("openid offline_access", "invalid_scope", 70011),
    ],
)
def test_bad_scopes_are_refused_back_to_the_client(idp: DevIdentityProvider, scope: str, error: str, code: int) -> None:
    params = redirect_params(authorize(idp, scope))

    assert params["error"] == error
    assert params["error_description"].startswith(f"AADSTS{code}:")


def test_a_confidential_client_redeems_with_its_secret() -> None:
    with DevIdentityProvider() as idp:
        verifier, _ = pkce_pair()
        code = get_code(idp, ADD, verifier, client_id=defaults.DEV_APP_CLIENT_ID)
        without = redeem(idp, code, verifier, client_id=defaults.DEV_APP_CLIENT_ID)
        code = get_code(idp, ADD, verifier, client_id=defaults.DEV_APP_CLIENT_ID)
        response = requests.post(
            idp.token_endpoint,
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
            auth=(defaults.DEV_APP_CLIENT_ID, defaults.DEV_APP_CLIENT_SECRET),
            timeout=10,
        )
        claims = verified_claims(idp, response.json()["access_token"])

    assert without.status_code == 401
    assert without.json()["error_codes"] == [7000218]
    assert response.status_code == 200
    assert (claims["azp"], claims["azpacr"], claims["scp"]) == (defaults.DEV_APP_CLIENT_ID, "1", "calculator.add")


def test_a_client_limited_to_some_scopes_cannot_ask_for_others() -> None:
    limited = ClientRegistration(client_id="limited", scopes=frozenset({"calculator.add"}))
    with DevIdentityProvider(clients=[limited]) as idp:
        response = authorize(idp, BOTH, client_id="limited")

    assert redirect_params(response)["error"] == "invalid_scope"


def test_v1_user_token_shape() -> None:
    with DevIdentityProvider(access_token_version=1) as idp:
        claims = verified_claims(idp, login(idp, ADD)["access_token"])

    assert sorted(claims) == [
        "appid", "appidacr", "aud", "exp", "iat", "iss", "name", "nbf", "oid", "scp", "sub", "tid", "unique_name",
        "upn", "uti", "ver",
    ]
    assert {k: claims[k] for k in ("ver", "iss", "aud", "appid", "upn", "scp")} == {
        "ver": "1.0",
        "iss": f"https://sts.windows.net/{defaults.DEV_TENANT_ID}/",
        "aud": f"api://{API}",
        "appid": defaults.DEV_PUBLIC_CLIENT_ID,
        "upn": "dev.user@contoso.test",
        "scp": "calculator.add",
    }
