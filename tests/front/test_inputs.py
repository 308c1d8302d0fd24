"""Hostile input to the front's endpoints, each with its exact answer: never a 500 (issue 14, items 4, 7, 8).

Each case here was a 500 with a traceback, a 201 that led nowhere, or a wrong answer before its fix.
RFC 7591 §3.2.2: a registration the server will not take is 400 invalid_client_metadata; RFC 6749
§4.1.2.1: a browser that cannot be sent back to its client gets an error page.
"""

from __future__ import annotations

import json

import httpx
import pytest

from front.clients import MAX_REDIRECT_URIS, Client, redirect_uri_allowed
from front.sealed import ClientRegistration, ConsentTransaction, SealedCode, UpstreamState
from front.sealing import MAX_SEALED_CHARS, Sealer
from tests.log_capture import SuiteLog

from .browser import Browser, read_form
from .conftest import REDIRECT_URI, FrontStack
from .flows import authorize_url, expect_page, expect_refusal, expect_token_error, new_verifier, query_of, register, sign_in_for_code
from .sdk import remember_sealed

CSRF_COOKIE = "__Host-mcp-front-csrf"


@pytest.fixture(scope="module")
def client_id(front_stack: FrontStack) -> str:
    return register(front_stack.origin)


def post_registration(front_stack: FrontStack, body: bytes) -> httpx.Response:
    return httpx.post(f"{front_stack.origin}/oauth/register", content=body, headers={"Content-Type": "application/json"})


def expect_metadata_refusal(response: httpx.Response, error: str, description: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["cache-control"] == "no-store"


# -- item 4: registration bodies that used to be a 500 --------------------------------------


@pytest.mark.parametrize("grant_types", [[{"authorization_code": True}], [["authorization_code"]], ["authorization_code", {}]])
def test_grant_types_holding_objects_or_arrays_are_invalid_client_metadata(front_stack: FrontStack, suite_log: SuiteLog, grant_types: list[object]) -> None:
    body = {"client_name": "x", "redirect_uris": [REDIRECT_URI], "grant_types": grant_types}

    response = post_registration(front_stack, json.dumps(body).encode())

    expect_metadata_refusal(response, "invalid_client_metadata", "grant_types may be authorization_code and refresh_token only")
    expect_refusal(suite_log, response, "register", "invalid_client_metadata", "grant_types")


def test_a_5000_digit_integer_is_invalid_client_metadata(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    # Python refuses to parse integers past int_max_str_digits (4300) with a ValueError that is no JSONDecodeError.
    body = b'{"client_name": "x", "redirect_uris": ["' + REDIRECT_URI.encode() + b'"], "n": ' + b"9" * 5000 + b"}"

    response = post_registration(front_stack, body)

    expect_metadata_refusal(response, "invalid_client_metadata", "The body must be a JSON object")
    expect_refusal(suite_log, response, "register", "invalid_client_metadata", "not_json")


@pytest.mark.parametrize("body", [b"[" * 20_000 + b"]" * 20_000, b'{"client_name": ' + b"[" * 20_000])
def test_20000_nested_brackets_are_invalid_client_metadata(front_stack: FrontStack, suite_log: SuiteLog, body: bytes) -> None:
    response = post_registration(front_stack, body)

    expect_metadata_refusal(response, "invalid_client_metadata", "The body is nested too deeply")
    expect_refusal(suite_log, response, "register", "invalid_client_metadata", "too_deep")


@pytest.mark.parametrize(
    "body",
    [
        b'{"client_name": "x\\ud800", "redirect_uris": ["http://127.0.0.1:33418/callback"]}',
        b'{"client_name": "x", "scope": "calculator.add \\udfff", "redirect_uris": ["http://127.0.0.1:33418/callback"]}',
        b'{"client_name": "x", "redirect_uris": ["http://127.0.0.1:33418/callback\\ud800"]}',
    ],
    ids=["client_name", "scope", "redirect_uri"],
)
def test_a_lone_surrogate_is_invalid_client_metadata(front_stack: FrontStack, suite_log: SuiteLog, body: bytes) -> None:
    # RFC 8259 §8.2: the escape parses, but names no character: no UTF-8 answer or page could carry it.
    response = post_registration(front_stack, body)

    expect_metadata_refusal(
        response, "invalid_client_metadata", "The body holds an unpaired surrogate, which is no character (RFC 8259 section 8.2)"
    )
    expect_refusal(suite_log, response, "register", "invalid_client_metadata", "unpaired_surrogate")


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("https://例え.example/cb", "'https://  .example/cb'"),  # the description is ASCII: RFC 6749 §5.2
        ("https://xn--r8jz45g.example/cb/é", "'https://xn--r8jz45g.example/cb/ '"),
        ("myapp://ünï/cb", "'myapp:// n /cb'"),
        ('https://app.example/"cb"', "'https://app.example/ cb '"),
        ("https://app.example/cb\x01", "'https://app.example/cb x01'"),
    ],
)
def test_a_redirect_uri_with_characters_no_uri_has_is_refused_at_registration(front_stack: FrontStack, uri: str, shown: str) -> None:
    # A host that is not Latin-1 used to register, then break the consent page's CSP header with a 500.
    uri = uri.replace("\\x01", "\x01")
    response = httpx.post(f"{front_stack.origin}/oauth/register", json={"client_name": "x", "redirect_uris": [uri]})

    expect_metadata_refusal(
        response, "invalid_redirect_uri",
        f"redirect URI {shown} must be a URI: ASCII letters, digits and the characters RFC 3986 allows (an international host in its xn-- form)",
    )


