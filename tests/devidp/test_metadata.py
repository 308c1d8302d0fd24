"""Discovery (RFC 8414, OIDC Discovery) and the JWKS (RFC 7517)."""

from __future__ import annotations

import jwt
import pytest
import requests

from devidp import DevIdentityProvider, defaults
from tests.devidp.flows import verified_claims

TENANT = defaults.DEV_TENANT_ID
API = defaults.DEV_API_CLIENT_ID


def expected_metadata(idp: DevIdentityProvider, issuer: str) -> dict[str, object]:
    base = f"{idp.url}/{TENANT}"
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": [
            "email",
            "offline_access",
            "openid",
            "profile",
            f"api://{API}/calculator.add",
            f"api://{API}/calculator.subtract",
        ],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid", "preferred_username"],
        "tenant_region_scope": None,
    }


@pytest.mark.parametrize(
    "path",
    [
        f"/{TENANT}/v2.0/.well-known/openid-configuration",  # OIDC Discovery §4: issuer + well-known
        f"/{TENANT}/v2.0/.well-known/oauth-authorization-server",
        f"/.well-known/oauth-authorization-server/{TENANT}/v2.0",  # RFC 8414 §3.1 path insertion
        f"/.well-known/openid-configuration/{TENANT}/v2.0",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ],
)
def test_metadata_is_served_at_every_well_known_path(idp: DevIdentityProvider, path: str) -> None:
    response = requests.get(idp.url + path, timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected_metadata(idp, f"{idp.url}/{TENANT}/v2.0")


def test_default_issuer_is_the_served_v2_url(idp: DevIdentityProvider) -> None:
    assert idp.issuer == f"{idp.url}/{TENANT}/v2.0"
    assert idp.metadata_url == f"{idp.url}/{TENANT}/v2.0/.well-known/openid-configuration"
    assert idp.authority == f"{idp.url}/{TENANT}"


def test_jwks_publishes_one_rsa_signing_key_named_by_the_token_kid(idp: DevIdentityProvider) -> None:
    response = requests.get(idp.jwks_uri, timeout=10)

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert sorted(key) == ["alg", "e", "kid", "kty", "n", "use"]
    assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")
    token = idp.mint_user_token()
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key["kid"], "typ": "JWT"}
    assert verified_claims(idp, token)["scp"] == "calculator.add calculator.subtract"


def test_issuer_is_free_of_the_served_url() -> None:
    entra = f"https://login.microsoftonline.com/{TENANT}/v2.0"
    with DevIdentityProvider(issuer=entra) as idp:
        document = requests.get(idp.metadata_url, timeout=10).json()
        claims = verified_claims(idp, idp.mint_user_token(["calculator.add"]))
        v1 = verified_claims(idp, idp.mint_app_token(version=1))

    assert document == expected_metadata(idp, entra)
    assert claims["iss"] == entra
    assert v1["iss"] == f"https://sts.windows.net/{TENANT}/"


def test_unknown_paths_are_404(idp: DevIdentityProvider) -> None:
    response = requests.get(f"{idp.url}/other-tenant/v2.0/.well-known/openid-configuration", timeout=10)

    assert response.status_code == 404


def test_a_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        DevIdentityProvider(host="0.0.0.0")


def test_stop_frees_the_port_and_is_idempotent() -> None:
    idp = DevIdentityProvider().start()
    url = idp.url
    idp.stop()
    idp.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/.well-known/openid-configuration", timeout=2)
