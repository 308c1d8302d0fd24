"""The start-up notices: exact text, exact level, and nothing when there is nothing to say."""

from __future__ import annotations

import logging
import subprocess
import sys

from auth import Settings
from auth.startup import startup_notices
from tests.support import CLIENT_ID, ISSUER_V2, OTHER_TENANT_ID, REPO, TENANT_ID

BASE = {"OAUTH_AUDIENCE": CLIENT_ID, "OAUTH_JWKS_URI": "https://login.microsoftonline.com/common/discovery/v2.0/keys"}
ORGANIZATIONS = "https://login.microsoftonline.com/organizations/v2.0"
MCP_URL = "https://calc.contoso.com/mcp"
ANY_TENANT_WARNING = (
    "OAUTH_ALLOWED_TENANTS is *: tokens from ANY Entra tenant are accepted. Anyone can create a tenant and consent "
    "to a multi-tenant app, so this trusts strangers; list your customers' tenant ids instead (personal Microsoft "
    "accounts, tenant 9188040d-6c67-4c5b-b112-36a304b66dad, stay refused unless listed)."
)


def notices(**env: str) -> list[tuple[int, str]]:
    return startup_notices(Settings.from_env({**BASE, **env}))


def test_single_tenant_defaults_say_nothing():
    assert notices(OAUTH_ISSUER=ISSUER_V2) == []
    assert notices(OAUTH_ISSUER=ISSUER_V2, MCP_PUBLIC_URL=MCP_URL) == []  # api:// App ID URI: nothing to compare


def test_any_tenant_is_a_loud_warning():
    assert notices(OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS="*") == [(logging.WARNING, ANY_TENANT_WARNING)]


def test_a_list_is_named_at_info():
    assert notices(OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS=f"{OTHER_TENANT_ID},{TENANT_ID}") == [
        (logging.INFO, f"multi-tenant: tokens are accepted from the listed tenants {OTHER_TENANT_ID}, {TENANT_ID}")
    ]


def test_an_app_id_uri_equal_to_the_mcp_url_is_confirmed():
    assert notices(OAUTH_ISSUER=ISSUER_V2, OAUTH_APP_ID_URI=f"api://{CLIENT_ID},{MCP_URL}", MCP_PUBLIC_URL=MCP_URL) == [
        (logging.INFO, f"MCP_PUBLIC_URL {MCP_URL} is an App ID URI byte for byte: clients that send RFC 8707 resource can sign in with Entra")
    ]


def test_a_trailing_slash_or_another_path_is_a_warning():
    for app_id_uri in (MCP_URL + "/", "https://calc.contoso.com", "https://Calc.contoso.com/mcp"):
        assert notices(OAUTH_ISSUER=ISSUER_V2, OAUTH_APP_ID_URI=app_id_uri, MCP_PUBLIC_URL=MCP_URL) == [
            (
                logging.WARNING,
                f"MCP_PUBLIC_URL {MCP_URL} equals none of the https App ID URIs ({app_id_uri}) byte for byte: Entra "
                "will refuse clients that send it as RFC 8707 resource (AADSTS9010010); a trailing slash or another "
                "path is enough",
            )
        ]


def test_function_app_logs_the_warning_at_import():
    env = {"PATH": "/usr/bin:/bin", **BASE, "OAUTH_ISSUER": ORGANIZATIONS, "OAUTH_ALLOWED_TENANTS": "*",
           "OAUTH_JWKS_URI": "http://127.0.0.1:9/keys"}

    result = subprocess.run(
        [sys.executable, "-c", "import function_app"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    # No logging configured: Python's last-resort handler prints WARNING and above, message only.
    assert result.stderr.splitlines()[0] == ANY_TENANT_WARNING


def test_keys_on_another_host_than_the_issuers_are_a_warning():
    ciam = "https://contoso.ciamlogin.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"

    assert notices(OAUTH_ISSUER=ciam) == [
        (
            logging.WARNING,
            "OAUTH_JWKS_URI is on login.microsoftonline.com, but the issuer's keys are published on "
            "contoso.ciamlogin.com: tokens will fail their signature check unless the keys really are there",
        )
    ]
    assert notices(OAUTH_ISSUER=ciam, OAUTH_JWKS_URI="https://contoso.ciamlogin.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys") == []
    assert notices(OAUTH_ISSUER=ISSUER_V2, OAUTH_JWKS_URI="http://127.0.0.1:8001/keys") == []  # tests and devidp


def test_the_refused_caller_kinds_are_named_at_info():
    refusing = "autonomous_agent:subtract, agent_user_account, agent_user_account:add, app:add"

    assert notices(OAUTH_ISSUER=ISSUER_V2, MCP_REFUSED_CALLERS=refusing) == [
        (logging.INFO, "MCP_REFUSED_CALLERS: refused agent_user_account every tool, app add, autonomous_agent subtract")
    ]
