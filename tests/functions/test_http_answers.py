"""Every HTTP answer of the registered function object, with exact statuses, headers and bodies."""

from __future__ import annotations

import json
import logging
import time

import azure.functions as func
import pytest

from tests.support import (
    CHALLENGE_SCOPES,
    APP_ID_URI,
    CLIENT_ID,
    DROP,
    GATEWAY_CLIENT_ID,
    ISSUER_V1,
    ISSUER_V2,
    MCP_HEADERS,
    PUBLIC_HOST,
    SCOPE_ADD,
    SCOPE_SUBTRACT,
    TENANT_ID,
    FunctionHost,
    JwksServer,
    SigningKey,
    app_claims,
    body_json,
    call_tool,
    list_tools,
    mint,
    user_claims,
)

PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
NO_TOKEN_CHALLENGE = f'Bearer resource_metadata="{PRM_URL}", scope="{CHALLENGE_SCOPES}"'
INVALID_TOKEN_CHALLENGE = (
    f'Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="{PRM_URL}", '
    f'scope="{CHALLENGE_SCOPES}"'
)
EXPIRED_CHALLENGE = (
    f'Bearer error="invalid_token", error_description="The access token expired", resource_metadata="{PRM_URL}", '
    f'scope="{CHALLENGE_SCOPES}"'
)


def challenge(response: func.HttpResponse) -> str | None:
    return response.headers.get("WWW-Authenticate")


def tool_result(response: func.HttpResponse) -> dict:
    assert response.status_code == 200
    assert response.headers.get("Content-Type") == "application/json"
    return body_json(response)["result"]


# --- 401: no token -------------------------------------------------------------------------


def test_no_token_is_401_with_resource_metadata_and_every_scope(host: FunctionHost):
    response = host.mcp(None, call_tool("add", {"a": 1, "b": 2}))

    assert response.status_code == 401
    assert challenge(response) == NO_TOKEN_CHALLENGE
    assert body_json(response) == {"error": "unauthorized", "error_description": "A bearer token is required"}


def test_basic_scheme_is_treated_as_no_token(host: FunctionHost):
    response = host.mcp(None, list_tools(), Authorization="Basic dXNlcjpwYXNz")

    assert (response.status_code, challenge(response)) == (401, NO_TOKEN_CHALLENGE)


def test_a_token_in_the_query_string_is_never_read(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    response = host.request("POST", f"/mcp?access_token={token}", headers=MCP_HEADERS, body=list_tools())

    assert (response.status_code, challenge(response)) == (401, NO_TOKEN_CHALLENGE)
    assert token not in response.get_body().decode()


# --- 401: bad token ------------------------------------------------------------------------


def test_a_garbage_token_is_401_invalid_token(host: FunctionHost):
    response = host.mcp("not.a.jwt", list_tools())

    assert response.status_code == 401
    assert challenge(response) == INVALID_TOKEN_CHALLENGE
    assert body_json(response) == {"error": "invalid_token", "error_description": "The access token is invalid"}


def test_an_expired_token_says_so(host: FunctionHost, signing_key: SigningKey):
    claims = user_claims()
    token = mint(signing_key, {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 61})
    response = host.mcp(token, list_tools())

    assert response.status_code == 401
    assert challenge(response) == EXPIRED_CHALLENGE
    assert body_json(response) == {"error": "invalid_token", "error_description": "The access token expired"}


def test_a_token_for_microsoft_graph_is_rejected(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, user_claims(aud="00000003-0000-0000-c000-000000000000")), list_tools())

    assert (response.status_code, challenge(response)) == (401, INVALID_TOKEN_CHALLENGE)


def test_a_token_signed_by_a_stranger_is_rejected(host: FunctionHost):
    stranger = SigningKey.generate("entra-key-1")  # same kid, different key
    response = host.mcp(mint(stranger, user_claims()), list_tools())

    assert (response.status_code, challenge(response)) == (401, INVALID_TOKEN_CHALLENGE)


def test_an_oversized_authorization_header_is_400_invalid_request(host: FunctionHost):
    response = host.mcp("a" * (17 * 1024), list_tools())

    assert response.status_code == 400
    assert challenge(response) == (
        'Bearer error="invalid_request", error_description="The Authorization header is malformed", '
        f'resource_metadata="{PRM_URL}"'
    )
    assert body_json(response) == {"error": "invalid_request", "error_description": "The Authorization header is malformed"}


# --- 200: tools by either path to a permission ------------------------------------------------


