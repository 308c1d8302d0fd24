"""Drive the provider's browser steps over real HTTP, as a user agent would, minus the browser."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from devidp import DevIdentityProvider, defaults

REDIRECT_URI = "http://localhost:53682"
USER = "dev.user@contoso.test"
_TICKET = re.compile(r'name="ticket" value="([^"]+)"')


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(idp: DevIdentityProvider, scope: str, **overrides: str) -> requests.Response:
    """GET the authorization endpoint; overrides replace or add query parameters (None drops one)."""
    _, challenge = pkce_pair()
    params: dict[str, Any] = {
        "client_id": defaults.DEV_PUBLIC_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "state-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    return requests.get(idp.authorization_endpoint, params=params, allow_redirects=False, timeout=10)


def ticket_of(page: requests.Response) -> str:
    match = _TICKET.search(page.text)
    assert match is not None, page.text
    return match.group(1)


def decide(idp: DevIdentityProvider, ticket: str, decision: str = "approve", user: str = USER) -> requests.Response:
    """POST the consent form as the user's browser would."""
    return requests.post(
        idp.authorization_endpoint,
        data={"ticket": ticket, "decision": decision, "user": user},
        allow_redirects=False,
        timeout=10,
    )


def redirect_params(response: requests.Response) -> dict[str, str]:
    """The query of a 302 back to the client, one value per name."""
    assert response.status_code == 302, (response.status_code, response.text)
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def get_code(idp: DevIdentityProvider, scope: str, verifier: str, **overrides: str) -> str:
    """Run authorize → consent → approve and return the code."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    page = authorize(idp, scope, code_challenge=challenge, **overrides)
    assert page.status_code == 200, page.text
    params = redirect_params(decide(idp, ticket_of(page)))
    assert params["state"] == overrides.get("state", "state-123")
    return params["code"]


def redeem(idp: DevIdentityProvider, code: str, verifier: str | None, **extra: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": defaults.DEV_PUBLIC_CLIENT_ID,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    return requests.post(idp.token_endpoint, data=data, timeout=10)


def refresh(idp: DevIdentityProvider, refresh_token: str, **extra: str) -> requests.Response:
    data = {"grant_type": "refresh_token", "client_id": defaults.DEV_PUBLIC_CLIENT_ID, "refresh_token": refresh_token}
    data.update(extra)
    return requests.post(idp.token_endpoint, data=data, timeout=10)


def client_credentials(idp: DevIdentityProvider, scope: str, **extra: str) -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": defaults.DEV_APP_CLIENT_ID,
        "client_secret": defaults.DEV_APP_CLIENT_SECRET,
        "scope": scope,
    }
    data.update(extra)
    return requests.post(idp.token_endpoint, data=data, timeout=10)


def login(idp: DevIdentityProvider, scope: str) -> dict[str, Any]:
    """The whole code flow with PKCE; returns the token response body."""
    verifier, _ = pkce_pair()
    response = redeem(idp, get_code(idp, scope, verifier), verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def verified_claims(idp: DevIdentityProvider, token: str) -> dict[str, Any]:
    """Verify `token` with the key the provider publishes at its JWKS URI; return the claims."""
    import jwt

    header = jwt.get_unverified_header(token)
    jwks = requests.get(idp.jwks_uri, timeout=10).json()
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False}
    )
    return claims
