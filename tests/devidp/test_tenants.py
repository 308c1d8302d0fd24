"""Several tenants in one provider: each its own issuer, endpoints and store; one common key set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from devidp import DevIdentityProvider, defaults
from tests.devidp.flows import REDIRECT_URI, get_code, pkce_pair, verified_claims

HOME = defaults.DEV_TENANT_ID
OTHER = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
API = defaults.DEV_API_CLIENT_ID
DEFAULT = f"api://{API}/.default"


@pytest.fixture(scope="module")
def idp() -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider(other_tenant_ids=[OTHER]) as provider:
        yield provider


def app_token_at(idp: DevIdentityProvider, tenant: str) -> requests.Response:
    return requests.post(
        f"{idp.url}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": defaults.DEV_APP_CLIENT_ID,
            "client_secret": defaults.DEV_APP_CLIENT_SECRET,
            "scope": DEFAULT,
        },
        timeout=10,
    )


def test_each_tenant_issues_tokens_naming_itself(idp: DevIdentityProvider) -> None:
    assert idp.tenant_ids == (HOME, OTHER)
    for tenant in (HOME, OTHER):
        response = app_token_at(idp, tenant)
        assert response.status_code == 200, response.text
        claims = verified_claims(idp, response.json()["access_token"])
        assert (claims["iss"], claims["tid"], claims["aud"]) == (f"{idp.url}/{tenant}/v2.0", tenant, API)


def test_each_tenant_has_its_metadata_and_the_authorities_a_templated_issuer(idp: DevIdentityProvider) -> None:
    other = requests.get(f"{idp.url}/{OTHER}/v2.0/.well-known/openid-configuration", timeout=10).json()
    organizations = requests.get(f"{idp.organizations_issuer}/.well-known/openid-configuration", timeout=10).json()

    assert (other["issuer"], other["token_endpoint"], other["jwks_uri"]) == (
        f"{idp.url}/{OTHER}/v2.0",
        f"{idp.url}/{OTHER}/oauth2/v2.0/token",
        f"{idp.url}/{OTHER}/discovery/v2.0/keys",
    )
    # Entra's organizations/common metadata names a template, not a tenant.
    assert (organizations["issuer"], organizations["authorization_endpoint"], organizations["jwks_uri"]) == (
        f"{idp.url}/{{tenantid}}/v2.0",
        f"{idp.url}/organizations/oauth2/v2.0/authorize",
        f"{idp.url}/organizations/discovery/v2.0/keys",
    )


def test_one_common_key_set_verifies_every_tenants_tokens(idp: DevIdentityProvider) -> None:
    common = requests.get(idp.common_jwks_uri, timeout=10).json()

    assert common == requests.get(f"{idp.url}/{OTHER}/discovery/v2.0/keys", timeout=10).json() == idp.key.jwks()
    assert idp.common_jwks_uri == f"{idp.url}/common/discovery/v2.0/keys"


def test_minting_for_another_tenant(idp: DevIdentityProvider) -> None:
    claims = verified_claims(idp, idp.mint_user_token(tenant_id=OTHER, version=1))

    assert (claims["iss"], claims["tid"], claims["aud"]) == (f"https://sts.windows.net/{OTHER}/", OTHER, f"api://{API}")
    with pytest.raises(KeyError):
        idp.mint_app_token(tenant_id="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")


def test_a_code_from_one_tenant_is_not_redeemed_at_another(idp: DevIdentityProvider) -> None:
    verifier, _ = pkce_pair()
    code = get_code(idp, f"api://{API}/calculator.add", verifier)  # the home tenant's authorize endpoint

    response = requests.post(
        f"{idp.url}/{OTHER}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": defaults.DEV_PUBLIC_CLIENT_ID,
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_codes"] == [70000]
