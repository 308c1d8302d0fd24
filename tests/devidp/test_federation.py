"""Workload identity federation in the dev provider: the managed-identity stand-in issues a token, and a
client whose registration trusts that identity authenticates with it as a client assertion (RFC 7523 §2.2)."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
import requests

from devidp import ClientRegistration, DevIdentityProvider, SigningKey, defaults
from devidp.federation import JWT_BEARER, TOKEN_EXCHANGE_AUDIENCE, FederatedCredential
from tests.devidp.flows import verified_claims
from tests.support import remember_token

API = defaults.DEV_API_CLIENT_ID
MI_CLIENT = defaults.DEV_MANAGED_IDENTITY_CLIENT_ID
MI_OBJECT = defaults.DEV_MANAGED_IDENTITY_OBJECT_ID
WORKLOAD = ClientRegistration(
    client_id="workload",
    roles=frozenset({"calculator.add"}),
    federated_credentials=(FederatedCredential(subject=MI_OBJECT),),
)


@pytest.fixture(scope="module")
def federated() -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider(clients=[WORKLOAD]) as provider:
        yield provider


def identity_token(idp: DevIdentityProvider, resource: str = TOKEN_EXCHANGE_AUDIENCE, client_id: str = MI_CLIENT, header: str | None = None) -> requests.Response:
    return requests.get(
        idp.identity_endpoint,
        params={"api-version": "2019-08-01", "resource": resource, "client_id": client_id},
        headers={"X-IDENTITY-HEADER": idp.identity_header if header is None else header},
        timeout=10,
    )


def with_assertion(idp: DevIdentityProvider, assertion: str) -> requests.Response:
    return requests.post(
        idp.token_endpoint,
        data={"grant_type": "client_credentials", "client_id": "workload", "scope": f"api://{API}/.default",
              "client_assertion_type": JWT_BEARER, "client_assertion": remember_token(assertion)},
        timeout=10,
    )


def test_the_stand_in_issues_the_managed_identity_token(federated: DevIdentityProvider) -> None:
    response = identity_token(federated)

    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["access_token", "client_id", "expires_on", "resource", "token_type"]
    claims = verified_claims(federated, remember_token(body["access_token"]))
    assert {k: claims[k] for k in ("iss", "sub", "aud", "oid", "azp")} == {
        "iss": federated.issuer, "sub": MI_OBJECT, "aud": TOKEN_EXCHANGE_AUDIENCE, "oid": MI_OBJECT, "azp": MI_CLIENT,
    }
    assert int(body["expires_on"]) == claims["exp"]


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"header": "wrong"}, 401, "Unauthorized: missing or wrong X-IDENTITY-HEADER"),
        ({"client_id": "dddddddd-dddd-4ddd-8ddd-dddddddddddd"}, 400, "No managed identity with that client id, or no resource"),
    ],
)
def test_the_stand_in_refuses_a_wrong_header_or_identity(federated: DevIdentityProvider, kwargs: dict[str, str], status: int, message: str) -> None:
    response = identity_token(federated, **kwargs)

    assert (response.status_code, response.json()) == (status, {"statusCode": status, "message": message})


def test_a_matching_assertion_authenticates_the_client(federated: DevIdentityProvider) -> None:
    response = with_assertion(federated, identity_token(federated).json()["access_token"])

    assert response.status_code == 200
    claims = verified_claims(federated, remember_token(response.json()["access_token"]))
    assert (claims["azp"], claims["roles"]) == ("workload", ["calculator.add"])


def test_an_assertion_for_another_audience_matches_no_credential(federated: DevIdentityProvider) -> None:
    assertion = identity_token(federated, resource="https://management.azure.com/").json()["access_token"]

    response = with_assertion(federated, assertion)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_description"] == (
        "AADSTS70021: No matching federated identity record found for presented assertion. "
        f"Assertion Issuer: '{federated.issuer}'. Assertion Subject: '{MI_OBJECT}'. "
        "Assertion Audience: 'https://management.azure.com/'."
    )


def test_an_assertion_signed_by_another_key_is_malformed(federated: DevIdentityProvider) -> None:
    claims = jwt.decode(identity_token(federated).json()["access_token"], options={"verify_signature": False})

    response = with_assertion(federated, SigningKey().sign(claims))

    assert response.status_code == 401
    assert response.json()["error_description"] == "AADSTS50027: JWT token is invalid or malformed (the client assertion)."
