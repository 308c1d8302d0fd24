"""Raw OAuth steps against the front (httpx and the headless browser), for tests that tamper with them."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.log_capture import SuiteLog

from .browser import Browser
from .conftest import REDIRECT_URI, FrontStack
from .sdk import remember_sealed


def register(origin: str, redirect_uris: list[str] | None = None, name: str = "attack test client") -> str:
    answer = httpx.post(f"{origin}/oauth/register", json={"client_name": name, "redirect_uris": redirect_uris or [REDIRECT_URI]})
    assert answer.status_code == 201, answer.text
    return remember_sealed(answer.json()["client_id"])


def authorize_url(stack: FrontStack, client_id: str, verifier: str, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        "state": "client-state-1",
        "scope": "calculator.add",
        "resource": stack.mcp_url,
    }
    params.update(overrides)
    return f"{stack.origin}/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def sign_in_for_code(stack: FrontStack, client_id: str, verifier: str, browser: Browser | None = None, **overrides: str | None) -> str:
    landed = (browser or Browser()).sign_in(authorize_url(stack, client_id, verifier, **overrides), REDIRECT_URI)
    return remember_sealed(query_of(landed)["code"])


def token_request(origin: str, **form: str) -> httpx.Response:
    return httpx.post(f"{origin}/oauth/token", data=form)


def exchange(stack: FrontStack, client_id: str, code: str, verifier: str, **extra: str) -> httpx.Response:
    return token_request(
        stack.origin, grant_type="authorization_code", client_id=client_id, code=code,
        redirect_uri=REDIRECT_URI, code_verifier=verifier, resource=stack.mcp_url, **extra,
    )


def tokens_for(stack: FrontStack, client_id: str) -> dict[str, Any]:
    verifier = new_verifier()
    answer = exchange(stack, client_id, sign_in_for_code(stack, client_id, verifier), verifier)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    remember_sealed(tokens["refresh_token"])
    from tests.support import remember_token

    remember_token(tokens["access_token"])
    return tokens


def refusal_line(suite_log: SuiteLog, response: httpx.Response) -> str:
    lines = [line for line in suite_log.lines_with(f"correlation_id={response.headers['x-correlation-id']}") if line.startswith("front ")]
    assert len(lines) == 1, lines
    return lines[0]


def expect_refusal(suite_log: SuiteLog, response: httpx.Response, endpoint: str, error: str, reason: str) -> None:
    assert refusal_line(suite_log, response) == (
        f"front INFO front refusal endpoint={endpoint} error={error} reason={reason} "
        f"correlation_id={response.headers['x-correlation-id']}"
    )


def expect_page(response: httpx.Response, status: int, text: str) -> None:
    """An error page for the person: never a redirect (RFC 6749 §4.1.2.1)."""
    assert response.status_code == status
    assert "location" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"
    assert text in response.text


def expect_token_error(response: httpx.Response, status: int, error: str, description: str) -> None:
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["cache-control"] == "no-store"
