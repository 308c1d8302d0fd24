"""Logs: no token or token fragment anywhere, and exactly one line per auth failure with its reason and correlation id.

`tests/log_capture.py` records every log record of the whole session (root logger
at DEBUG) and every uvicorn subprocess's output. The tests marked `log_audit`
run after all others and audit that complete record.
"""

from __future__ import annotations

import re
import uuid

import azure.functions as func
import httpx
import pytest

from auth import JwksCache, Settings
from edge import build_asgi_app
from tests.log_capture import SuiteLog, audit_auth_failure_lines, audit_token_material, find_token_material, report
from tests.support import (
    MCP_HEADERS,
    MINTED_TOKENS,
    PUBLIC_HOST,
    FunctionHost,
    InvocationContext,
    SigningKey,
    UvicornServer,
    entra_env,
    free_port,
    mint,
    user_claims,
)

def invoke(host: FunctionHost, headers: dict[str, str]) -> tuple[func.HttpResponse, str]:
    """POST add(2, 3) through the registered function with a context whose invocation id we know."""
    context = InvocationContext()
    request = func.HttpRequest(
        method="POST",
        url=f"https://{PUBLIC_HOST}/mcp",
        headers={"Host": PUBLIC_HOST, **MCP_HEADERS, **headers},
        params={},
        body=b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"subtract","arguments":{"a":2,"b":3}}}',
    )
    response = host.run(host.function.get_user_function()(request, context))
    return response, context.invocation_id


def failures(signing_key: SigningKey) -> list[tuple[str, dict[str, str], int, str]]:
    now_token = mint(signing_key, user_claims())
    return [
        ("no-token", {}, 401, "missing_token"),
        ("basic", {"Authorization": "Basic dXNlcjpwYXNz"}, 401, "unsupported_scheme"),
        ("garbage", {"Authorization": "Bearer ***"}, 401, "malformed_token"),
        ("oversized", {"Authorization": "Bearer " + "a" * 17_000}, 400, "header_too_large"),
        ("expired", {"Authorization": "Bearer " + mint(signing_key, user_claims(iat=1, nbf=1, exp=2))}, 401, "expired"),
        ("bad-signature", {"Authorization": "Bearer " + now_token[:-6] + ("AAAAAA" if not now_token.endswith("AAAAAA") else "BBBBBB")}, 401, "bad_signature"),
        ("wrong-audience", {"Authorization": "Bearer " + mint(signing_key, user_claims(aud="api://someone-else"))}, 401, "bad_audience"),
        ("no-permission", {"Authorization": "Bearer " + mint(signing_key, user_claims(scp="calculator.add"))}, 403, "insufficient_scope"),
    ]


def test_each_auth_failure_logs_exactly_one_line_with_its_reason_and_the_invocation_id(host: FunctionHost, signing_key: SigningKey, suite_log: SuiteLog):
    for name, headers, status, reason in failures(signing_key):
        response, invocation_id = invoke(host, headers)

        assert response.status_code == status, name
        assert response.headers["x-correlation-id"] == invocation_id
        lines = suite_log.auth_failures(invocation_id)
        caller = " caller_kind=user" if status == 403 else ""
        assert lines == [f"edge INFO auth failure status={status} reason={reason}{caller} correlation_id={invocation_id}"], name
        for value in headers.values():
            credentials = value.partition(" ")[2]
            assert not any(credentials in line for line in suite_log.lines_with(invocation_id)), name


def test_a_successful_call_logs_no_auth_failure(host: FunctionHost, signing_key: SigningKey, suite_log: SuiteLog):
    response, invocation_id = invoke(host, {"Authorization": "Bearer " + mint(signing_key, user_claims())})

    assert response.status_code == 200
    assert suite_log.auth_failures(invocation_id) == []


def test_keys_unavailable_logs_one_line_with_its_reason(suite_log: SuiteLog):
    key = SigningKey.generate()
    closed = f"http://127.0.0.1:{free_port()}/discovery/v2.0/keys"
    app = build_asgi_app(Settings.from_env(entra_env(closed)), JwksCache(closed))
    host = FunctionHost(func.AsgiFunctionApp(app=app, http_auth_level=func.AuthLevel.ANONYMOUS))
    try:
        response, invocation_id = invoke(host, {"Authorization": "Bearer " + mint(key, user_claims())})
    finally:
        host.close()

    assert response.status_code == 503
    assert suite_log.auth_failures(invocation_id) == [f"edge INFO auth failure status=503 reason=keys_unavailable correlation_id={invocation_id}"]


@pytest.fixture(scope="module")
def server(entra_uvicorn: UvicornServer) -> UvicornServer:
    return entra_uvicorn


def uvicorn_auth_lines(server: UvicornServer, correlation_id: str) -> list[str]:
    with open(server.output, encoding="utf-8", errors="replace") as output:
        return [line.rstrip("\n") for line in output if "auth failure" in line and line.rstrip("\n").endswith(f"correlation_id={correlation_id}")]


def test_over_uvicorn_each_failure_logs_one_line_under_the_client_request_id(server: UvicornServer, signing_key: SigningKey):
    for name, headers, status, reason in failures(signing_key):
        request_id = f"req-{uuid.uuid4().hex[:12]}"
        response = httpx.post(f"{server.url}/mcp", headers={**MCP_HEADERS, **headers, "X-Request-Id": request_id}, content=b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"subtract","arguments":{"a":2,"b":3}}}')

        assert response.status_code == status, name
        assert response.headers["x-correlation-id"] == request_id
        caller = " caller_kind=user" if status == 403 else ""
        assert uvicorn_auth_lines(server, request_id) == [f"INFO edge auth failure status={status} reason={reason}{caller} correlation_id={request_id}"], name


def test_an_unusable_request_id_is_replaced_by_a_fresh_correlation_id(server: UvicornServer):
    response = httpx.post(f"{server.url}/mcp", headers={**MCP_HEADERS, "X-Request-Id": "bad id with spaces\t" + "x" * 80}, content=b"{}")

    correlation_id = response.headers["x-correlation-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", correlation_id)
    assert uvicorn_auth_lines(server, correlation_id) == [f"INFO edge auth failure status=401 reason=missing_token correlation_id={correlation_id}"]


def test_the_detector_finds_tokens_and_their_fragments(signing_key: SigningKey):
    token = mint(signing_key, user_claims(sub="detector-check"))
    header, payload, signature = token.split(".")
    stranger = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"  # JWT-shaped, never minted here

    leaks = [f"a {token}", f"sig={signature}", f"tail {signature[-40:]}", f"payload {payload}", f"Bearer {stranger}", f"mid {signature[100:140]}"]
    clean = [
        "edge INFO auth failure status=401 reason=bad_signature correlation_id=" + uuid.uuid4().hex,
        f"jwks {header}",  # the header segment is the same for every token and secret to no one
        "INFO mcp.server.streamable_http Terminating session: None",
    ]

    assert find_token_material(leaks + clean, [token]) == leaks


# With pytest-xdist these two are deselected on every worker and the controller runs the same
# audits over the union of all workers' records, once every worker has finished (tests/log_capture.py).
@pytest.mark.log_audit
def test_no_token_or_token_fragment_appears_in_any_log_of_the_suite(suite_log: SuiteLog):
    report(audit_token_material(suite_log.everything(), MINTED_TOKENS))


@pytest.mark.log_audit
def test_every_auth_failure_of_the_suite_logged_one_line_with_reason_and_correlation_id(suite_log: SuiteLog):
    report(audit_auth_failure_lines(suite_log.everything()))
