"""With `az` signed in: the app registration read from Graph (through a stand-in `az` on PATH) against
what clients meet, each misconfiguration named by its exact line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import API, API_URI, FRONT_APP, MANAGED_IDENTITY, TENANT, doctor, graph_records

FakeAz = Callable[[dict[str, Any]], Path]
HEALTHY_APP = [
    "pass  app.token-version: requestedAccessTokenVersion 2",
    "pass  app.scopes: calculator.add calculator.subtract",
    "pass  app.roles: calculator.add calculator.subtract",
    "pass  tenant.consent: users may consent (ManagePermissionGrantsForSelf.microsoft-user-default-legacy)",
]


def registration_lines(lines: list[str]) -> list[str]:
    """The check lines that come from the registration (pass, warn or fail)."""
    names = ("app", "front.redirect", "front.fed", "front.app", "tenant", "az")
    return [line for line in lines if line.startswith(("pass", "warn", "fail")) and line[6:].startswith(names)]


def test_a_healthy_registration_passes(devserver: str, fake_az: FakeAz) -> None:
    fake_az(graph_records(devserver))

    run = doctor(devserver)  # the API app is found by the scopes' App ID URI

    assert run.code == 0
    assert registration_lines(run.lines) == [f"pass  app.identifier-uris: {devserver} is an identifier URI of {API}", *HEALTHY_APP]
    assert "ok    python-sdk: signs in with a pre-registered client id (Entra has no registration endpoint)" in run.lines
    assert not any(line.startswith("note") for line in run.lines)


def test_the_api_app_from_oauth_audience(devserver: str, fake_az: FakeAz, monkeypatch: pytest.MonkeyPatch) -> None:
    records = graph_records(devserver)
    del records[f"ad app show --id {API_URI}"]
    fake_az(records)
    monkeypatch.setenv("OAUTH_AUDIENCE", API)  # as the azd hook's environment carries it

    run = doctor(devserver)

    assert run.code == 0
    assert f"pass  app.identifier-uris: {devserver} is an identifier URI of {API}" in run.lines


def test_resource_is_not_an_identifier_uri(devserver: str, fake_az: FakeAz) -> None:
    """AADSTS9010010: Entra checks RFC 8707 `resource` against the API's identifier URIs."""
    fake_az(graph_records(devserver, identifier_uris=[API_URI]))

    run = doctor(devserver)

    assert run.code == 1
    assert (
        f"fail  app.identifier-uris: {devserver} is not an identifier URI of {API} ({API_URI}): clients that send resource= "
        f"get AADSTS9010010; az ad app update --id {API} --identifier-uris {API_URI} {devserver}"
    ) in run.lines
    fix = f"add {devserver} to the API's identifier URIs (AADSTS9010010), after requestedAccessTokenVersion=2"
    assert f"NO    python-sdk: {fix}" in run.lines
    assert f"NO    typescript-sdk: {fix}" in run.lines
    gateway = "ok    gateway: signs in with its own registration and the advertised scopes"
    assert f"{gateway}; if it sends resource=, add the MCP URL as an identifier URI" in run.lines


def test_v1_tokens(devserver: str, fake_az: FakeAz) -> None:
    fake_az(graph_records(devserver, token_version=None))

    run = doctor(devserver)

    assert run.code == 1
    assert (
        "fail  app.token-version: requestedAccessTokenVersion is None: Entra issues v1 tokens and refuses the MCP URL as an "
        f"identifier URI; az ad app update --id {API} --set api.requestedAccessTokenVersion=2"
    ) in run.lines
    assert "NO    python-sdk: set the API's requestedAccessTokenVersion to 2, then add the MCP URL as an identifier URI" in run.lines


def test_admin_consent_only_tenant_against_prompt_consent(devserver: str, fake_az: FakeAz) -> None:
    fake_az(graph_records(devserver, consent=[]))

    run = doctor(devserver)

    assert run.code == 1
    assert (
        "fail  tenant.consent: users may not consent (admin consent only): clients that send prompt=consent (the TypeScript SDK, "
        "the Python SDK when offline_access is asked) get 'Need admin approval' even after an admin granted the scopes"
    ) in run.lines
    fix = (
        "it sends prompt=consent, which needs user consent: allow it (Entra ID > Enterprise apps > Consent and permissions), "
        "or turn the OAuth front on (OAUTH_FRONT=on), which sends no prompt"
    )
    assert f"NO    python-sdk: {fix}" in run.lines
    assert f"NO    typescript-sdk: {fix}" in run.lines
    assert "ok    gateway: signs in with its own registration and the advertised scopes" in run.lines


