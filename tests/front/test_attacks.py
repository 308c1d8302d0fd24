"""Attacks on the OAuth front, each with its exact answer and its one log line.

Redirect URIs and open redirects, PKCE, replay, sealed values (expired, tampered, other key,
rotated-out key, wrong purpose), client metadata documents (private address, redirect, size,
another client id), refresh tokens across clients, consent CSRF, scopes and resources.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator

import httpx
import pytest
from cryptography.fernet import Fernet

from front.sealing import Sealer, fingerprint
from tests.log_capture import SuiteLog

from .browser import Browser, read_form
from .conftest import REDIRECT_URI, DocumentServer, FrontStack, start_front
from .flows import authorize_url, expect_page, expect_refusal, expect_token_error, exchange, new_verifier, query_of, register, sign_in_for_code, token_request, tokens_for
from .sdk import remember_sealed


@pytest.fixture(scope="module")
def client_id(front_stack: FrontStack) -> str:
    return register(front_stack.origin)


# -- redirect URIs and open redirects -------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1:33418/callback/../evil",
        "http://127.0.0.1:33418/callbackx",
        "http://127.0.0.1:33418@evil.example/callback",
        "http://localhost:33418/callback",  # another host than the registered 127.0.0.1
        "http://127.0.0.1:33418/callback?next=https://evil.example",
        "http://127.0.0.1:33418/callback#x",
    ],
)
def test_an_unregistered_redirect_uri_gets_a_page_not_a_redirect(front_stack: FrontStack, client_id: str, suite_log: SuiteLog, redirect_uri: str) -> None:
    response = httpx.get(authorize_url(front_stack, client_id, new_verifier(), redirect_uri=redirect_uri, response_type="token"))

    expect_page(response, 400, "The redirect_uri is not registered for this client")
    expect_refusal(suite_log, response, "authorize", "invalid_request", "redirect_uri_mismatch")


def test_a_loopback_redirect_uri_may_change_only_its_port(front_stack: FrontStack, client_id: str) -> None:
    # RFC 8252 §7.3: any port on the registered loopback address and path.
    response = httpx.get(authorize_url(front_stack, client_id, new_verifier(), redirect_uri="http://127.0.0.1:50123/callback"))

    assert response.status_code == 200 and "Allow attack test client to use it as you?" in response.text


def test_an_unknown_client_id_gets_a_page(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    response = httpx.get(authorize_url(front_stack, "made-up-client", new_verifier()))

    expect_page(response, 401, "The client_id names no client this server can verify")
    expect_refusal(suite_log, response, "authorize", "invalid_client", "registration_unreadable")


def test_a_forged_callback_state_gets_a_page_not_a_redirect(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    response = httpx.get(f"{front_stack.origin}/oauth/callback", params={"code": "x", "state": "forged"})

    expect_page(response, 400, "This sign-in answer is invalid or expired; start again from your app")
    expect_refusal(suite_log, response, "callback", "invalid_request", "state_unreadable")


@pytest.mark.parametrize(
    ("uris", "description"),
    [
        (["javascript:alert(1)//"], "redirect URI 'javascript:alert(1)//' must not use the javascript scheme"),
        (["http://evil.example/cb"], "redirect URI 'http://evil.example/cb' may use http only for a loopback address"),
        (["https://app.example/cb#frag"], "redirect URI 'https://app.example/cb#frag' must not contain a fragment (RFC 6749 section 3.1.2)"),
        ([], "redirect_uris must be a non-empty list"),
    ],
)
def test_registration_refuses_dangerous_redirect_uris(front_stack: FrontStack, uris: list[str], description: str) -> None:
    response = httpx.post(f"{front_stack.origin}/oauth/register", json={"client_name": "x", "redirect_uris": uris})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_redirect_uri", "error_description": description}


# -- PKCE, replay ----------------------------------------------------------------------


def test_a_wrong_pkce_verifier_is_invalid_grant(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    code = sign_in_for_code(front_stack, client_id, new_verifier())

    response = exchange(front_stack, client_id, code, new_verifier())

    expect_token_error(response, 400, "invalid_grant", "The code_verifier does not match the code_challenge")
    expect_refusal(suite_log, response, "token", "invalid_grant", "pkce_mismatch")


def test_a_replayed_code_fails_upstream_with_its_aadsts_code(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    verifier = new_verifier()
    code = sign_in_for_code(front_stack, client_id, verifier)
    first = exchange(front_stack, client_id, code, verifier)
    remember_sealed(first.json()["refresh_token"])

    replay = exchange(front_stack, client_id, code, verifier)

    assert first.status_code == 200
    expect_token_error(
        replay, 400, "invalid_grant",
        "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    )
    expect_refusal(suite_log, replay, "token", "invalid_grant", "upstream_invalid_grant")


def test_a_code_for_another_redirect_uri_or_client_is_invalid_grant(front_stack: FrontStack, client_id: str) -> None:
    verifier = new_verifier()
    code = sign_in_for_code(front_stack, client_id, verifier)
    other = register(front_stack.origin)

    wrong_uri = token_request(
        front_stack.origin, grant_type="authorization_code", client_id=client_id, code=code,
        redirect_uri="http://127.0.0.1:9/callback", code_verifier=verifier,
    )
    wrong_client = exchange(front_stack, other, code, verifier)

    expect_token_error(wrong_uri, 400, "invalid_grant", "redirect_uri differs from the authorization request's")
    expect_token_error(wrong_client, 400, "invalid_grant", "The code was issued to another client")


# -- sealed values -----------------------------------------------------------------------


def code_payload(client_id: str) -> dict[str, object]:
    return {"uc": "upstream", "uv": "v" * 43, "cb": "http://x/cb", "cf": fingerprint(client_id), "rd": REDIRECT_URI, "ch": "c" * 43, "sc": []}


@pytest.mark.parametrize(
    ("make_code", "reason"),
    [
        (lambda keys, cid: Sealer(keys, clock=lambda: time.time() - 120).seal("code", code_payload(cid), 60), "code_expired"),
        (lambda keys, cid: Sealer([Fernet.generate_key().decode()]).seal("code", code_payload(cid), 60), "code_unreadable"),
        (lambda keys, cid: (lambda s: s[:60] + ("A" if s[60] != "A" else "B") + s[61:])(Sealer(keys).seal("code", code_payload(cid), 60)), "code_unreadable"),
        (lambda keys, cid: Sealer(keys).seal("state", code_payload(cid), 60), "code_wrong_purpose"),
        (lambda keys, cid: cid, "code_wrong_purpose"),  # the sealed registration offered as a code
    ],
    ids=["expired", "other-key", "tampered", "a-state-as-code", "a-client-id-as-code"],
)
def test_a_bad_sealed_code_is_invalid_grant(front_stack: FrontStack, client_id: str, suite_log: SuiteLog, make_code: object, reason: str) -> None:
    code = remember_sealed(make_code(front_stack.sealing_keys, client_id))  # type: ignore[operator]

    response = exchange(front_stack, client_id, code, "v" * 43)

    expect_token_error(response, 400, "invalid_grant", "The code is invalid or expired")
    expect_refusal(suite_log, response, "token", "invalid_grant", reason)


@pytest.fixture(scope="module")
def rotated(front_stack: FrontStack) -> Iterator[tuple[str, str]]:
    """Two more instances: one that rotated a new key in (new, old), one that dropped the old key (new)."""
    new_key = Fernet.generate_key().decode()
    old_key = front_stack.sealing_keys[0]
    rotating = start_front(front_stack.idp, OAUTH_FRONT_SEALING_KEYS=f"{new_key},{old_key}")
    rotated_out = start_front(front_stack.idp, OAUTH_FRONT_SEALING_KEYS=new_key)
    yield rotating[2], rotated_out[2]
    for server, thread, _, _ in (rotating, rotated_out):
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)


def test_another_instance_finishes_the_flow_and_a_rotated_out_key_opens_nothing(
    front_stack: FrontStack, client_id: str, rotated: tuple[str, str], suite_log: SuiteLog
) -> None:
    rotating, rotated_out = rotated
    tokens = tokens_for(front_stack, client_id)

    renewed = token_request(rotating, grant_type="refresh_token", client_id=client_id, refresh_token=tokens["refresh_token"])
    refused = token_request(rotated_out, grant_type="refresh_token", client_id=client_id, refresh_token=tokens["refresh_token"])

    # Stateless: any instance holding the key opens the value; its new refresh token is sealed by the new key.
    assert renewed.status_code == 200 and renewed.json()["token_type"] == "Bearer"
    remember_sealed(renewed.json()["refresh_token"])
    expect_token_error(refused, 400, "invalid_grant", "The refresh token is invalid or expired")
    expect_refusal(suite_log, refused, "token", "invalid_grant", "refresh_unreadable")
    # The renewed token opens there, but the client id is a registration sealed by the dropped key:
    # the token endpoint checks the client id itself, not only its fingerprint, and it names no client.
    again = token_request(rotated_out, grant_type="refresh_token", client_id=client_id, refresh_token=renewed.json()["refresh_token"])
    expect_token_error(again, 401, "invalid_client", "The client_id names no client this server can verify")
    expect_refusal(suite_log, again, "token", "invalid_client", "registration_unreadable")


def test_a_refresh_token_presented_by_another_client_is_invalid_grant(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    tokens = tokens_for(front_stack, client_id)
    thief = register(front_stack.origin, name="another client")

    response = token_request(front_stack.origin, grant_type="refresh_token", client_id=thief, refresh_token=tokens["refresh_token"])

    expect_token_error(response, 400, "invalid_grant", "The refresh token was issued to another client")
    expect_refusal(suite_log, response, "token", "invalid_grant", "refresh_other_client")


def test_a_refresh_cannot_widen_the_grant(front_stack: FrontStack, client_id: str) -> None:
    tokens = tokens_for(front_stack, client_id)  # calculator.add only

    response = token_request(
        front_stack.origin, grant_type="refresh_token", client_id=client_id, refresh_token=tokens["refresh_token"],
        scope="calculator.add calculator.subtract",
    )

    expect_token_error(response, 400, "invalid_scope", "A refresh cannot add scopes")


# -- client metadata documents ------------------------------------------------------------


def unfetchable(client_id: str) -> str:
    """The error page's sentence for a document client whose document could not be fetched or was refused."""
    return f"The metadata document of the client {client_id} could not be fetched or was refused, so this server cannot verify the client"


