"""The doctor from outside: the real server passes, and each misconfiguration is named by its line."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from devidp import DevIdentityProvider
from devserver import dev_environment
from tests.support import REPO

from .conftest import API_URI, SCOPES, TENANT, doctor, real_server, stand_in

ALL_SCOPES = " ".join(SCOPES)
FRONT_FIX = "turn the OAuth front on (OAUTH_FRONT=on, docs/direct-clients.md): Entra has no dynamic client registration"
NO_AZ = "note  az: not installed; the app registration was not checked"


def test_the_dev_server_passes_every_check(devserver: str, idp: DevIdentityProvider) -> None:
    origin = devserver.removesuffix("/mcp")
    prm = f"{origin}/.well-known/oauth-protected-resource/mcp"
    idp_origin = idp.issuer.split(f"/{TENANT}")[0]

    run = doctor(devserver)

    assert run.code == 0
    assert run.lines == [
        f"doctor {devserver}",
        f"pass  https: {origin} (plain http on loopback)",
        f"pass  challenge: 401 Bearer resource_metadata={prm}",
        f"pass  prm: {prm}",
        f"pass  prm.resource: {devserver} (equals the MCP URL byte for byte)",
        f"pass  prm.authorization_servers: {idp.issuer}",
        f"pass  as.metadata: {idp_origin}/.well-known/oauth-authorization-server/{TENANT}/v2.0, issuer identical",
        "pass  as.pkce: code_challenge_methods_supported lists S256",
        "pass  as.scopes: scopes_supported lists offline_access",
        f"pass  prm.scopes: {ALL_SCOPES}",
        f"pass  challenge.scope: {ALL_SCOPES} offline_access",
        "pass  cors.metadata: Access-Control-Allow-Origin: *",
        "pass  cors.preflight: an unlisted Origin is refused (403); pass --origin to check yours",
        "pass  https.endpoints: 5 URLs in the metadata are https (or loopback)",
        NO_AZ,
        "clients:",
        "ok    gateway: signs in with its own registration and the advertised scopes",
        "ok    python-sdk: signs in with a pre-registered client id (Entra has no registration endpoint) (sign in to az to check the registration)",
        "ok    typescript-sdk: signs in with a pre-registered client id (Entra has no registration endpoint), "
        "requesting the 401's scope (sign in to az to check the registration)",
        "ok    vscode: signs in with its built-in Microsoft account, or a pre-registered client id (sign in to az to check the registration)",
        f"NO    claude: {FRONT_FIX}; or give it a pre-registered client id and secret whose Web redirect is https://claude.ai/api/mcp/auth_callback",
        f"NO    chatgpt: {FRONT_FIX}; or give it a pre-registered client id and secret whose Web redirect is "
        "the https://chatgpt.com/connector/oauth/... URI it shows",
    ]


def test_the_dev_server_with_the_front_signs_every_client_in(devserver_front: str) -> None:
    origin = devserver_front.removesuffix("/mcp")

    run = doctor(devserver_front, "--origin", "http://localhost:6274")

    assert run.code == 0
    assert f"pass  prm.authorization_servers: {origin} (this origin)" in run.lines
    assert f"pass  as.metadata: {origin}/.well-known/oauth-authorization-server, issuer identical" in run.lines
    assert "pass  cors.preflight: http://localhost:6274 may POST with a bearer token" in run.lines
    assert "pass  front.registration: registration_endpoint present (RFC 7591: Claude, ChatGPT, the Inspector)" in run.lines
    assert "pass  front.cimd: client_id_metadata_document_supported: true (VS Code)" in run.lines
    assert run.lines[run.lines.index("clients:") + 1 :] == [
        "ok    gateway: signs in with its own registration and the advertised scopes",
        "ok    python-sdk: signs in with the OAuth front (registers itself)",
        "ok    typescript-sdk: signs in with the OAuth front (registers itself), requesting the 401's scope",
        "ok    vscode: signs in through the front (client id metadata document)",
        "ok    claude: registers itself with the front and signs in",
        "ok    chatgpt: registers itself with the front and signs in",
    ]


def test_an_origin_not_allowed_fails_the_preflight(devserver: str) -> None:
    run = doctor(devserver, "--origin", "https://app.contoso.test")

    assert run.code == 1
    assert "fail  cors.preflight: https://app.contoso.test got 403: add it to MCP_ALLOWED_ORIGINS" in run.lines


def test_the_postdeploy_command_exits_non_zero_only_on_a_failure(devserver: str) -> None:
    """`python -m doctor "$MCP_URL"`, exactly as the azd postdeploy hook runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAUTH_", "MCP_"))}
    env["PATH"] = os.path.dirname(sys.executable)  # no az there

    def run(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "doctor", url], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603

    healthy = run(devserver)
    slash = run(devserver + "/")

    assert (healthy.returncode, healthy.stderr) == (0, "")
    assert healthy.stdout.splitlines()[0] == f"doctor {devserver}"
    assert (slash.returncode, slash.stderr) == (1, "")
    assert f"fail  url: {devserver}/ must have a path and no trailing slash (use {devserver})" in slash.stdout.splitlines()