def test_admin_consent_only_is_only_a_warning_behind_the_front(devserver_front: str, fake_az: FakeAz) -> None:
    fake_az(graph_records(devserver_front, consent=[]))

    run = doctor(devserver_front, "--front-client-id", FRONT_APP)

    assert run.code == 0
    assert (
        "warn  tenant.consent: users may not consent (admin consent only): clients that send prompt=consent (the TypeScript SDK, "
        "the Python SDK when offline_access is asked) get 'Need admin approval' even after an admin granted the scopes; "
        "the OAuth front sends no prompt, so its clients are unaffected"
    ) in run.lines
    assert [line for line in run.lines if line.startswith("NO")] == []


def test_the_front_registration(devserver_front: str, fake_az: FakeAz) -> None:
    origin = devserver_front.removesuffix("/mcp")
    fake_az(graph_records(devserver_front))

    run = doctor(devserver_front, "--front-client-id", FRONT_APP)

    assert run.code == 0
    assert f"pass  front.redirect: Web redirect {origin}/oauth/callback" in run.lines
    assert (
        f"pass  front.federated-credential: trusts managed identity {MANAGED_IDENTITY} "
        f"(issuer https://login.microsoftonline.com/{TENANT}/v2.0)"
    ) in run.lines


def test_the_front_without_its_web_redirect(devserver_front: str, fake_az: FakeAz) -> None:
    origin = devserver_front.removesuffix("/mcp")
    fake_az(graph_records(devserver_front, redirect_origin="https://old-name.azurewebsites.net"))

    run = doctor(devserver_front, "--front-client-id", FRONT_APP)

    assert run.code == 1
    assert (
        f"fail  front.redirect: {FRONT_APP} has no Web redirect URI {origin}/oauth/callback (AADSTS50011); "
        f"az ad app update --id {FRONT_APP} --web-redirect-uris {origin}/oauth/callback"
    ) in run.lines


@pytest.mark.parametrize(
    "credential",
    [
        {"audiences": ["api://AzureADTokenExchangeUSGov"]},  # another cloud's audience
        {"issuer": "https://login.microsoftonline.com/99999999-9999-4999-8999-999999999999/v2.0"},  # another tenant
        {"issuer": f"https://sts.windows.net/{TENANT}/"},  # a v1.0 issuer
        {"subject": "repo:contoso/mcp:ref:refs/heads/main"},  # a GitHub subject, not a managed identity
    ],
)
def test_a_federated_credential_that_does_not_trust_the_managed_identity(
    devserver_front: str, fake_az: FakeAz, credential: dict[str, Any]
) -> None:
    bad = {
        "name": "function-app-identity",
        "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "subject": MANAGED_IDENTITY,
        "audiences": ["api://AzureADTokenExchange"],
        **credential,
    }
    fake_az(graph_records(devserver_front, federated=[bad]))

    run = doctor(devserver_front, "--front-client-id", FRONT_APP)

    assert run.code == 1
    assert (
        f"fail  front.federated-credential: none matches issuer https://<login host>/{TENANT}/v2.0, a managed identity's "
        "object id as subject and audience api://AzureADTokenExchange (AADSTS700213): "
        f"issuer {bad['issuer']} subject {bad['subject']} audiences {bad['audiences']}"
    ) in run.lines


def test_missing_scopes_and_roles(devserver: str, fake_az: FakeAz) -> None:
    records = graph_records(devserver)
    api = records[f"ad app show --id {API_URI}"]
    api["api"]["oauth2PermissionScopes"] = api["api"]["oauth2PermissionScopes"][:1]
    api["appRoles"] = []
    fake_az(records)

    run = doctor(devserver)

    assert run.code == 1
    assert f"fail  app.scopes: {API} exposes no delegated scope calculator.subtract (AADSTS65005 for users)" in run.lines
    assert "warn  app.roles: no application role calculator.add, calculator.subtract: gateways using client credentials cannot call those tools" in run.lines


def test_az_installed_but_signed_out(devserver: str, fake_az: FakeAz) -> None:
    fake_az({"account show": {"stderr": "ERROR: Please run 'az login' to setup account."}})

    run = doctor(devserver)

    assert run.code == 0
    assert "note  az: not signed in (az login); the app registration was not checked" in run.lines
    assert registration_lines(run.lines) == []


def test_an_api_app_graph_does_not_know(devserver: str, fake_az: FakeAz) -> None:
    records = graph_records(devserver)
    del records[f"ad app show --id {API_URI}"]
    fake_az(records)

    run = doctor(devserver)

    assert run.code == 0  # signed in to another tenant, say: no verdict on the deployment
    assert f"warn  az: API app registration: ERROR: (Request_ResourceNotFound) no recording for: az ad app show --id {API_URI}" in run.lines
    assert registration_lines(run.lines)[1:] == [HEALTHY_APP[-1]]  # the tenant's consent policy was still read


def test_no_az_leaves_the_registration_alone(devserver: str, fake_az: FakeAz) -> None:
    fake_az(graph_records(devserver, consent=[]))  # would fail tenant.consent, were it read

    run = doctor(devserver, "--no-az")

    assert run.code == 0
    assert "note  az: not asked (--no-az); the app registration was not checked" in run.lines
    assert registration_lines(run.lines) == []
