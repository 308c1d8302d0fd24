from __future__ import annotations

import subprocess
import sys

import pytest

from auth import ConfigError, Settings
from auth.settings import TrustedIssuer
from tests.support import APP_ID_URI, CLIENT_ID, ISSUER_V1, ISSUER_V2, REPO, TENANT_ID

JWKS = f"https://login.microsoftonline.com/{TENANT_ID}/discovery/v2.0/keys"
ENTRA = {"OAUTH_ISSUER": ISSUER_V2, "OAUTH_AUDIENCE": CLIENT_ID, "OAUTH_JWKS_URI": JWKS}
OKTA_ISSUER = "https://contoso.okta.com/oauth2/aus1a2b3c4d5e6f7g8h9"
OKTA = {"OAUTH_ISSUER": OKTA_ISSUER, "OAUTH_AUDIENCE": "api://mcp-calculator", "OAUTH_JWKS_URI": OKTA_ISSUER + "/v1/keys"}


def test_entra_issuer_derives_tenant_app_id_uri_scope_prefix_and_metadata_url():
    settings = Settings.from_env(ENTRA)

    assert settings.tenant_id == TENANT_ID
    assert settings.app_id_uri == APP_ID_URI
    assert settings.scope_string("calculator.add") == f"{APP_ID_URI}/calculator.add"
    assert settings.metadata_url == f"{ISSUER_V2}/.well-known/openid-configuration"
    assert settings.allowed_origins == frozenset()
    assert settings.public_url is None


def test_entra_trusts_v2_with_client_id_and_v1_with_app_id_uri_or_client_id():
    assert Settings.from_env(ENTRA).trusted_issuers == (
        TrustedIssuer(ISSUER_V2, frozenset({CLIENT_ID})),
        TrustedIssuer(ISSUER_V1, frozenset({CLIENT_ID, APP_ID_URI})),
    )


def test_custom_app_id_uri_replaces_the_default_for_v1_audience_and_scopes():
    settings = Settings.from_env({**ENTRA, "OAUTH_APP_ID_URI": "https://calc.contoso.com"})

    assert settings.trusted_issuers[1].audiences == frozenset({CLIENT_ID, "https://calc.contoso.com"})
    assert settings.scope_string("calculator.subtract") == "https://calc.contoso.com/calculator.subtract"


def test_other_issuers_match_exactly_with_bare_scopes():
    settings = Settings.from_env(OKTA)

    assert settings.tenant_id is None
    assert settings.trusted_issuers == (TrustedIssuer(OKTA_ISSUER, frozenset({"api://mcp-calculator"})),)
    assert settings.scope_string("calculator.add") == "calculator.add"
    assert settings.metadata_url == f"{OKTA_ISSUER}/.well-known/oauth-authorization-server"


def test_optional_settings_are_read_and_normalised():
    settings = Settings.from_env(
        {
            **ENTRA,
            "MCP_PUBLIC_URL": "https://calc-mcp.azurewebsites.net/mcp/",
            "MCP_ALLOWED_ORIGINS": "https://App.Contoso.com, http://localhost:6274",
            "OAUTH_SCOPE_PREFIX": "api://calc/",
        }
    )

    assert settings.public_url == "https://calc-mcp.azurewebsites.net/mcp"
    assert settings.allowed_origins == frozenset({"https://app.contoso.com", "http://localhost:6274"})
    assert settings.scope_string("calculator.add") == "api://calc/calculator.add"


def test_plain_http_is_allowed_only_for_loopback():
    loopback = Settings.from_env({**OKTA, "OAUTH_ISSUER": "http://127.0.0.1:8001/t/v2.0", "OAUTH_JWKS_URI": "http://localhost:8001/keys"})
    assert loopback.jwks_uri == "http://localhost:8001/keys"

    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**OKTA, "OAUTH_JWKS_URI": "http://keys.contoso.com/keys"})
    assert caught.value.problems == ["OAUTH_JWKS_URI must be an https:// URL (plain http only for localhost)"]


def test_every_bad_setting_is_named_in_one_error():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "OAUTH_ISSUER": "https://login.microsoftonline.com/common/v2.0",
                "OAUTH_JWKS_URI": "ftp://keys",
                "OAUTH_APP_ID_URI": "not a uri",
                "MCP_PUBLIC_URL": "calc.azurewebsites.net/mcp",
                "MCP_ALLOWED_ORIGINS": "https://ok.example, https://bad.example/path",
            }
        )

    assert caught.value.problems == [
        "OAUTH_AUDIENCE is required",
        "OAUTH_ISSUER must name your tenant id, not common/organizations/consumers",
        "OAUTH_JWKS_URI must be an https:// URL (plain http only for localhost)",
        "OAUTH_APP_ID_URI must be a URI such as api://<client id>",
        "MCP_PUBLIC_URL must be an https:// URL (plain http only for localhost)",
        "MCP_ALLOWED_ORIGINS entry 'https://bad.example/path' must look like https://host[:port]",
    ]
    assert str(caught.value).startswith("invalid configuration: OAUTH_AUDIENCE is required; ")


def test_values_that_cannot_sit_in_a_challenge_are_refused():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**ENTRA, "OAUTH_AUDIENCE": 'a"b', "OAUTH_SCOPE_PREFIX": "api://x y/"})

    assert caught.value.problems == [
        "OAUTH_AUDIENCE must not contain spaces or control characters",
        "OAUTH_SCOPE_PREFIX must not contain spaces",
    ]


@pytest.mark.parametrize(
    "public_url",
    ['https://mcp.example/mcp",error="x', "https://mcp.example/m\\cp", "https://mcp.example/m cp",
     "https://mcp.example/m\x7fcp", "https://mcp.example/mcp\u00e9"],
    ids=["double-quote", "backslash", "space", "delete", "non-ascii"],
)
def test_a_public_url_that_would_break_the_quoted_challenge_is_refused(public_url: str):
    # RFC 9110 §5.6.4: a quoted-string ends at the first '"'; '\\' starts a quoted-pair. The URL goes
    # into every 401's resource_metadata="…" (RFC 9728 §5.1), so it must be printable ASCII without them.
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**ENTRA, "MCP_PUBLIC_URL": public_url})

    assert caught.value.problems == [
        "MCP_PUBLIC_URL must not contain spaces, quotes, backslashes or control characters"
    ]


def test_the_app_refuses_to_start_with_one_message_and_no_stack_trace():
    env = {"PATH": "/usr/bin:/bin", "OAUTH_ISSUER": "https://issuer.example", "OAUTH_JWKS_URI": "http://keys.example/keys"}

    result = subprocess.run(
        [sys.executable, "-c", "import function_app"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "invalid configuration: OAUTH_AUDIENCE is required; "
        "OAUTH_JWKS_URI must be an https:// URL (plain http only for localhost)\n"
    )
