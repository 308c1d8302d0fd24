"""The app settings the template sets and those the code reads agree, name by name.

The code's names are not listed here: they are recorded by handing Settings.from_env,
FrontSettings.from_env, TelemetrySettings.from_env and OboSettings.from_env a Mapping that notes
every name asked for, under configurations that take each path (single tenant, multi-tenant,
Okta-like issuer; front on; the on-behalf-of example on). So a setting added to the code, or
renamed, fails this test until the template sets it or this file says why it does not. A scan of
the product code's source is the floor under the recording: every name it reads from the
environment by a literal must be one the recording saw, or one PROCESS explains.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from auth import ConfigError, Settings
from front.settings import FrontSettings
from obo.settings import OboSettings
from telemetry.settings import TelemetrySettings
from tests.support import REPO

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
    # OboSettings.from_env (obo/settings.py): the on-behalf-of example is off in the template. Turning
    # it on takes steps the template does not take (docs/downstream.md): a federated credential on the
    # API's registration, a Web redirect URI of the operator's own page, consent to the downstream API.
    "OBO_EXAMPLE": "the on-behalf-of example is off: docs/downstream.md's steps turn it on",
    "OBO_CLIENT_ID": "as OBO_EXAMPLE; its default, OAUTH_AUDIENCE, is the API's client id",
    "OBO_CLIENT_SECRET": "as OBO_EXAMPLE; on Azure the managed identity's federated credential replaces a secret",
    "OBO_MANAGED_IDENTITY_CLIENT_ID": "as OBO_EXAMPLE",
    "OBO_AUTHORITY": "as OBO_EXAMPLE; derived from the Entra v2.0 issuer",
    "OBO_SCOPES": "as OBO_EXAMPLE; the default is Microsoft Graph's User.Read",
    "OBO_API_URL": "as OBO_EXAMPLE; the default is Microsoft Graph's /me",
    "OBO_REDIRECT_URI": "as OBO_EXAMPLE; a page of the operator's own, registered on the API",
    "OBO_STATE_KEYS": "as OBO_EXAMPLE",
    "OBO_ASSERTION_AUDIENCE": "as OBO_EXAMPLE; the public cloud's default",
}
#: Read by the code from the process's environment, never an app setting of the template's.
PROCESS = {
    "WEBSITE_INSTANCE_ID": "set by the App Service platform on every instance: how obo/settings.py tells Azure from a laptop",
    "REQUESTS_CA_BUNDLE": "auth/fetch.py: a proxy's CA bundle on a developer's machine; Azure's trust store needs none",
    "CURL_CA_BUNDLE": "as REQUESTS_CA_BUNDLE",
}
#: The product code whose environment reads the scan checks (local tools such as devserver.py,
#: devidp/ and doctor/ never run on Azure).
PRODUCT = ("function_app.py", "app_factory.py", "auth", "edge", "front", "mcp_tools", "obo", "telemetry")
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
    try:
        OboSettings.from_env(environ, settings)
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
    # A secret is what makes obo/settings.py ask whether it runs on Azure.
    obo = entra | {"OBO_EXAMPLE": "on", "OBO_CLIENT_SECRET": "local-secret"}
    configurations = ({}, {"OAUTH_FRONT": "on"}, entra, multi_tenant, other_issuer, obo)
    return set().union(*(names_read(values) for values in configurations))


def _literal_environment_reads(tree: ast.AST) -> set[str]:
    """Names read by `environ.get("X")`, `environ["X"]`, `os.getenv("X")` or `f(environ, "X", ...)`."""
    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "environ") or (isinstance(node, ast.Attribute) and node.attr == "environ")

    def literal(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_environ(node.value) and literal(node.slice):
            found.add(str(literal(node.slice)))
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr in ("get", "getenv") and (is_environ(function.value) or function.attr == "getenv"):
            if literal(node.args[0]):
                found.add(str(literal(node.args[0])))
        elif any(is_environ(argument) for argument in node.args):
            found.update(str(literal(argument)) for argument in node.args if literal(argument))
    return found


def product_environment_reads() -> set[str]:
    root = Path(REPO)
    files = [root / name for name in PRODUCT if name.endswith(".py")]
    files += [path for name in PRODUCT if not name.endswith(".py") for path in sorted((root / name).rglob("*.py"))]
    return set().union(*(_literal_environment_reads(ast.parse(path.read_text(encoding="utf-8"))) for path in files))


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


def test_the_recording_sees_every_name_the_product_code_reads_by_literal() -> None:
    read = product_environment_reads()
    # The floor is real: the direct reads of function_app.py and the helpers' reads are in it.
    assert {"OAUTH_FRONT", "OBO_EXAMPLE", "OBO_STATE_KEYS", "MCP_TELEMETRY_RECORD_USER_ID", "REQUESTS_CA_BUNDLE"} <= read
    assert read - code_names() - set(PROCESS) == set(), "read from the environment, but by no from_env this file records"
    assert set(PROCESS) <= read | code_names(), "PROCESS explains a name the code no longer reads"


def test_the_scan_sees_each_way_of_reading_the_environment() -> None:
    source = (
        "import os\n"
        "a = os.environ.get('A', '')\n"
        "b = os.environ['B']\n"
        "c = os.getenv('C')\n"
        "def f(environ):\n"
        "    return environ.get('D'), _value(environ, 'E'), other.get('NOT_ENV')\n"
    )
    assert _literal_environment_reads(ast.parse(source)) == {"A", "B", "C", "D", "E"}


def test_template_sets_exactly_what_the_code_reads(bicep_trees: dict[str, Any]) -> None:
    template = set(template_settings(bicep_trees))
    code = code_names()
    assert template - PLATFORM - code == set(), "set by the template, read by no code"
    assert code - template - set(UNSET) - set(PROCESS) == set(), "read by the code, neither set by the template nor explained in UNSET"
    assert set(UNSET) <= code, "UNSET explains a setting the code no longer reads"
    assert set(UNSET) & template == set(), "UNSET names a setting the template sets"
    assert set(PROCESS) & template == set(), "PROCESS names a setting the template sets"
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
    assert code_names() - set(template_settings(bicep_trees)) - set(UNSET) - set(PROCESS) == {"OAUTH_NEW_SETTING"}


# --- The values: the environment the template gives the app starts it. ---

IDENTITY = "99999999-8888-7777-6666-555555555555"
FRONT = "12121212-3434-5656-7878-909090909090"
HOST = "func-mcp-abcdefghijklm.azurewebsites.net"


def template_environment(
    trees: dict[str, Any], *, allowed_tenants: str, front: bool, refused_callers: str = "", record_user_id: bool = False,
    tools_listed: str = "callable",
) -> dict[str, str]:
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
        "refusedCallers": refused_callers,
        "toolsListed": tools_listed,
        "recordUserId": record_user_id,
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
    assert not settings.refused_callers  # refusedCallers empty: no caller kind refused
    assert OboSettings.from_env(environ, settings) is None  # the on-behalf-of example stays off
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


def test_the_operators_choices_reach_the_app(bicep_trees: dict[str, Any]) -> None:
    """refusedCallers, recordUserId and toolsListed become the settings the code reads, and it applies them."""
    environ = template_environment(
        bicep_trees, allowed_tenants="", front=False, refused_callers="autonomous_agent:subtract,agent_user_account", record_user_id=True,
        tools_listed="all",
    )
    assert (environ["MCP_TOOLS_LISTED"], Settings.from_env(environ).tools_listed) == ("all", "all")
    assert (environ["MCP_REFUSED_CALLERS"], environ["MCP_TELEMETRY_RECORD_USER_ID"]) == ("autonomous_agent:subtract,agent_user_account", "on")
    settings = Settings.from_env(environ)
    assert settings.refused_callers.refuses("autonomous_agent", "subtract")
    assert not settings.refused_callers.refuses("autonomous_agent", "add")
    assert settings.refused_callers.refuses("agent_user_account", "add")
    assert TelemetrySettings.from_env(environ).record_user_id is True


def test_the_template_leaves_the_choices_at_the_codes_defaults(bicep_trees: dict[str, Any]) -> None:
    main = bicep_trees["infra/main.bicep"]["parameters"]
    assert (main["refusedCallers"]["default"], main["recordUserId"]["default"], main["toolsListed"]["default"]) == ("", False, "callable")
    environ = template_environment(bicep_trees, allowed_tenants="", front=False)
    assert (environ["MCP_TOOLS_LISTED"], Settings.from_env(environ).tools_listed) == ("callable", "callable")  # least disclosure
    assert "MCP_REFUSED_CALLERS" not in environ and "MCP_TELEMETRY_RECORD_USER_ID" not in environ  # empty: not set