@pytest.fixture(scope="module")
def strict_origin(front_stack: FrontStack) -> Iterator[str]:
    """An instance outside local-development mode: documents must be on public addresses."""
    server, thread, origin, _ = start_front(front_stack.idp, OAUTH_FRONT_DEV_MODE="off")
    yield origin
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(10)


def test_a_document_on_a_private_address_is_never_fetched(front_stack: FrontStack, strict_origin: str, trust_documents: DocumentServer, suite_log: SuiteLog) -> None:
    url = trust_documents.publish("/clients/private.json", {"client_id": trust_documents.url + "/clients/private.json", "redirect_uris": [REDIRECT_URI]})
    stack = FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=strict_origin, env=front_stack.env)

    response = httpx.get(authorize_url(stack, url, new_verifier(), resource=None))

    expect_page(response, 401, unfetchable(url))
    expect_refusal(suite_log, response, "authorize", "invalid_client", "document_private_address")
    assert "/clients/private.json" not in trust_documents.hits


@pytest.mark.parametrize(
    ("path", "answer", "reason"),
    [
        ("/clients/redirecting.json", (302, {"Location": "https://evil.example/doc.json"}, b""), "document_http_302"),
        ("/clients/oversized.json", (200, {}, b'{"client_id": "' + b"x" * 40000 + b'"}'), "document_too_large"),
        ("/clients/impostor.json", (200, {}, b'{"client_id": "https://claude.ai/oauth/client.json", "redirect_uris": ["http://127.0.0.1:33418/callback"]}'), "document_client_id_mismatch"),
        ("/clients/secret.json", (200, {}, None), "document_not_public_client"),
        ("/clients/missing.json", None, "document_http_404"),
    ],
    ids=["redirect", "oversized", "another-client-id", "secret-client", "missing"],
)
def test_a_bad_client_metadata_document_is_refused(
    front_stack: FrontStack, trust_documents: DocumentServer, suite_log: SuiteLog, path: str, answer: tuple[int, dict[str, str], bytes | None] | None, reason: str
) -> None:
    url = trust_documents.url + path
    if answer is not None:
        status, headers, body = answer
        if body is None:
            body = ('{"client_id": "%s", "redirect_uris": ["%s"], "token_endpoint_auth_method": "client_secret_basic"}' % (url, REDIRECT_URI)).encode()
        trust_documents.publish(path, body, status=status, headers=headers)

    response = httpx.get(authorize_url(front_stack, url, new_verifier()))

    expect_page(response, 401, unfetchable(url))
    expect_refusal(suite_log, response, "authorize", "invalid_client", reason)


