"""Client credentials (RFC 6749 §4.4) with Entra's `.default` rule: the token carries app roles."""

from __future__ import annotations

import pytest
import requests

from devidp import ClientRegistration, DevIdentityProvider, defaults
from tests.devidp.flows import client_credentials, verified_claims

API = defaults.DEV_API_CLIENT_ID
DEFAULT = f"api://{API}/.default"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def test_default_scope_gives_the_granted_roles_and_idtyp_app(idp: DevIdentityProvider) -> None:
    response = client_credentials(idp, DEFAULT)

    assert response.status_code == 200
    assert {k: response.headers[k] for k in NO_STORE} == NO_STORE
    body = response.json()
    assert sorted(body) == ["access_token", "expires_in", "ext_expires_in", "token_type"]
    assert (body["token_type"], body["expires_in"], body["ext_expires_in"]) == ("Bearer", 3600, 3600)
    claims = verified_claims(idp, body["access_token"])
    assert sorted(claims) == ["aud", "azp", "azpacr", "exp", "iat", "idtyp", "iss", "nbf", "oid", "roles", "sub", "tid", "uti", "ver"]
    sp_oid = idp.clients[defaults.DEV_APP_CLIENT_ID].service_principal_oid
    assert {k: claims[k] for k in ("aud", "iss", "azp", "azpacr", "idtyp", "oid", "sub", "tid", "ver", "roles")} == {
        "aud": API,
        "iss": idp.issuer,
        "azp": defaults.DEV_APP_CLIENT_ID,
        "azpacr": "1",
        "idtyp": "app",
        "oid": sp_oid,
        "sub": sp_oid,
        "tid": defaults.DEV_TENANT_ID,
        "ver": "2.0",
        "roles": ["calculator.add", "calculator.subtract"],
    }
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nbf"] == claims["iat"]


def test_client_secret_basic_is_accepted(idp: DevIdentityProvider) -> None:
    response = requests.post(
        idp.token_endpoint,
        data={"grant_type": "client_credentials", "scope": f"{API}/.default"},  # client id as resource prefix
        auth=(defaults.DEV_APP_CLIENT_ID, defaults.DEV_APP_CLIENT_SECRET),
        timeout=10,
    )

    assert response.status_code == 200
    assert verified_claims(idp, response.json()["access_token"])["roles"] == ["calculator.add", "calculator.subtract"]


def test_wrong_secret_is_401_invalid_client(idp: DevIdentityProvider) -> None:
    response = client_credentials(idp, DEFAULT, client_secret="not-the-secret")

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
        "error_codes": [7000215],
    }
    assert response.headers["www-authenticate"] == (
        'Basic error="invalid_client", error_description="AADSTS7000215: Invalid client secret provided."'
    )


def test_missing_secret_is_401_invalid_client(idp: DevIdentityProvider) -> None:
    response = requests.post(
        idp.token_endpoint,
        data={"grant_type": "client_credentials", "client_id": defaults.DEV_APP_CLIENT_ID, "scope": DEFAULT},
        timeout=10,
    )

    assert response.status_code == 401
    assert response.json()["error_codes"] == [7000218]


def test_unknown_client_is_unauthorized_client(idp: DevIdentityProvider) -> None:
    response = client_credentials(idp, DEFAULT, client_id="no-such-app")

    assert response.status_code == 400
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "AADSTS700016: Application with identifier 'no-such-app' was not found in the directory.",
        "error_codes": [700016],
    }


@pytest.mark.parametrize(
    "scope",
    [f"api://{API}/calculator.add", f"{DEFAULT} offline_access", "calculator.add"],
)
def test_a_scope_other_than_default_is_invalid_scope(idp: DevIdentityProvider, scope: str) -> None:
    response = client_credentials(idp, scope)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["error_codes"] == [1002012]


def test_default_of_an_unknown_resource_is_invalid_resource(idp: DevIdentityProvider) -> None:
    response = client_credentials(idp, "api://someone-else/.default")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_resource",
        "error_description": "AADSTS500011: The resource principal named api://someone-else was not found in the tenant.",
        "error_codes": [500011],
    }


def test_missing_scope_is_invalid_request(idp: DevIdentityProvider) -> None:
    response = client_credentials(idp, "")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_codes"] == [900144]


def test_a_resource_parameter_naming_another_resource_is_invalid_target(idp: DevIdentityProvider) -> None:
    response = client_credentials(idp, DEFAULT, resource="https://mcp.example.com/mcp")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert response.json()["error_codes"] == [9010010]


def test_unsupported_grant_type(idp: DevIdentityProvider) -> None:
    response = requests.post(idp.token_endpoint, data={"grant_type": "password"}, timeout=10)

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_a_client_without_roles_gets_a_token_without_roles() -> None:
    bare = ClientRegistration(client_id="bare-app", client_secret="s3cret")
    with DevIdentityProvider(clients=[bare]) as idp:
        response = client_credentials(idp, DEFAULT, client_id="bare-app", client_secret="s3cret")
        claims = verified_claims(idp, response.json()["access_token"])

    assert response.status_code == 200
    assert "roles" not in claims
    assert claims["idtyp"] == "app"


def test_v1_app_token_shape() -> None:
    with DevIdentityProvider(access_token_version=1) as idp:
        response = client_credentials(idp, DEFAULT)
        claims = verified_claims(idp, response.json()["access_token"])

    assert response.status_code == 200
    assert sorted(claims) == ["appid", "appidacr", "aud", "exp", "iat", "idtyp", "iss", "nbf", "oid", "roles", "sub", "tid", "uti", "ver"]
    assert (claims["ver"], claims["iss"], claims["aud"], claims["appid"], claims["appidacr"]) == (
        "1.0",
        f"https://sts.windows.net/{defaults.DEV_TENANT_ID}/",
        f"api://{API}",
        defaults.DEV_APP_CLIENT_ID,
        "1",
    )
