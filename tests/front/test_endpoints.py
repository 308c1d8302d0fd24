"""The front's endpoints as a client meets them: discovery, methods, sizes, CORS, the consent page, an
unreachable issuer."""

from __future__ import annotations

import html

import httpx
import pytest

from tests.log_capture import SuiteLog

from .browser import Browser
from .conftest import FrontStack, start_front
from .flows import authorize_url, exchange, expect_refusal, expect_token_error, new_verifier, register, sign_in_for_code


def test_the_authorization_server_metadata_is_the_front_s_own(front_stack: FrontStack) -> None:
    origin = front_stack.origin
    add, subtract = front_stack.idp.scope("calculator.add"), front_stack.idp.scope("calculator.subtract")

    document = httpx.get(f"{origin}/.well-known/oauth-authorization-server")
    resource = httpx.get(f"{origin}/.well-known/oauth-protected-resource/mcp")
    openid = httpx.get(f"{origin}/.well-known/openid-configuration")

    assert document.status_code == 200 and document.headers["access-control-allow-origin"] == "*"
    # Built from the request's Host (no MCP_PUBLIC_URL), so shared caches must key on it.
    assert (document.headers["vary"], document.headers["cache-control"]) == ("Host", "max-age=3600")
    assert document.json() == {
        "issuer": origin,  # RFC 8414 §3.3: exactly the origin the client derived the URL from
        "authorization_endpoint": f"{origin}/oauth/authorize",
        "token_endpoint": f"{origin}/oauth/token",
        "registration_endpoint": f"{origin}/oauth/register",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": [add, subtract, "offline_access"],
        "client_id_metadata_document_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }
    assert resource.json()["authorization_servers"] == [origin]
    # No ID tokens, so no claim to be an OpenID provider.
    assert openid.status_code == 404


def test_the_gateway_path_keeps_working_with_the_front_on(front_stack: FrontStack) -> None:
    token = front_stack.idp.mint_user_token(["calculator.add"])
    from tests.support import MCP_HEADERS, call_tool, remember_token

    answer = httpx.post(front_stack.mcp_url, json=call_tool("add", {"a": 1, "b": 2}), headers={**MCP_HEADERS, "Authorization": f"Bearer {remember_token(token)}"})

    assert answer.status_code == 200 and answer.json()["result"]["structuredContent"] == {"result": 3}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/.well-known/oauth-authorization-server"),
        ("GET", "/.well-known/oauth-protected-resource/mcp"),
        ("GET", "/oauth/authorize"),
        ("GET", "/oauth/callback"),
        ("POST", "/oauth/token"),
        ("POST", "/oauth/register"),
        ("POST", "/mcp"),
    ],
)
def test_a_host_that_names_no_place_gets_one_answer_from_every_endpoint(front_stack: FrontStack, method: str, path: str) -> None:
    # RFC 9110 §7.2: a Host with an invalid value is a 400. The front's metadata used to say invalid_request.
    answer = httpx.request(method, front_stack.origin + path, headers={"Host": "mcp_example"})

    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_host", "error_description": "The Host header is malformed"})


def test_the_front_s_metadata_refuses_other_methods_as_the_edge_does(front_stack: FrontStack) -> None:
    front = httpx.post(f"{front_stack.origin}/.well-known/oauth-authorization-server")
    edge = httpx.post(f"{front_stack.origin}/.well-known/oauth-protected-resource")

    for answer in (front, edge):
        assert (answer.status_code, answer.headers["allow"], answer.json()) == (
            405, "GET", {"error": "method_not_allowed", "error_description": "Use GET"}
        )


def test_token_and_registration_answer_browsers_and_refuse_other_methods(front_stack: FrontStack) -> None:
    preflight = httpx.options(f"{front_stack.origin}/oauth/token", headers={"Origin": "https://inspector.example", "Access-Control-Request-Method": "POST"})
    get = httpx.get(f"{front_stack.origin}/oauth/register")
    put = httpx.put(f"{front_stack.origin}/oauth/authorize")

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert (get.status_code, get.headers["allow"]) == (405, "POST")
    assert (put.status_code, put.headers["allow"]) == (405, "GET, POST")