@pytest.mark.parametrize("port", ["99999", "abc"])
def test_a_client_id_whose_port_is_no_port_gets_a_page_not_a_500(front_stack: FrontStack, suite_log: SuiteLog, port: str) -> None:
    client_id = f"https://127.0.0.1:{port}/clients/app.json"

    response = httpx.get(authorize_url(front_stack, client_id, new_verifier()))

    expect_page(response, 401, f"The client_id {client_id} is not a URL this server can fetch a client metadata document from")
    expect_refusal(suite_log, response, "authorize", "invalid_client", "client_id_bad_port")


def test_a_document_nested_5000_deep_gets_a_page_not_a_500(front_stack: FrontStack, trust_documents: DocumentServer, suite_log: SuiteLog) -> None:
    url = trust_documents.publish("/clients/deep.json", b"[" * 5000 + b"]" * 5000)

    response = httpx.get(authorize_url(front_stack, url, new_verifier()))

    expect_page(response, 401, unfetchable(url))
    expect_refusal(suite_log, response, "authorize", "invalid_client", "document_too_deep")


def test_a_document_with_an_unpaired_surrogate_gets_a_page_not_a_500(front_stack: FrontStack, trust_documents: DocumentServer, suite_log: SuiteLog) -> None:
    url = trust_documents.url + "/clients/surrogate.json"
    trust_documents.publish("/clients/surrogate.json", {"client_id": url, "client_name": "\ud800", "redirect_uris": [REDIRECT_URI]})

    response = httpx.get(authorize_url(front_stack, url, new_verifier()))

    expect_page(response, 401, unfetchable(url))
    expect_refusal(suite_log, response, "authorize", "invalid_client", "document_unpaired_surrogate")


