"""The front's switch and settings: off by default (nothing imported), on with every problem named in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from auth import ConfigError, Settings
from front.settings import FrontSettings
from outbound import TOKEN_EXCHANGE_AUDIENCE
from tests.support import REPO, TENANT_ID, entra_env

ENTRA = entra_env("https://login.microsoftonline.com/keys")
KEY = Fernet.generate_key().decode()
IDENTITY = "5c1f0e3a-8d2b-4c6e-9a7f-2b4d6e8f0a1c"
FRONT = {"OAUTH_FRONT": "on", "OAUTH_FRONT_CLIENT_ID": "front-app", "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID": IDENTITY, "OAUTH_FRONT_SEALING_KEYS": KEY}


def test_off_by_default_and_when_switched_off() -> None:
    settings = Settings.from_env(ENTRA)

    assert FrontSettings.from_env(ENTRA, settings) is None
    assert FrontSettings.from_env({**ENTRA, "OAUTH_FRONT": "off"}, settings) is None


def test_entra_endpoints_come_from_the_issuer() -> None:
    front = FrontSettings.from_env({**ENTRA, **FRONT}, Settings.from_env(ENTRA))

    assert front is not None
    assert front.authorization_endpoint == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize"
    assert front.token_endpoint == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    assert (front.managed_identity, front.client_secret, front.assertion_audience) == (IDENTITY, None, TOKEN_EXCHANGE_AUDIENCE)
    assert front.dev_mode is False
    assert KEY not in repr(front)


@pytest.mark.parametrize(
    ("issuer", "extra", "tenant_authority"),
    [
        (f"https://login.microsoftonline.us/{TENANT_ID}/v2.0", {}, f"https://login.microsoftonline.us/{TENANT_ID}"),
        (f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0", {}, f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}"),
        (
            "https://login.microsoftonline.com/organizations/v2.0",
            {"OAUTH_ALLOWED_TENANTS": TENANT_ID},
            "https://login.microsoftonline.com/organizations",
        ),
    ],
    ids=["us-government", "external-id", "multi-tenant"],
)
def test_entra_endpoints_come_from_any_entra_v2_issuer(issuer: str, extra: dict[str, str], tenant_authority: str) -> None:
    env = {**ENTRA, "OAUTH_ISSUER": issuer, **extra}

    front = FrontSettings.from_env({**env, **FRONT}, Settings.from_env(env))

    assert front is not None
    assert front.authorization_endpoint == f"{tenant_authority}/oauth2/v2.0/authorize"
    assert front.token_endpoint == f"{tenant_authority}/oauth2/v2.0/token"


def test_every_bad_setting_is_named() -> None:
    env = {
        **ENTRA,
        "OAUTH_FRONT": "on",
        "OAUTH_FRONT_CLIENT_SECRET": "s",
        "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID": "not-a-guid",
        "OAUTH_FRONT_SEALING_KEYS": f"{KEY},c2hvcnQ=",
        "OAUTH_FRONT_TOKEN_ENDPOINT": "http://login.example/token",
        "OAUTH_FRONT_DEV_MODE": "maybe",
    }

    with pytest.raises(ConfigError) as caught:
        FrontSettings.from_env(env, Settings.from_env(ENTRA))

    assert caught.value.problems == [
        "OAUTH_FRONT_CLIENT_ID is required (the upstream app registration of the front)",
        "set exactly one of OAUTH_FRONT_CLIENT_SECRET or OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID",
        "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID must be a client id (GUID)",
        "OAUTH_FRONT_SEALING_KEYS key 2 must be 32 bytes of url-safe base64 "
        "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')",
        "OAUTH_FRONT_DEV_MODE must be on or off",
        "OAUTH_FRONT_TOKEN_ENDPOINT must be an https:// URL (plain http only for localhost)",
    ]
    assert "c2hvcnQ" not in str(caught.value) and KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://login.example/authorize#top", "must not have a #fragment"),
        ("http://[::1/authorize", "is not a valid URL"),
        ("http://login.example/authorize", "must be an https:// URL (plain http only for localhost)"),
    ],
)
def test_the_front_s_endpoints_follow_the_server_s_one_url_rule(url: str, problem: str) -> None:
    # auth.settings.https_url_problem judges every configured URL; the front had its own copy that
    # gave every failure the same words.
    with pytest.raises(ConfigError) as caught:
        FrontSettings.from_env({**ENTRA, **FRONT, "OAUTH_FRONT_AUTHORIZATION_ENDPOINT": url}, Settings.from_env(ENTRA))

    assert caught.value.problems == [f"OAUTH_FRONT_AUTHORIZATION_ENDPOINT {problem}"]


@pytest.mark.parametrize("system", ["system", "System", " SYSTEM "])
def test_a_system_assigned_identity_is_refused(system: str) -> None:
    # Microsoft, "Configure an application to trust a managed identity": only user-assigned identities
    # can be an app's federated credential, so `system` could never sign the front in.
    with pytest.raises(ConfigError) as caught:
        FrontSettings.from_env({**ENTRA, **FRONT, "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID": system}, Settings.from_env(ENTRA))

    assert caught.value.problems == [
        "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID must be a user-assigned identity's client id: "
        "an app's federated credential cannot trust a system-assigned identity"
    ]


def test_a_non_entra_issuer_needs_its_endpoints() -> None:
    okta = {**ENTRA, "OAUTH_ISSUER": "https://dev-1.okta.com/oauth2/default"}

    with pytest.raises(ConfigError) as caught:
        FrontSettings.from_env({**okta, **FRONT}, Settings.from_env(okta))

    assert caught.value.problems == [
        "OAUTH_FRONT_AUTHORIZATION_ENDPOINT and OAUTH_FRONT_TOKEN_ENDPOINT are required when OAUTH_ISSUER is not an Entra v2.0 issuer"
    ]


def run_function_app(env: dict[str, str], code: str = "import function_app") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60)


def test_the_app_names_the_server_and_front_problems_in_one_line() -> None:
    env = {"OAUTH_ISSUER": ENTRA["OAUTH_ISSUER"], "OAUTH_JWKS_URI": ENTRA["OAUTH_JWKS_URI"], "OAUTH_FRONT": "on", "OAUTH_FRONT_SEALING_KEYS": KEY}

    result = run_function_app(env)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "invalid configuration: OAUTH_AUDIENCE is required; "
        "OAUTH_FRONT_CLIENT_ID is required (the upstream app registration of the front); "
        "set exactly one of OAUTH_FRONT_CLIENT_SECRET or OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID\n"
    )


def test_with_the_front_off_its_package_is_never_imported() -> None:
    # The JWKS URL points nowhere reachable: the import must not wait on it (it fetches in the background).
    env = entra_env("http://127.0.0.1:9/keys")
    probe = "import sys, function_app; print(sorted(m for m in sys.modules if m == 'front' or m.startswith(('front.', 'authlib', 'msal'))))"

    result = run_function_app(env, probe)

    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


def test_with_the_front_off_its_routes_are_absent_and_discovery_is_the_issuer_s(host: object) -> None:
    token = host.request("POST", "/oauth/token", body=b"grant_type=refresh_token")  # type: ignore[attr-defined]
    metadata = host.request("GET", "/.well-known/oauth-protected-resource/mcp")  # type: ignore[attr-defined]

    assert token.status_code == 404
    assert metadata.status_code == 200
    import json

    assert json.loads(metadata.get_body())["authorization_servers"] == [ENTRA["OAUTH_ISSUER"]]


# -- the refresh window and the token store (issue 14 item 3) ---------------------------------

def test_the_refresh_window_is_24_hours_and_the_store_off_by_default() -> None:
    front = FrontSettings.from_env({**ENTRA, **FRONT}, Settings.from_env(ENTRA))

    assert front is not None
    assert (front.refresh_window_seconds, front.token_store) == (86400, None)


def test_the_refresh_window_and_the_store_are_read() -> None:
    env = {
        **ENTRA, **FRONT, "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID": IDENTITY,
        "OAUTH_FRONT_REFRESH_WINDOW_HOURS": "2160", "OAUTH_FRONT_TOKEN_STORE": "https://acct.table.core.windows.net/",
    }

    front = FrontSettings.from_env(env, Settings.from_env(ENTRA))

    assert front is not None
    assert (front.refresh_window_seconds, front.token_store) == (2160 * 3600, "https://acct.table.core.windows.net")


@pytest.mark.parametrize("hours", ["0", "2161", "24h", "1.5", "-1", "\u0663"])
def test_a_bad_refresh_window_is_named(hours: str) -> None:
    with pytest.raises(ConfigError) as caught:
        FrontSettings.from_env({**ENTRA, **FRONT, "OAUTH_FRONT_REFRESH_WINDOW_HOURS": hours}, Settings.from_env(ENTRA))

    assert caught.value.problems == ["OAUTH_FRONT_REFRESH_WINDOW_HOURS must be a whole number of hours from 1 to 2160"]


@pytest.mark.parametrize(
    ("store", "identity", "problem"),
    [
        ("http://acct.table.core.windows.net", IDENTITY, "OAUTH_FRONT_TOKEN_STORE must be an https:// URL (plain http only for Azurite on loopback)"),
        ("https://acct.table.core.windows.net/mytable", IDENTITY, "OAUTH_FRONT_TOKEN_STORE must be the account's table endpoint, with no path"),
        ("https://acct.table.core.windows.net?sv=2024&sig=x", IDENTITY, "OAUTH_FRONT_TOKEN_STORE must be a Table Storage URL, e.g. https://{account}.table.core.windows.net"),
        ("https://user:key@acct.table.core.windows.net", IDENTITY, "OAUTH_FRONT_TOKEN_STORE must be a Table Storage URL, e.g. https://{account}.table.core.windows.net"),
        ("UseDevelopmentStorage=true", IDENTITY, "OAUTH_FRONT_TOKEN_STORE must be a Table Storage URL, e.g. https://{account}.table.core.windows.net"),
        ("http://127.0.0.1:10002/otheraccount", IDENTITY, "OAUTH_FRONT_TOKEN_STORE on loopback must be Azurite's http://127.0.0.1:{port}/devstoreaccount1"),
        ("https://acct.table.core.windows.net", None, "OAUTH_FRONT_TOKEN_STORE over https needs OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID (its managed identity reads and writes the table)"),
    ],
)
def test_a_bad_token_store_is_named(store: str, identity: str | None, problem: str) -> None:
    env = {**ENTRA, **FRONT, "OAUTH_FRONT_TOKEN_STORE": store}
    if identity is None:
        del env["OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID"]
        env["OAUTH_FRONT_CLIENT_SECRET"] = "local-secret"
    else:
        env["OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID"] = identity

    with pytest.raises(ConfigError) as caught:
        FrontSettings.from_env(env, Settings.from_env(ENTRA))

    assert caught.value.problems == [problem]


def test_azurite_on_loopback_needs_no_identity() -> None:
    env = {**ENTRA, **FRONT, "OAUTH_FRONT_TOKEN_STORE": "http://127.0.0.1:10002/devstoreaccount1"}
    del env["OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID"]
    env["OAUTH_FRONT_CLIENT_SECRET"] = "local-secret"

    front = FrontSettings.from_env(env, Settings.from_env(ENTRA))

    assert front is not None and front.token_store == "http://127.0.0.1:10002/devstoreaccount1"


@pytest.mark.parametrize(
    ("store", "loaded"),
    [(None, "[]\n"), ("http://127.0.0.1:9/devstoreaccount1", "['azure.core', 'azure.data.tables']\n")],
    ids=["store-off", "store-on"],
)
def test_the_table_sdk_is_imported_only_with_the_store(store: str | None, loaded: str) -> None:
    # The front is on both times; the store's URL points nowhere, and nothing is fetched at import.
    env = {**entra_env("http://127.0.0.1:9/keys"), **FRONT, "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID": IDENTITY}
    if store is not None:
        env["OAUTH_FRONT_TOKEN_STORE"] = store
    probe = "import sys, function_app; print(sorted(m for m in sys.modules if m in ('azure.core', 'azure.data.tables')))"

    result = run_function_app(env, probe)

    assert (result.returncode, result.stdout) == (0, loaded), result.stderr