def test_an_oversized_body_is_413(front_stack: FrontStack) -> None:
    response = httpx.post(f"{front_stack.origin}/oauth/register", content=b"{" + b" " * (64 * 1024) + b"}", headers={"Content-Type": "application/json"})

    assert (response.status_code, response.json()) == (413, {"error": "invalid_request", "error_description": "The body is too large"})


@pytest.mark.parametrize(
    ("body", "content_type", "description"),
    [
        (b"grant_type=authorization_code", "application/json", "Send application/x-www-form-urlencoded"),
        (b"grant_type=password&client_id=x", "application/x-www-form-urlencoded", "Use authorization_code or refresh_token"),
        (b"grant_type=refresh_token", "application/x-www-form-urlencoded", "client_id is required"),
        (b"grant_type=refresh_token&client_id=a&client_id=b", "application/x-www-form-urlencoded", "The client_id parameter is repeated"),
    ],
)
def test_malformed_token_requests_are_named(front_stack: FrontStack, body: bytes, content_type: str, description: str) -> None:
    response = httpx.post(f"{front_stack.origin}/oauth/token", content=body, headers={"Content-Type": content_type})

    error = "unsupported_grant_type" if "Use authorization_code" in description else "invalid_request"
    expect_token_error(response, 400, error, description)


def test_the_consent_page_escapes_what_a_client_claims(front_stack: FrontStack) -> None:
    name = '<script>alert("x")</script> Totally Legit'
    client_id = register(front_stack.origin, name=name)

    page = Browser().request("GET", authorize_url(front_stack, client_id, new_verifier()))

    assert page.status_code == 200
    assert "<script>" not in page.text
    assert html.escape(name) in page.text
    assert '<span class="badge unverified">&#9888; Not verified</span>' in page.text
    assert "the answer goes to a program on this computer, at port <strong>33418</strong>" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    idp = front_stack.idp.url
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self' {front_stack.origin} {idp} http://127.0.0.1:33418; frame-ancestors 'none'"
    )
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-mcp-front-csrf=")
    assert all(attribute in cookie for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"))


def test_an_unreachable_issuer_is_503_and_nothing_leaks(front_stack: FrontStack, suite_log: SuiteLog) -> None:
    from tests.support import free_port

    down = f"http://127.0.0.1:{free_port()}/token"
    server, thread, origin, _ = start_front(front_stack.idp, OAUTH_FRONT_TOKEN_ENDPOINT=down)
    try:
        stack = FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=origin, env=front_stack.env)
        client_id = register(origin)
        verifier = new_verifier()
        response = exchange(stack, client_id, sign_in_for_code(stack, client_id, verifier), verifier)
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)

    expect_token_error(response, 503, "temporarily_unavailable", "The identity provider is unavailable; retry shortly")
    expect_refusal(suite_log, response, "token", "temporarily_unavailable", "upstream_token_endpoint")


def test_an_unreachable_managed_identity_endpoint_is_503(front_stack: FrontStack, monkeypatch: pytest.MonkeyPatch, suite_log: SuiteLog) -> None:
    from tests.support import free_port

    client_id = register(front_stack.origin)
    verifier = new_verifier()
    code = sign_in_for_code(front_stack, client_id, verifier)
    # A fresh front instance, so MSAL's token cache is empty and it must ask the endpoint.
    server, thread, origin, _ = start_front(front_stack.idp, OAUTH_FRONT_SEALING_KEYS=",".join(front_stack.sealing_keys))
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{free_port()}/msi/token")
    try:
        stack = FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=origin, env=front_stack.env)
        response = exchange(stack, client_id, code, verifier)
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)

    expect_token_error(response, 503, "temporarily_unavailable", "The identity provider is unavailable; retry shortly")
    expect_refusal(suite_log, response, "token", "temporarily_unavailable", "upstream_managed_identity")