def test_a_document_that_failed_is_not_fetched_again_at_once(front_stack: FrontStack, trust_documents: DocumentServer, suite_log: SuiteLog) -> None:
    url = trust_documents.url + "/clients/gone.json"  # 404

    answers = [httpx.get(authorize_url(front_stack, url, new_verifier())) for _ in range(3)]

    for response in answers:
        expect_page(response, 401, unfetchable(url))
        expect_refusal(suite_log, response, "authorize", "invalid_client", "document_http_404")
    assert trust_documents.hits["/clients/gone.json"] == 1  # the refusal is remembered (30 s)


def test_the_error_page_names_the_client_as_text(front_stack: FrontStack, trust_documents: DocumentServer) -> None:
    url = trust_documents.url + "/clients/<img src=x onerror=alert(1)>.json"

    response = httpx.get(authorize_url(front_stack, url, new_verifier()))

    expect_page(response, 401, unfetchable(html.escape(url)))
    assert "<img" not in response.text


def test_a_document_redirect_uri_must_match_exactly(front_stack: FrontStack, trust_documents: DocumentServer, suite_log: SuiteLog) -> None:
    url = trust_documents.publish("/clients/exact.json", {"client_id": trust_documents.url + "/clients/exact.json", "redirect_uris": ["https://app.example/callback"]})

    response = httpx.get(authorize_url(front_stack, url, new_verifier(), redirect_uri="https://app.example/callback/other"))

    expect_page(response, 400, "The redirect_uri is not registered for this client")
    expect_refusal(suite_log, response, "authorize", "invalid_request", "redirect_uri_mismatch")


# -- consent ---------------------------------------------------------------------------------


