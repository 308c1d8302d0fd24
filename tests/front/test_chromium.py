"""The sign-in in a real browser (headless Chromium): bound to the browser that approved, across the
cross-site redirect back from the issuer, with the SameSite value that redirect allows.

The front is opened as http://localhost:{port} and the identity provider as http://127.0.0.1:{port}:
two sites, as the front and Entra are. So the issuer's answer reaches /oauth/callback as a
cross-site top-level GET, and Chromium decides which cookies it carries. A client app listens on
its loopback redirect URI and records what reaches it. Set FRONT_SCREENSHOTS to a folder to keep
a PNG of each page.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .chromium import CHROMIUM, Chromium, Page
from .conftest import DocumentServer, FrontStack
from .flows import authorize_url, new_verifier, register
from .sdk import remember_sealed
from .test_browser_binding import NOT_THIS_BROWSER

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


class ClientApp:
    """The client's loopback redirect URI: a listener that records every request it gets."""

    def __init__(self) -> None:
        self.received: list[str] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.startswith("/callback"):  # not the favicon
                    app.received.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"<!doctype html><title>client</title><p>Signed in. You may close this window.</p>")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def codes(self) -> list[str]:
        return [remember_sealed(parse_qs(urlsplit(path).query)["code"][0]) for path in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def client_app() -> Iterator[ClientApp]:
    app = ClientApp()
    yield app
    app.close()


@pytest.fixture
def local(front_stack: FrontStack) -> FrontStack:
    """The same server, named http://localhost:{port}: another site than the identity provider's 127.0.0.1."""
    return FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=front_stack.origin.replace("127.0.0.1", "localhost"), env=front_stack.env)


@pytest.fixture(scope="module")
def chromium_process() -> Iterator[Chromium]:
    process = Chromium()
    yield process
    process.close()


@pytest.fixture
def chromium(chromium_process: Chromium) -> Iterator[Page]:
    """A fresh browser (a browser context of its own: no cookies, nothing shared)."""
    page = chromium_process.new_page()
    yield page
    page.close()


def shoot(browser: Page, name: str) -> None:
    folder = os.environ.get("FRONT_SCREENSHOTS")
    if folder:
        browser.screenshot(os.path.join(folder, f"{name}.png"))


def sent_cookies(event: dict[str, Any]) -> dict[str, list[str]]:
    """Each cookie Chromium considered for a request, and why it held it back (empty: sent)."""
    return {c["cookie"]["name"]: c["blockedReasons"] for c in event["params"].get("associatedCookies", [])}


def test_a_sign_in_finishes_in_the_browser_that_approved_it_with_a_lax_cookie(
    local: FrontStack, client_app: ClientApp, chromium: Page
) -> None:
    client_id = register(local.origin, [client_app.redirect_uri], name="Chromium test client")
    # A Strict cookie of the front's site, set beside the front's own: the control for the cross-site redirect.
    chromium.set_cookie(name="strict-probe", value="1", url=local.origin + "/", sameSite="Strict", secure=True, httpOnly=True)

    chromium.open(authorize_url(local, client_id, new_verifier(), redirect_uri=client_app.redirect_uri, scope=None))
    shoot(chromium, "consent-registered-loopback")
    assert "Allow Chromium test client to use it as you?" in chromium.text
    chromium.click('button[value="approve"]')
    assert chromium.url.startswith(local.idp.authorization_endpoint)
    shoot(chromium, "identity-provider")
    since = len(chromium.events)
    chromium.click('button[value="approve"]')

    assert chromium.url.startswith(client_app.redirect_uri + "?code=")
    assert len(client_app.codes()) == 1
    # What Chromium carried to /oauth/callback, a cross-site top-level GET: the Lax binding cookie, not the Strict probe.
    callback = chromium.wait_for(
        lambda e: e.get("method") == "Network.requestWillBeSentExtraInfo"
        and any(name.startswith("__Host-mcp-front-signin-") for name in sent_cookies(e)),
        since,
    )
    considered = sent_cookies(callback)
    assert [reasons for name, reasons in considered.items() if name.startswith("__Host-mcp-front-signin-")] == [[]]
    assert "SameSiteStrict" in considered["strict-probe"]
    # The callback cleared the binding cookie: nothing of this sign-in is left in the browser.
    assert not [c for c in chromium.cookies() if c["name"].startswith("__Host-mcp-front-signin-")]


