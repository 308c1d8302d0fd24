"""The app settings the template sets and those the code reads agree, name by name.

The code's names are not listed here: they are recorded by handing Settings.from_env,
FrontSettings.from_env and TelemetrySettings.from_env a Mapping that notes every name asked for, under configurations that take
each path (single tenant, multi-tenant, Okta-like issuer; front on). So a setting added to the code,
or renamed, fails this test until the template sets it or this file says why it does not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from auth import ConfigError, Settings
from front.settings import FrontSettings
from telemetry.settings import TelemetrySettings

#: The platform's own settings, which the code never reads (infra/modules/app-settings.bicep says why each).
PLATFORM = frozenset({
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    # Read by the Azure Monitor exporter itself (Entra-authenticated ingestion), not by this code.
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "PYTHON_ISOLATE_WORKER_DEPENDENCIES",
})
#: Read by the code, deliberately left unset by the template, each for a reason.
UNSET = {
    "OAUTH_SCOPE_PREFIX": "the default, {first App ID URI}/, is right for Entra",
    "OAUTH_METADATA_URL": "the default, {issuer}/.well-known/openid-configuration, is Entra's",
    "MCP_REFUSED_CALLERS": "unset refuses no caller kind: a policy an operator adds as an app setting (docs/downstream.md)",
    "OAUTH_FRONT_CLIENT_SECRET": "the front authenticates with the managed identity's federated credential: no secret",
    "OAUTH_FRONT_AUTHORIZATION_ENDPOINT": "derived from the Entra v2.0 issuer",
    "OAUTH_FRONT_TOKEN_ENDPOINT": "derived from the Entra v2.0 issuer",
    "OAUTH_FRONT_ASSERTION_AUDIENCE": "the public cloud's default; the Graph Bicep extension deploys to no other cloud",
    "OAUTH_FRONT_DEV_MODE": "local development only",
    "OAUTH_FRONT_REFRESH_WINDOW_HOURS": "the default, 24 hours: Entra's own cap for a single-page app's refresh tokens",
    # TelemetrySettings.from_env (telemetry/settings.py): APPLICATIONINSIGHTS_CONNECTION_STRING is set
    # and turns telemetry on; these stay unset.
    "OTEL_EXPORTER_OTLP_ENDPOINT": "Application Insights, not an OTLP collector, receives the telemetry",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "as OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "as OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SDK_DISABLED": "telemetry stays on wherever Application Insights is attached",
    "MCP_TELEMETRY_CONSOLE": "local development only (devserver.py --telemetry)",
    "MCP_TELEMETRY_RECORD_USER_ID": "off by default: a person's oid is personal data (docs/operations.md); an operator opts in",
}
#: Flex Consumption takes the runtime from functionAppConfig and refuses these as app settings.
REFUSED_ON_FLEX = frozenset({"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION"})

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"


class RecordingEnviron(Mapping[str, str]):
    """An environment that remembers every name looked up, however it is looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        self.asked.add(name)
        return self.values.get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.asked.add(name)
        return name in self.values

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("from_env must ask for settings by name, not list the environment")

    def __len__(self) -> int:
        return len(self.values)


def names_read(values: dict[str, str]) -> set[str]:
    """Every name Settings.from_env and then FrontSettings.from_env ask for, given these values."""
    environ = RecordingEnviron(values)
    try:
        settings: Settings | None = Settings.from_env(environ)
    except ConfigError:
        settings = None
    try:
        FrontSettings.from_env(environ, settings)
    except ConfigError:
        pass
    try:
        TelemetrySettings.from_env(environ)
    except ConfigError:
        pass
    return environ.asked


def code_names() -> set[str]:
    entra = {
        "OAUTH_ISSUER": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "OAUTH_AUDIENCE": CLIENT,
        "OAUTH_JWKS_URI": f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys",
        "OAUTH_FRONT": "on",
    }
    multi_tenant = entra | {
        "OAUTH_ISSUER": "https://login.microsoftonline.com/organizations/v2.0",
        "OAUTH_ALLOWED_TENANTS": TENANT,
    }
    other_issuer = entra | {"OAUTH_ISSUER": "https://example.okta.com/oauth2/default", "OAUTH_JWKS_URI": "https://example.okta.com/oauth2/default/v1/keys"}
    return names_read({}) | names_read({"OAUTH_FRONT": "on"}) | names_read(entra) | names_read(multi_tenant) | names_read(other_issuer)


def template_settings(trees: dict[str, Any]) -> dict[str, Any]:
    """The `appsettings` object of infra/modules/app-settings.bicep, as parsed."""
    found = [
        resource["config"]["properties"]
        for tree in trees.values()
        for resource in tree.get("resources", {}).values()
        if resource["type"] == "Microsoft.Web/sites/config" and resource["config"].get("name") == "appsettings"
    ]
    assert len(found) == 1, "exactly one appsettings declaration"
    settings: dict[str, Any] = found[0]
    return settings


def test_the_recording_sees_what_the_code_reads() -> None:
    # The names the README documents for the server and the front, as a floor for the recording.
    assert {"OAUTH_ISSUER", "OAUTH_AUDIENCE", "OAUTH_JWKS_URI", "MCP_PUBLIC_URL", "OAUTH_FRONT", "OAUTH_FRONT_SEALING_KEYS"} <= code_names()