# -- one misconfiguration each ---------------------------------------------------------------


def test_the_stand_in_itself_is_healthy() -> None:
    with stand_in() as url:
        run = doctor(url)

    assert run.code == 0
    assert [line for line in run.lines if not line.startswith(("pass", "ok", "doctor", "note", "clients:", "NO    claude", "NO    chatgpt"))] == []


def test_resource_mismatch(idp: DevIdentityProvider) -> None:
    with real_server(lambda port: {**dev_environment(idp), "MCP_PUBLIC_URL": f"http://localhost:{port}/mcp"}) as url:
        port = url.split(":")[2].split("/")[0]
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  challenge: resource_metadata=http://localhost:{port}/.well-known/oauth-protected-resource/mcp, "
        f"expected http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp (RFC 9728 §3.1)"
    ) in run.lines
    assert (
        f"fail  prm.resource: 'http://localhost:{port}/mcp' is not the MCP URL '{url}' (RFC 9728 §3.3); "
        "set MCP_PUBLIC_URL to the MCP URL"
    ) in run.lines
    assert "NO    python-sdk: the server must answer a tokenless POST with its own 401 Bearer challenge (see the challenge line)" in run.lines


def test_short_scopes(idp: DevIdentityProvider) -> None:
    environment = {k: v for k, v in dev_environment(idp).items() if k != "OAUTH_SCOPE_PREFIX"}
    with real_server(lambda port: environment) as url:
        run = doctor(url)

    assert run.code == 1
    assert (
        "fail  prm.scopes: short scopes calculator.add calculator.subtract: Entra reads a bare name as a Microsoft "
        "Graph scope (AADSTS650053); advertise {App ID URI}/{name} (unset OAUTH_SCOPE_PREFIX, or set it to api://<client id>/)"
    ) in run.lines
    assert "NO    gateway: advertise {App ID URI}/{permission} scopes (see the prm.scopes line)" in run.lines


def test_missing_code_challenge_methods_supported() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["metadata"]["authorization_endpoint"] = f"{origin}/oauth2/v1/authorize"  # not Entra
        del documents["metadata"]["code_challenge_methods_supported"]

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  as.pkce: {origin}/.well-known/oauth-authorization-server/{TENANT}/v2.0 has no code_challenge_methods_supported: "
        "MCP clients must refuse to sign in (MCP authorization spec 2025-11-25)"
    ) in run.lines
    fix = 'the authorization server\'s metadata must list code_challenge_methods_supported: ["S256"] (the OAuth front\'s does)'
    assert f"NO    vscode: {fix}" in run.lines
    assert f"NO    claude: {fix}" in run.lines
    # The SDKs do not check it (mcp 2.3 oauth2.py; TypeScript SDK 1.32 checks only a list without S256).
    assert any(line.startswith("ok    python-sdk") for line in run.lines)
    assert any(line.startswith("ok    typescript-sdk") for line in run.lines)