def test_a_user_adds_with_scp(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 2, "b": 3}))

    assert tool_result(response) == {
        "content": [{"type": "text", "text": "5"}],
        "isError": False,
        "structuredContent": {"result": 5},
    }
    assert "Mcp-Session-Id" not in response.headers  # stateless


def test_an_app_subtracts_with_roles(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, app_claims()), call_tool("subtract", {"a": 10, "b": 2.5}))

    assert tool_result(response)["structuredContent"] == {"result": 7.5}


def test_v1_tokens_of_the_tenant_are_accepted_with_either_audience(host: FunctionHost, signing_key: SigningKey):
    for audience in (APP_ID_URI, CLIENT_ID):
        # v1 tokens name their client in `appid`, never `azp` ("Access token claims reference").
        claims = user_claims(iss=ISSUER_V1, aud=audience, ver="1.0", azp=DROP, appid=GATEWAY_CLIENT_ID)
        response = host.mcp(mint(signing_key, claims), call_tool("add", {"a": 1, "b": 1}))
        assert tool_result(response)["structuredContent"] == {"result": 2}


def test_v2_issuer_with_app_id_uri_audience_is_rejected(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, user_claims(iss=ISSUER_V2, aud=APP_ID_URI)), list_tools())

    assert (response.status_code, challenge(response)) == (401, INVALID_TOKEN_CHALLENGE)


def entra_v2_id_token(now: int) -> dict:
    """An ID token of an API whose registration also signs users in, with an app role assigned to the user.

    Entra v2 ID token claims ("ID token claims reference"): aud = the client id, a nonce, no scp, no azp.
    """
    return {
        "iss": ISSUER_V2, "aud": CLIENT_ID, "tid": TENANT_ID, "iat": now, "nbf": now, "exp": now + 3600, "ver": "2.0",
        "sub": "user-subject-1", "oid": "user-object-1", "name": "Ada Lovelace",
        "preferred_username": "ada@contoso.example", "nonce": "n-0S6_WzA2Mj", "roles": ["calculator.subtract"],
    }


def test_an_id_token_with_an_assigned_role_is_401_for_subtract_and_get_me(host: FunctionHost, signing_key: SigningKey):
    # Issue 8 item 1: on the old code subtract answered 200 and get_me called this an app with client_id null.
    token = mint(signing_key, entra_v2_id_token(int(time.time())))

    subtracted = host.mcp(token, call_tool("subtract", {"a": 5, "b": 3}))
    me = host.mcp(token, call_tool("get_me"))

    for response in (subtracted, me):
        assert (response.status_code, challenge(response)) == (401, INVALID_TOKEN_CHALLENGE)
        assert body_json(response) == {"error": "invalid_token", "error_description": "The access token is invalid"}


# --- 403: the tool's permission is missing -----------------------------------------------------


def test_a_user_without_the_subtract_scope_gets_403_before_the_tool_runs(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims(scp="calculator.add"))
    response = host.mcp(token, call_tool("subtract", {"a": 5, "b": 1}))

    assert response.status_code == 403
    assert challenge(response) == (
        f'Bearer error="insufficient_scope", scope="{SCOPE_SUBTRACT}", resource_metadata="{PRM_URL}"'
    )
    assert body_json(response) == {
        "error": "insufficient_scope",
        "error_description": f"The token lacks the {SCOPE_SUBTRACT} permission",
    }


def test_an_app_without_the_add_role_gets_403(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, app_claims(roles=["calculator.subtract"])), call_tool("add", {"a": 1, "b": 2}))

    assert response.status_code == 403
    assert challenge(response) == f'Bearer error="insufficient_scope", scope="{SCOPE_ADD}", resource_metadata="{PRM_URL}"'


def test_roles_beside_scp_grant_nothing(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims(scp="calculator.add", roles=["calculator.subtract"]))

    assert host.mcp(token, call_tool("subtract", {"a": 1, "b": 2})).status_code == 403
    assert tool_result(host.mcp(token, call_tool("add", {"a": 1, "b": 2})))["structuredContent"] == {"result": 3}


def test_permission_names_match_exactly(host: FunctionHost, signing_key: SigningKey):
    for scp in ("Calculator.Add", "calculator.addx", "calculator.add,calculator.subtract", "api://x/calculator.add"):
        response = host.mcp(mint(signing_key, user_claims(scp=scp)), call_tool("add", {"a": 1, "b": 2}))
        assert response.status_code == 403, scp


def test_get_me_needs_only_a_valid_token(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, app_claims(roles=[])), call_tool("get_me"))

    assert tool_result(response)["structuredContent"]["permissions"] == []


# --- tools/list is per caller ----------------------------------------------------------------------


