"""What the operator should hear about the configuration at start-up: pure notices, logged once.

The settings are valid (Settings.from_env refused anything else); these are
choices worth a line in the log, loud where they weaken the tenant boundary.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from .settings import CONSUMERS_TENANT_ID, Settings, is_loopback_host

__all__ = ["log_startup_notices", "startup_notices"]

log = logging.getLogger("auth.startup")


def startup_notices(settings: Settings) -> list[tuple[int, str]]:
    """(logging level, message) pairs, in the order they should be logged."""
    notices: list[tuple[int, str]] = []
    if settings.any_tenant:
        notices.append((
            logging.WARNING,
            "OAUTH_ALLOWED_TENANTS is *: tokens from ANY Entra tenant are accepted. Anyone can create a tenant "
            "and consent to a multi-tenant app, so this trusts strangers; list your customers' tenant ids "
            f"instead (personal Microsoft accounts, tenant {CONSUMERS_TENANT_ID}, stay refused unless listed).",
        ))
    if settings.allowed_tenants:
        listed = ", ".join(sorted(settings.allowed_tenants))
        notices.append((logging.INFO, f"multi-tenant: tokens are accepted from the listed tenants {listed}"))
    keys_host, authority_host = urlsplit(settings.jwks_uri).hostname, urlsplit(settings.authority or "").hostname
    if authority_host and keys_host != authority_host and not is_loopback_host(keys_host):
        # Entra publishes a tenant's keys under its own authority host: {authority}/{tid or common}/discovery/
        # v2.0/keys; External ID under {tenant}.ciamlogin.com, never login.microsoftonline.com.
        notices.append((
            logging.WARNING,
            f"OAUTH_JWKS_URI is on {keys_host}, but the issuer's keys are published on {authority_host}: "
            "tokens will fail their signature check unless the keys really are there",
        ))
    https_ids = [uri for uri in settings.app_id_uris if uri.startswith("https://")]
    if settings.public_url and https_ids:
        # RFC 8707 clients send `resource` = the MCP URL (RFC 9728 `resource`); Entra accepts it only when
        # it is an identifier URI of the API, compared as a string (AADSTS9010010 otherwise).
        if settings.public_url in https_ids:
            notices.append((
                logging.INFO,
                f"MCP_PUBLIC_URL {settings.public_url} is an App ID URI byte for byte: clients that send "
                "RFC 8707 resource can sign in with Entra",
            ))
        else:
            notices.append((
                logging.WARNING,
                f"MCP_PUBLIC_URL {settings.public_url} equals none of the https App ID URIs "
                f"({', '.join(https_ids)}) byte for byte: Entra will refuse clients that send it as RFC 8707 "
                "resource (AADSTS9010010); a trailing slash or another path is enough",
            ))
    refusals = settings.refused_callers
    if refusals:
        refused = [f"{kind} every tool" for kind in sorted(refusals.everywhere)]
        refused += [f"{kind} {tool}" for kind, tool in sorted(refusals.per_tool) if kind not in refusals.everywhere]
        notices.append((logging.INFO, f"MCP_REFUSED_CALLERS: refused {', '.join(refused)}"))
    return notices


def log_startup_notices(settings: Settings) -> None:
    for level, message in startup_notices(settings):
        log.log(level, message)