def test_entra_metadata_without_pkce_methods_is_a_warning() -> None:
    """Entra supports S256 but its openid-configuration does not say so."""

    def broken(documents: dict[str, Any], origin: str) -> None:
        del documents["metadata"]["code_challenge_methods_supported"]

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 0
    assert (
        f"warn  as.pkce: {origin}/.well-known/oauth-authorization-server/{TENANT}/v2.0 has no code_challenge_methods_supported: "
        "MCP clients must refuse to sign in (MCP authorization spec 2025-11-25); Entra omits it, the OAuth front's metadata lists it"
    ) in run.lines
    assert "ok    vscode: signs in with its built-in Microsoft account, or a pre-registered client id (sign in to az to check the registration)" in run.lines
    fix = 'the authorization server\'s metadata must list code_challenge_methods_supported: ["S256"] (the OAuth front\'s does)'
    assert f"NO    claude: {fix}" in run.lines


def test_a_multi_tenant_server_serves_its_own_discovery(idp: DevIdentityProvider) -> None:
    """OAUTH_ALLOWED_TENANTS: this origin is the issuer clients see, and it is not the front."""
    multi_tenant = {"OAUTH_ISSUER": idp.organizations_issuer, "OAUTH_JWKS_URI": idp.common_jwks_uri, "OAUTH_ALLOWED_TENANTS": TENANT}
    with real_server(lambda port: {**dev_environment(idp), **multi_tenant}) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 0
    assert f"pass  prm.authorization_servers: {origin} (this origin)" in run.lines
    assert f"pass  as.metadata: {origin}/.well-known/oauth-authorization-server, issuer identical" in run.lines
    assert "pass  as.pkce: code_challenge_methods_supported lists S256" in run.lines
    assert not any(line[6:].startswith("front.") for line in run.lines)
    redirect = "the https://chatgpt.com/connector/oauth/... URI it shows"
    assert f"NO    chatgpt: {FRONT_FIX}; or give it a pre-registered client id and secret whose Web redirect is {redirect}" in run.lines


def test_easyauth_redirects_to_a_login_page() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["challenge"] = (302, {"Location": f"{origin}/.auth/login/aad?post_login_redirect_uri=/mcp"})

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  challenge: POST without a token answered 302 to {origin}/.auth/login/aad?post_login_redirect_uri=/mcp, not 401: "
        "App Service authentication (EasyAuth) is on; turn it off (authsettingsV2 platform.enabled=false), the server checks tokens itself"
    ) in run.lines
    fix = "turn App Service authentication (EasyAuth) off: authsettingsV2 platform.enabled=false"
    assert [line for line in run.lines if line.startswith("NO ")] == [
        f"NO    {client}: {fix}" for client in ("gateway", "python-sdk", "typescript-sdk", "vscode", "claude", "chatgpt")
    ]


def test_easyauth_answering_its_own_401() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["challenge"] = (401, {"WWW-Authenticate": f'Bearer realm="{origin}", authorization_uri="https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize"'})

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 1
    assert (
        "fail  challenge: 401 without resource_metadata (RFC 9728 §5.1): not the server's own challenge; is App Service "
        "authentication (EasyAuth) on? turn it off (authsettingsV2 platform.enabled=false)"
    ) in run.lines


def test_trailing_slash_on_the_resource() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["prm"]["resource"] = f"{origin}/mcp/"

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  prm.resource: '{url}/' vs the MCP URL '{url}': trailing slash; they must be equal byte for byte (RFC 9728 §3.3)"
    ) in run.lines
    fix = "set MCP_PUBLIC_URL to the MCP URL exactly, with no trailing slash, so the metadata's resource equals it"
    assert f"NO    python-sdk: {fix}" in run.lines