def test_a_remembered_approval_goes_straight_to_the_issuer_and_is_bound_to_the_browser_too(local: FrontStack, chromium: Page) -> None:
    # A website's redirect URI (remembered approvals are for answers that leave this computer). Chromium
    # resolves no name but localhost, so the code's way to app.example is seen as the request it starts.
    web_app = "https://app.example/callback"
    client_id = register(local.origin, [web_app], name="Web app")

    def sign_in_lands_a_code(since: int) -> None:
        chromium.wait_for(
            lambda e: e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"].startswith(web_app + "?code="),
            since,
        )

    chromium.open(authorize_url(local, client_id, new_verifier(), redirect_uri=web_app))
    shoot(chromium, "consent-registered-web")
    chromium.evaluate('document.querySelector(\'input[name="remember"]\').checked = true')
    chromium.click('button[value="approve"]')
    since = len(chromium.events)
    chromium.click('button[value="approve"]')
    sign_in_lands_a_code(since)

    chromium.open(authorize_url(local, client_id, new_verifier(), redirect_uri=web_app))
    assert chromium.url.startswith(local.idp.authorization_endpoint)  # no consent page: remembered
    assert [c["sameSite"] for c in chromium.cookies() if c["name"].startswith("__Host-mcp-front-signin-")] == ["Lax"]
    since = len(chromium.events)
    chromium.click('button[value="approve"]')
    sign_in_lands_a_code(since)
    assert not [c for c in chromium.cookies() if c["name"].startswith("__Host-mcp-front-signin-")]


def test_a_verified_client_answered_on_this_computer_is_warned_about_and_never_remembered(
    local: FrontStack, client_app: ClientApp, chromium: Page, trust_documents: DocumentServer
) -> None:
    url = trust_documents.url + "/clients/chromium-loopback.json"
    trust_documents.publish(
        "/clients/chromium-loopback.json",
        {"client_id": url, "client_name": "Desktop app", "redirect_uris": [client_app.redirect_uri], "token_endpoint_auth_method": "none"},
    )

    chromium.open(authorize_url(local, url, new_verifier(), redirect_uri=client_app.redirect_uri))
    shoot(chromium, "consent-verified-loopback")
    assert "Verified" in chromium.text and "Answer goes to this computer" in chromium.text
    assert chromium.evaluate("document.querySelector('input[name=\"remember\"]') === null")
    chromium.click('button[value="approve"]')
    chromium.click('button[value="approve"]')
    assert len(client_app.codes()) == 1

    chromium.open(authorize_url(local, url, new_verifier(), redirect_uri=client_app.redirect_uri))
    assert chromium.url.startswith(local.origin + "/oauth/authorize?")  # the page again, not the issuer
    assert "Allow Desktop app to use it as you?" in chromium.text


def test_the_attackers_issuer_url_opened_in_a_fresh_browser_ends_on_a_page_and_sends_no_code(
    local: FrontStack, client_app: ClientApp, chromium_process: Chromium, chromium: Page
) -> None:
    client_id = register(local.origin, [client_app.redirect_uri], name="attacker's client")
    attacker = chromium_process.new_page()  # the attacker's own browser
    try:
        attacker.open(authorize_url(local, client_id, new_verifier(), redirect_uri=client_app.redirect_uri))
        attacker.click('button[value="approve"]')
        upstream_url = attacker.url  # approved, and kept: the issuer's page is not answered
    finally:
        attacker.close()
    assert upstream_url.startswith(local.idp.authorization_endpoint)

    chromium.open(upstream_url)  # the victim's fresh browser, following the link it was sent
    chromium.click('button[value="approve"]')  # signs in at the issuer

    shoot(chromium, "not-this-browser")
    assert chromium.url.startswith(local.origin + "/oauth/callback?")
    assert NOT_THIS_BROWSER + "." in chromium.text and "Nothing was sent to the app." in chromium.text
    assert client_app.received == []
