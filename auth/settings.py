"""Configuration, read once from the environment into a frozen object.

`Settings.from_env(environ)` checks every variable before it fails, so one
`ConfigError` names every bad setting at once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from .env import setting
from .refusals import NO_REFUSALS, REFUSED_CALLERS_SETTING, CallerRefusals, read_refusals

__all__ = [
    "CONSUMERS_TENANT_ID",
    "ConfigError",
    "Settings",
    "ToolsListed",
    "TrustedIssuer",
    "https_url_problem",
    "is_loopback_host",
    "is_tenant_id",
]

# Entra's authority hosts, one per cloud, each with the host of its v1.0 issuer.
# - v2.0 tokens say `https://{authority host}/{tid}/v2.0`, v1.0 tokens `https://{v1 host}/{tid}/`
#   ("Access token claims reference: iss", learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
# - Authority hosts of the national clouds: "National clouds",
#   learn.microsoft.com/entra/identity-platform/authentication-national-cloud (US Government:
#   login.microsoftonline.us; China operated by 21Vianet: login.partner.microsoftonline.cn, earlier
#   login.chinacloudapi.cn, which MSAL still names).
# - v1.0 issuer hosts: sts.windows.net in the global and US Government clouds, sts.chinacloudapi.cn in
#   China (Microsoft Q&A, "What are the token issuers for the sovereign cloud", questions/1190472).
# A token from another cloud fails the exact issuer match, or (v1.0 global vs US Government, same
# host) the tenant pin and the signature: a tenant lives in one cloud and each cloud has its own keys.
_CLOUD_V1_HOSTS = {
    "login.microsoftonline.com": "sts.windows.net",
    "login.microsoftonline.us": "sts.windows.net",
    "login.partner.microsoftonline.cn": "sts.chinacloudapi.cn",
    "login.chinacloudapi.cn": "sts.chinacloudapi.cn",
}
# A v1.0 issuer configured as OAUTH_ISSUER names its cloud's v2.0 authority by this map.
_V1_HOST_AUTHORITY = {"sts.windows.net": "login.microsoftonline.com", "sts.chinacloudapi.cn": "login.chinacloudapi.cn"}
# External ID (CIAM) tenants: `https://{tenant id or subdomain}.ciamlogin.com/{tid}/v2.0`, keys under the
# same host (External ID "Customize the token endpoints"/"Validate tokens"). No v1.0 issuer is documented.
_CIAM_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.ciamlogin\.com$")
_ENTRA_V2_ISSUER = re.compile(r"^https://(?P<host>[a-z0-9.-]+)/(?P<tid>[0-9a-fA-F-]{36})/v2\.0$")
_ENTRA_V1_ISSUER = re.compile(r"^https://(?P<host>sts\.windows\.net|sts\.chinacloudapi\.cn)/(?P<tid>[0-9a-fA-F-]{36})/$")
_CLOUD_HOSTS = "|".join(re.escape(host) for host in _CLOUD_V1_HOSTS)
_ENTRA_MULTI_TENANT = re.compile(rf"^https://({_CLOUD_HOSTS})/(common|organizations|consumers)(/|$)")
# With OAUTH_ALLOWED_TENANTS: the `organizations` or `common` v2.0 authority of a cloud, or of a
# loopback development provider (devidp) that copies Entra's paths.
_MULTI_TENANT_AUTHORITY = re.compile(r"^(?P<authority>https?://[^/?#]+)/(organizations|common)/v2\.0$")
_TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Personal Microsoft accounts ("Access token claims reference: tid"); refused unless listed explicitly.
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
# RFC 6750 §3 scope-token characters: printable ASCII except space, double quote and backslash, so
# every value can sit inside a quoted WWW-Authenticate parameter as it is (RFC 9110 §5.6.4
# qdtext, with no quoted-pair needed). `\Z`, not `$`, which also matches before a final newline.
_TOKEN_CHARS = re.compile(r'^[\x21\x23-\x5b\x5d-\x7e]+\Z')
_NOT_QUOTABLE = "must not contain spaces, quotes, backslashes or control characters"
#: What `tools/list` shows a caller (MCP_TOOLS_LISTED); mcp_tools/server.py says why each exists.
ToolsListed = Literal["callable", "all"]


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
    #: The API's identifier URIs; the first one names the advertised scopes.
    app_id_uris: tuple[str, ...] = ()
    tenant_id: str | None = None
    public_url: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    #: Entra: `scheme://host` of the v2.0 authority (a cloud's login host, or a CIAM host).
    authority: str | None = None
    #: Entra: `https://host` of the v1.0 issuer of that cloud; None where no v1.0 issuer exists (CIAM).
    v1_issuer_base: str | None = None
    #: Multi-tenant (OAUTH_ALLOWED_TENANTS): the listed tenant ids; None for a single tenant.
    allowed_tenants: frozenset[str] | None = None
    #: OAUTH_ALLOWED_TENANTS contains `*`.
    any_tenant: bool = False
    #: MCP_REFUSED_CALLERS: caller kinds refused every tool or one tool (auth.refusals).
    refused_callers: CallerRefusals = NO_REFUSALS
    #: MCP_TOOLS_LISTED: `tools/list` shows each caller only the tools it may call ("callable"), or every
    #: tool ("all"), so that a client which calls only what it is shown meets the 403 and steps up.
    tools_listed: ToolsListed = "callable"

    @property
    def app_id_uri(self) -> str | None:
        """The App ID URI that prefixes the advertised scopes."""
        return self.app_id_uris[0] if self.app_id_uris else None

    @property
    def is_entra(self) -> bool:
        return self.authority is not None

    @property
    def is_multi_tenant(self) -> bool:
        return self.allowed_tenants is not None

    @property
    def trusted_issuers(self) -> tuple[TrustedIssuer, ...]:
        """Each accepted (iss, aud) pairing; empty when multi-tenant, where they depend on each token's `tid`."""
        if self.authority is None:
            return (TrustedIssuer(self.issuer, frozenset({self.audience})),)
        if self.tenant_id is None:
            return ()
        return self.issuers_for_tenant(self.tenant_id)

    def issuers_for_tenant(self, tenant_id: str) -> tuple[TrustedIssuer, ...]:
        """Entra's v2.0 and v1.0 issuers for one tenant, with the `aud` values allowed beside each.

        A v2.0 token always carries the client id as `aud`; a v1.0 token carries an
        App ID URI or the client id, depending on how the client asked ("Access
        token claims reference: aud").
        """
        v2 = TrustedIssuer(f"{self.authority}/{tenant_id}/v2.0", frozenset({self.audience}))
        if self.v1_issuer_base is None:
            return (v2,)
        v1_audiences = frozenset({self.audience, *self.app_id_uris})
        return (v2, TrustedIssuer(f"{self.v1_issuer_base}/{tenant_id}/", v1_audiences))

    def tenant_allowed(self, tenant_id: str) -> bool:
        """Multi-tenant: is this (GUID) tenant on the allow-list? Consumers only when listed by id."""
        tenant = tenant_id.lower()
        if self.allowed_tenants is None:
            return False
        if tenant in self.allowed_tenants:
            return True
        return self.any_tenant and tenant != CONSUMERS_TENANT_ID

    def scope_string(self, permission: str) -> str:
        """The scope a client requests for a permission, e.g. `api://{id}/calculator.add`."""
        return f"{self.scope_prefix}{permission}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from a mapping such as `os.environ`; raise ConfigError naming every bad value.

        Each reader below checks its own variables and adds what is wrong to one list, so the
        error names every bad setting, in this order, before anything is built.
        """
        problems: list[str] = []
        env = _Environment(environ, problems)
        issuer = env.value("OAUTH_ISSUER", required=True)
        audience = env.value("OAUTH_AUDIENCE", required=True)
        jwks_uri = env.value("OAUTH_JWKS_URI", required=True)
        tenants_value = env.value("OAUTH_ALLOWED_TENANTS")
        allowed_tenants, any_tenant = _allowed_tenants(tenants_value, problems)
        family = _issuer_family(issuer, multi_tenant=tenants_value is not None, problems=problems)
        _check_token_chars("OAUTH_AUDIENCE", audience, "must not contain spaces or control characters", problems)
        env.url("OAUTH_JWKS_URI", jwks_uri)
        metadata_url = env.url("OAUTH_METADATA_URL", env.value("OAUTH_METADATA_URL"))
        app_id_uris = _app_id_uris(env.value("OAUTH_APP_ID_URI"), problems)
        scope_prefix = env.value("OAUTH_SCOPE_PREFIX")
        _check_token_chars("OAUTH_SCOPE_PREFIX", scope_prefix, "must not contain spaces", problems)
        public_url = env.url("MCP_PUBLIC_URL", env.value("MCP_PUBLIC_URL"))
        if public_url is not None and https_url_problem(public_url) is None:
            # It is quoted in every WWW-Authenticate (resource_metadata="…", RFC 9728 §5.1).
            _check_token_chars("MCP_PUBLIC_URL", public_url, _NOT_QUOTABLE, problems)
        allowed_origins = _allowed_origins(env.value("MCP_ALLOWED_ORIGINS"), problems)
        refused_callers = read_refusals(env.value(REFUSED_CALLERS_SETTING), problems)
        tools_listed = _tools_listed(env.value("MCP_TOOLS_LISTED"), problems)
        if problems or issuer is None or audience is None or jwks_uri is None:
            raise ConfigError(problems)

        entra = family.authority is not None
        if entra and not app_id_uris:
            app_id_uris = (f"api://{audience}",)
        if scope_prefix is None:
            # Entra scopes are requested as "{App ID URI}/{name}"; a bare name is taken as a
            # Microsoft Graph scope (AADSTS650053). Okta and most others use bare names.
            scope_prefix = f"{app_id_uris[0]}/" if entra else ""
        if metadata_url is None:
            well_known = "openid-configuration" if entra else "oauth-authorization-server"
            metadata_url = f"{issuer.rstrip('/')}/.well-known/{well_known}"
        return cls(
            issuer=issuer,
            audience=audience,
            jwks_uri=jwks_uri,
            scope_prefix=scope_prefix,
            metadata_url=metadata_url,
            app_id_uris=app_id_uris,
            tenant_id=family.tenant_id,
            public_url=public_url.rstrip("/") if public_url else None,
            allowed_origins=allowed_origins,
            authority=family.authority,
            v1_issuer_base=family.v1_issuer_base,
            allowed_tenants=allowed_tenants,
            any_tenant=any_tenant,
            refused_callers=refused_callers,
            tools_listed=tools_listed,
        )


class _Environment:
    """Reads variables, adding each problem to `problems` instead of raising."""

    def __init__(self, environ: Mapping[str, str], problems: list[str]) -> None:
        self._environ = environ
        self._problems = problems

    def value(self, name: str, *, required: bool = False) -> str | None:
        """The trimmed value; None when unset or blank (a problem when `required`)."""
        value = setting(self._environ, name)
        if value is None and required:
            self._problems.append(f"{name} is required")
        return value

    def url(self, name: str, url: str | None) -> str | None:
        """`url`, after adding a problem when it breaks the one URL rule (https_url_problem)."""
        problem = https_url_problem(url) if url else None
        if problem:
            self._problems.append(f"{name} {problem}")
        return url


@dataclass(frozen=True)
class _IssuerFamily:
    """What OAUTH_ISSUER says about the issuer: an Entra tenant and cloud, or neither (all None)."""

    tenant_id: str | None = None
    authority: str | None = None
    v1_issuer_base: str | None = None


def _issuer_family(issuer: str | None, *, multi_tenant: bool, problems: list[str]) -> _IssuerFamily:
    """OAUTH_ISSUER: a single Entra tenant, a multi-tenant authority (with OAUTH_ALLOWED_TENANTS), or another issuer."""
    if issuer is None:
        return _IssuerFamily()
    problem = https_url_problem(issuer)
    if problem:
        problems.append(f"OAUTH_ISSUER {problem}")
        return _IssuerFamily()
    if multi_tenant:
        match = _MULTI_TENANT_AUTHORITY.match(issuer)
        authority = match.group("authority") if match else None
        if authority is None or not _is_multi_tenant_host(authority):
            problems.append(
                "OAUTH_ALLOWED_TENANTS needs OAUTH_ISSUER to be a multi-tenant authority such as "
                "https://login.microsoftonline.com/organizations/v2.0"
            )
            return _IssuerFamily()
        host = urlsplit(authority).hostname or ""
        # A loopback development provider copies the global cloud's token shapes.
        return _IssuerFamily(authority=authority, v1_issuer_base=f"https://{_CLOUD_V1_HOSTS.get(host, 'sts.windows.net')}")
    if _ENTRA_MULTI_TENANT.match(issuer):
        problems.append("OAUTH_ISSUER must name your tenant id, not common/organizations/consumers")
        return _IssuerFamily()
    tenant_id, authority, v1_issuer_base = _single_tenant(issuer)
    return _IssuerFamily(tenant_id, authority, v1_issuer_base)


def _check_token_chars(name: str, value: str | None, problem: str, problems: list[str]) -> None:
    """A value that goes into a quoted WWW-Authenticate parameter as it is (RFC 6750 §3 scope-token characters)."""
    if value is not None and not _TOKEN_CHARS.match(value):
        problems.append(f"{name} {problem}")


def _app_id_uris(value: str | None, problems: list[str]) -> tuple[str, ...]:
    """OAUTH_APP_ID_URI: one or more identifier URIs, comma-separated (e.g. api://{id} and the MCP URL).

    A v1.0 token's `aud` may be any of them, and the first one names the advertised scopes.
    """
    uris = tuple(dict.fromkeys(u.strip() for u in (value or "").split(",") if u.strip()))
    if value is not None and (not uris or any(":" not in u or not _TOKEN_CHARS.match(u) for u in uris)):
        problems.append("OAUTH_APP_ID_URI must be a URI such as api://<client id>")
    return uris


def _tools_listed(value: str | None, problems: list[str]) -> ToolsListed:
    """MCP_TOOLS_LISTED: `callable` (the default) or `all`."""
    if value is None or value.lower() == "callable":
        return "callable"
    if value.lower() == "all":
        return "all"
    problems.append("MCP_TOOLS_LISTED must be callable or all")
    return "callable"


def _allowed_origins(value: str | None, problems: list[str]) -> frozenset[str]:
    """MCP_ALLOWED_ORIGINS: comma-separated `scheme://host[:port]`, compared lower-case."""
    origins: set[str] = set()
    for entry in (value or "").split(","):
        origin = entry.strip()
        if not origin:
            continue
        parts = urlsplit(origin)
        if (
            https_url_problem(origin.replace("http://", "https://", 1))
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path
            or parts.query
        ):
            problems.append(f"MCP_ALLOWED_ORIGINS entry {origin!r} must look like https://host[:port]")
        origins.add(origin.lower())
    return frozenset(origins)


def is_tenant_id(value: str) -> bool:
    """An Entra tenant id as tokens carry it: a lower-case GUID."""
    return _TENANT_ID.fullmatch(value) is not None  # fullmatch: `$` would let a trailing newline through


def _allowed_tenants(value: str | None, problems: list[str]) -> tuple[frozenset[str] | None, bool]:
    """OAUTH_ALLOWED_TENANTS: comma-separated tenant ids, and/or `*` for any tenant."""
    if value is None:
        return None, False
    entries = [entry.strip().lower() for entry in value.split(",") if entry.strip()]
    bad = [entry for entry in entries if entry != "*" and not is_tenant_id(entry)]
    for entry in bad:
        problems.append(f"OAUTH_ALLOWED_TENANTS entry {entry!r} must be a tenant id (a GUID) or *")
    if not entries:
        problems.append("OAUTH_ALLOWED_TENANTS must list tenant ids or *")
    return frozenset(e for e in entries if e != "*" and e not in bad), "*" in entries


def _is_multi_tenant_host(authority: str) -> bool:
    parts = urlsplit(authority)
    if parts.scheme == "https" and parts.port is None and parts.hostname in _CLOUD_V1_HOSTS:
        return True
    return is_loopback_host(parts.hostname)  # devidp, for development and tests


def _single_tenant(issuer: str) -> tuple[str | None, str | None, str | None]:
    """(tenant id, v2.0 authority, v1.0 issuer base) of an Entra issuer; all None for any other issuer."""
    v2 = _ENTRA_V2_ISSUER.match(issuer)
    if v2 is not None:
        host = v2.group("host")
        if host in _CLOUD_V1_HOSTS:
            return v2.group("tid").lower(), f"https://{host}", f"https://{_CLOUD_V1_HOSTS[host]}"
        if _CIAM_HOST.match(host):
            return v2.group("tid").lower(), f"https://{host}", None
        return None, None, None
    v1 = _ENTRA_V1_ISSUER.match(issuer)
    if v1 is not None:
        host = v1.group("host")
        return v1.group("tid").lower(), f"https://{_V1_HOST_AUTHORITY[host]}", f"https://{host}"
    return None, None, None


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


def https_url_problem(url: str) -> str | None:
    """Why `url` is not an acceptable https URL (plain http only on loopback), or None.

    The one rule for every URL this server is configured with, the front's endpoints included:
    RFC 6749 §3.1 and §3.2 require TLS for the authorization and token endpoints, and RFC 8252 §8.3
    allows plain http only to the loopback interface.
    """
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
