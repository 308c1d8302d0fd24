"""What the consent page shows a person (issue 14, items 5, 5b and 9).

Which server on which host; who asks, verified or not; where the answer goes (a website by its
ASCII host, a program on this computer, an app by its scheme); the permissions in words from the
tools' declarations; a warning, and no remembered approval, when the answer goes to this computer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from front.consent import REMEMBER_COOKIE, approval_key
from front.destination import Destination, destination
from front.sealed import RememberedApprovals
from front.sealing import Sealer
from tests.log_capture import SuiteLog

from .browser import Browser
from .conftest import REDIRECT_URI, DocumentServer, FrontStack
from .flows import authorize_url, expect_page, expect_refusal, new_verifier, query_of, register
from .sdk import remember_sealed

LOOPBACK_WARNING = (
    "The answer goes to a program on this computer. Any program on this computer can start a sign-in "
    "in this app&#x27;s name{verified}, so approve only if you started this sign-in yourself, just now."
)


def consent_page(stack: FrontStack, client_id: str, redirect_uri: str = REDIRECT_URI, browser: Browser | None = None) -> httpx.Response:
    page = (browser or Browser()).request("GET", authorize_url(stack, client_id, new_verifier(), redirect_uri=redirect_uri))
    assert page.status_code == 200, page.text
    return page


def publish_loopback_client(documents: DocumentServer, name: str) -> str:
    url = documents.url + f"/clients/{name}.json"
    return documents.publish(
        f"/clients/{name}.json",
        {"client_id": url, "client_name": name, "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"},
    )


# -- item 5: userinfo, punycode, private-use schemes ---------------------------------------------


@pytest.mark.parametrize(
    "uri",
    ["https://accounts.google.com-signin@evil.example/cb", "https://user:pass@app.example/cb", "http://me@127.0.0.1:33418/cb", "x-app://me@claude.ai/cb"],
)
def test_registration_refuses_a_redirect_uri_with_a_user_name(front_stack: FrontStack, uri: str) -> None:
    # RFC 3986 §7.6: the first one reads as Google and goes to evil.example.
    answer = httpx.post(f"{front_stack.origin}/oauth/register", json={"client_name": "x", "redirect_uris": [uri]})

    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_redirect_uri",
        "error_description": f"redirect URI {uri!r} must not contain a user name or password (RFC 3986 section 7.6)",
    }


def test_a_client_metadata_document_with_a_user_name_in_a_redirect_uri_is_refused(
    front_stack: FrontStack, trust_documents: DocumentServer, suite_log: SuiteLog
) -> None:
    url = trust_documents.url + "/clients/userinfo.json"
    trust_documents.publish(
        "/clients/userinfo.json",
        {"client_id": url, "client_name": "Google", "redirect_uris": ["https://accounts.google.com-signin@evil.example/cb"]},
    )

    response = httpx.get(authorize_url(front_stack, url, new_verifier(), redirect_uri="https://accounts.google.com-signin@evil.example/cb"))

    expect_page(response, 401, f"The metadata document of the client {url} could not be fetched or was refused")
    expect_refusal(suite_log, response, "authorize", "invalid_client", "document_bad_redirect_uris")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://\u0430pple.example/cb", Destination("web", "xn--pple-43d.example", "https://xn--pple-43d.example/cb")),
        ("https://B\u00fccher.Example:8443/a b?q=\u00e9", Destination("web", "xn--bcher-kva.example", "https://xn--bcher-kva.example:8443/a%20b?q=%C3%A9")),
        ("http://127.0.0.1:33418/callback", Destination("this_computer", "33418", "http://127.0.0.1:33418/callback")),
        ("http://[::1]:5000/cb", Destination("this_computer", "5000", "http://[::1]:5000/cb")),
        ("x-app://claude.ai/cb", Destination("app", "x-app:", "x-app://claude.ai/cb")),
        ("com.example.app:/oauth", Destination("app", "com.example.app:", "com.example.app:/oauth")),
    ],
)
def test_where_the_answer_goes_is_shown_by_its_kind_and_in_ascii(uri: str, expected: Destination) -> None:
    assert destination(uri) == expected


def test_a_private_use_scheme_is_shown_as_the_app_that_opens_it_not_as_a_host(front_stack: FrontStack) -> None:
    client_id = register(front_stack.origin, ["x-app://claude.ai/callback"], name="Some app")

    page = consent_page(front_stack, client_id, "x-app://claude.ai/callback")

    assert "the answer goes to the app that opens <strong>x-app:</strong> links on this device." in page.text
    assert "<strong>claude.ai</strong>" not in page.text
    assert "<small><code>x-app://claude.ai/callback</code></small>" in page.text


def test_a_website_is_shown_by_its_host(front_stack: FrontStack) -> None:
    client_id = register(front_stack.origin, ["https://app.example/callback"], name="Web app")

    page = consent_page(front_stack, client_id, "https://app.example/callback")

    assert "the answer goes to the website <strong>app.example</strong>." in page.text


# -- item 5b: loopback redirects -----------------------------------------------------------------


def test_a_verified_client_answered_on_this_computer_is_shown_with_the_spec_s_warning(
    front_stack: FrontStack, trust_documents: DocumentServer
) -> None:
    client_id = publish_loopback_client(trust_documents, "loopback-only")

    page = consent_page(front_stack, client_id)

    assert '<span class="badge verified">&#10003; Verified</span>' in page.text
    assert '<span class="badge warning">&#9888; Answer goes to this computer</span>' in page.text
    assert LOOPBACK_WARNING.format(verified=", even one verified as above") in page.text
    assert 'name="remember"' not in page.text


def test_a_registered_client_answered_on_this_computer_is_warned_about_too(front_stack: FrontStack) -> None:
    page = consent_page(front_stack, register(front_stack.origin))

    assert LOOPBACK_WARNING.format(verified="") in page.text
    assert 'name="remember"' not in page.text


def test_a_remembered_approval_never_skips_the_page_when_the_answer_goes_to_this_computer(
    front_stack: FrontStack, trust_documents: DocumentServer
) -> None:
    # A local program reuses a verified client's id with its own loopback port; the browser holds a
    # remembered approval (sealed before this rule, or asked for anyway): the person still sees the page.
    client_id = publish_loopback_client(trust_documents, "remembered-loopback")
    other_port = "http://127.0.0.1:50999/callback"
    browser = Browser(remember=True)
    keys = (approval_key(client_id, REDIRECT_URI), approval_key(client_id, other_port))
    cookie = Sealer(front_stack.sealing_keys).seal_value(RememberedApprovals(approval_keys=keys), lifetime=3600)
    browser.cookies.setdefault(urlsplit(front_stack.origin).netloc, {})[REMEMBER_COOKIE] = remember_sealed(cookie)

    for redirect_uri in (REDIRECT_URI, other_port):
        page = browser.request("GET", authorize_url(front_stack, client_id, new_verifier(), redirect_uri=redirect_uri))
        assert page.status_code == 200 and "to use it as you?" in page.text

    approved = browser.sign_in(authorize_url(front_stack, client_id, new_verifier()), REDIRECT_URI)  # posts remember=yes
    remember_sealed(query_of(approved)["code"])
    assert not [c for page in browser.pages for c in page.headers.get_list("set-cookie") if c.startswith(REMEMBER_COOKIE + "=gAAAA")]


# -- item 9: the server, the permissions in words, the buttons, the error pages --------------------


def test_the_page_names_the_server_and_its_host_and_the_permissions_in_words(front_stack: FrontStack) -> None:
    client_id = register(front_stack.origin, name="Calc client")
    app_id_uri = front_stack.env["OAUTH_APP_ID_URI"]

    page = consent_page(front_stack, client_id)

    host = urlsplit(front_stack.origin).netloc
    assert f'<p class="server">MCP server <strong>calculator</strong> on <strong>{host}</strong></p>' in page.text
    assert "<h1>Allow Calc client to use it as you?</h1>" in page.text
    assert (
        '<ul class="scopes">'
        f"<li><strong>Add numbers</strong><br><small><code>{app_id_uri}/calculator.add</code></small></li>"
        "<li><strong>Stay signed in</strong><br><small>the app can renew its access without asking you again; "
        "<code>offline_access</code></small></li></ul>"
    ) in page.text


def test_every_permission_is_described_when_every_scope_is_asked(front_stack: FrontStack) -> None:
    page = Browser().request("GET", authorize_url(front_stack, register(front_stack.origin), new_verifier(), scope="calculator.add calculator.subtract"))

    assert "<li><strong>Add numbers</strong>" in page.text and "<li><strong>Subtract numbers</strong>" in page.text


def test_the_two_buttons_differ(front_stack: FrontStack) -> None:
    page = consent_page(front_stack, register(front_stack.origin))

    assert (
        '<button type="submit" class="approve" name="decision" value="approve">Allow and sign in</button>'
        '<button type="submit" class="cancel" name="decision" value="deny">Cancel</button>'
    ) in page.text
    assert "button.approve{background:#0b57d0;color:#fff" in page.text and "button.cancel{background:#fff" in page.text


def test_an_error_page_says_what_to_do_and_gives_a_reference(front_stack: FrontStack) -> None:
    response = httpx.get(authorize_url(front_stack, "made-up-client", new_verifier()))

    expect_page(response, 401, "<p>The client_id names no client this server can verify.</p>")
    assert "<p>Nothing was sent to the app. If this keeps happening, tell the app's publisher or this server's administrator" in response.text
    assert f"error <code>invalid_client</code>, reference <code>{response.headers['x-correlation-id']}</code>" in response.text


def test_every_permission_a_tool_declares_has_its_words() -> None:
    import mcp_tools

    assert [spec.name for spec in mcp_tools.SPECS if spec.permission and not spec.permission_text] == []
    assert mcp_tools.permission_texts() == {"calculator.add": "Add numbers", "calculator.subtract": "Subtract numbers"}
