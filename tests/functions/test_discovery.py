"""Authorization-server metadata served at our origin: the issuer's document plus what it lacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge.discovery import UpstreamMetadata, augment
from tests.support import ISSUER_V2, SCOPE_ADD, SCOPE_SUBTRACT, JwksServer, body_json

ENTRA_METADATA = {
    "issuer": ISSUER_V2,
    "authorization_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/authorize",
    "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
    "jwks_uri": "https://login.microsoftonline.com/t/discovery/v2.0/keys",
    "scopes_supported": ["openid", "profile", "email", "offline_access"],
    "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
}


@pytest.fixture
def upstream() -> Iterator[JwksServer]:
    server = JwksServer(ENTRA_METADATA)  # a real loopback server; it serves its document at any path
    yield server
    server.close()


def test_both_paths_serve_the_issuers_metadata_with_our_scopes_and_s256(make_host, jwks_server: JwksServer, upstream: JwksServer):
    host = make_host(jwks_server.url, OAUTH_METADATA_URL=upstream.url)
    expected = {
        **ENTRA_METADATA,
        "scopes_supported": ["openid", "profile", "email", "offline_access", SCOPE_ADD, SCOPE_SUBTRACT],
        "code_challenge_methods_supported": ["S256"],
    }

    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        response = host.request("GET", path)
        assert response.status_code == 200
        assert body_json(response) == expected
        assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert upstream.hits == 1  # fetched once, then cached


@pytest.mark.parametrize(
    ("settings", "vary"),
    [({}, {"vary": "Host"}), ({"MCP_PUBLIC_URL": "https://mcp.contoso.com/mcp"}, {})],
    ids=["resource-from-host", "resource-from-public-url"],
)
def test_the_document_varies_by_host_exactly_when_the_resource_comes_from_the_host(
    make_host, jwks_server: JwksServer, upstream: JwksServer, settings: dict[str, str], vary: dict[str, str]
):
    host = make_host(jwks_server.url, OAUTH_METADATA_URL=upstream.url, **settings)

    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        response = host.request("GET", path)
        assert response.status_code == 200
        assert {k.lower(): v for k, v in response.headers.items()} == {
            "content-type": "application/json",
            "content-length": str(len(response.get_body())),
            "access-control-allow-origin": "*",
            "cache-control": "max-age=3600",
            "x-correlation-id": response.headers["x-correlation-id"],
            **vary,
        }


def test_a_failed_refresh_keeps_serving_the_last_good_document(jwks_server: JwksServer, upstream: JwksServer):
    now = [0.0]
    cache = UpstreamMetadata(upstream.url, ttl=60, failure_cooldown=10, clock=lambda: now[0])
    assert cache.get()["issuer"] == ISSUER_V2

    upstream.status = 500
    now[0] = 61
    assert cache.get()["issuer"] == ISSUER_V2
    assert cache.get()["issuer"] == ISSUER_V2
    assert (upstream.hits, cache.fetch_count) == (2, 2)  # the second stale read is inside the failure cooldown


def test_unreachable_metadata_with_nothing_cached_is_503(make_host, jwks_server: JwksServer, upstream: JwksServer):
    upstream.body = b"<html>maintenance</html>"
    host = make_host(jwks_server.url, OAUTH_METADATA_URL=upstream.url)

    response = host.request("GET", "/.well-known/openid-configuration")

    assert response.status_code == 503
    assert response.headers.get("Retry-After") == "30"
    assert body_json(response) == {"error": "temporarily_unavailable", "error_description": "The issuer's metadata is unavailable"}


def test_discovery_answers_only_get(make_host, jwks_server: JwksServer, upstream: JwksServer):
    host = make_host(jwks_server.url, OAUTH_METADATA_URL=upstream.url)

    response = host.request("POST", "/.well-known/oauth-authorization-server")

    assert (response.status_code, response.headers.get("Allow")) == (405, "GET")
    assert upstream.hits == 0


def test_augment_keeps_upstream_pkce_methods_and_does_not_repeat_scopes():
    upstream = {"issuer": "https://x", "scopes_supported": ["calculator.add", 7], "code_challenge_methods_supported": ["S256", "plain"]}

    assert augment(upstream, ["calculator.add", "calculator.subtract"]) == {
        "issuer": "https://x",
        "scopes_supported": ["calculator.add", "calculator.subtract"],
        "code_challenge_methods_supported": ["S256", "plain"],
    }
