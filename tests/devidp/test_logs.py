"""The provider never writes a token or a secret to the log, even at DEBUG."""

from __future__ import annotations

import logging

import pytest

from devidp import DevIdentityProvider, defaults
from tests.devidp.flows import client_credentials, login, refresh


def test_debug_logs_hold_no_token_or_secret(idp: DevIdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="authlib.oauth2.rfc6749.grants"):
        user = login(idp, f"{idp.scope('calculator.add')} offline_access")
        rotated = refresh(idp, user["refresh_token"]).json()
        app = client_credentials(idp, idp.scope(".default")).json()

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Issue token {" in text  # authlib's line is still there, redacted
    assert "'access_token': '<redacted>'" in text
    for secret in (user["access_token"], user["refresh_token"], rotated["access_token"], rotated["refresh_token"],
                   app["access_token"], defaults.DEV_APP_CLIENT_SECRET):
        assert secret not in text
    assert "eyJ" not in text