def listed(host: FunctionHost, token: str) -> list[str]:
    return [tool["name"] for tool in tool_result(host.mcp(token, list_tools()))["tools"]]


def test_tools_list_shows_only_what_the_caller_may_call(host: FunctionHost, signing_key: SigningKey):
    assert listed(host, mint(signing_key, user_claims())) == ["add", "subtract", "get_me"]
    assert listed(host, mint(signing_key, user_claims(scp="calculator.add"))) == ["add", "get_me"]
    assert listed(host, mint(signing_key, app_claims(roles=["calculator.subtract"]))) == ["subtract", "get_me"]
    assert listed(host, mint(signing_key, user_claims(scp="openid"))) == ["get_me"]


def test_tools_carry_annotations_and_output_schemas(host: FunctionHost, signing_key: SigningKey):
    tools = {tool["name"]: tool for tool in tool_result(host.mcp(mint(signing_key, user_claims()), list_tools()))["tools"]}

    assert tools["add"]["annotations"] == {
        "title": "Add two numbers",
        "readOnlyHint": True,
        "idempotentHint": True,
        "destructiveHint": False,
        "openWorldHint": False,
    }
    number = {"anyOf": [{"type": "integer"}, {"type": "number"}]}
    assert tools["subtract"]["inputSchema"]["properties"] == {"a": {**number, "title": "A"}, "b": {**number, "title": "B"}}
    assert tools["subtract"]["outputSchema"]["properties"] == {"result": {**number, "title": "Result"}}
    assert tools["get_me"]["outputSchema"]["required"] == [
        "kind", "subject", "object_id", "tenant_id", "client_id", "name", "username", "permissions", "parent_app_id"
    ]


# --- get_me ------------------------------------------------------------------------------------------


def test_get_me_describes_a_user(host: FunctionHost, signing_key: SigningKey):
    result = tool_result(host.mcp(mint(signing_key, user_claims()), call_tool("get_me")))

    assert result["structuredContent"] == {
        "kind": "user",
        "subject": "user-subject-1",
        "object_id": "user-object-1",
        "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "client_id": "3f2d6a11-9c0e-4f6b-8a7d-1e2b3c4d5e6f",
        "name": "Ada Lovelace",
        "username": "ada@contoso.example",
        "permissions": ["calculator.add", "calculator.subtract"],
        "parent_app_id": None,
    }
    assert result["isError"] is False


def test_get_me_describes_an_app_with_nulls_for_missing_claims(host: FunctionHost, signing_key: SigningKey):
    result = tool_result(host.mcp(mint(signing_key, app_claims(roles=["calculator.add"])), call_tool("get_me")))

    assert result["structuredContent"] == {
        "kind": "app",
        "subject": "app-object-1",
        "object_id": "app-object-1",
        "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "client_id": "9a8b7c6d-0000-4000-8000-000000000001",
        "name": None,
        "username": None,
        "permissions": ["calculator.add"],
        "parent_app_id": None,
    }


# --- protocol revisions ----------------------------------------------------------------------------


def initialize(version: str) -> dict:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "tests", "version": "1"}}
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}


def test_the_handshake_revisions_initialize(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    for version in ("2025-06-18", "2025-11-25"):
        response = host.mcp(token, initialize(version), **{"MCP-Protocol-Version": version})
        result = tool_result(response)
        assert (result["protocolVersion"], result["serverInfo"]["name"]) == (version, "calculator")
        assert "Mcp-Session-Id" not in response.headers


def test_the_per_request_revision_calls_a_tool_without_a_handshake(host: FunctionHost, signing_key: SigningKey):
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    message = {**call_tool("add", {"a": 20, "b": 22}), "params": {"name": "add", "arguments": {"a": 20, "b": 22}, "_meta": meta}}
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "add"}

    result = tool_result(host.mcp(mint(signing_key, user_claims()), message, **headers))
    assert (result["structuredContent"], result["resultType"]) == ({"result": 42}, "complete")


def test_the_per_request_revision_is_refused_403_too(host: FunctionHost, signing_key: SigningKey):
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    message = {**call_tool("subtract"), "params": {"name": "subtract", "arguments": {"a": 1, "b": 1}, "_meta": meta}}
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "subtract"}

    assert host.mcp(mint(signing_key, user_claims(scp="calculator.add")), message, **headers).status_code == 403


# --- transport: methods, paths, hosts, origins, sizes --------------------------------------------------