def test_template_sets_exactly_what_the_code_reads(bicep_trees: dict[str, Any]) -> None:
    template = set(template_settings(bicep_trees))
    code = code_names()
    assert template - PLATFORM - code == set(), "set by the template, read by no code"
    assert code - template - set(UNSET) == set(), "read by the code, neither set by the template nor explained in UNSET"
    assert set(UNSET) <= code, "UNSET explains a setting the code no longer reads"
    assert set(UNSET) & template == set(), "UNSET names a setting the template sets"
    assert PLATFORM <= template
    assert PLATFORM & code == set()


def test_flex_settings_are_right(bicep_trees: dict[str, Any]) -> None:
    settings = template_settings(bicep_trees)
    assert REFUSED_ON_FLEX & set(settings) == set()
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["PYTHON_ISOLATE_WORKER_DEPENDENCIES"] == "1"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "ClientId=${identityClientId};Authorization=AAD"
    assert settings["OAUTH_FRONT_SEALING_KEYS"]["operator"]["operands"]["true_value"] == (
        "@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${sealingKeysSecretName})"
    )


def test_a_setting_the_code_starts_reading_is_noticed(bicep_trees: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above fails for a new name: shown with a from_env that reads one more."""
    original = Settings.from_env

    def reads_one_more(environ: Mapping[str, str]) -> Settings:
        environ.get("OAUTH_NEW_SETTING", "")
        return original(environ)

    monkeypatch.setattr(Settings, "from_env", reads_one_more)
    assert code_names() - set(template_settings(bicep_trees)) - set(UNSET) == {"OAUTH_NEW_SETTING"}


# --- The values: the environment the template gives the app starts it. ---

IDENTITY = "99999999-8888-7777-6666-555555555555"
FRONT = "12121212-3434-5656-7878-909090909090"
HOST = "func-mcp-abcdefghijklm.azurewebsites.net"


def template_environment(trees: dict[str, Any], *, allowed_tenants: str, front: bool) -> dict[str, str]:
    """The app's environment as the template sets it, a Key Vault reference resolved as the platform does."""
    from cryptography.fernet import Fernet

    from tests.infra.evaluate import Scope

    module = trees["infra/modules/app-settings.bicep"]
    params = {
        "functionAppName": "func-mcp-abcdefghijklm",
        "storageAccountName": "stmcpabcdefghijklm",
        "tableEndpoint": "https://stmcpabcdefghijklm.table.core.windows.net/",
        "identityClientId": IDENTITY,
        "applicationInsightsConnectionString": "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        "keyVaultUri": "https://kv-mcp-abcdefghijklm.vault.azure.net/",
        "sealingKeysSecretName": "oauth-front-sealing-keys",
        "apiAppId": CLIENT,
        "identifierUris": [f"https://{HOST}/mcp", f"api://{CLIENT}"] if not allowed_tenants else [f"api://{CLIENT}"],
        "mcpUrl": f"https://{HOST}/mcp",
        "allowedTenants": allowed_tenants,
        "allowedOrigins": "",
        "enableOAuthFront": front,
        "frontAppId": FRONT if front else "",
    }
    assert set(params) == set(module["parameters"])
    scope = Scope(params, module.get("variables", {}), TENANT)
    environ = {name: scope.evaluate(value) for name, value in template_settings(trees).items()}
    assert all(isinstance(value, str) for value in environ.values())
    reference = "@Microsoft.KeyVault(SecretUri=https://kv-mcp-abcdefghijklm.vault.azure.net/secrets/oauth-front-sealing-keys)"
    if front:
        assert environ["OAUTH_FRONT_SEALING_KEYS"] == reference
        environ["OAUTH_FRONT_SEALING_KEYS"] = Fernet.generate_key().decode()  # what the platform resolves it to
    return {name: value for name, value in environ.items() if value}


def test_the_template_single_tenant_settings_start_the_app(bicep_trees: dict[str, Any]) -> None:
    environ = template_environment(bicep_trees, allowed_tenants="", front=True)
    settings = Settings.from_env(environ)
    # Telemetry on, to the Application Insights component, with a person's oid left out.
    telemetry = TelemetrySettings.from_env(environ)
    assert (telemetry.exporter, telemetry.console, telemetry.record_user_id) == ("azure_monitor", False, False)
    assert (settings.issuer, settings.audience, settings.tenant_id) == (f"https://login.microsoftonline.com/{TENANT}/v2.0", CLIENT, TENANT)
    assert settings.jwks_uri == f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys"
    assert settings.app_id_uris == (f"https://{HOST}/mcp", f"api://{CLIENT}")
    assert settings.scope_string("calculator.add") == f"https://{HOST}/mcp/calculator.add"
    assert settings.public_url == f"https://{HOST}/mcp"
    assert settings.allowed_tenants is None
    front = FrontSettings.from_env(environ, settings)
    assert front is not None
    assert (front.client_id, front.managed_identity, front.client_secret) == (FRONT, IDENTITY, None)
    assert front.token_endpoint == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert front.token_store == "https://stmcpabcdefghijklm.table.core.windows.net"


def test_the_template_multi_tenant_settings_start_the_app_without_the_front(bicep_trees: dict[str, Any]) -> None:
    environ = template_environment(bicep_trees, allowed_tenants=f"{TENANT},*", front=False)
    assert "OAUTH_FRONT" not in environ  # empty: function_app.py never imports the front
    settings = Settings.from_env(environ)
    assert settings.issuer == "https://login.microsoftonline.com/organizations/v2.0"
    assert settings.jwks_uri == "https://login.microsoftonline.com/organizations/discovery/v2.0/keys"
    assert (settings.allowed_tenants, settings.any_tenant) == (frozenset({TENANT}), True)
    assert settings.scope_string("calculator.add") == f"api://{CLIENT}/calculator.add"
    assert FrontSettings.from_env(environ, settings) is None
