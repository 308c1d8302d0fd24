"""The redirect URI the CLI's login sends matches the one docs/azure-setup.md registers, under Entra's rule.

Entra's loopback rule (Microsoft, "Redirect URI (reply URL) outline and restrictions",
Localhost exceptions; RFC 8252 §7.3): for http://localhost and http://127.0.0.1 the port
is ignored, while the scheme, the host and the path must match. The registered URI is read
from the `az` command in the setup guide, and the sent one from the authorization URL that
`client.login.login` builds around its real loopback listener.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from client.discovery import Endpoints
from client.errors import OAuthFailure
from client.login import login
from client.settings import ClientSettings
from tests.support import REPO

ENTRA = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0"
ENDPOINTS = Endpoints(token_endpoint=f"{ENTRA}/token", authorization_endpoint=f"{ENTRA}/authorize")
_REGISTRATION = re.compile(r"az ad app update --id \"\$CLIENT_APP_ID\" --public-client-redirect-uris (\S+)")


def registered_public_client_redirects() -> list[str]:
    """Every URI the setup guide registers as a public client redirect."""
    return _REGISTRATION.findall(Path(REPO, "docs", "azure-setup.md").read_text())


def entra_accepts(registered: str, sent: str) -> bool:
    """Entra's matching of a loopback redirect URI: everything but the port must be equal."""
    want, got = urlsplit(registered), urlsplit(sent)
    if want.scheme != "http" or want.hostname not in ("localhost", "127.0.0.1"):
        return registered == sent
    return (want.scheme, want.hostname, want.path, want.query) == (got.scheme, got.hostname, got.path, got.query)


def sent_redirect_uri(tmp_path: Path, redirect_uri: str | None = None) -> str:
    """Run the CLI's login until the browser would open; the 'browser' denies, which ends it at once."""
    settings = ClientSettings(
        mcp_url="https://calc.example/mcp",
        client_id="33333333-3333-4333-8333-333333333333",
        scopes=("api://6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55/calculator.add", "offline_access"),
        app_scopes=(),
        cache=tmp_path / "tokens.json",
        redirect_uri=redirect_uri,
    )
    sent: list[str] = []

    def browser(url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        sent.append(query["redirect_uri"])
        # What Entra's redirect after a refusal looks like, delivered to the CLI's listener.
        requests.get(query["redirect_uri"], params={"error": "access_denied", "state": query["state"]}, timeout=10)

    with pytest.raises(OAuthFailure) as refused:
        login(settings, ENDPOINTS, open_url=browser, now=time.time, timeout=30)

    assert refused.value.error == "access_denied"
    (uri,) = sent
    return uri


def test_the_setup_guide_registers_http_localhost_as_a_public_client_redirect():
    assert registered_public_client_redirects() == ["http://localhost"]


def test_the_clis_default_redirect_matches_the_registered_one_on_any_port(tmp_path: Path):
    sent = sent_redirect_uri(tmp_path)
    (registered,) = registered_public_client_redirects()

    # A free port each time, so only a rule that ignores the port can match it.
    assert re.fullmatch(r"http://localhost:\d+", sent), sent
    assert entra_accepts(registered, sent)
    assert not entra_accepts(registered, sent.replace("http://localhost:", "http://localhost:1") + "/callback")


def test_a_127_0_0_1_redirect_is_not_covered_by_the_localhost_registration(tmp_path: Path):
    sent = sent_redirect_uri(tmp_path, redirect_uri="http://127.0.0.1")
    (registered,) = registered_public_client_redirects()

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sent), sent
    assert not entra_accepts(registered, sent)
    assert entra_accepts("http://127.0.0.1", sent)