def test_a_registration_sealed_before_the_ascii_rule_gets_a_page_not_a_500(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    uri = "https://例え.example/cb"
    old = remember_sealed(Sealer(front_stack.sealing_keys).seal_value(ClientRegistration(name="old", redirect_uris=(uri,)), lifetime=None))

    response = httpx.get(authorize_url(front_stack, old, new_verifier(), redirect_uri=uri))

    expect_page(response, 400, "The redirect_uri registered for this client is no longer accepted; register again")
    expect_refusal(suite_log, response, "authorize", "invalid_request", "redirect_uri_refused")


def _consent(front_stack: FrontStack, client_id: str, browser: Browser) -> tuple[str, dict[str, str]]:
    page = browser.request("GET", authorize_url(front_stack, client_id, new_verifier()))
    assert page.status_code == 200
    form = read_form(page.text)
    return form.action, form.fields


@pytest.mark.parametrize("where", ["field", "cookie", "both"])
def test_a_csrf_token_that_is_not_ascii_is_refused_not_a_500(front_stack: FrontStack, client_id: str, suite_log: SuiteLog, where: str) -> None:
    # hmac.compare_digest raises TypeError for a str that is not ASCII.
    browser = Browser()
    action, fields = _consent(front_stack, client_id, browser)
    cookie = browser.cookies[httpx.URL(action).netloc.decode()][CSRF_COOKIE]
    form_csrf = "é" + fields["csrf"][1:] if where in ("field", "both") else fields["csrf"]
    cookie_csrf = "é" + cookie[1:] if where in ("cookie", "both") else cookie

    response = httpx.post(
        action,
        data={**fields, "csrf": form_csrf, "decision": "approve"},
        headers={"Cookie": f"{CSRF_COOKIE}={cookie_csrf}".encode("latin-1")},  # type: ignore[dict-item]
    )

    expect_page(response, 403, "This approval did not come from the page this browser was shown; start again")
    expect_refusal(suite_log, response, "consent", "invalid_request", "csrf")


# -- item 7: limits that agree -------------------------------------------------------------


def _long_uris(count: int) -> list[str]:
    base = "https://app.example/cb/"
    return [f"{base}{i}-" + "x" * (2000 - len(base) - 3) for i in range(count)]


def test_a_registration_whose_client_id_would_pass_the_cap_is_refused(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    # It used to get 201, and then /oauth/authorize said its client_id "names no client".
    response = httpx.post(f"{front_stack.origin}/oauth/register", json={"client_name": "x", "redirect_uris": _long_uris(MAX_REDIRECT_URIS)})

    expect_metadata_refusal(
        response, "invalid_client_metadata",
        f"The registration is too large: its client_id would pass {MAX_SEALED_CHARS} characters; register fewer or shorter redirect_uris",
    )
    expect_refusal(suite_log, response, "register", "invalid_client_metadata", "registration_too_large")


def test_the_largest_registration_accepted_names_a_client_at_authorize(front_stack: FrontStack) -> None:
    largest: str | None = None
    for count in range(1, MAX_REDIRECT_URIS + 1):
        answer = httpx.post(f"{front_stack.origin}/oauth/register", json={"client_name": "x", "redirect_uris": _long_uris(count)})
        if answer.status_code != 201:
            assert answer.json()["error"] == "invalid_client_metadata"
            break
        largest = remember_sealed(answer.json()["client_id"])
    assert largest is not None and count > 1

    page = httpx.get(authorize_url(front_stack, largest, new_verifier(), redirect_uri=_long_uris(1)[0]))

    assert page.status_code == 200 and "<h1>Allow x to use it as you?</h1>" in page.text


def test_a_state_of_1024_e_acute_is_refused_at_authorize_not_at_approve(front_stack: FrontStack, client_id: str, suite_log: SuiteLog) -> None:
    # 1,024 characters passed a count of characters, then the sealed form was too long to open at Approve.
    response = httpx.get(authorize_url(front_stack, client_id, new_verifier(), state="é" * 1024))

    assert response.status_code == 302
    assert query_of(response.headers["location"]) == {
        "error": "invalid_request",
        "error_description": "state is longer than 1024 bytes once encoded",
        "state": "é" * 1024,
        "iss": front_stack.origin,
    }
    expect_refusal(suite_log, response, "authorize", "invalid_request", "state_too_long")


@pytest.mark.parametrize("state", ["s" * 1024, "é" * 170, "~" * 1024])
def test_a_state_at_the_limit_comes_back_intact_through_approve_and_callback(front_stack: FrontStack, client_id: str, state: str) -> None:
    landed = Browser().sign_in(authorize_url(front_stack, client_id, new_verifier(), state=state), REDIRECT_URI)

    answer = query_of(landed)
    remember_sealed(answer["code"])
    assert answer["state"] == state


def test_the_longest_values_the_front_accepts_fit_its_sealed_value_cap() -> None:
    """The limits agree: a redirect URI of 2,000 characters (each one byte in JSON, now that only URI
    characters are accepted), a state at its limit and every scope, sealed as the consent form, the
    upstream state and the code (with an issuer's code of 1,500 characters), stay under the cap."""
    from cryptography.fernet import Fernet

    sealer = Sealer([Fernet.generate_key().decode()])
    redirect_uri = "https://app.example/" + "x" * (2000 - len("https://app.example/"))
    state = "\\" * 512  # 1,024 bytes once encoded
    scopes = tuple(f"api://{'a' * 36}/calculator.{name}" for name in ("add", "subtract"))
    common = {"client_fingerprint": "f" * 24, "redirect_uri": redirect_uri, "client_state": state, "code_challenge": "c" * 43, "scopes": scopes}
    callback = "https://" + "h" * 253 + "/oauth/callback"

    for value in (
        ConsentTransaction(**common, approval_key="a" * 24, csrf="x" * 43),
        UpstreamState(**common, upstream_verifier="v" * 64, callback_url=callback, browser_binding="b" * 24),
        SealedCode(**{k: v for k, v in common.items() if k != "client_state"}, upstream_code="u" * 1500, upstream_verifier="v" * 64, callback_url=callback),
    ):
        assert len(sealer.seal_value(value, 600)) <= MAX_SEALED_CHARS, type(value).__name__


# -- item 8: smaller items ---------------------------------------------------------------


def test_a_missing_grant_type_is_invalid_request(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    # RFC 6749 §5.2: invalid_request is "missing a required parameter"; unsupported_grant_type is for one we don't serve.
    response = httpx.post(f"{front_stack.origin}/oauth/token", data={"client_id": "x", "code": "y"})

    expect_token_error(response, 400, "invalid_request", "grant_type is required")
    expect_refusal(suite_log, response, "token", "invalid_request", "missing_grant_type")


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencodedX", "application/x-www-form-urlencoded-json", "application/x-www-form-urlencoded/x"]
)
def test_a_content_type_that_only_starts_like_a_form_is_refused(front_stack: FrontStack, content_type: str) -> None:
    response = httpx.post(f"{front_stack.origin}/oauth/token", content=b"grant_type=password", headers={"Content-Type": content_type})

    expect_token_error(response, 400, "invalid_request", "Send application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded;charset=UTF-8", "Application/X-WWW-Form-URLEncoded ; charset=utf-8"],
)
def test_the_form_media_type_is_matched_whole_with_parameters_and_any_case(front_stack: FrontStack, content_type: str) -> None:
    # RFC 9110 §8.3.1: type and subtype are case-insensitive; parameters follow after ";".
    response = httpx.post(f"{front_stack.origin}/oauth/token", content=b"grant_type=password", headers={"Content-Type": content_type})

    expect_token_error(response, 400, "unsupported_grant_type", "Use authorization_code or refresh_token")


@pytest.mark.parametrize("path", ["/oauth/register", "/oauth/token", "/oauth/authorize"])
def test_the_413_answer_is_not_stored(front_stack: FrontStack, path: str) -> None:
    response = httpx.post(f"{front_stack.origin}{path}", content=b"x" * (64 * 1024 + 1))

    assert (response.status_code, response.json()) == (413, {"error": "invalid_request", "error_description": "The body is too large"})
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://evil@127.0.0.1:50123/callback", "http://127.0.0.1:33418@127.0.0.1:50123/callback", "http://a:b@127.0.0.1/callback"],
)
def test_a_loopback_redirect_with_userinfo_is_not_a_registered_one(front_stack: FrontStack, client_id: str, suite_log: SuiteLog, redirect_uri: str) -> None:
    # RFC 8252 §7.3 lets the port vary, nothing else; RFC 3986 §7.6: userinfo misleads.
    response = httpx.get(authorize_url(front_stack, client_id, new_verifier(), redirect_uri=redirect_uri))

    expect_page(response, 400, "The redirect_uri is not registered for this client")
    expect_refusal(suite_log, response, "authorize", "invalid_request", "redirect_uri_mismatch")
    client = Client("c", "n", (REDIRECT_URI,), verified=False)
    assert not redirect_uri_allowed(client, redirect_uri)
    assert redirect_uri_allowed(client, "http://127.0.0.1:50123/callback")