def test_http_off_loopback_is_refused_and_never_fetched() -> None:
    run = doctor("http://mcp.contoso.test/mcp")

    assert run.code == 1
    assert run.lines[:3] == [
        "doctor http://mcp.contoso.test/mcp",
        "fail  https: http://mcp.contoso.test/mcp is not https (plain http only on loopback): tokens would travel in clear text",
        NO_AZ,
    ]
    assert "NO    python-sdk: serve the MCP URL over https (HTTPS only on the app)" in run.lines


def test_http_endpoints_off_loopback_in_the_metadata() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["metadata"]["token_endpoint"] = f"http://login.contoso.test/{TENANT}/oauth2/v2.0/token"

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 1
    assert f"fail  https.endpoints: plain http off loopback: http://login.contoso.test/{TENANT}/oauth2/v2.0/token" in run.lines


def test_an_issuer_that_is_not_the_one_discovered() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["metadata"]["issuer"] = "https://login.microsoftonline.com/{tenantid}/v2.0"

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  as.metadata: issuer 'https://login.microsoftonline.com/{{tenantid}}/v2.0' at "
        f"{origin}/.well-known/oauth-authorization-server/{TENANT}/v2.0 is not '{origin}/{TENANT}/v2.0' (RFC 8414 §3.3) "
        "(Entra's multi-tenant template: set OAUTH_ALLOWED_TENANTS so the server serves a concrete issuer)"
    ) in run.lines


def test_a_challenge_without_offline_access_warns_for_the_typescript_sdk() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        metadata_url = f"{origin}/.well-known/oauth-protected-resource/mcp"
        documents["challenge"] = (401, {"WWW-Authenticate": f'Bearer resource_metadata="{metadata_url}", scope="{ALL_SCOPES}"'})

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 0
    assert "warn  challenge.scope: the 401's scope= lacks offline_access: the TypeScript SDK gets no refresh token" in run.lines


def test_offline_access_in_the_resource_metadata() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["prm"]["scopes_supported"] = [*SCOPES, "offline_access"]

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 1
    assert "fail  prm.scopes: scopes_supported lists offline_access, which is not this resource's (RFC 9728 §2)" in run.lines


def test_hostile_documents_get_a_line_not_a_traceback() -> None:
    """The documents are the remote server's to choose: not JSON, wrong shapes, wrong types."""

    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["prm"] = b'{"resource": ["not", "a", "string"], "authorization_servers": 7}'
        documents["challenge"] = (401, {"WWW-Authenticate": 'Bearer resource_metadata=, scope="\\"'})

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    assert f"fail  prm: {origin}/.well-known/oauth-protected-resource/mcp is not RFC 9728 metadata (no `resource`)" in run.lines
    assert "fail  prm.scopes: no metadata to read" in run.lines


def test_terminal_escapes_in_a_document_are_printed_escaped() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["prm"]["authorization_servers"] = ["http://127.0.0.1:9/\u001b[2J\u202etenant"]

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 1
    assert "pass  prm.authorization_servers: http://127.0.0.1:9/\\x1b[2J\\u202etenant" in run.lines
    assert not any("\x1b" in line or "\u202e" in line for line in run.lines)
    assert (
        "fail  as.metadata: no authorization server metadata for http://127.0.0.1:9/\\x1b[2J\\u202etenant: "
        "http://127.0.0.1:9/.well-known/oauth-authorization-server/\\x1b[2J\\u202etenant not fetched: not a valid URL"
    ) in run.lines


def test_deeply_nested_metadata_gets_a_line_not_a_traceback() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["metadata"] = b"[" * 200_000

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    assert f"fail  as.metadata: {origin}/.well-known/oauth-authorization-server/{TENANT}/v2.0 is not JSON" in run.lines