def consent(front_stack: FrontStack, client_id: str, browser: Browser) -> tuple[str, dict[str, str]]:
    page = browser.request("GET", authorize_url(front_stack, client_id, new_verifier()))
    assert page.status_code == 200
    form = read_form(page.text)
    return form.action, form.fields


def test_a_consent_post_without_its_csrf_token_is_refused(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    browser = Browser()
    action, fields = consent(front_stack, client_id, browser)

    no_token = browser.request("POST", action, data={"transaction": fields["transaction"], "decision": "approve"})
    cross_site = httpx.post(action, data={**fields, "decision": "approve"})  # no SameSite cookie from another site

    expect_page(no_token, 403, "This approval did not come from the page this browser was shown; start again")
    expect_refusal(suite_log, no_token, "consent", "invalid_request", "csrf")
    expect_page(cross_site, 403, "This approval did not come from the page this browser was shown; start again")


def test_a_consent_post_with_another_transaction_is_refused(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    attacker, victim = Browser(), Browser()
    _, attackers = consent(front_stack, client_id, attacker)  # the attacker's own, valid transaction
    action, victims = consent(front_stack, client_id, victim)

    response = victim.request("POST", action, data={"transaction": attackers["transaction"], "csrf": victims["csrf"], "decision": "approve"})

    expect_page(response, 403, "This approval did not come from the page this browser was shown; start again")
    expect_refusal(suite_log, response, "consent", "invalid_request", "csrf")


def test_declining_returns_access_denied_to_the_client(front_stack: FrontStack, client_id: str) -> None:
    landed = Browser().sign_in(authorize_url(front_stack, client_id, new_verifier()), REDIRECT_URI, decisions=("deny",))

    assert query_of(landed) == {"error": "access_denied", "error_description": "The person declined", "state": "client-state-1", "iss": front_stack.origin}


def test_declining_is_a_refusal_with_its_log_line(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    # Every refusal is written by front/answers.py with its one log line; the decline used to have none.
    browser = Browser()
    action, fields = consent(front_stack, client_id, browser)

    response = browser.request("POST", action, data={**fields, "decision": "deny"})

    assert response.status_code == 302 and response.headers["location"].startswith(REDIRECT_URI + "?error=access_denied")
    expect_refusal(suite_log, response, "consent", "access_denied", "declined")


def test_an_upstream_refusal_reaches_the_client_with_its_code(front_stack: FrontStack, client_id: str) -> None:
    # Approved here, declined at the identity provider: its error comes back through the front.
    landed = Browser().sign_in(authorize_url(front_stack, client_id, new_verifier()), REDIRECT_URI, decisions=("approve", "deny"))

    assert query_of(landed) == {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app.",
        "state": "client-state-1",
        "iss": front_stack.origin,
    }


def test_a_remembered_approval_skips_the_page_for_that_client_only(front_stack: FrontStack) -> None:
    # A website's redirect URI: an answer to this computer is never remembered (test_consent_page.py).
    web_app = "https://app.example/callback"
    client_id, other = register(front_stack.origin, [web_app]), register(front_stack.origin, [web_app])
    browser = Browser(remember=True)
    landed = browser.sign_in(authorize_url(front_stack, client_id, new_verifier(), redirect_uri=web_app), web_app)
    remember_sealed(query_of(landed)["code"])

    again = browser.request("GET", authorize_url(front_stack, client_id, new_verifier(), redirect_uri=web_app))
    other_client = browser.request("GET", authorize_url(front_stack, other, new_verifier(), redirect_uri=web_app))

    assert again.status_code == 302 and again.headers["location"].startswith(front_stack.idp.authorization_endpoint)
    assert other_client.status_code == 200 and "to use it as you?" in other_client.text


# -- scopes and resources --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"scope": "openid User.Read"}, "invalid_scope", "The scope 'openid' is not offered by this server"),
        ({"scope": "api://someone-else/calculator.add"}, "invalid_scope", "The scope 'api://someone-else/calculator.add' is not offered by this server"),
        ({"resource": "https://graph.microsoft.com"}, "invalid_target", "The resource parameter does not name this MCP server"),
        ({"code_challenge": None}, "invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256"),
        ({"code_challenge_method": "plain"}, "invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256"),
        ({"response_type": "token"}, "unsupported_response_type", "Only response_type=code is supported"),
        ({"code_challenge": "A" * 43 + "\n"}, "invalid_request", "code_challenge is not an S256 challenge"),
    ],
    ids=["outside-scopes", "another-api", "foreign-resource", "no-pkce", "plain-pkce", "implicit", "challenge-with-newline"],
)
def test_a_bad_request_from_a_known_client_is_redirected_with_its_error(front_stack: FrontStack, client_id: str, overrides: dict[str, str | None], error: str, description: str) -> None:
    response = httpx.get(authorize_url(front_stack, client_id, new_verifier(), **overrides))

    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    assert query_of(response.headers["location"]) == {"error": error, "error_description": description, "state": "client-state-1", "iss": front_stack.origin}


def test_a_token_request_for_a_foreign_resource_is_invalid_target(front_stack: FrontStack, client_id: str) -> None:
    response = token_request(front_stack.origin, grant_type="refresh_token", client_id=client_id, refresh_token="x", resource="https://evil.example/mcp")

    expect_token_error(response, 400, "invalid_target", "The resource parameter does not name this MCP server")


def test_the_front_signs_in_with_a_client_secret_too(front_stack: FrontStack) -> None:
    # Locally the upstream client may use a secret instead of the managed identity's assertion.
    from devidp import defaults

    server, thread, origin, _ = start_front(
        front_stack.idp, OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID="", OAUTH_FRONT_CLIENT_SECRET=defaults.DEV_FRONT_CLIENT_SECRET
    )
    try:
        stack = FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=origin, env=front_stack.env)
        tokens = tokens_for(stack, register(origin))
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)

    assert sorted(tokens) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
    assert tokens["scope"] == front_stack.idp.scope("calculator.add")


