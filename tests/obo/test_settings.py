"""The example's switch and settings: off by default (nothing imported), on with every problem named in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from auth import ConfigError, Settings
from obo.settings import GRAPH_ME, GRAPH_USER_READ, OboSettings
from tests.support import REPO, entra_env

KEY = Fernet.generate_key().decode()
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
API = "22222222-2222-4222-8222-222222222222"
ENTRA = {
    "OAUTH_ISSUER": f"https://login.microsoftonline.com/{TENANT}/v2.0",
    "OAUTH_AUDIENCE": API,
    "OAUTH_JWKS_URI": f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys",
}
ON = {
    "OBO_EXAMPLE": "on",
    "OBO_MANAGED_IDENTITY_CLIENT_ID": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
    "OBO_REDIRECT_URI": "https://calc.example/obo/done",
    "OBO_STATE_KEYS": KEY,
}


def read(**env: str) -> OboSettings | None:
    merged = {**ENTRA, **env}
    return OboSettings.from_env(merged, Settings.from_env(merged))


@pytest.mark.parametrize("switch", ["", "off", "0", "no"])
def test_off_by_default(switch: str):
    assert read(OBO_EXAMPLE=switch) is None


def test_on_with_entra_everything_else_is_derived_or_defaulted():
    settings = read(**ON)

    assert settings == OboSettings(
        client_id=API,
        authority=f"https://login.microsoftonline.com/{TENANT}",
        scopes=(GRAPH_USER_READ,),
        api_url=GRAPH_ME,
        redirect_uri="https://calc.example/obo/done",
        state_keys=(KEY,),
        managed_identity="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
    )
    assert settings is not None and "state_keys" not in repr(settings) and KEY not in repr(settings)


def test_every_problem_is_named_at_once():
    with pytest.raises(ConfigError) as caught:
        read(
            OBO_EXAMPLE="on",
            OBO_CLIENT_ID="not-a-guid",
            OBO_API_URL="http://graph.example/me",
            OBO_STATE_KEYS="short",
            OBO_AUTHORITY="http://login.example/tenant",
        )

    assert caught.value.problems == [
        "OBO_CLIENT_ID (default OAUTH_AUDIENCE) must be the API registration's client id (a GUID)",
        "set exactly one of OBO_MANAGED_IDENTITY_CLIENT_ID or OBO_CLIENT_SECRET",
        "OBO_AUTHORITY must be an https:// URL with a tenant path (MSAL accepts no other)",
        "OBO_API_URL must be an https:// URL (plain http only for localhost)",
        "OBO_REDIRECT_URI is required: a redirect URI of the API's registration (https)",
        "OBO_STATE_KEYS key 1 is not a Fernet key (32 bytes of url-safe base64)",
    ]


def test_a_secret_is_refused_on_azure_and_accepted_on_a_workstation():
    local = {**ON, "OBO_MANAGED_IDENTITY_CLIENT_ID": "", "OBO_CLIENT_SECRET": "dev-secret"}

    settings = read(**local)
    with pytest.raises(ConfigError) as caught:
        read(**local, WEBSITE_INSTANCE_ID="0f6c1e8b2c")

    assert settings is not None and settings.client_secret == "dev-secret" and "dev-secret" not in repr(settings)
    assert caught.value.problems == [
        "OBO_CLIENT_SECRET is for local development only; on Azure set OBO_MANAGED_IDENTITY_CLIENT_ID"
    ]


def test_a_switch_that_is_neither_on_nor_off_is_refused():
    with pytest.raises(ConfigError) as caught:
        read(OBO_EXAMPLE="maybe")

    assert caught.value.problems == ["OBO_EXAMPLE must be on or off"]


def run_function_app(env: dict[str, str], code: str = "import function_app") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60
    )


def test_the_app_names_the_server_and_example_problems_in_one_line():
    env = {"OAUTH_ISSUER": ENTRA["OAUTH_ISSUER"], "OAUTH_JWKS_URI": ENTRA["OAUTH_JWKS_URI"], "OBO_EXAMPLE": "on"}

    result = run_function_app(env)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "invalid configuration: OAUTH_AUDIENCE is required; "
        "set exactly one of OBO_MANAGED_IDENTITY_CLIENT_ID or OBO_CLIENT_SECRET; "
        "OBO_REDIRECT_URI is required: a redirect URI of the API's registration (https); "
        "OBO_STATE_KEYS is required (comma-separated Fernet keys, the first seals)\n"
    )


def test_with_the_example_off_its_package_and_msal_are_never_imported():
    env = entra_env("http://127.0.0.1:9/keys")
    probe = "import sys, function_app; print(sorted(m for m in sys.modules if m.startswith(('obo', 'outbound', 'msal'))))"

    result = run_function_app(env, probe)

    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


def test_with_the_example_on_the_app_reads_its_settings_and_builds_with_it():
    env = {**entra_env("http://127.0.0.1:9/keys"), **ON}
    probe = "import sys, function_app; print(function_app.obo_settings.client_id, 'obo.server' in sys.modules)"

    result = run_function_app(env, probe)

    assert (result.returncode, result.stdout) == (0, f"{entra_env('x')['OAUTH_AUDIENCE']} True\n"), result.stderr


def test_a_system_assigned_identity_is_refused_because_a_federated_credential_cannot_trust_it():
    with pytest.raises(ConfigError) as caught:
        read(**{**ON, "OBO_MANAGED_IDENTITY_CLIENT_ID": "system"})

    assert caught.value.problems == ["OBO_MANAGED_IDENTITY_CLIENT_ID must be a user-assigned identity's client id (GUID)"]
