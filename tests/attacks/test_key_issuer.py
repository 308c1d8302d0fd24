"""A key from another issuer's section of the keys document must not vouch for a token (signing key issuer).

Entra's tenant-independent keys document (`…/common/discovery/v2.0/keys`) ties each key to an
issuer: most to the template `https://login.microsoftonline.com/{tenantid}/v2.0`, some to one
tenant only (the consumers tenant's keys). Microsoft ("Access tokens in the Microsoft identity
platform", section *Validate the signing key issuer*) has a key verify only tokens of its own
issuer. Here the JWKS is a real loopback server publishing such a document, the keys are real RSA
keys, and each token goes through the very function object, so the whole path is exercised:
screening (auth.jwks), the key cache, the signature and the key-issuer rule.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functions.conftest import HostFactory, make_host  # noqa: F401  (the fixture)
from tests.log_capture import SuiteLog
from tests.support import (
    APP_ID_URI,
    CHALLENGE_SCOPES,
    ISSUER_V1,
    MCP_HEADERS,
    OTHER_TENANT_ID,
    PUBLIC_HOST,
    TENANT_ID,
    V1_CLIENT,
    FunctionHost,
    JwksServer,
    SigningKey,
    body_json,
    call_tool,
    mint,
    user_claims,
)

CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
TEMPLATED = "https://login.microsoftonline.com/{tenantid}/v2.0"
ORGANIZATIONS = "https://login.microsoftonline.com/organizations/v2.0"
PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
CHALLENGE = f'Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="{PRM_URL}", scope="{CHALLENGE_SCOPES}"'

SHARED = SigningKey.generate("shared-key")  # the keys every work or school tenant's tokens are signed with
CONSUMERS = SigningKey.generate("consumers-key")  # a key published for personal accounts only
OTHER_TENANT = SigningKey.generate("other-tenant-key")  # a key published for one other tenant only
OKTA_STYLE = SigningKey.generate("no-issuer-key")  # a key that names no issuer, as Okta's and generic OIDC keys


def v2(tenant: str) -> str:
    return f"https://login.microsoftonline.com/{tenant}/v2.0"


@pytest.fixture
def keys_document() -> Iterator[JwksServer]:
    server = JwksServer(
        {
            "keys": [
                {**SHARED.jwk(), "issuer": TEMPLATED},
                {**CONSUMERS.jwk(), "issuer": v2(CONSUMERS_TENANT_ID)},
                {**OTHER_TENANT.jwk(), "issuer": v2(OTHER_TENANT_ID)},
                OKTA_STYLE.jwk(),
            ]
        }
    )
    yield server
    server.close()


@pytest.fixture
def single(make_host: HostFactory, keys_document: JwksServer) -> FunctionHost:  # noqa: F811
    return make_host(keys_document.url)


@pytest.fixture
def multi(make_host: HostFactory, keys_document: JwksServer) -> FunctionHost:  # noqa: F811
    return make_host(keys_document.url, OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS=f"{TENANT_ID},{CONSUMERS_TENANT_ID}")


def refused(host: FunctionHost, token: str, suite_log: SuiteLog) -> None:
    response = host.request("POST", "/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, body=call_tool("add", {"a": 1, "b": 2}))

    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == CHALLENGE
    assert body_json(response) == {"error": "invalid_token", "error_description": "The access token is invalid"}
    correlation_id = response.headers["x-correlation-id"]
    (line,) = suite_log.auth_failures(correlation_id)
    assert f" status=401 reason=key_issuer_mismatch correlation_id={correlation_id}" in line


def accepted(host: FunctionHost, token: str) -> None:
    response = host.mcp(token, call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 200
    assert body_json(response)["result"]["structuredContent"] == {"result": 5}


def test_a_key_of_the_consumers_section_cannot_sign_for_a_work_tenant(multi: FunctionHost, suite_log: SuiteLog):
    # The signature is good and every claim rule passes (iss, tid and aud agree, the tenant is listed):
    # only the key's issuer says this key never signs that tenant's tokens.
    refused(multi, mint(CONSUMERS, user_claims(iss=v2(TENANT_ID), tid=TENANT_ID)), suite_log)


def test_a_key_of_one_tenant_cannot_sign_for_another(single: FunctionHost, suite_log: SuiteLog):
    refused(single, mint(OTHER_TENANT, user_claims()), suite_log)


def test_a_v1_token_signed_by_another_tenants_key_is_refused(single: FunctionHost, suite_log: SuiteLog):
    refused(single, mint(OTHER_TENANT, user_claims(iss=ISSUER_V1, aud=APP_ID_URI, ver="1.0", **V1_CLIENT)), suite_log)


def test_each_key_still_signs_for_its_own_issuer(single: FunctionHost, multi: FunctionHost):
    accepted(single, mint(SHARED, user_claims()))  # the template, with the token's tid put in
    accepted(single, mint(SHARED, user_claims(iss=ISSUER_V1, aud=APP_ID_URI, ver="1.0", **V1_CLIENT)))  # v1.0: same tenant's v2.0 issuer
    accepted(multi, mint(SHARED, user_claims(iss=v2(TENANT_ID), tid=TENANT_ID)))
    accepted(multi, mint(CONSUMERS, user_claims(iss=v2(CONSUMERS_TENANT_ID), tid=CONSUMERS_TENANT_ID)))


def test_a_key_naming_no_issuer_is_not_tied(single: FunctionHost):
    accepted(single, mint(OKTA_STYLE, user_claims()))
