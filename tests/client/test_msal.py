"""MSAL against the dev provider. MSAL takes only https authorities, so the provider serves TLS here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from client.errors import OAuthFailure
from client.settings import ClientSettings
from client.tokens import msal_client_credentials
from devidp import DevIdentityProvider, defaults
from tests.client.run import cli


@pytest.fixture(scope="module")
def tls_idp() -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider(tls=True) as idp:
        yield idp


def trusting(idp: DevIdentityProvider) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
    session.verify = str(idp.ca_path)
    return session


def app_settings(idp: DevIdentityProvider, secret: str = defaults.DEV_APP_CLIENT_SECRET) -> ClientSettings:
    return ClientSettings.resolve(
        {"issuer": idp.issuer, "client_id": defaults.DEV_APP_CLIENT_ID, "client_secret": secret}, {}, app=True
    )


def claims_of(idp: DevIdentityProvider, token: str) -> dict[str, object]:
    return jwt.decode(  # type: ignore[no-any-return]
        token, idp.key.private_key.public_key(), algorithms=["RS256"], audience=defaults.DEV_API_CLIENT_ID
    )


def test_msal_confidential_client_gets_an_app_token(tls_idp: DevIdentityProvider) -> None:
    settings = app_settings(tls_idp)

    tokens = msal_client_credentials(settings, time.time, http_client=trusting(tls_idp))

    assert settings.app_scopes == (f"api://{defaults.DEV_API_CLIENT_ID}/.default",)
    claims = claims_of(tls_idp, tokens.access_token)
    assert (claims["iss"], claims["idtyp"], claims["roles"]) == (
        tls_idp.issuer,
        "app",
        ["calculator.add", "calculator.subtract"],
    )
    assert tls_idp.issuer.startswith("https://127.0.0.1:")


def test_msal_reports_the_provider_error(tls_idp: DevIdentityProvider) -> None:
    with pytest.raises(OAuthFailure) as caught:
        msal_client_credentials(app_settings(tls_idp, "wrong"), time.time, http_client=trusting(tls_idp))

    assert (caught.value.error, caught.value.description) == (
        "invalid_client",
        "AADSTS7000215: Invalid client secret provided.",
    )


def test_the_cli_msal_path_with_a_ca_bundle(
    tls_idp: DevIdentityProvider, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_idp.ca_path))  # how a user trusts the dev certificate

    result = cli(
        capsys, "token", "--app", "--msal", "--claims",
        env={"MCP_CLIENT_ISSUER": tls_idp.issuer, "MCP_CLIENT_CACHE": str(tmp_path / "t.json")},
    )

    assert result.code == 0, result.err
    assert result.out.startswith("Bearer access token expires in 3")
    assert '"idtyp": "app"' in result.out


def test_the_cli_explains_that_msal_needs_https(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = cli(capsys, "--app", "--msal", "token", env={"MCP_CLIENT_CACHE": str(tmp_path / "t.json")})

    assert result.code == 1
    assert result.err.splitlines()[-1] == (
        f"error: MSAL needs an https authority, and 'http://127.0.0.1:8001/{defaults.DEV_TENANT_ID}' is not; "
        "use the default (requests) path against the local development provider"
    )
