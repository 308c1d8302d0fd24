from __future__ import annotations

from typing import Any

import pytest

from auth import InvalidToken, Principal
from auth.permissions import granted_permissions
from tests.support import DROP, TENANT_ID, app_claims, user_claims


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"scp": "calculator.add calculator.subtract"}, {"calculator.add", "calculator.subtract"}),
        ({"scp": "calculator.add"}, {"calculator.add"}),
        ({"scp": "  calculator.add  "}, {"calculator.add"}),
        ({"scp": ["calculator.add", "openid"]}, {"calculator.add", "openid"}),  # Okta
        ({"roles": ["calculator.subtract"]}, {"calculator.subtract"}),
        ({"scp": "calculator.add", "roles": ["calculator.subtract"]}, {"calculator.add"}),  # roles ignored
        ({"scp": "", "roles": ["calculator.add"]}, set()),
        ({"scp": "calculator.add\tcalculator.subtract"}, {"calculator.add\tcalculator.subtract"}),
        ({"scp": "calculator.add,calculator.subtract"}, {"calculator.add,calculator.subtract"}),
        ({}, set()),
    ],
)
def test_permissions_come_from_scp_else_roles(claims: dict[str, Any], expected: set[str]):
    assert granted_permissions(claims) == frozenset(expected)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"scp": ["calculator.add", 1]}, "malformed_scp"),
        ({"scp": {"calculator.add": True}}, "malformed_scp"),
        ({"roles": "calculator.add"}, "malformed_roles"),
        ({"roles": [None]}, "malformed_roles"),
    ],
)
def test_malformed_permission_claims_reject_the_token(claims: dict[str, Any], reason: str):
    with pytest.raises(InvalidToken) as caught:
        granted_permissions(claims)
    assert caught.value.reason == reason


def test_v2_user_principal():
    assert Principal.from_claims(user_claims(), "3f2d6a11-9c0e-4f6b-8a7d-1e2b3c4d5e6f") == Principal(
        kind="user",
        subject="user-subject-1",
        object_id="user-object-1",
        tenant_id=TENANT_ID,
        client_id="3f2d6a11-9c0e-4f6b-8a7d-1e2b3c4d5e6f",
        name="Ada Lovelace",
        username="ada@contoso.example",
        permissions=frozenset({"calculator.add", "calculator.subtract"}),
    )


def test_v1_user_principal_reads_upn():
    # Which claim names the client (here v1's `appid`) is auth.claims.client_id_of's to say: test_claims.py.
    claims = user_claims(azp=DROP, preferred_username=DROP, appid="v1-client", upn="ada@contoso.example", ver="1.0")
    principal = Principal.from_claims(claims, "v1-client")
    assert (principal.kind, principal.client_id, principal.username) == ("user", "v1-client", "ada@contoso.example")


def test_app_principal_has_no_user_fields():
    principal = Principal.from_claims(app_claims(roles=["calculator.add"]), "9a8b7c6d-0000-4000-8000-000000000001")
    assert principal == Principal(
        kind="app",
        subject="app-object-1",
        object_id="app-object-1",
        tenant_id=TENANT_ID,
        client_id="9a8b7c6d-0000-4000-8000-000000000001",
        name=None,
        username=None,
        permissions=frozenset({"calculator.add"}),
    )


def test_okta_client_credentials_token_is_an_app_although_it_carries_scp():
    claims = {"sub": "0oa1client", "cid": "0oa1client", "scp": ["calculator.add"], "iss": "x", "aud": "y"}
    principal = Principal.from_claims(claims, "0oa1client")
    assert (principal.kind, principal.client_id, principal.permissions) == ("app", "0oa1client", frozenset({"calculator.add"}))


def test_okta_user_token_is_a_user():
    claims = {"sub": "ada@contoso.example", "cid": "0oa1client", "uid": "00u1", "scp": ["calculator.add"]}
    assert Principal.from_claims(claims, "0oa1client").kind == "user"