def test_a_code_redeemed_with_a_client_id_that_no_longer_names_a_client_is_invalid_client(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    """The token endpoint checks the client id itself, not only that its fingerprint matches the code's.

    A client id URL that is no client id (port 99999) and has the fingerprint the code was sealed
    with cannot come from /oauth/authorize; the code is sealed here with the front's key to show
    that the token endpoint refuses it all the same."""
    bad = "https://127.0.0.1:99999/client.json"
    from front.sealing import fingerprint

    code = remember_sealed(
        Sealer(front_stack.sealing_keys).seal_value(
            SealedCode(
                upstream_code="u", upstream_verifier="v" * 64, callback_url=f"{front_stack.origin}/oauth/callback",
                client_fingerprint=fingerprint(bad), redirect_uri=REDIRECT_URI, code_challenge="c" * 43, scopes=(),
            ),
            60,
        )
    )

    response = httpx.post(
        f"{front_stack.origin}/oauth/token",
        data={"grant_type": "authorization_code", "client_id": bad, "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": "v" * 43},
    )

    expect_token_error(response, 401, "invalid_client", f"The client_id {bad} is not a URL this server can fetch a client metadata document from")
    expect_refusal(suite_log, response, "token", "invalid_client", "client_id_bad_port")


def test_a_sign_in_still_redeems_with_the_client_id_rechecked(front_stack: FrontStack, client_id: str) -> None:
    verifier = new_verifier()
    code = sign_in_for_code(front_stack, client_id, verifier)

    response = httpx.post(
        f"{front_stack.origin}/oauth/token",
        data={"grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
    )

    assert response.status_code == 200, response.text
    remember_sealed(response.json()["refresh_token"])