def upstream_state(front_stack: FrontStack, client_id: str, browser: Browser | None = None) -> tuple[Browser, str]:
    """Approve the front's consent and stop before the identity provider: the browser, and the sealed `state` it was sent."""
    browser = browser or Browser()
    page = browser.request("GET", authorize_url(front_stack, client_id, new_verifier()))
    form = read_form(page.text)
    approved = browser.request("POST", form.action, data={**form.fields, "decision": "approve"})
    assert approved.status_code == 303
    return browser, remember_sealed(query_of(approved.headers["location"])["state"])


def test_a_forged_upstream_error_cannot_write_into_the_log(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    browser, state = upstream_state(front_stack, client_id)

    response = browser.request(
        "GET",
        f"{front_stack.origin}/oauth/callback",
        params={"state": state, "error": "x\nfront INFO forged line", "error_description": "AADSTS0: \"quoted\"\r\nline"},
    )

    assert response.status_code == 302
    assert query_of(response.headers["location"]) == {
        "error": "invalid_grant", "error_description": "AADSTS0:  quoted   line", "state": "client-state-1", "iss": front_stack.origin,
    }
    expect_refusal(suite_log, response, "callback", "invalid_grant", "upstream_invalid_grant")
    assert not suite_log.lines_with("forged line")


def test_an_upstream_error_code_ending_in_a_newline_is_not_taken_as_plain(
    front_stack: FrontStack, client_id: str, suite_log: SuiteLog
) -> None:
    # `^[a-z_]+$` matches "access_denied\n" (`$` matches before a final newline): the code must fullmatch.
    browser, state = upstream_state(front_stack, client_id)

    response = browser.request("GET", f"{front_stack.origin}/oauth/callback", params={"state": state, "error": "access_denied\n"})

    assert response.status_code == 302
    assert query_of(response.headers["location"]) == {
        "error": "invalid_grant",
        "error_description": "The identity provider refused the request",
        "state": "client-state-1",
        "iss": front_stack.origin,
    }
    expect_refusal(suite_log, response, "callback", "invalid_grant", "upstream_invalid_grant")


def test_an_overlong_client_state_is_refused(front_stack: FrontStack, client_id: str) -> None:
    response = httpx.get(authorize_url(front_stack, client_id, new_verifier(), state="s" * 1025))

    assert response.status_code == 302
    assert query_of(response.headers["location"])["error_description"] == "state is longer than 1024 bytes once encoded"
