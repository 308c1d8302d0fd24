"""build_asgi_app's clock: token lifetimes are judged by the clock the app is given, not by time.time()."""

from __future__ import annotations

import azure.functions as func

from auth import JwksCache, Settings
from edge import build_asgi_app
from tests.support import FunctionHost, JwksServer, SigningKey, body_json, entra_env, list_tools, mint, user_claims

from .test_http_answers import EXPIRED_CHALLENGE, challenge

ISSUED = 1_000_000_000  # 2001-09-09: by the machine's clock, a token from then expired long ago


def test_token_lifetimes_are_judged_by_the_clock_the_app_is_given(jwks_server: JwksServer, signing_key: SigningKey):
    now = [ISSUED + 30.0]
    settings = Settings.from_env(entra_env(jwks_server.url))
    app = build_asgi_app(settings, JwksCache(settings.jwks_uri), clock=lambda: now[0])
    host = FunctionHost(func.AsgiFunctionApp(app=app, http_auth_level=func.AuthLevel.ANONYMOUS))
    token = mint(signing_key, user_claims(iat=ISSUED, nbf=ISSUED, exp=ISSUED + 3600))
    try:
        valid = host.mcp(token, list_tools())
        now[0] = ISSUED + 3600 + 61  # past exp and the 60 s leeway
        expired = host.mcp(token, list_tools())  # now a hit in the verified-token cache: the same clock rules
    finally:
        host.close()

    assert valid.status_code == 200
    assert [tool["name"] for tool in body_json(valid)["result"]["tools"]] == ["add", "subtract", "get_me"]
    assert expired.status_code == 401
    assert challenge(expired) == EXPIRED_CHALLENGE
    assert body_json(expired) == {"error": "invalid_token", "error_description": "The access token expired"}
