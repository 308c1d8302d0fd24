"""Reading what the person can fix: Entra's token errors and the downstream API's claims challenges (attacker input)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.fernet import Fernet

from obo.challenges import Challenge, from_token_error, from_www_authenticate
from obo.settings import OboSettings

SETTINGS = OboSettings(
    client_id="22222222-2222-4222-8222-222222222222",
    authority="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
    scopes=("https://graph.microsoft.com/User.Read",),
    api_url="https://graph.microsoft.com/v1.0/me",
    redirect_uri="https://calc.example/obo/done",
    state_keys=(Fernet.generate_key().decode(),),
    managed_identity="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
)
CA_CLAIMS = '{"access_token":{"capolids":{"essential":true,"values":["9ab03e19-ed42-4168-b6b7-7001fb3e933a"]}}}'
CAE_CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}'


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "invalid_grant", "error_codes": [65001], "suberror": "consent_required"}, Challenge("consent", "AADSTS65001")),
        ({"error": "invalid_grant", "error_description": "AADSTS65001: not consented"}, Challenge("consent", "AADSTS65001")),
        ({"error": "invalid_grant", "error_codes": [50076], "claims": CA_CLAIMS}, Challenge("conditional_access", "AADSTS50076", CA_CLAIMS)),
        ({"error": "invalid_grant", "error_codes": [53003], "claims": CA_CLAIMS}, Challenge("conditional_access", "AADSTS53003", CA_CLAIMS)),
        # Claims that are not a JSON object are dropped; the step-up page still works without them.
        ({"error": "invalid_grant", "error_codes": [50076], "claims": "[1]"}, Challenge("conditional_access", "AADSTS50076")),
        ({"error": "invalid_grant", "error_codes": [50076], "claims": "x" * 5000}, Challenge("conditional_access", "AADSTS50076")),
        ({"error": "invalid_grant", "error_codes": [70000]}, None),
        ({"error": "invalid_grant", "error_codes": [True]}, None),
        ({"error": "invalid_grant", "error_codes": "65001"}, None),
        ({"error": "invalid_client"}, None),
    ],
)
def test_token_errors(body: dict[str, object], expected: Challenge | None):
    assert from_token_error(body) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            f'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
            f'client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="{b64(CAE_CLAIMS)}"',
            Challenge("claims", "insufficient_claims", CAE_CLAIMS),
        ),
        (f'bearer error="insufficient_claims", claims="{b64(CAE_CLAIMS).rstrip("=")}"', Challenge("claims", "insufficient_claims", CAE_CLAIMS)),
        (f'Bearer error="invalid_token", claims="{b64(CAE_CLAIMS)}"', None),
        (f'PoP error="insufficient_claims", claims="{b64(CAE_CLAIMS)}"', None),
        ('Bearer error="insufficient_claims"', None),
        ('Bearer error="insufficient_claims", claims="not base64!"', None),
        (f'Bearer error="insufficient_claims", claims="{b64("not json")}"', None),
        (f'Bearer error="insufficient_claims", claims="{b64("[1,2]")}"', None),
        (f'Bearer error="insufficient_claims", claims="{b64("{}")}"', None),
        (f'Bearer error="insufficient_claims", claims="{b64(chr(0xFF) * 3)}"', None),
        (f'Bearer error="insufficient_claims", claims="{b64(json.dumps({"a": "x" * 5000}))}"', None),
        ('Bearer error="insufficient_claims", claims="' + "A" * 9000 + '"', None),
        ('Bearer ="""', None),
        ("", None),
        (None, None),
    ],
)
def test_www_authenticate_challenges(header: str | None, expected: Challenge | None):
    assert from_www_authenticate(header) == expected


def test_the_consent_url_is_the_authorize_endpoint_of_the_api_registration_with_prompt_consent():
    assert Challenge("consent", "AADSTS65001").url(SETTINGS) == (
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize"
        "?client_id=22222222-2222-4222-8222-222222222222&response_type=code"
        "&redirect_uri=https%3A%2F%2Fcalc.example%2Fobo%2Fdone&response_mode=query"
        "&scope=https%3A%2F%2Fgraph.microsoft.com%2FUser.Read&prompt=consent"
    )


def test_a_claims_challenge_url_carries_the_claims_parameter():
    url = Challenge("claims", "insufficient_claims", CAE_CLAIMS).url(SETTINGS)

    assert url.endswith(
        "&scope=https%3A%2F%2Fgraph.microsoft.com%2FUser.Read"
        "&claims=%7B%22access_token%22%3A%7B%22nbf%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%221604106651%22%7D%7D%7D"
    )
    assert "prompt=" not in url
