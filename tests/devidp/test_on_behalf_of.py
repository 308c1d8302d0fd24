"""devidp's on-behalf-of grant (RFC 7523 JWT bearer, requested_token_use=on_behalf_of) and its Graph-like /me."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
import requests

from devidp import DevIdentityProvider, OffsetClock, SigningKey, defaults
from devidp.downstream import GRAPH_RESOURCE, JWT_BEARER_GRANT
from tests.support import remember_token

API = defaults.DEV_API_CLIENT_ID
USER_READ = f"{GRAPH_RESOURCE}/User.Read"


@pytest.fixture(autouse=True)
def _reset(idp: DevIdentityProvider) -> None:
    assert idp.downstream is not None
    idp.downstream.reset()


def exchange(idp: DevIdentityProvider, assertion: str, **overrides: str) -> requests.Response:
    form = {
        "grant_type": JWT_BEARER_GRANT,
        "requested_token_use": "on_behalf_of",
        "assertion": assertion,
        "scope": f"{USER_READ} offline_access openid profile",
        "client_id": API,
        "client_secret": defaults.DEV_API_CLIENT_SECRET,
        **overrides,
    }
    return requests.post(idp.token_endpoint, data={k: v for k, v in form.items() if v != ""}, timeout=10)


def user_assertion(idp: DevIdentityProvider, **claims: Any) -> str:
    return remember_token(idp.mint_user_token(extra_claims=claims))


def graph_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_the_api_exchanges_its_caller_s_token_for_a_graph_token(idp: DevIdentityProvider):
    answer = exchange(idp, user_assertion(idp))

    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["scope"], body["expires_in"]) == ("Bearer", USER_READ, 3600)
    claims = graph_claims(remember_token(body["access_token"]))
    assert (claims["aud"], claims["appid"], claims["scp"], claims["oid"], claims["ver"]) == (
        GRAPH_RESOURCE, API, "User.Read", "55555555-5555-4555-8555-555555555555", "1.0"
    )
    profile = requests.get(idp.me_url, headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10)
    assert (profile.status_code, profile.json()["userPrincipalName"]) == (200, "dev.user@contoso.test")


@pytest.mark.parametrize(
    ("case", "status", "error", "code"),
    [
        ("no requested_token_use", 400, "invalid_request", 70003),
        ("another client's token", 400, "invalid_grant", 50013),
        ("an app token", 400, "invalid_grant", 50013),
        ("an expired token", 400, "invalid_grant", 500133),
        ("a foreign signature", 400, "invalid_grant", 50013),
        ("a scope Graph lacks", 400, "invalid_scope", 70011),
        ("the API's own scope", 400, "invalid_scope", 70011),
        ("a wrong secret", 401, "invalid_client", 7000215),
    ],
)
def test_the_exchange_refuses_what_entra_refuses(idp: DevIdentityProvider, case: str, status: int, error: str, code: int):
    assertion = user_assertion(idp)
    overrides: dict[str, str] = {}
    if case == "no requested_token_use":
        overrides["requested_token_use"] = ""
    elif case == "another client's token":
        assertion = user_assertion(idp, aud=defaults.DEV_APP_CLIENT_ID)
    elif case == "an app token":
        assertion = remember_token(idp.mint_app_token(extra_claims={"aud": API}))
    elif case == "an expired token":
        assertion = remember_token(idp.mint_user_token(lifetime=-10))
    elif case == "a foreign signature":
        assertion = remember_token(jwt.encode(graph_claims(assertion), SigningKey().private_key, algorithm="RS256"))
    elif case == "a scope Graph lacks":
        overrides["scope"] = f"{GRAPH_RESOURCE}/Mail.Send"
    elif case == "the API's own scope":
        overrides["scope"] = idp.scope("calculator.add")
    else:
        overrides["client_secret"] = "wrong"

    answer = exchange(idp, assertion, **overrides)

    assert (answer.status_code, answer.json()["error"], answer.json()["error_codes"]) == (status, error, [code])


def test_missing_consent_is_aadsts65001_until_the_person_approves_the_consent_url(idp: DevIdentityProvider):
    assert idp.downstream is not None
    idp.downstream.consent_required = True
    assertion = user_assertion(idp)

    refused = exchange(idp, assertion)
    page = requests.get(
        idp.authorization_endpoint + "?" + urlencode(
            {"client_id": API, "response_type": "code", "redirect_uri": idp.done_url, "scope": USER_READ, "prompt": "consent"}
        ),
        timeout=10,
    )
    ticket = page.text.split('name="ticket" value="')[1].split('"')[0]
    approved = requests.post(
        idp.authorization_endpoint,
        data={"ticket": ticket, "user": "dev.user@contoso.test", "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    granted = exchange(idp, assertion)

    body = refused.json()
    assert (refused.status_code, body["error"], body["error_codes"], body["suberror"]) == (400, "invalid_grant", [65001], "consent_required")
    assert approved.status_code == 302 and approved.headers["location"].startswith(f"{idp.done_url}?code=")
    assert granted.status_code == 200


def test_conditional_access_returns_the_claims_to_request(idp: DevIdentityProvider):
    assert idp.downstream is not None
    idp.downstream.conditional_access = 53003

    body = exchange(idp, user_assertion(idp)).json()

    assert (body["error_codes"], body["suberror"], body["claims"]) == ([53003], "basic_action", idp.downstream.conditional_access_claims)


def test_the_consent_page_never_redirects_to_an_unregistered_uri(idp: DevIdentityProvider):
    page = requests.get(
        idp.authorization_endpoint + "?" + urlencode(
            {"client_id": API, "response_type": "code", "redirect_uri": "https://evil.example/cb", "scope": USER_READ}
        ),
        allow_redirects=False,
        timeout=10,
    )

    assert page.status_code == 400 and "AADSTS50011" in page.text and "location" not in page.headers


def me(idp: DevIdentityProvider, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(idp.me_url, headers=headers, timeout=10)


def test_me_checks_audience_scope_and_expiry_as_graph_does(idp: DevIdentityProvider):
    graph = exchange(idp, user_assertion(idp)).json()["access_token"]
    claims = graph_claims(remember_token(graph))
    key = idp.key

    assert me(idp, None).status_code == 401
    assert me(idp, remember_token(idp.mint_user_token())).json()["error"]["message"].endswith("Invalid audience.")
    assert me(idp, remember_token(key.sign({**claims, "scp": "Mail.Read"}))).status_code == 403
    assert me(idp, remember_token(key.sign({**claims, "exp": int(idp.clock()) - 1}))).status_code == 401
    assert me(idp, graph).status_code == 200


def test_after_a_critical_event_me_answers_a_cae_claims_challenge(idp: DevIdentityProvider, clock: OffsetClock):
    assert idp.downstream is not None
    graph = remember_token(exchange(idp, user_assertion(idp)).json()["access_token"])
    clock.advance(5)
    idp.downstream.claims_challenge()  # a critical event after the token was issued

    answer = me(idp, graph)

    assert answer.status_code == 401
    header = answer.headers["WWW-Authenticate"]
    claims = idp.downstream.event_claims()
    assert claims is not None
    encoded = base64.b64encode(claims.encode()).decode()
    assert header == (
        f'Bearer realm="", authorization_uri="{idp.v1_issuer}", client_id="00000003-0000-0000-c000-000000000000", '
        f'error="insufficient_claims", claims="{encoded}"'
    )
