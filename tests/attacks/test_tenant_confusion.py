"""Tenant confusion at a multi-tenant server (OAUTH_ALLOWED_TENANTS): one case per trick.

The signature is always valid here (the attacker's tenant is a real Entra tenant, so Entra signs its
tokens with the common keys): only the issuer/tenant rules stand between a stranger and the tools.
Each case asserts the exact 401 and the one log line with the reason of the check that caught it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.functions.conftest import make_host  # noqa: F401  (the fixture)
from tests.log_capture import SuiteLog
from tests.support import (
    APP_ID_URI,
    CHALLENGE_SCOPES,
    DROP,
    MCP_HEADERS,
    PUBLIC_HOST,
    TENANT_ID,
    FunctionHost,
    JwksServer,
    SigningKey,
    body_json,
    call_tool,
    mint,
    user_claims,
)

ATTACKER_TENANT_ID = "d3adbeef-0000-4000-8000-00000000a77c"
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
ORGANIZATIONS = "https://login.microsoftonline.com/organizations/v2.0"
PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
CHALLENGE = f'Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="{PRM_URL}", scope="{CHALLENGE_SCOPES}"'


def v2(tenant: str) -> str:
    return f"https://login.microsoftonline.com/{tenant}/v2.0"


@dataclass(frozen=True)
class Case:
    id: str
    claims: dict[str, Any]
    reason: str


def case(id: str, reason: str, **claims: Any) -> Case:
    return Case(id, user_claims(**claims), reason)


CASES = [
    case("stranger-tenant", "tenant_not_allowed", iss=v2(ATTACKER_TENANT_ID), tid=ATTACKER_TENANT_ID),
    case("stranger-v1", "tenant_not_allowed", iss=f"https://sts.windows.net/{ATTACKER_TENANT_ID}/", tid=ATTACKER_TENANT_ID, aud=APP_ID_URI, ver="1.0"),
    case("personal-account", "tenant_not_allowed", iss=v2(CONSUMERS_TENANT_ID), tid=CONSUMERS_TENANT_ID),
    case("stranger-iss-listed-tid", "bad_issuer", iss=v2(ATTACKER_TENANT_ID), tid=TENANT_ID),
    case("listed-iss-stranger-tid", "bad_issuer", iss=v2(TENANT_ID), tid=ATTACKER_TENANT_ID),
    case("no-tid", "bad_issuer", iss=v2(TENANT_ID), tid=DROP),
    case("tid-list", "bad_issuer", iss=v2(TENANT_ID), tid=[TENANT_ID]),
    case("tid-number", "bad_issuer", iss=v2(TENANT_ID), tid=72988),
    case("tid-upper-case", "bad_issuer", iss=v2(TENANT_ID.upper()), tid=TENANT_ID.upper()),
    case("tid-with-newline", "bad_issuer", iss=v2(TENANT_ID + "\n"), tid=TENANT_ID + "\n"),
    case("tid-fullwidth-digit", "bad_issuer", iss=v2("７" + TENANT_ID[1:]), tid="７" + TENANT_ID[1:]),
    case("tid-path-injection", "bad_issuer", iss=v2(f"{ATTACKER_TENANT_ID}/v2.0/../{TENANT_ID}"), tid=f"{ATTACKER_TENANT_ID}/v2.0/../{TENANT_ID}"),
    case("templated-iss", "bad_issuer", iss="https://login.microsoftonline.com/{tenantid}/v2.0", tid=TENANT_ID),
    case("organizations-iss", "bad_issuer", iss=ORGANIZATIONS, tid=TENANT_ID),
    case("common-iss", "bad_issuer", iss="https://login.microsoftonline.com/common/v2.0", tid=TENANT_ID),
    case("iss-trailing-slash", "bad_issuer", iss=v2(TENANT_ID) + "/", tid=TENANT_ID),
    case("iss-lookalike-host", "bad_issuer", iss=f"https://login.microsoftonline.com.evil.example/{TENANT_ID}/v2.0", tid=TENANT_ID),
    case("iss-http", "bad_issuer", iss=f"http://login.microsoftonline.com/{TENANT_ID}/v2.0", tid=TENANT_ID),
    case("iss-other-cloud", "bad_issuer", iss=f"https://login.microsoftonline.us/{TENANT_ID}/v2.0", tid=TENANT_ID),
    case("v1-iss-other-cloud", "bad_issuer", iss=f"https://sts.chinacloudapi.cn/{TENANT_ID}/", tid=TENANT_ID, aud=APP_ID_URI, ver="1.0"),
    case("ciam-iss", "bad_issuer", iss=f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0", tid=TENANT_ID),
    case("listed-tenant-other-api", "bad_audience", iss=v2(TENANT_ID), tid=TENANT_ID, aud="5f4e3d2c-1b0a-4987-8654-3210fedcba98"),
]


@pytest.fixture
def multi(make_host, jwks_server: JwksServer) -> Iterator[FunctionHost]:  # noqa: F811
    yield make_host(jwks_server.url, OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS=TENANT_ID)


def refused_exactly(host: FunctionHost, token: str, reason: str, suite_log: SuiteLog) -> None:
    response = host.request("POST", "/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, body=call_tool("add", {"a": 1, "b": 2}))

    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == CHALLENGE
    assert body_json(response) == {"error": "invalid_token", "error_description": "The access token is invalid"}
    correlation_id = response.headers["x-correlation-id"]
    (line,) = suite_log.auth_failures(correlation_id)
    assert f" status=401 reason={reason} correlation_id={correlation_id}" in line


@pytest.mark.parametrize("attack", CASES, ids=[c.id for c in CASES])
def test_tenant_confusion_is_refused_exactly(attack: Case, multi: FunctionHost, signing_key: SigningKey, suite_log: SuiteLog):
    refused_exactly(multi, mint(signing_key, attack.claims), attack.reason, suite_log)


def test_star_still_refuses_personal_accounts_and_confused_issuers(make_host, jwks_server: JwksServer, signing_key: SigningKey, suite_log: SuiteLog):  # noqa: F811
    host = make_host(jwks_server.url, OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS="*")

    refused_exactly(host, mint(signing_key, user_claims(iss=v2(CONSUMERS_TENANT_ID), tid=CONSUMERS_TENANT_ID)), "tenant_not_allowed", suite_log)
    refused_exactly(host, mint(signing_key, user_claims(iss=v2(ATTACKER_TENANT_ID), tid=TENANT_ID)), "bad_issuer", suite_log)


def test_the_listed_tenant_still_works_after_the_attacks(multi: FunctionHost, signing_key: SigningKey):
    response = multi.mcp(mint(signing_key, user_claims(iss=v2(TENANT_ID), tid=TENANT_ID)), call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 200
    assert body_json(response)["result"]["structuredContent"] == {"result": 5}
