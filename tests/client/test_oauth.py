"""The client's OAuth steps against a provider that looks like another tenant: discovery, grants, failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from client.discovery import discover
from client.errors import ClientError, OAuthFailure
from client.login import login
from client.settings import ClientSettings
from client.tokens import client_credentials, msal_client_credentials
from devidp import ClientRegistration, DevIdentityProvider
from tests.client.agent import Agent
from tests.devidp.flows import verified_claims

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
API = "6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55"
ENTRA_ISSUER = f"https://login.microsoftonline.com/{TENANT}/v2.0"
GATEWAY = ClientRegistration(client_id="gateway", client_secret="gateway-secret", roles=frozenset({"calculator.add"}))
CLI = ClientRegistration(
    client_id="cli",
    grant_types=frozenset({"authorization_code", "refresh_token"}),
    redirect_uris=("http://localhost", "http://127.0.0.1/callback"),
)


@pytest.fixture(scope="module")
def entra_like() -> Iterator[DevIdentityProvider]:
    """A tenant other than the dev one, whose issuer string is Entra's."""
    with DevIdentityProvider(tenant_id=TENANT, api_client_id=API, issuer=ENTRA_ISSUER, clients=[GATEWAY, CLI]) as idp:
        yield idp


def settings_for(idp: DevIdentityProvider, cache: Path, **values: str) -> ClientSettings:
    flags: dict[str, str | None] = {
        "metadata_url": idp.metadata_url,
        "client_id": "cli",
        "scopes": f"api://{API}/calculator.add offline_access",
        "cache": str(cache),
    }
    flags.update(values)
    return ClientSettings.resolve(flags, {}, app="client_secret" in values)


def test_discovery_from_an_explicit_metadata_url(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    endpoints = discover(settings_for(entra_like, cache_path))

    assert (endpoints.token_endpoint, endpoints.authorization_endpoint) == (
        entra_like.token_endpoint,
        entra_like.authorization_endpoint,
    )


def test_discovery_from_the_issuer_checks_the_issuer(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    # The document at this loopback issuer's URL names Entra's issuer: RFC 8414 §3.3 says refuse it.
    settings = ClientSettings.resolve(
        {"issuer": f"{entra_like.url}/{TENANT}/v2.0", "client_id": "cli", "scopes": "x"}, {}, app=False
    )

    with pytest.raises(ClientError, match=r"names issuer 'https://login.microsoftonline.com/.*/v2.0', not 'http://127.0.0.1"):
        discover(settings)


def test_discovery_from_a_matching_issuer(cache_path: Path) -> None:
    with DevIdentityProvider(tenant_id=TENANT) as idp:
        settings = ClientSettings.resolve({"issuer": idp.issuer, "client_id": "c", "scopes": "x"}, {}, app=False)
        endpoints = discover(settings)

    assert endpoints.token_endpoint == idp.token_endpoint


def test_client_credentials_with_requests(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path, client_id="gateway", client_secret="gateway-secret")

    tokens = client_credentials(settings, discover(settings), time.time)

    assert settings.app_scopes == (f"api://{API}/.default",)
    assert tokens.refresh_token is None
    claims = verified_claims(entra_like, tokens.access_token)
    assert (claims["iss"], claims["aud"], claims["roles"], claims["idtyp"]) == (ENTRA_ISSUER, API, ["calculator.add"], "app")


def test_client_credentials_failure_is_reported_without_the_secret(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path, client_id="gateway", client_secret="wrong-secret")

    with pytest.raises(OAuthFailure) as caught:
        client_credentials(settings, discover(settings), time.time)

    assert (caught.value.status, caught.value.error) == (401, "invalid_client")
    assert str(caught.value) == "authorization server refused (401): invalid_client: AADSTS7000215: Invalid client secret provided."


def test_msal_refuses_an_http_authority(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path, client_id="gateway", client_secret="gateway-secret",
                            authority=entra_like.authority)

    with pytest.raises(ClientError, match="MSAL needs an https authority"):
        msal_client_credentials(settings, time.time)


def test_login_with_pkce_through_the_loopback_listener(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path)
    agent = Agent(user="second.user@contoso.test")

    tokens = login(settings, discover(settings), open_url=agent, now=time.time)

    (url,) = agent.visited
    assert "code_challenge_method=S256" in url and "code_challenge=" in url
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in url
    assert tokens.refresh_token is not None
    claims = verified_claims(entra_like, tokens.access_token)
    assert (claims["azp"], claims["scp"], claims["name"]) == ("cli", "calculator.add", "Second User")


def test_a_fixed_redirect_uri_is_honoured(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    # Okta registers exact redirect URIs, port and path included.
    settings = settings_for(entra_like, cache_path, redirect_uri="http://127.0.0.1:0/callback")
    agent = Agent()

    login(settings, discover(settings), open_url=agent, now=time.time)

    assert "%2Fcallback" in agent.visited[0]


def test_denied_consent_is_an_oauth_failure(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path)

    with pytest.raises(OAuthFailure) as caught:
        login(settings, discover(settings), open_url=Agent(decision="deny"), now=time.time)

    assert caught.value.error == "access_denied"


def test_a_redirect_with_another_state_is_refused(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path)
    agent = Agent(tamper=lambda location: location.replace("state=", "state=forged"))

    with pytest.raises(ClientError, match="state does not match"):
        login(settings, discover(settings), open_url=agent, now=time.time)


def test_a_refused_scope_comes_back_as_the_provider_error(entra_like: DevIdentityProvider, cache_path: Path) -> None:
    settings = settings_for(entra_like, cache_path, scopes="calculator.add")

    def follow(url: str) -> None:
        import requests

        refused = requests.get(url, allow_redirects=False, timeout=10)
        requests.get(refused.headers["location"], timeout=10)

    with pytest.raises(OAuthFailure) as caught:
        login(settings, discover(settings), open_url=follow, now=time.time)

    assert caught.value.error == "invalid_scope"
    assert (caught.value.description or "").startswith("AADSTS650053:")
