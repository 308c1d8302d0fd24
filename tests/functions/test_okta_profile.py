"""The Okta profile: exact issuer and audience URI, `scp` as a JSON array, `cid` as the client id, no tenant."""

from __future__ import annotations

import time
from collections.abc import Iterator

import azure.functions as func
import pytest

from auth import JwksCache, Settings
from edge import build_asgi_app
from tests.log_capture import SuiteLog
from tests.support import DROP, FunctionHost, JwksServer, SigningKey, body_json, call_tool, list_tools, mint

OKTA_ISSUER = "https://contoso.okta.com/oauth2/aus1calc2mcp3"
OKTA_AUDIENCE = "api://mcp-calculator"
OKTA_METADATA = {
    "issuer": OKTA_ISSUER,
    "authorization_endpoint": f"{OKTA_ISSUER}/v1/authorize",
    "token_endpoint": f"{OKTA_ISSUER}/v1/token",
    "jwks_uri": f"{OKTA_ISSUER}/v1/keys",
    "scopes_supported": ["calculator.add", "calculator.subtract", "openid", "offline_access"],
    "code_challenge_methods_supported": ["S256"],
}
KEY = SigningKey.generate("okta-key-1")


def okta_claims(**overrides: object) -> dict:
    now = int(time.time())
    claims = {
        "ver": 1,
        "jti": "AT.abc",
        "iss": OKTA_ISSUER,
        "aud": OKTA_AUDIENCE,
        "iat": now,
        "exp": now + 3600,
        "cid": "0oa1gateway",
        "uid": "00u1ada",
        "sub": "ada@contoso.example",
        "scp": ["calculator.add", "offline_access"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not DROP}


@pytest.fixture(scope="module")
def okta() -> Iterator[tuple[FunctionHost, JwksServer]]:
    keys, metadata = JwksServer(), JwksServer(OKTA_METADATA)
    keys.publish(KEY)
    settings = Settings.from_env(
        {
            "OAUTH_ISSUER": OKTA_ISSUER,
            "OAUTH_AUDIENCE": OKTA_AUDIENCE,
            "OAUTH_JWKS_URI": keys.url,
            "OAUTH_METADATA_URL": metadata.url,
        }
    )
    host = FunctionHost(func.AsgiFunctionApp(app=build_asgi_app(settings, JwksCache(keys.url)), http_auth_level=func.AuthLevel.ANONYMOUS))
    yield host, metadata
    host.close()
    keys.close()
    metadata.close()


def test_an_okta_user_token_calls_the_tools_it_has_scopes_for(okta):
    host, _ = okta
    token = mint(KEY, okta_claims())

    added = host.mcp(token, call_tool("add", {"a": 1, "b": 2}))
    refused = host.mcp(token, call_tool("subtract", {"a": 1, "b": 2}))

    assert body_json(added)["result"]["structuredContent"] == {"result": 3}
    assert refused.status_code == 403
    # Okta scopes are bare names: no App ID URI prefix.
    assert refused.headers.get("WWW-Authenticate") == (
        'Bearer error="insufficient_scope", scope="calculator.subtract", '
        'resource_metadata="https://calc-mcp.azurewebsites.net/.well-known/oauth-protected-resource/mcp"'
    )


def test_the_okta_401_asks_for_bare_scopes_and_offline_access_and_the_prm_only_for_permissions(okta):
    host, _ = okta

    refused = host.mcp(None, list_tools())
    document = body_json(host.request("GET", "/.well-known/oauth-protected-resource/mcp"))

    # Okta issues a refresh token only for offline_access (docs/okta.md); a client that requests
    # exactly this scope, as the TypeScript SDK does, gets one. RFC 9728 §2 scopes_supported stays
    # the resource's own scopes (edge/challenge.py explains the split).
    assert refused.status_code == 401
    assert refused.headers.get("WWW-Authenticate") == (
        'Bearer resource_metadata="https://calc-mcp.azurewebsites.net/.well-known/oauth-protected-resource/mcp", '
        'scope="calculator.add calculator.subtract offline_access"'
    )
    assert document["scopes_supported"] == ["calculator.add", "calculator.subtract"]


def test_get_me_reads_cid_and_tells_users_from_client_credentials(okta):
    host, _ = okta
    user = body_json(host.mcp(mint(KEY, okta_claims()), call_tool("get_me")))["result"]["structuredContent"]
    machine_claims = okta_claims(sub="0oa1machine", cid="0oa1machine", uid=None, scp=["calculator.subtract"])
    machine = body_json(host.mcp(mint(KEY, machine_claims), call_tool("get_me")))["result"]["structuredContent"]

    assert user == {
        "kind": "user",
        "subject": "ada@contoso.example",
        "object_id": None,
        "tenant_id": None,
        "client_id": "0oa1gateway",
        "name": None,
        "username": None,
        "permissions": ["calculator.add", "offline_access"],
        "parent_app_id": None,
    }
    assert (machine["kind"], machine["client_id"], machine["permissions"]) == ("app", "0oa1machine", ["calculator.subtract"])


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": OKTA_ISSUER + "/"},
        {"iss": "https://contoso.okta.com/oauth2/default"},
        {"aud": "api://default"},
        {"aud": "0oa1gateway"},
        {"scp": ["calculator.add", {"scope": "calculator.subtract"}]},
    ],
)
def test_okta_tokens_must_match_exactly(okta, overrides: dict):
    host, _ = okta

    response = host.mcp(mint(KEY, okta_claims(**overrides)), list_tools())

    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate", "").startswith('Bearer error="invalid_token"')


def test_a_token_naming_no_client_is_401(okta, suite_log: SuiteLog):
    # Okta's access tokens name their client in `cid`; a token without it is not an access token.
    host, _ = okta

    response = host.mcp(mint(KEY, okta_claims(cid=DROP)), list_tools())

    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == (
        'Bearer error="invalid_token", error_description="The access token is invalid", '
        'resource_metadata="https://calc-mcp.azurewebsites.net/.well-known/oauth-protected-resource/mcp", '
        'scope="calculator.add calculator.subtract offline_access"'
    )
    (line,) = suite_log.auth_failures(response.headers["x-correlation-id"])
    assert " reason=missing_client_id " in line


def test_an_rfc_9068_token_names_its_client_in_client_id(okta):
    # RFC 9068 §2.2: `client_id`; the generic profile reads it when Okta's `cid` is absent.
    host, _ = okta
    claims = okta_claims(cid=DROP, client_id="s6BhdRkqt3")

    me = body_json(host.mcp(mint(KEY, claims), call_tool("get_me")))["result"]["structuredContent"]

    assert (me["kind"], me["client_id"]) == ("user", "s6BhdRkqt3")


def test_okta_metadata_is_served_from_the_oauth_authorization_server_document(okta):
    host, metadata = okta

    document = body_json(host.request("GET", "/.well-known/oauth-authorization-server"))

    assert document == OKTA_METADATA  # Okta already lists the scopes and S256: nothing to add
    assert metadata.hits == 1