def test_urls_that_do_not_parse_get_a_line_not_a_traceback() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["challenge"] = (401, {"WWW-Authenticate": 'Bearer resource_metadata="http://[::1/x"'})
        documents["prm"]["authorization_servers"] = ["http://[oops"]

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  challenge: resource_metadata=http://[::1/x, expected {origin}/.well-known/oauth-protected-resource/mcp (RFC 9728 §3.1)"
    ) in run.lines
    assert "pass  prm.authorization_servers: http://[oops" in run.lines
    assert "fail  as.metadata: no authorization server metadata for http://[oops: http://[oops not fetched: not a valid URL" in run.lines


def test_an_mcp_url_that_does_not_parse() -> None:
    run = doctor("https://[::1/mcp")

    assert run.code == 1
    assert run.lines[1] == "fail  url: https://[::1/mcp is not a valid URL"


def test_scopes_under_an_app_id_uri_the_server_does_not_name() -> None:
    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["prm"]["scopes_supported"] = [SCOPES[0], "api://99999999-9999-4999-8999-999999999999/calculator.subtract"]

    with stand_in(broken) as url:
        run = doctor(url)

    assert run.code == 1
    assert (
        f"fail  prm.scopes: scopes under several App ID URIs: {API_URI} api://99999999-9999-4999-8999-999999999999"
    ) in run.lines


def test_an_endless_document_is_cut_off() -> None:
    from doctor.probe import MAX_DOCUMENT_BYTES

    def broken(documents: dict[str, Any], origin: str) -> None:
        documents["prm"] = b" " * (MAX_DOCUMENT_BYTES + 1)

    with stand_in(broken) as url:
        origin = url.removesuffix("/mcp")
        run = doctor(url)

    assert run.code == 1
    prm = f"{origin}/.well-known/oauth-protected-resource"
    assert (
        f"fail  prm: no protected resource metadata (RFC 9728): {prm}/mcp answered more than {MAX_DOCUMENT_BYTES} bytes; "
        f"{prm} answered 404"
    ) in run.lines


def test_an_issuer_other_than_entra_takes_bare_scopes_and_may_register_clients() -> None:
    """Okta, say: its own scope names, and dynamic registration when it is turned on."""

    def okta(documents: dict[str, Any], origin: str) -> None:
        metadata_url = f"{origin}/.well-known/oauth-protected-resource/mcp"
        documents["prm"]["scopes_supported"] = ["calculator.add", "calculator.subtract"]
        documents["metadata"]["authorization_endpoint"] = f"{origin}/oauth2/v1/authorize"
        documents["metadata"]["registration_endpoint"] = f"{origin}/oauth2/v1/clients"
        scope = "calculator.add calculator.subtract offline_access"
        documents["challenge"] = (401, {"WWW-Authenticate": f'Bearer resource_metadata="{metadata_url}", scope="{scope}"'})

    with stand_in(okta) as url:
        run = doctor(url)

    assert run.code == 0
    assert "pass  prm.scopes: calculator.add calculator.subtract (bare names: not an Entra issuer)" in run.lines
    assert run.lines[run.lines.index("clients:") + 1 :] == [
        "ok    gateway: signs in with its own registration and the advertised scopes",
        "ok    python-sdk: signs in registering itself with the issuer (RFC 7591)",
        "ok    typescript-sdk: signs in registering itself with the issuer (RFC 7591), requesting the 401's scope",
        "ok    vscode: signs in registering itself with the issuer (RFC 7591)",
        "ok    claude: registers itself with the issuer and signs in",
        "ok    chatgpt: registers itself with the issuer and signs in",
    ]


def test_the_doctor_does_not_ship() -> None:
    """A development tool, like client/ and devidp/: .funcignore keeps it out of the function app's package."""
    with open(os.path.join(REPO, ".funcignore")) as ignored:
        assert "doctor" in ignored.read().splitlines()
