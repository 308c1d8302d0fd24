"""Entra's wider world in the pure core: a multi-tenant allow-list, External ID (CIAM), the national
clouds and several App ID URIs. Every issuer shape, accepted and refused, against an injected `now`."""

from __future__ import annotations

from typing import Any

import pytest

from auth import ConfigError, InvalidToken, Settings
from auth.claims import validate_claims
from auth.settings import CONSUMERS_TENANT_ID, TrustedIssuer
from tests.support import APP_ID_URI, CLIENT_ID, DROP, OTHER_TENANT_ID, TENANT_ID, V1_CLIENT, user_claims

NOW = 1_800_000_000
UNLISTED_TENANT_ID = "5a1c3e7f-9b2d-4c6e-8f0a-1b3d5f7a9c2e"
ORGANIZATIONS = "https://login.microsoftonline.com/organizations/v2.0"
COMMON_KEYS = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
MCP_URL = "https://calc.contoso.com/mcp"


def settings(**env: str) -> Settings:
    return Settings.from_env({"OAUTH_AUDIENCE": CLIENT_ID, "OAUTH_JWKS_URI": COMMON_KEYS, **env})


MULTI = settings(OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS=f"{TENANT_ID}, {OTHER_TENANT_ID.upper()}")
ANY = settings(OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS="*")
CIAM_ISSUER = f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0"
CIAM = settings(OAUTH_ISSUER=CIAM_ISSUER, OAUTH_JWKS_URI=f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/discovery/v2.0/keys")
US_GOV = settings(OAUTH_ISSUER=f"https://login.microsoftonline.us/{TENANT_ID}/v2.0")
CHINA = settings(OAUTH_ISSUER=f"https://login.partner.microsoftonline.cn/{TENANT_ID}/v2.0")
PUBLIC = settings(OAUTH_ISSUER=f"https://login.microsoftonline.com/{TENANT_ID}/v2.0")


def v2(tenant: str, host: str = "login.microsoftonline.com") -> str:
    return f"https://{host}/{tenant}/v2.0"


def v1(tenant: str, host: str = "sts.windows.net") -> str:
    return f"https://{host}/{tenant}/"


def claims_of(tenant: str, **overrides: Any) -> dict[str, Any]:
    return user_claims(**{"iss": v2(tenant), "tid": tenant, "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 3600, **overrides})


def reason_of(claims: dict[str, Any], config: Settings) -> str:
    with pytest.raises(InvalidToken) as caught:
        validate_claims(claims, config, now=NOW)
    return caught.value.reason


# -- settings -------------------------------------------------------------------------------------


def test_multi_tenant_settings_keep_the_list_and_the_authority():
    assert MULTI.is_multi_tenant and MULTI.is_entra
    assert (MULTI.tenant_id, MULTI.authority, MULTI.v1_issuer_base) == (None, "https://login.microsoftonline.com", "https://sts.windows.net")
    assert MULTI.allowed_tenants == frozenset({TENANT_ID, OTHER_TENANT_ID})
    assert MULTI.any_tenant is False
    assert MULTI.trusted_issuers == ()  # per token: see issuers_for_tenant
    assert MULTI.issuers_for_tenant(OTHER_TENANT_ID) == (
        TrustedIssuer(v2(OTHER_TENANT_ID), frozenset({CLIENT_ID})),
        TrustedIssuer(v1(OTHER_TENANT_ID), frozenset({CLIENT_ID, APP_ID_URI})),
    )
    assert MULTI.scope_string("calculator.add") == f"{APP_ID_URI}/calculator.add"
    assert MULTI.metadata_url == f"{ORGANIZATIONS}/.well-known/openid-configuration"


@pytest.mark.parametrize(
    ("issuer", "authority", "v1_base"),
    [
        ("https://login.microsoftonline.com/common/v2.0", "https://login.microsoftonline.com", "https://sts.windows.net"),
        ("https://login.microsoftonline.us/organizations/v2.0", "https://login.microsoftonline.us", "https://sts.windows.net"),
        ("https://login.chinacloudapi.cn/organizations/v2.0", "https://login.chinacloudapi.cn", "https://sts.chinacloudapi.cn"),
        ("https://login.partner.microsoftonline.cn/organizations/v2.0", "https://login.partner.microsoftonline.cn", "https://sts.chinacloudapi.cn"),
        ("http://127.0.0.1:8001/organizations/v2.0", "http://127.0.0.1:8001", "https://sts.windows.net"),
    ],
)
def test_each_clouds_multi_tenant_authority_is_accepted(issuer: str, authority: str, v1_base: str):
    config = settings(OAUTH_ISSUER=issuer, OAUTH_ALLOWED_TENANTS=TENANT_ID)

    assert (config.authority, config.v1_issuer_base) == (authority, v1_base)


@pytest.mark.parametrize(
    ("issuer", "tenant", "authority", "v1_base"),
    [
        (v2(TENANT_ID), TENANT_ID, "https://login.microsoftonline.com", "https://sts.windows.net"),
        (v1(TENANT_ID), TENANT_ID, "https://login.microsoftonline.com", "https://sts.windows.net"),
        (v2(TENANT_ID, "login.microsoftonline.us"), TENANT_ID, "https://login.microsoftonline.us", "https://sts.windows.net"),
        (v2(TENANT_ID, "login.chinacloudapi.cn"), TENANT_ID, "https://login.chinacloudapi.cn", "https://sts.chinacloudapi.cn"),
        (v1(TENANT_ID, "sts.chinacloudapi.cn"), TENANT_ID, "https://login.chinacloudapi.cn", "https://sts.chinacloudapi.cn"),
        (CIAM_ISSUER, TENANT_ID, f"https://{TENANT_ID}.ciamlogin.com", None),
        (f"https://contoso.ciamlogin.com/{TENANT_ID}/v2.0", TENANT_ID, "https://contoso.ciamlogin.com", None),
        ("https://login.example.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", None, None, None),  # not Entra: exact
    ],
)
def test_single_tenant_issuers_of_each_family(issuer: str, tenant: str | None, authority: str | None, v1_base: str | None):
    config = settings(OAUTH_ISSUER=issuer)

    assert (config.tenant_id, config.authority, config.v1_issuer_base, config.is_multi_tenant) == (tenant, authority, v1_base, False)


def test_ciam_trusts_only_its_own_v2_issuer():
    assert CIAM.trusted_issuers == (TrustedIssuer(CIAM_ISSUER, frozenset({CLIENT_ID})),)
    assert CIAM.metadata_url == f"{CIAM_ISSUER}/.well-known/openid-configuration"


def test_several_app_id_uris_are_all_v1_audiences_and_the_first_names_the_scopes():
    config = settings(OAUTH_ISSUER=v2(TENANT_ID), OAUTH_APP_ID_URI=f"{MCP_URL}, {APP_ID_URI}, {MCP_URL}")

    assert config.app_id_uris == (MCP_URL, APP_ID_URI)
    assert config.trusted_issuers[1] == TrustedIssuer(v1(TENANT_ID), frozenset({CLIENT_ID, MCP_URL, APP_ID_URI}))
    assert config.scope_string("calculator.add") == f"{MCP_URL}/calculator.add"


def test_wildcard_is_any_tenant_but_consumers():
    assert (ANY.any_tenant, ANY.allowed_tenants) == (True, frozenset())
    assert ANY.tenant_allowed(UNLISTED_TENANT_ID) is True
    assert ANY.tenant_allowed(CONSUMERS_TENANT_ID) is False
    listed = settings(OAUTH_ISSUER="https://login.microsoftonline.com/common/v2.0", OAUTH_ALLOWED_TENANTS=f"*,{CONSUMERS_TENANT_ID}")
    assert listed.tenant_allowed(CONSUMERS_TENANT_ID) is True


@pytest.mark.parametrize(
    ("env", "problems"),
    [
        (
            {"OAUTH_ISSUER": ORGANIZATIONS, "OAUTH_ALLOWED_TENANTS": f"{TENANT_ID}, contoso.onmicrosoft.com, {TENANT_ID[:-1]}, **"},
            [
                "OAUTH_ALLOWED_TENANTS entry 'contoso.onmicrosoft.com' must be a tenant id (a GUID) or *",
                f"OAUTH_ALLOWED_TENANTS entry '{TENANT_ID[:-1]}' must be a tenant id (a GUID) or *",
                "OAUTH_ALLOWED_TENANTS entry '**' must be a tenant id (a GUID) or *",
            ],
        ),
        ({"OAUTH_ISSUER": ORGANIZATIONS, "OAUTH_ALLOWED_TENANTS": " , "}, ["OAUTH_ALLOWED_TENANTS must list tenant ids or *"]),
        *[
            (
                {"OAUTH_ISSUER": issuer, "OAUTH_ALLOWED_TENANTS": TENANT_ID},
                ["OAUTH_ALLOWED_TENANTS needs OAUTH_ISSUER to be a multi-tenant authority such as https://login.microsoftonline.com/organizations/v2.0"],
            )
            for issuer in (
                v2(TENANT_ID),  # a single tenant's issuer with an allow-list: say which one is meant
                "https://login.microsoftonline.com/consumers/v2.0",
                "https://login.microsoftonline.com/organizations/v2.0/",
                "https://login.microsoftonline.com/organizations",
                f"https://{TENANT_ID}.ciamlogin.com/organizations/v2.0",  # External ID is single-tenant
                "https://evil.example/organizations/v2.0",
                "https://login.microsoftonline.com:8443/organizations/v2.0",
            )
        ],
        # Without an allow-list, every cloud's multi-tenant authority is refused exactly as before.
        *[
            ({"OAUTH_ISSUER": issuer}, ["OAUTH_ISSUER must name your tenant id, not common/organizations/consumers"])
            for issuer in (ORGANIZATIONS, "https://login.microsoftonline.us/common/v2.0", "https://login.chinacloudapi.cn/organizations/v2.0")
        ],
        ({"OAUTH_ISSUER": v2(TENANT_ID), "OAUTH_APP_ID_URI": f"{APP_ID_URI}, not a uri"}, ["OAUTH_APP_ID_URI must be a URI such as api://<client id>"]),
        ({"OAUTH_ISSUER": v2(TENANT_ID), "OAUTH_APP_ID_URI": " , "}, ["OAUTH_APP_ID_URI must be a URI such as api://<client id>"]),
    ],
)
def test_bad_multi_tenant_settings_are_each_named(env: dict[str, str], problems: list[str]):
    with pytest.raises(ConfigError) as caught:
        settings(**env)

    assert caught.value.problems == problems


# -- the multi-tenant issuer check, per token ----------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(claims_of(TENANT_ID), id="v2-listed-tenant"),
        pytest.param(claims_of(OTHER_TENANT_ID), id="v2-second-listed-tenant"),
        pytest.param(claims_of(TENANT_ID, iss=v1(TENANT_ID), aud=APP_ID_URI, ver="1.0", **V1_CLIENT), id="v1-app-id-uri"),
        pytest.param(claims_of(OTHER_TENANT_ID, iss=v1(OTHER_TENANT_ID), aud=CLIENT_ID, ver="1.0", **V1_CLIENT), id="v1-client-id"),
    ],
)
def test_tokens_from_listed_tenants_are_accepted(claims: dict[str, Any]):
    assert validate_claims(claims, MULTI, now=NOW) is None


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param(claims_of(UNLISTED_TENANT_ID), "tenant_not_allowed", id="tenant-not-on-the-list"),
        pytest.param(claims_of(UNLISTED_TENANT_ID, iss=v1(UNLISTED_TENANT_ID), ver="1.0", **V1_CLIENT), "tenant_not_allowed", id="v1-tenant-not-on-the-list"),
        pytest.param(claims_of(CONSUMERS_TENANT_ID), "tenant_not_allowed", id="consumers"),
        pytest.param(claims_of(TENANT_ID, tid=UNLISTED_TENANT_ID), "bad_issuer", id="listed-iss-unlisted-tid"),
        pytest.param(claims_of(UNLISTED_TENANT_ID, tid=TENANT_ID), "bad_issuer", id="unlisted-iss-listed-tid"),
        pytest.param(claims_of(TENANT_ID, tid=OTHER_TENANT_ID), "bad_issuer", id="two-listed-tenants-disagree"),
        pytest.param(claims_of(TENANT_ID, tid=TENANT_ID.upper(), iss=v2(TENANT_ID.upper())), "bad_issuer", id="tid-not-a-lower-case-guid"),
        pytest.param(claims_of(TENANT_ID, tid=DROP), "bad_issuer", id="no-tid"),
        pytest.param(claims_of(TENANT_ID, tid=[TENANT_ID]), "bad_issuer", id="tid-not-a-string"),
        pytest.param(claims_of(TENANT_ID, iss="https://login.microsoftonline.com/{tenantid}/v2.0"), "bad_issuer", id="templated-issuer"),
        pytest.param(claims_of(TENANT_ID, iss=ORGANIZATIONS), "bad_issuer", id="organizations-as-issuer"),
        pytest.param(claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.microsoftonline.us")), "bad_issuer", id="us-gov-token-at-a-global-app"),
        pytest.param(claims_of(TENANT_ID, iss=v1(TENANT_ID, "sts.chinacloudapi.cn"), ver="1.0", **V1_CLIENT), "bad_issuer", id="china-v1-token-at-a-global-app"),
        pytest.param(claims_of(TENANT_ID, iss=f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0"), "bad_issuer", id="ciam-token"),
        pytest.param(claims_of(TENANT_ID, aud=APP_ID_URI), "bad_audience", id="v2-with-app-id-uri"),
        pytest.param(claims_of(TENANT_ID, iss=v1(TENANT_ID), aud="api://someone-else", ver="1.0", **V1_CLIENT), "bad_audience", id="v1-foreign-aud"),
    ],
)
def test_multi_tenant_refusals(claims: dict[str, Any], reason: str):
    assert reason_of(claims, MULTI) == reason


def test_any_tenant_accepts_an_unlisted_tenant_but_still_checks_the_issuer_and_refuses_consumers():
    assert validate_claims(claims_of(UNLISTED_TENANT_ID), ANY, now=NOW) is None
    assert reason_of(claims_of(UNLISTED_TENANT_ID, tid=TENANT_ID), ANY) == "bad_issuer"
    assert reason_of(claims_of(CONSUMERS_TENANT_ID), ANY) == "tenant_not_allowed"


def test_the_consumers_tenant_is_accepted_when_listed_explicitly():
    config = settings(OAUTH_ISSUER="https://login.microsoftonline.com/common/v2.0", OAUTH_ALLOWED_TENANTS=CONSUMERS_TENANT_ID)

    assert validate_claims(claims_of(CONSUMERS_TENANT_ID), config, now=NOW) is None
    assert reason_of(claims_of(TENANT_ID), config) == "tenant_not_allowed"


# -- External ID and the national clouds, single-tenant -------------------------------------------


@pytest.mark.parametrize(
    ("config", "claims"),
    [
        pytest.param(CIAM, claims_of(TENANT_ID, iss=CIAM_ISSUER), id="ciam-v2"),
        pytest.param(US_GOV, claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.microsoftonline.us")), id="us-gov-v2"),
        pytest.param(US_GOV, claims_of(TENANT_ID, iss=v1(TENANT_ID), aud=APP_ID_URI, ver="1.0", **V1_CLIENT), id="us-gov-v1"),
        pytest.param(CHINA, claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.partner.microsoftonline.cn")), id="china-v2"),
        pytest.param(CHINA, claims_of(TENANT_ID, iss=v1(TENANT_ID, "sts.chinacloudapi.cn"), aud=APP_ID_URI, ver="1.0", **V1_CLIENT), id="china-v1"),
        pytest.param(CIAM, claims_of(TENANT_ID, iss=CIAM_ISSUER, scp=DROP, roles=["calculator.add"]), id="ciam-app-roles"),
    ],
)
def test_each_cloud_accepts_its_own_tokens(config: Settings, claims: dict[str, Any]):
    assert validate_claims(claims, config, now=NOW) is None


@pytest.mark.parametrize(
    ("config", "claims", "reason"),
    [
        pytest.param(PUBLIC, claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.microsoftonline.us")), "bad_issuer", id="us-gov-token-at-global"),
        pytest.param(PUBLIC, claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.partner.microsoftonline.cn")), "bad_issuer", id="china-token-at-global"),
        pytest.param(PUBLIC, claims_of(TENANT_ID, iss=CIAM_ISSUER), "bad_issuer", id="ciam-token-at-global"),
        pytest.param(US_GOV, claims_of(TENANT_ID), "bad_issuer", id="global-token-at-us-gov"),
        pytest.param(CHINA, claims_of(TENANT_ID), "bad_issuer", id="global-token-at-china"),
        pytest.param(CHINA, claims_of(TENANT_ID, iss=v1(TENANT_ID), ver="1.0", **V1_CLIENT), "bad_issuer", id="global-v1-token-at-china"),
        pytest.param(CHINA, claims_of(TENANT_ID, iss=v2(TENANT_ID, "login.chinacloudapi.cn")), "bad_issuer", id="china-other-authority-host"),
        pytest.param(CIAM, claims_of(TENANT_ID), "bad_issuer", id="global-token-at-ciam"),
        pytest.param(CIAM, claims_of(TENANT_ID, iss=v1(TENANT_ID), aud=APP_ID_URI, ver="1.0", **V1_CLIENT), "bad_issuer", id="v1-token-at-ciam"),
        pytest.param(CIAM, claims_of(TENANT_ID, iss=f"https://{OTHER_TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0"), "bad_issuer", id="ciam-other-host"),
        pytest.param(CIAM, claims_of(TENANT_ID, iss=CIAM_ISSUER, tid=OTHER_TENANT_ID), "tenant_mismatch", id="ciam-tid-disagrees"),
        pytest.param(US_GOV, claims_of(TENANT_ID, iss=v1(TENANT_ID), tid=OTHER_TENANT_ID, ver="1.0", **V1_CLIENT), "tenant_mismatch", id="us-gov-v1-other-tid"),
        pytest.param(CIAM, claims_of(TENANT_ID, iss=CIAM_ISSUER, scp=DROP), "not_an_access_token", id="ciam-id-token"),
    ],
)
def test_a_token_from_another_cloud_or_family_is_refused(config: Settings, claims: dict[str, Any], reason: str):
    assert reason_of(claims, config) == reason


@pytest.mark.parametrize("audience", [MCP_URL, APP_ID_URI, CLIENT_ID])
def test_a_v1_token_may_name_any_identifier_uri(audience: str):
    config = settings(OAUTH_ISSUER=ORGANIZATIONS, OAUTH_ALLOWED_TENANTS=TENANT_ID, OAUTH_APP_ID_URI=f"{MCP_URL},{APP_ID_URI}")

    assert validate_claims(claims_of(TENANT_ID, iss=v1(TENANT_ID), aud=audience, ver="1.0", **V1_CLIENT), config, now=NOW) is None
    assert reason_of(claims_of(TENANT_ID, iss=v1(TENANT_ID), aud=MCP_URL + "/", ver="1.0", **V1_CLIENT), config) == "bad_audience"
