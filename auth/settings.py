"""Configuration, read once from the environment into a frozen object.

`Settings.from_env(environ)` checks every variable before it fails, so one
`ConfigError` names every bad setting at once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ConfigError", "Settings", "TrustedIssuer", "is_loopback_host"]

# Entra's issuers for one tenant (Microsoft identity platform, "Access tokens: Token
# formats / iss claim"): v2.0 tokens name the tenant under login.microsoftonline.com,
# v1.0 tokens under sts.windows.net.
_ENTRA_V2_ISSUER = re.compile(r"^https://login\.microsoftonline\.com/(?P<tid>[0-9a-fA-F-]{36})/v2\.0$")
_ENTRA_V1_ISSUER = re.compile(r"^https://sts\.windows\.net/(?P<tid>[0-9a-fA-F-]{36})/$")
_ENTRA_MULTI_TENANT = re.compile(r"^https://login\.microsoftonline\.com/(common|organizations|consumers)(/|$)")
# RFC 6750 §3 scope-token characters: printable ASCII except space, double quote and backslash, so
# every value can sit inside a quoted WWW-Authenticate parameter as it is.
_TOKEN_CHARS = re.compile(r'^[\x21\x23-\x5b\x5d-\x7e]+$')


class ConfigError(Exception):
    """One or more settings are missing or malformed; the message names each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class TrustedIssuer:
    """An `iss` value we accept, with the `aud` values allowed beside it."""

    issuer: str
    audiences: frozenset[str]


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know about its issuer and its own address."""

    issuer: str
    audience: str
    jwks_uri: str
    scope_prefix: str
    metadata_url: str
    app_id_uri: str | None = None
    tenant_id: str | None = None
    public_url: str | None = None
    allowed_origins: frozenset[str] = frozenset()

    @property
    def is_entra(self) -> bool:
        return self.tenant_id is not None

    @property
    def trusted_issuers(self) -> tuple[TrustedIssuer, ...]:
        """Each accepted (iss, aud) pairing.

        Entra: a v2.0 token always carries the client id as `aud`; a v1.0 token
        carries the App ID URI or the client id, depending on how the client
        asked ("Access tokens: Payload claims / aud"). Elsewhere both are exact.
        """
        if self.tenant_id is None:
            return (TrustedIssuer(self.issuer, frozenset({self.audience})),)
        v1_audiences = {self.audience}
        if self.app_id_uri:
            v1_audiences.add(self.app_id_uri)
        return (
            TrustedIssuer(f"https://login.microsoftonline.com/{self.tenant_id}/v2.0", frozenset({self.audience})),
            TrustedIssuer(f"https://sts.windows.net/{self.tenant_id}/", frozenset(v1_audiences)),
        )

    def scope_string(self, permission: str) -> str:
        """The scope a client requests for a permission, e.g. `api://{id}/calculator.add`."""
        return f"{self.scope_prefix}{permission}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from a mapping such as `os.environ`; raise ConfigError naming every bad value."""
        problems: list[str] = []

        def read(name: str, *, required: bool = False) -> str | None:
            value = environ.get(name, "").strip()
            if not value:
                if required:
                    problems.append(f"{name} is required")
                return None
            return value

        issuer = read("OAUTH_ISSUER", required=True)
        audience = read("OAUTH_AUDIENCE", required=True)
        jwks_uri = read("OAUTH_JWKS_URI", required=True)
        app_id_uri = read("OAUTH_APP_ID_URI")
        scope_prefix = read("OAUTH_SCOPE_PREFIX")
        metadata_url = read("OAUTH_METADATA_URL")
        public_url = read("MCP_PUBLIC_URL")
        origins_value = read("MCP_ALLOWED_ORIGINS")

        tenant_id = None
        if issuer is not None:
            problem = _url_problem(issuer)
            if problem:
                problems.append(f"OAUTH_ISSUER {problem}")
            elif _ENTRA_MULTI_TENANT.match(issuer):
                problems.append("OAUTH_ISSUER must name your tenant id, not common/organizations/consumers")
            else:
                entra = _ENTRA_V2_ISSUER.match(issuer) or _ENTRA_V1_ISSUER.match(issuer)
                tenant_id = entra.group("tid").lower() if entra else None
        if audience is not None and not _TOKEN_CHARS.match(audience):
            problems.append("OAUTH_AUDIENCE must not contain spaces or control characters")
        for name, url in (("OAUTH_JWKS_URI", jwks_uri), ("OAUTH_METADATA_URL", metadata_url)):
            problem = _url_problem(url) if url else None
            if problem:
                problems.append(f"{name} {problem}")
        if app_id_uri is not None and (":" not in app_id_uri or not _TOKEN_CHARS.match(app_id_uri)):
            problems.append("OAUTH_APP_ID_URI must be a URI such as api://<client id>")
        if scope_prefix is not None and not _TOKEN_CHARS.match(scope_prefix):
            problems.append("OAUTH_SCOPE_PREFIX must not contain spaces")
        if public_url is not None:
            problem = _url_problem(public_url)
            if problem:
                problems.append(f"MCP_PUBLIC_URL {problem}")
        allowed_origins: set[str] = set()
        for origin in (origins_value or "").split(","):
            origin = origin.strip()
            if not origin:
                continue
            parts = urlsplit(origin)
            if _url_problem(origin.replace("http://", "https://", 1)) or parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
                problems.append(f"MCP_ALLOWED_ORIGINS entry {origin!r} must look like https://host[:port]")
            allowed_origins.add(origin.lower())

        if problems:
            raise ConfigError(problems)
        assert issuer is not None and audience is not None and jwks_uri is not None

        if tenant_id is not None and app_id_uri is None:
            app_id_uri = f"api://{audience}"
        if scope_prefix is None:
            # Entra scopes are requested as "{App ID URI}/{name}"; a bare name is taken as a
            # Microsoft Graph scope (AADSTS650053). Okta and most others use bare names.
            scope_prefix = f"{app_id_uri}/" if tenant_id is not None else ""
        if metadata_url is None:
            well_known = "openid-configuration" if tenant_id is not None else "oauth-authorization-server"
            metadata_url = f"{issuer.rstrip('/')}/.well-known/{well_known}"
        return cls(
            issuer=issuer,
            audience=audience,
            jwks_uri=jwks_uri,
            scope_prefix=scope_prefix,
            metadata_url=metadata_url,
            app_id_uri=app_id_uri,
            tenant_id=tenant_id,
            public_url=public_url.rstrip("/") if public_url else None,
            allowed_origins=frozenset(allowed_origins),
        )


def is_loopback_host(host: str | None) -> bool:
    """True for localhost and the loopback ranges 127.0.0.0/8 and ::1."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(url: str) -> str | None:
    """Why `url` is not an acceptable https URL (plain http only on loopback), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a valid URL"
    if parts.fragment:
        return "must not have a #fragment"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and is_loopback_host(host):
        return None
    return "must be an https:// URL (plain http only for localhost)"