def test_get_and_delete_answer_405_at_once(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    for method in ("GET", "DELETE", "PUT"):
        response = host.request(method, "/mcp", headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
        assert response.status_code == 405
        assert response.headers.get("Allow") == "POST"
        assert body_json(response) == {"error": "method_not_allowed", "error_description": "Use POST"}


def test_trailing_slash_answers_the_same_without_a_redirect(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    with_slash = host.request("POST", "/mcp/", headers=headers, body=call_tool("add", {"a": 1, "b": 2}))
    without = host.request("POST", "/mcp", headers=headers, body=call_tool("add", {"a": 1, "b": 2}))

    assert with_slash.status_code == without.status_code == 200
    assert with_slash.get_body() == without.get_body()


def test_real_azure_and_custom_host_names_are_served_not_421(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    for name in (PUBLIC_HOST, "mcp.contoso.com", "calc-mcp-staging.azurewebsites.net:443"):
        response = host.request(
            "POST", "/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, body=list_tools(), host=name
        )
        assert response.status_code == 200, name


# A request without a Host header, built as Microsoft's "Unit testing" guide for Python functions
# builds one: func.HttpRequest(method, url, headers without Host, body). The host is then the ASGI
# `server` entry, which AsgiFunctionApp fills from the URL (issue 8 item 5).


def no_host(host: FunctionHost, url_host: str, path: str = "/mcp", token: str | None = None, body: object = b"", method: str = "POST") -> func.HttpResponse:
    headers = dict(MCP_HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return host.request(method, path, headers=headers, body=body, host=url_host, send_host=False)  # type: ignore[arg-type]


def test_without_a_host_header_a_valid_token_gets_its_tool_result(host: FunctionHost, signing_key: SigningKey):
    response = no_host(host, "calc.azurewebsites.net", token=mint(signing_key, user_claims()), body=call_tool("add", {"a": 2, "b": 3}))

    assert tool_result(response) == {"content": [{"type": "text", "text": "5"}], "isError": False, "structuredContent": {"result": 5}}


@pytest.mark.parametrize(
    ("url_host", "origin"),
    [
        ("calc.azurewebsites.net", "https://calc.azurewebsites.net"),
        ("calc.azurewebsites.net:443", "https://calc.azurewebsites.net"),  # the default port is left out
        ("calc.example:8443", "https://calc.example:8443"),
        ("[::1]:8443", "https://[::1]:8443"),  # an IPv6 literal keeps its brackets
    ],
)
def test_without_a_host_header_the_challenge_names_the_url_host(host: FunctionHost, url_host: str, origin: str):
    response = no_host(host, url_host, body=call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 401
    assert challenge(response) == f'Bearer resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp", scope="{CHALLENGE_SCOPES}"'
    assert body_json(response) == {"error": "unauthorized", "error_description": "A bearer token is required"}


def test_without_a_host_header_the_metadata_names_the_url_host(host: FunctionHost):
    response = no_host(host, "calc.azurewebsites.net", path="/.well-known/oauth-protected-resource/mcp", method="GET")

    assert response.status_code == 200
    assert body_json(response)["resource"] == "https://calc.azurewebsites.net/mcp"


def test_without_a_host_header_or_a_host_in_the_url_the_answer_is_still_400_invalid_host(host: FunctionHost, signing_key: SigningKey):
    response = no_host(host, "", token=mint(signing_key, user_claims()), body=call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 400
    assert body_json(response) == {"error": "invalid_host", "error_description": "The Host header is malformed"}


def test_an_origin_not_on_the_list_is_403(host: FunctionHost, signing_key: SigningKey):
    response = host.mcp(mint(signing_key, user_claims()), list_tools(), Origin="https://evil.example")

    assert response.status_code == 403
    assert body_json(response) == {"error": "origin_not_allowed", "error_description": "Origin not allowed"}
    assert challenge(response) is None


def test_an_allowed_origin_gets_cors_headers_and_a_preflight(make_host, jwks_server: JwksServer, signing_key: SigningKey):
    host = make_host(jwks_server.url, MCP_ALLOWED_ORIGINS="https://app.contoso.com")
    preflight = host.request("OPTIONS", "/mcp", headers={"Origin": "https://app.contoso.com"})
    assert preflight.status_code == 204
    assert preflight.headers.get("Access-Control-Allow-Origin") == "https://app.contoso.com"
    assert preflight.headers.get("Access-Control-Allow-Methods") == "POST, OPTIONS"

    response = host.mcp(mint(signing_key, user_claims()), list_tools(), Origin="https://app.contoso.com")
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "https://app.contoso.com"
    assert response.headers.get("Access-Control-Expose-Headers") == "www-authenticate, mcp-protocol-version, x-correlation-id"


def test_a_body_over_one_mebibyte_is_413(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    big = json.dumps({**call_tool("add", {"a": 1, "b": 2}), "pad": "x" * (1024 * 1024)})
    declared = host.mcp(token, json.loads(big), **{"Content-Length": str(len(big))})
    undeclared = host.request("POST", "/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, body=big)

    for response in (declared, undeclared):
        assert response.status_code == 413
        assert body_json(response) == {"error": "payload_too_large", "error_description": "The body is over 1048576 bytes"}


def test_unknown_paths_are_404(host: FunctionHost):
    response = host.request("GET", "/api/mcp")

    assert response.status_code == 404
    assert body_json(response) == {"error": "not_found", "error_description": "No such endpoint"}


def test_every_response_carries_the_invocation_as_correlation_id(host: FunctionHost):
    response = host.request("GET", "/mcp")

    correlation_id = response.headers.get("x-correlation-id")
    assert correlation_id is not None and len(correlation_id) == 36


# --- RFC 9728 metadata ------------------------------------------------------------------------------


def test_protected_resource_metadata_is_served_at_both_paths_without_a_token(host: FunctionHost):
    expected = {
        "resource": f"https://{PUBLIC_HOST}/mcp",
        "authorization_servers": [ISSUER_V2],
        "scopes_supported": [SCOPE_ADD, SCOPE_SUBTRACT],
        "bearer_methods_supported": ["header"],
        "resource_name": "Calculator MCP server",
    }
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        response = host.request("GET", path)
        assert response.status_code == 200
        assert body_json(response) == expected
        assert response.headers.get("Access-Control-Allow-Origin") == "*"


def metadata_headers(response: func.HttpResponse, **extra: str) -> dict[str, str]:
    """The exact headers a metadata document is served with: JSON, public, cached for an hour, and `extra`."""
    return {
        "content-type": "application/json",
        "content-length": str(len(response.get_body())),
        "access-control-allow-origin": "*",
        "cache-control": "max-age=3600",
        "x-correlation-id": response.headers["x-correlation-id"],
        **extra,
    }


def test_metadata_from_the_host_header_varies_by_host(host: FunctionHost):
    # RFC 9110 §12.5.5: the document names the Host it was asked under, so a shared cache must
    # not hand one host's document to another (issue 8 item 6).
    for name in ("calc-mcp.azurewebsites.net", "mcp.contoso.com"):
        response = host.request("GET", "/.well-known/oauth-protected-resource/mcp", host=name)
        assert body_json(response)["resource"] == f"https://{name}/mcp"
        assert {k.lower(): v for k, v in response.headers.items()} == metadata_headers(response, vary="Host")


def test_metadata_from_the_public_url_does_not_vary(make_host, jwks_server: JwksServer):
    host = make_host(jwks_server.url, MCP_PUBLIC_URL="https://mcp.contoso.com/mcp")

    for name in ("calc-mcp.azurewebsites.net", "mcp.contoso.com"):
        response = host.request("GET", "/.well-known/oauth-protected-resource/mcp", host=name)
        assert body_json(response)["resource"] == "https://mcp.contoso.com/mcp"
        assert {k.lower(): v for k, v in response.headers.items()} == metadata_headers(response)


def test_metadata_uses_the_configured_public_url(make_host, jwks_server: JwksServer, signing_key: SigningKey):
    host = make_host(jwks_server.url, MCP_PUBLIC_URL="https://mcp.contoso.com/mcp")

    assert body_json(host.request("GET", "/.well-known/oauth-protected-resource"))["resource"] == "https://mcp.contoso.com/mcp"
    response = host.mcp(None, list_tools())
    assert challenge(response) == (
        f'Bearer resource_metadata="https://mcp.contoso.com/.well-known/oauth-protected-resource/mcp", scope="{CHALLENGE_SCOPES}"'
    )


# --- 503: no keys to be had -----------------------------------------------------------------------------


def test_unreachable_keys_on_a_cold_start_are_503_with_retry_after(make_host, signing_key: SigningKey):
    down = JwksServer()
    down.status = 500
    try:
        host = make_host(down.url)
        response = host.mcp(mint(signing_key, user_claims()), list_tools())
    finally:
        down.close()

    assert response.status_code == 503
    assert response.headers.get("Retry-After") == "5"
    assert challenge(response) is None
    assert body_json(response) == {
        "error": "temporarily_unavailable",
        "error_description": "Signing keys are unavailable; retry shortly",
    }


def test_a_successful_call_logs_nothing_at_info(host: FunctionHost, signing_key: SigningKey, caplog):
    caplog.set_level(logging.INFO)

    response = host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 1, "b": 2}))

    assert response.status_code == 200
    assert [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO] == []
