"""Minting without HTTP, for tests of resource servers: same shapes, same key, same JWKS."""

from __future__ import annotations

import pytest

from devidp import DevIdentityProvider, SigningKey, defaults
from tests.devidp.flows import verified_claims

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_entra_shaped_tokens_for_a_given_tenant_issuer_and_key() -> None:
    key = SigningKey(kid="entra-key-1")
    idp = DevIdentityProvider(
        tenant_id=TENANT,
        api_client_id="api-client",
        issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0",
        key=key,
    )
    with idp:
        user = verified_claims(idp, idp.mint_user_token(["calculator.add"], lifetime=60))
        app = verified_claims(idp, idp.mint_app_token(["calculator.subtract"], version=1))

    assert (user["iss"], user["aud"], user["tid"], user["scp"], user["exp"] - user["iat"]) == (
        f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "api-client",
        TENANT,
        "calculator.add",
        60,
    )
    assert (app["iss"], app["aud"], app["roles"], app["idtyp"]) == (
        f"https://sts.windows.net/{TENANT}/",
        "api://api-client",
        ["calculator.subtract"],
        "app",
    )


def test_extra_claims_override(idp: DevIdentityProvider) -> None:
    claims = verified_claims(idp, idp.mint_user_token(extra_claims={"aud": "someone-else", "xms_cc": ["cp1"]}))

    assert (claims["aud"], claims["xms_cc"]) == ("someone-else", ["cp1"])


def test_user_may_be_named(idp: DevIdentityProvider) -> None:
    claims = verified_claims(idp, idp.mint_user_token(user="second.user@contoso.test"))

    assert claims["preferred_username"] == "second.user@contoso.test"


def test_unknown_client_is_a_key_error(idp: DevIdentityProvider) -> None:
    with pytest.raises(KeyError, match="no client registration 'ghost'"):
        idp.mint_app_token(client_id="ghost")


def test_scope_helper_builds_full_scope_strings(idp: DevIdentityProvider) -> None:
    assert idp.scope("calculator.add") == f"api://{defaults.DEV_API_CLIENT_ID}/calculator.add"
