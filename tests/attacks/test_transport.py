"""Header tricks an azure.functions.HttpRequest cannot carry (its headers are one str per name), over uvicorn."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support import (
    CHALLENGE_SCOPES,
    MCP_HEADERS,
    SigningKey,
    UvicornServer,
    call_tool,
    mint,
    user_claims,
)


@pytest.fixture(scope="module")
def server(entra_uvicorn: UvicornServer) -> UvicornServer:
    return entra_uvicorn


def auth_failure_lines(server: UvicornServer, correlation_id: str) -> list[str]:
    with open(server.output, encoding="utf-8", errors="replace") as output:
        return [line for line in output if "auth failure" in line and f"correlation_id={correlation_id}" in line]


def post(server: UvicornServer, authorization: list[bytes]) -> httpx.Response:
    headers = [(b"authorization", value) for value in authorization]
    headers += [(name.encode(), value.encode()) for name, value in MCP_HEADERS.items()]
    return httpx.post(f"{server.url}/mcp", headers=headers, content=json.dumps(call_tool("add", {"a": 2, "b": 3})), timeout=30)


def test_two_authorization_headers_are_400_invalid_request(server: UvicornServer, signing_key: SigningKey):
    token = mint(signing_key, user_claims()).encode()

    response = post(server, [b"Bearer " + token, b"Bearer " + token])

    assert response.status_code == 400
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_request", error_description="The Authorization header is malformed", '
        f'resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp"'
    )
    assert response.json() == {"error": "invalid_request", "error_description": "The Authorization header is malformed"}
    (line,) = auth_failure_lines(server, response.headers["x-correlation-id"])
    assert "status=400 reason=duplicate_authorization" in line


def test_a_second_header_with_other_case_and_a_bad_token_is_still_a_duplicate(server: UvicornServer, signing_key: SigningKey):
    token = mint(signing_key, user_claims()).encode()
    headers = [(b"Authorization", b"Bearer " + token), (b"AUTHORIZATION", b"Bearer attacker")]
    headers += [(name.encode(), value.encode()) for name, value in MCP_HEADERS.items()]

    response = httpx.post(f"{server.url}/mcp", headers=headers, content=json.dumps(call_tool("add", {"a": 2, "b": 3})))

    assert response.status_code == 400
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_request", ')


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(b"\xff\xfe\xfd\xfc", id="invalid-utf8"),
        pytest.param(b"eyJhbGciOiJSUzI1NiJ9.\xc3\x28.sig", id="invalid-utf8-in-payload-segment"),
        pytest.param("tök\u00e9n".encode("latin-1"), id="latin-1"),
        pytest.param("tökén".encode(), id="utf-8-non-ascii"),
    ],
)
def test_non_ascii_bytes_are_401_invalid_token(server: UvicornServer, credentials: bytes):
    response = post(server, [b"Bearer " + credentials])

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="The access token is invalid", '
        f'resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp", scope="{CHALLENGE_SCOPES}"'
    )
    assert response.json() == {"error": "invalid_token", "error_description": "The access token is invalid"}
    (line,) = auth_failure_lines(server, response.headers["x-correlation-id"])
    assert "status=401 reason=malformed_token" in line


def test_the_server_still_answers_valid_requests(server: UvicornServer, signing_key: SigningKey):
    response = post(server, [b"Bearer " + mint(signing_key, user_claims()).encode()])

    assert response.status_code == 200
    assert response.json()["result"]["structuredContent"] == {"result": 5}


@pytest.mark.parametrize("host", ['evil.example", error="injected', "evil.example\\", "a b", "127.0.0.1:1/x", "evil.example, resource_metadata=x"])
def test_a_host_header_cannot_inject_into_the_challenge(server: UvicornServer, host: str):
    # Without MCP_PUBLIC_URL the resource URL comes from Host; a quote or a comma must not reach WWW-Authenticate.
    response = httpx.post(f"{server.url}/mcp", headers={**MCP_HEADERS, "Host": host}, content=b"{}")

    assert response.status_code == 400
    assert "www-authenticate" not in response.headers
    assert response.json() == {"error": "invalid_host", "error_description": "The Host header is malformed"}
