"""The function object with a multi-tenant allow-list, External ID and a national cloud: exact answers,
and the discovery documents a client signs in from."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import (
    APP_ID_URI,
    CHALLENGE_SCOPES,
    CLIENT_ID,
    OTHER_TENANT_ID,
    PUBLIC_HOST,
    SCOPE_ADD,
    SCOPE_SUBTRACT,
    TENANT_ID,
    V1_CLIENT,
    JwksServer,
    SigningKey,
    body_json,
    call_tool,
    mint,
    user_claims,
)

UNLISTED_TENANT_ID = "5a1c3e7f-9b2d-4c6e-8f0a-1b3d5f7a9c2e"
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
ORGANIZATIONS = "https://login.microsoftonline.com/organizations/v2.0"
MCP_URL = f"https://{PUBLIC_HOST}/mcp"
PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
INVALID_TOKEN = f'Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="{PRM_URL}", scope="{CHALLENGE_SCOPES}"'
# Entra's organizations metadata, abridged: its issuer is a template, not a URL anyone fetched.
ORGANIZATIONS_METADATA = {
    "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
    "authorization_endpoint": "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
    "token_endpoint": "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
    "jwks_uri": "https://login.microsoftonline.com/organizations/discovery/v2.0/keys",
    "scopes_supported": ["openid", "profile", "email", "offline_access"],
}


def v2(tenant: str, host: str = "login.microsoftonline.com") -> str:
    return f"https://{host}/{tenant}/v2.0"


def claims_of(tenant: str, **overrides: Any) -> dict[str, Any]:
    return user_claims(**{"iss": v2(tenant), "tid": tenant, **overrides})


@pytest.fixture
def upstream() -> Iterator[JwksServer]:
    server = JwksServer(ORGANIZATIONS_METADATA)  # a real loopback server; it serves its document at any path
    yield server
    server.close()


@pytest.fixture
def multi(make_host, jwks_server: JwksServer, upstream: JwksServer):
    return make_host(jwks_server.url, OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS=TENANT_ID, OAUTH_METADATA_URL=upstream.url)


def get_me(host, token: str) -> dict[str, Any]:
    response = host.mcp(token, call_tool("get_me"))
    assert response.status_code == 200
    return body_json(response)["result"]["structuredContent"]


def refused_with(host, token: str, caplog: pytest.LogCaptureFixture) -> str:
    """Assert the exact 401 and return the reason the edge logged."""
    caplog.clear()
    response = host.mcp(token, call_tool("add", {"a": 1, "b": 2}))
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == INVALID_TOKEN
    assert body_json(response) == {"error": "invalid_token", "error_description": "The access token is invalid"}
    (line,) = [r.getMessage() for r in caplog.records if r.name == "edge"]
    return line.split(" reason=", 1)[1].split(" ", 1)[0]


def test_a_listed_tenant_is_served_and_get_me_names_it(multi, signing_key: SigningKey):
    assert get_me(multi, mint(signing_key, claims_of(TENANT_ID))) == {
        "kind": "user",
        "subject": "user-subject-1",
        "object_id": "user-object-1",
        "tenant_id": TENANT_ID,
        "client_id": "3f2d6a11-9c0e-4f6b-8a7d-1e2b3c4d5e6f",
        "name": "Ada Lovelace",
        "username": "ada@contoso.example",
        "permissions": ["calculator.add", "calculator.subtract"],
        "parent_app_id": None,
    }


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param(claims_of(OTHER_TENANT_ID), "tenant_not_allowed", id="tenant-not-on-the-list"),
        pytest.param(claims_of(CONSUMERS_TENANT_ID), "tenant_not_allowed", id="consumers"),
        pytest.param(claims_of(OTHER_TENANT_ID, tid=TENANT_ID), "bad_issuer", id="iss-of-another-tenant-tid-of-ours"),
        pytest.param(claims_of(TENANT_ID, tid=OTHER_TENANT_ID), "bad_issuer", id="iss-of-ours-tid-of-another"),
        pytest.param(claims_of(TENANT_ID, iss="https://login.microsoftonline.com/{tenantid}/v2.0"), "bad_issuer", id="templated-iss"),
        pytest.param(claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.microsoftonline.us")), "bad_issuer", id="us-gov-token"),
        pytest.param(claims_of(TENANT_ID, iss=f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0"), "bad_issuer", id="ciam-token"),
    ],
)
def test_multi_tenant_refusals_are_exact_401s(multi, signing_key: SigningKey, caplog, claims: dict[str, Any], reason: str):
    caplog.set_level(logging.INFO, logger="edge")

    assert refused_with(multi, mint(signing_key, claims), caplog) == reason


def test_the_discovery_documents_let_a_strict_client_sign_in(multi, upstream: JwksServer):
    prm = multi.request("GET", "/.well-known/oauth-protected-resource/mcp")
    server_metadata = multi.request("GET", "/.well-known/oauth-authorization-server")

    assert prm.status_code == 200
    assert body_json(prm) == {
        "resource": MCP_URL,
        # Our origin: its metadata names a concrete issuer, equal to this string (RFC 8414 §3.3).
        "authorization_servers": [f"https://{PUBLIC_HOST}"],
        "scopes_supported": [SCOPE_ADD, SCOPE_SUBTRACT],
        "bearer_methods_supported": ["header"],
        "resource_name": "Calculator MCP server",
    }
    assert server_metadata.status_code == 200
    assert (server_metadata.headers.get("Vary"), server_metadata.headers.get("Cache-Control")) == ("Host", "max-age=3600")
    assert body_json(server_metadata) == {
        **ORGANIZATIONS_METADATA,
        "issuer": f"https://{PUBLIC_HOST}",
        "scopes_supported": ["openid", "profile", "email", "offline_access", SCOPE_ADD, SCOPE_SUBTRACT],
        "code_challenge_methods_supported": ["S256"],
    }
    other_host = multi.request("GET", "/.well-known/openid-configuration", host="calc.contoso.com")
    assert body_json(other_host)["issuer"] == "https://calc.contoso.com"
    assert multi.request("GET", "/.well-known/openid-configuration", host="bad host").status_code == 400
    assert upstream.hits == 1


def test_with_a_public_url_the_advertised_issuer_is_its_origin(make_host, jwks_server: JwksServer, upstream: JwksServer):
    host = make_host(
        jwks_server.url,
        OAUTH_ISSUER=ORGANIZATIONS,
        OAUTH_ALLOWED_TENANTS="*",
        OAUTH_METADATA_URL=upstream.url,
        MCP_PUBLIC_URL="https://calc.contoso.com/tools/mcp",
    )

    assert body_json(host.request("GET", "/.well-known/oauth-protected-resource"))["authorization_servers"] == ["https://calc.contoso.com"]
    assert body_json(host.request("GET", "/.well-known/oauth-authorization-server"))["issuer"] == "https://calc.contoso.com"


def test_any_tenant_serves_strangers_but_not_personal_accounts(make_host, jwks_server: JwksServer, signing_key: SigningKey, caplog):
    host = make_host(jwks_server.url, OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS="*")
    caplog.set_level(logging.INFO, logger="edge")

    assert get_me(host, mint(signing_key, claims_of(UNLISTED_TENANT_ID)))["tenant_id"] == UNLISTED_TENANT_ID
    assert refused_with(host, mint(signing_key, claims_of(CONSUMERS_TENANT_ID)), caplog) == "tenant_not_allowed"


def test_single_tenant_discovery_is_unchanged(make_host, jwks_server: JwksServer):
    host = make_host(jwks_server.url)

    assert body_json(host.request("GET", "/.well-known/oauth-protected-resource/mcp"))["authorization_servers"] == [v2(TENANT_ID)]


def test_an_external_id_app_serves_its_tokens_and_refuses_the_global_clouds(make_host, jwks_server: JwksServer, signing_key: SigningKey, caplog):
    ciam_issuer = f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0"
    host = make_host(jwks_server.url, OAUTH_ISSUER=ciam_issuer)
    caplog.set_level(logging.INFO, logger="edge")

    assert get_me(host, mint(signing_key, claims_of(TENANT_ID, iss=ciam_issuer)))["tenant_id"] == TENANT_ID
    assert refused_with(host, mint(signing_key, claims_of(TENANT_ID)), caplog) == "bad_issuer"
    v1_token = claims_of(TENANT_ID, iss=f"https://sts.windows.net/{TENANT_ID}/", aud=APP_ID_URI, ver="1.0", **V1_CLIENT)
    assert refused_with(host, mint(signing_key, v1_token), caplog) == "bad_issuer"


@pytest.mark.parametrize(
    ("configured", "token_issuer"),
    [
        pytest.param(v2(TENANT_ID, "login.microsoftonline.us"), v2(TENANT_ID), id="global-token-at-us-gov-app"),
        pytest.param(v2(TENANT_ID), v2(TENANT_ID, "login.microsoftonline.us"), id="us-gov-token-at-global-app"),
        pytest.param(v2(TENANT_ID, "login.chinacloudapi.cn"), f"https://sts.windows.net/{TENANT_ID}/", id="global-v1-token-at-china-app"),
    ],
)
def test_a_token_from_one_cloud_is_refused_at_an_app_of_another(make_host, jwks_server: JwksServer, signing_key: SigningKey, caplog, configured: str, token_issuer: str):
    host = make_host(jwks_server.url, OAUTH_ISSUER=configured)
    caplog.set_level(logging.INFO, logger="edge")

    assert get_me(host, mint(signing_key, claims_of(TENANT_ID, iss=configured)))["tenant_id"] == TENANT_ID
    assert refused_with(host, mint(signing_key, claims_of(TENANT_ID, iss=token_issuer, aud=APP_ID_URI)), caplog) == "bad_issuer"


@pytest.mark.parametrize("audience", [MCP_URL, APP_ID_URI, CLIENT_ID])
def test_a_v1_token_for_any_identifier_uri_is_served(make_host, jwks_server: JwksServer, signing_key: SigningKey, audience: str):
    host = make_host(jwks_server.url, OAUTH_APP_ID_URI=f"{MCP_URL},{APP_ID_URI}", MCP_PUBLIC_URL=MCP_URL)
    token = mint(signing_key, claims_of(TENANT_ID, iss=f"https://sts.windows.net/{TENANT_ID}/", aud=audience, ver="1.0", **V1_CLIENT))

    assert get_me(host, token)["tenant_id"] == TENANT_ID
    # The advertised scopes use the first App ID URI: the one the client's `resource` names.
    prm = body_json(host.request("GET", "/.well-known/oauth-protected-resource/mcp"))
    assert prm["scopes_supported"] == [f"{MCP_URL}/calculator.add", f"{MCP_URL}/calculator.subtract"]
