"""Settings resolution: flags over environment over the dev provider's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.settings import ClientSettings, SettingsError
from devidp import defaults

API = f"api://{defaults.DEV_API_CLIENT_ID}"
ENTRA = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"


def resolve(env: dict[str, str], *, app: bool = False, **flags: str) -> ClientSettings:
    return ClientSettings.resolve(flags, env, app=app)


def test_nothing_set_means_the_dev_provider() -> None:
    settings = resolve({"HOME": "/home/u"})

    assert settings.using_dev_defaults
    assert (settings.issuer, settings.client_id, settings.client_secret, settings.mcp_url) == (
        f"http://127.0.0.1:8001/{defaults.DEV_TENANT_ID}/v2.0",
        defaults.DEV_PUBLIC_CLIENT_ID,
        None,
        "http://localhost:8000/mcp",
    )
    assert settings.scopes == (f"{API}/calculator.add", f"{API}/calculator.subtract", "offline_access")
    assert settings.app_scopes == (f"{API}/.default",)


def test_dev_app_identity_uses_the_confidential_dev_client() -> None:
    settings = resolve({}, app=True)

    assert (settings.client_id, settings.client_secret) == (defaults.DEV_APP_CLIENT_ID, defaults.DEV_APP_CLIENT_SECRET)


def test_a_dev_issuer_on_another_port_keeps_the_dev_defaults() -> None:
    issuer = f"http://127.0.0.1:9999/{defaults.DEV_TENANT_ID}/v2.0"

    settings = resolve({"MCP_CLIENT_ISSUER": issuer})

    assert (settings.using_dev_defaults, settings.issuer, settings.client_id) == (True, issuer, defaults.DEV_PUBLIC_CLIENT_ID)


def test_a_real_issuer_needs_a_client_id() -> None:
    with pytest.raises(SettingsError, match="set MCP_CLIENT_ID or --client-id"):
        resolve({"MCP_CLIENT_ISSUER": ENTRA})


def test_client_credentials_need_a_secret() -> None:
    with pytest.raises(SettingsError, match="client credentials need a secret"):
        resolve({"MCP_CLIENT_ISSUER": ENTRA, "MCP_CLIENT_ID": "app", "MCP_CLIENT_SCOPES": "api://x/a"}, app=True)


def test_entra_scopes_give_a_default_app_scope() -> None:
    settings = resolve(
        {"MCP_CLIENT_ISSUER": ENTRA, "MCP_CLIENT_ID": "gw", "MCP_CLIENT_SCOPES": "api://x/calculator.add api://x/calculator.subtract offline_access"}
    )

    assert settings.app_scopes == ("api://x/.default",)
    assert not settings.using_dev_defaults


def test_okta_bare_scopes_are_reused_for_client_credentials() -> None:
    settings = resolve(
        {"MCP_CLIENT_ISSUER": "https://acme.okta.com/oauth2/default", "MCP_CLIENT_ID": "okta-app",
         "MCP_CLIENT_SCOPES": "calculator.add calculator.subtract offline_access"}
    )

    assert settings.app_scopes == ("calculator.add", "calculator.subtract")


def test_flags_win_over_the_environment() -> None:
    settings = resolve(
        {"MCP_CLIENT_ISSUER": ENTRA, "MCP_CLIENT_ID": "from-env", "MCP_CLIENT_SCOPES": "api://x/a", "MCP_URL": "https://env/mcp"},
        client_id="from-flag",
        mcp_url="https://flag/mcp",
    )

    assert (settings.client_id, settings.mcp_url) == ("from-flag", "https://flag/mcp")


def test_the_cache_defaults_to_the_user_cache_directory() -> None:
    settings = resolve({"XDG_CACHE_HOME": "/var/cache/me"})

    assert settings.cache == Path("/var/cache/me/mcp-calculator-client/tokens.json")


def test_the_secret_is_not_in_the_repr() -> None:
    settings = resolve({}, app=True)

    assert defaults.DEV_APP_CLIENT_SECRET not in repr(settings)


def test_only_an_mcp_url_leaves_issuer_and_scopes_to_discovery() -> None:
    settings = resolve({"MCP_URL": "https://calc.example.net/mcp", "MCP_CLIENT_ID": "gw"})

    assert settings.needs_resource_discovery
    completed = settings.completed(ENTRA, ["api://x/calculator.add", "api://x/calculator.subtract"])
    assert (completed.issuer, completed.using_dev_defaults) == (ENTRA, False)
    assert completed.scopes == ("api://x/calculator.add", "api://x/calculator.subtract", "offline_access")
    assert completed.app_scopes == ("api://x/.default",)


def test_discovery_without_a_client_id_names_the_setting() -> None:
    settings = resolve({"MCP_URL": "https://calc.example.net/mcp"})

    with pytest.raises(SettingsError, match="set MCP_CLIENT_ID or --client-id"):
        settings.completed(ENTRA, ["api://x/calculator.add"])
