"""A sign-in finishes only in the browser that approved it, and only once (issue 14, item 1).

The attack: the attacker approves its own consent page, keeps the issuer URL it is sent to
(the sealed `state` in it), and mails that URL to victims. Each victim's browser signs in at the
issuer and comes back through /oauth/callback, which used to send a code for the victim to the
attacker's redirect URI. These tests play it with two browsers (cookie jars) through the real
front and the dev identity provider; tests/front/test_chromium.py plays it in Chromium.
"""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from tests.log_capture import SuiteLog

from .browser import Browser, read_form
from .conftest import REDIRECT_URI, FrontStack
from .flows import authorize_url, exchange, expect_page, expect_refusal, new_verifier, query_of, register
from .sdk import remember_sealed

NOT_THIS_BROWSER = (
    "This sign-in was not approved in this browser, or it was already finished. "
    "If someone sent you this link, close this page. If you were signing in, start again from your app"
)


def approve_and_keep_upstream_url(stack: FrontStack, browser: Browser, client_id: str, verifier: str) -> httpx.Response:
    """The front's consent page approved in `browser`; the 303 to the issuer, not followed."""
    page = browser.request("GET", authorize_url(stack, client_id, verifier))
    form = read_form(page.text)
    approved = browser.request("POST", urljoin(page.url.__str__(), form.action), data={**form.fields, "decision": "approve"})
    assert approved.status_code == 303 and approved.headers["location"].startswith(stack.idp.authorization_endpoint)
    return approved


def sign_in_upstream(browser: Browser, upstream_url: str) -> str:
    """At the issuer: pick the first user and approve; the callback URL the issuer sends the browser to."""
    page = browser.request("GET", upstream_url)
    form = read_form(page.text)
    answer = browser.request("POST", urljoin(upstream_url, form.action), data={**form.fields, form.buttons["approve"]: "approve"})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def binding_cookie_of(response: httpx.Response) -> str:
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-mcp-front-signin-")]
    return cookie


def test_the_attackers_issuer_url_opened_in_another_browser_ends_on_a_page_with_no_code(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    client_id = register(front_stack.origin, name="attacker's client")
    attacker, victim = Browser(), Browser()
    upstream_url = approve_and_keep_upstream_url(front_stack, attacker, client_id, new_verifier()).headers["location"]

    callback_url = sign_in_upstream(victim, upstream_url)  # the victim signs in at the issuer (SSO)
    landed = victim.request("GET", callback_url)

    expect_page(landed, 403, NOT_THIS_BROWSER)
    assert "code=" not in landed.text and "location" not in landed.headers
    expect_refusal(suite_log, landed, "callback", "invalid_request", "not_this_browser")


def test_a_second_victim_is_refused_too(front_stack: FrontStack) -> None:
    # The URL was reproduced signing in two users: neither gets through.
    client_id = register(front_stack.origin, name="attacker's client")
    upstream_url = approve_and_keep_upstream_url(front_stack, Browser(), client_id, new_verifier()).headers["location"]

    for victim in (Browser(), Browser()):
        expect_page(victim.request("GET", sign_in_upstream(victim, upstream_url)), 403, NOT_THIS_BROWSER)


def test_the_browser_that_approved_finishes_once_and_its_code_works(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    client_id = register(front_stack.origin)
    verifier = new_verifier()
    browser = Browser()
    approved = approve_and_keep_upstream_url(front_stack, browser, client_id, verifier)
    callback_url = sign_in_upstream(browser, approved.headers["location"])

    finished = browser.request("GET", callback_url)
    again = browser.request("GET", callback_url)

    assert finished.status_code == 302 and finished.headers["location"].startswith(REDIRECT_URI + "?code=")
    code = remember_sealed(query_of(finished.headers["location"])["code"])
    assert exchange(front_stack, client_id, code, verifier).status_code == 200
    # The callback cleared the cookie with the answer that carried the code: the same state again is refused.
    name = binding_cookie_of(approved).split("=", 1)[0]
    assert any(c.startswith(f"{name}=;") or c.startswith(f'{name}="";') for c in finished.headers.get_list("set-cookie"))
    expect_page(again, 403, NOT_THIS_BROWSER)
    expect_refusal(suite_log, again, "callback", "invalid_request", "not_this_browser")


def test_the_binding_cookie_is_host_only_secure_httponly_and_lax(front_stack: FrontStack) -> None:
    approved = approve_and_keep_upstream_url(front_stack, Browser(), register(front_stack.origin), new_verifier())

    cookie = binding_cookie_of(approved)

    # Lax, not Strict: the issuer's answer is a cross-site top-level GET, which carries Lax cookies only;
    # a GET because the front asks for response_mode=query (form_post would be a cross-site POST: no cookie).
    attributes = sorted(part.strip() for part in cookie.split(";")[1:])
    assert attributes == ["HttpOnly", "Max-Age=600", "Path=/", "SameSite=lax", "Secure"]
    assert query_of(approved.headers["location"])["response_mode"] == "query"


def test_two_sign_ins_under_way_in_one_browser_both_finish(front_stack: FrontStack) -> None:
    client_id = register(front_stack.origin)
    browser = Browser()
    first = approve_and_keep_upstream_url(front_stack, browser, client_id, new_verifier())
    second = approve_and_keep_upstream_url(front_stack, browser, client_id, new_verifier())

    for approved in (second, first):
        finished = browser.request("GET", sign_in_upstream(browser, approved.headers["location"]))
        assert finished.status_code == 302 and finished.headers["location"].startswith(REDIRECT_URI + "?code=")
        remember_sealed(query_of(finished.headers["location"])["code"])


def test_a_remembered_approval_binds_the_sign_in_to_its_browser_too(front_stack: FrontStack) -> None:
    web_app = "https://app.example/callback"  # remembered approvals are for answers that leave this computer
    client_id = register(front_stack.origin, [web_app])
    browser = Browser(remember=True)
    remember_sealed(query_of(browser.sign_in(authorize_url(front_stack, client_id, new_verifier(), redirect_uri=web_app), web_app))["code"])

    skipped = browser.request("GET", authorize_url(front_stack, client_id, new_verifier(), redirect_uri=web_app))
    assert skipped.status_code == 302 and skipped.headers["location"].startswith(front_stack.idp.authorization_endpoint)
    assert binding_cookie_of(skipped)
    callback_url = sign_in_upstream(browser, skipped.headers["location"])
    stranger = Browser()

    expect_page(stranger.request("GET", callback_url), 403, NOT_THIS_BROWSER)
    finished = browser.request("GET", callback_url)
    assert finished.status_code == 302 and finished.headers["location"].startswith(web_app + "?code=")
    remember_sealed(query_of(finished.headers["location"])["code"])


def test_a_forged_binding_cookie_is_refused_not_a_500(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    browser = Browser()
    approved = approve_and_keep_upstream_url(front_stack, browser, register(front_stack.origin), new_verifier())
    callback_url = sign_in_upstream(browser, approved.headers["location"])
    name = binding_cookie_of(approved).split("=", 1)[0]

    for forged in (b"x", "\u00e9t\u00e9".encode("latin-1"), b""):
        landed = httpx.get(callback_url, headers={"Cookie": name.encode() + b"=" + forged})
        expect_page(landed, 403, NOT_THIS_BROWSER)
        expect_refusal(suite_log, landed, "callback", "invalid_request", "not_this_browser")
