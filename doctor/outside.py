"""The checks a client's view allows: pure functions of an Observation, one Check per rule.

Each rule is the server's own where the server has one: the https-or-loopback rule and
the metadata's place (RFC 9728 §3.1) from auth.settings and edge.metadata, the scopes
from mcp_tools' permissions, the 401's `scope=` from edge.challenge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import mcp_tools
from edge.challenge import REFRESH_SCOPE
from web.place import PRM_PREFIX

from .checks import Check, failed, passed, warned
from .probe import UNLISTED_ORIGIN, Answer, Fetched, Observation, Unfetched, fetchable, origin_of

__all__ = ["Outside", "check_outside", "expected_metadata_url"]

#: S256, the PKCE method MCP clients must use (MCP authorization spec 2025-11-25, "Authorization Code
#: Protection"; RFC 7636 §4.2). The same spec: without `code_challenge_methods_supported` in the
#: metadata a client MUST refuse to proceed.
PKCE_METHOD = "S256"
#: Entra's v2.0 authorization endpoint ends so ("OAuth 2.0 authorization code flow",
#: learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow); devidp copies it.
_ENTRA_AUTHORIZE_SUFFIX = "/oauth2/v2.0/authorize"


@dataclass
class Outside:
    """What the outside checks learned, for the per-client verdicts and the registration checks."""

    https: bool = False
    resource: str | None = None
    resource_matches: bool = False
    scopes: list[str] = field(default_factory=list)
    #: The App ID URIs the advertised scopes are prefixed with (`api://{id}` of `api://{id}/calculator.add`).
    scope_prefixes: set[str] = field(default_factory=set)
    scopes_ok: bool = False
    issuer: str | None = None
    metadata_ok: bool = False
    pkce: bool = False
    lists_offline_access: bool = False
    entra: bool = False
    challenge_ok: bool = False
    challenge_scope: list[str] = field(default_factory=list)
    easyauth: bool = False
    #: The metadata names the MCP URL's origin as the authorization server (the front, or multi-tenant).
    origin_is_issuer: bool = False
    #: The OAuth front is the authorization server: this origin, with its own authorization endpoint.
    front: bool = False
    registration_endpoint: bool = False
    cimd: bool = False


def expected_metadata_url(mcp_url: str) -> str:
    """RFC 9728 §3.1, as edge.metadata builds it: the well-known segment between host and path."""
    parts = urlsplit(mcp_url)
    return f"{parts.scheme}://{parts.netloc}{PRM_PREFIX}{parts.path}"


def check_outside(seen: Observation) -> tuple[list[Check], Outside]:
    facts = Outside()
    checks = [_check_url(seen.mcp_url, facts)]
    if not facts.https:
        return checks, facts  # nothing was fetched: the doctor sends nothing in clear text off loopback
    checks.append(_check_challenge(seen, facts))
    checks += _check_prm(seen, facts)
    checks += _check_metadata(seen, facts)
    checks.append(_check_scopes(facts))
    if facts.challenge_ok:
        checks.append(_check_challenge_scope(facts))
    checks += _check_cors(seen)
    if facts.front:
        checks += _check_front(seen, facts)
    checks.append(_check_endpoints_https(seen))
    return checks, facts


def _check_url(url: str, facts: Outside) -> Check:
    if origin_of(url) is None:
        return failed("url", f"{url} is not a valid URL")
    if not fetchable(url):
        return failed("https", f"{url} is not https (plain http only on loopback): tokens would travel in clear text")
    parts = urlsplit(url)
    facts.https = True
    if parts.path.endswith("/") or not parts.path:
        # Microsoft, "Secure a Model Context Protocol server with Microsoft Entra ID": the canonical URL,
        # with a path and no trailing slash, is what clients send as `resource` and what the App ID URI must be.
        suggestion = url.rstrip("/") + ("/mcp" if parts.path in ("", "/") else "")
        return failed("url", f"{url} must have a path and no trailing slash (use {suggestion})")
    return passed("https", f"{parts.scheme}://{parts.netloc}" + (" (plain http on loopback)" if parts.scheme == "http" else ""))


def _describe(fetched: Fetched | None) -> str:
    if fetched is None:
        return "not fetched"
    if isinstance(fetched, Unfetched):
        return f"{fetched.url} {fetched.reason}"
    return f"{fetched.url} answered {fetched.status}"


def _check_challenge(seen: Observation, facts: Outside) -> Check:
    answer = seen.challenge
    if not isinstance(answer, Answer):
        return failed("challenge", _describe(answer))
    location = answer.headers.get("location")
    if 300 <= answer.status < 400:
        facts.easyauth = True
        return failed(
            "challenge",
            f"POST without a token answered {answer.status} to {location or 'nowhere'}, not 401: App Service "
            "authentication (EasyAuth) is on; turn it off (authsettingsV2 platform.enabled=false), the server checks tokens itself",
        )
    scheme = answer.headers.get("www-authenticate", "").split(" ", 1)[0]
    if answer.status != 401 or scheme.lower() != "bearer":
        return failed("challenge", f"POST without a token answered {answer.status} {scheme or 'with no WWW-Authenticate'}, not 401 Bearer")
    metadata_url = answer.www_authenticate("resource_metadata")
    expected = expected_metadata_url(seen.mcp_url)
    if metadata_url is None:
        facts.easyauth = True
        return failed(
            "challenge",
            "401 without resource_metadata (RFC 9728 §5.1): not the server's own challenge; is App Service "
            "authentication (EasyAuth) on? turn it off (authsettingsV2 platform.enabled=false)",
        )
    if metadata_url != expected:
        return failed("challenge", f"resource_metadata={metadata_url}, expected {expected} (RFC 9728 §3.1)")
    facts.challenge_ok = True
    facts.challenge_scope = (answer.www_authenticate("scope") or "").split()
    return passed("challenge", f"401 Bearer resource_metadata={metadata_url}")


def _check_prm(seen: Observation, facts: Outside) -> list[Check]:
    answer = seen.prm_answer
    if answer is None:
        tried = "; ".join(_describe(a) for a in seen.prm)
        return [failed("prm", f"no protected resource metadata (RFC 9728): {tried or 'nothing fetched'}")]
    document = answer.json()
    if not isinstance(document, dict) or not isinstance(document.get("resource"), str):
        return [failed("prm", f"{answer.url} is not RFC 9728 metadata (no `resource`)")]
    checks = [passed("prm", answer.url)]
    resource = facts.resource = document["resource"]
    if resource == seen.mcp_url:
        facts.resource_matches = True
        checks.append(passed("prm.resource", f"{resource} (equals the MCP URL byte for byte)"))
    elif resource.rstrip("/") == seen.mcp_url.rstrip("/"):
        checks.append(
            failed("prm.resource", f"{resource!r} vs the MCP URL {seen.mcp_url!r}: trailing slash; they must be equal byte for byte (RFC 9728 §3.3)")
        )
    else:
        checks.append(
            failed("prm.resource", f"{resource!r} is not the MCP URL {seen.mcp_url!r} (RFC 9728 §3.3); set MCP_PUBLIC_URL to the MCP URL")
        )
    scopes = document.get("scopes_supported")
    facts.scopes = [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else []
    servers = document.get("authorization_servers")
    if not isinstance(servers, list) or not servers or not all(isinstance(s, str) for s in servers):
        checks.append(failed("prm.authorization_servers", "none named (RFC 9728 §2)"))
    else:
        facts.issuer = servers[0]
        facts.origin_is_issuer = servers[0] == origin_of(seen.mcp_url)
        checks.append(passed("prm.authorization_servers", servers[0] + (" (this origin)" if facts.origin_is_issuer else "")))
    return checks


def _check_metadata(seen: Observation, facts: Outside) -> list[Check]:
    if facts.issuer is None:
        return []
    answer = seen.metadata_answer
    if answer is None:
        tried = "; ".join(_describe(a) for a in seen.metadata)
        return [failed("as.metadata", f"no authorization server metadata for {facts.issuer}: {tried}")]
    document: Any = answer.json()
    if not isinstance(document, dict):
        return [failed("as.metadata", f"{answer.url} is not JSON")]
    checks: list[Check] = []
    issuer = document.get("issuer")
    if issuer != facts.issuer:
        # RFC 8414 §3.3: the issuer in the document MUST be identical to the one the URL was built from.
        hint = " (Entra's multi-tenant template: set OAUTH_ALLOWED_TENANTS so the server serves a concrete issuer)" if "{tenantid}" in str(issuer) else ""
        checks.append(failed("as.metadata", f"issuer {issuer!r} at {answer.url} is not {facts.issuer!r} (RFC 8414 §3.3){hint}"))
    else:
        facts.metadata_ok = True
        checks.append(passed("as.metadata", f"{answer.url}, issuer identical"))
    endpoint = document.get("authorization_endpoint")
    endpoint = endpoint if isinstance(endpoint, str) else ""
    facts.entra = endpoint.split("?", 1)[0].endswith(_ENTRA_AUTHORIZE_SUFFIX)
    # The front serves its own authorize endpoint at this origin; multi-tenant discovery relays Entra's.
    facts.front = facts.origin_is_issuer and endpoint.startswith(f"{origin_of(seen.mcp_url)}/")
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and PKCE_METHOD in methods:
        facts.pkce = True
        checks.append(passed("as.pkce", "code_challenge_methods_supported lists S256"))
    else:
        what = "has no code_challenge_methods_supported" if methods is None else f"lists {methods!r} without S256"
        refusal = f"{answer.url} {what}: MCP clients must refuse to sign in (MCP authorization spec 2025-11-25)"
        if facts.entra and methods is None:
            # Entra supports S256 and omits the field (edge/discovery.py fills it in where this server
            # publishes the document): clients that follow the spec to the letter refuse, the SDKs do not.
            checks.append(warned("as.pkce", f"{refusal}; Entra omits it, the OAuth front's metadata lists it"))
        else:
            checks.append(failed("as.pkce", refusal))
    listed = document.get("scopes_supported")
    facts.lists_offline_access = isinstance(listed, list) and REFRESH_SCOPE in listed
    if facts.lists_offline_access:
        checks.append(passed("as.scopes", f"scopes_supported lists {REFRESH_SCOPE}"))
    else:
        # SEP-2207: the Python SDK adds offline_access only when the authorization server lists it.
        checks.append(warned("as.scopes", f"scopes_supported does not list {REFRESH_SCOPE}: SDK clients get no refresh token"))
    facts.registration_endpoint = isinstance(document.get("registration_endpoint"), str)
    facts.cimd = document.get("client_id_metadata_document_supported") is True
    return checks


def _check_scopes(facts: Outside) -> Check:
    """Every permission a tool declares, advertised as the string a client must request.

    Entra takes a bare scope name for a Microsoft Graph scope (AADSTS650053): behind Entra each
    must be `{App ID URI}/{permission}`, as Settings.scope_string builds it. RFC 9728 §2: the
    metadata lists scopes for this resource, so never offline_access.
    """
    if facts.resource is None:
        return failed("prm.scopes", "no metadata to read")
    missing, short = [], []
    for permission in mcp_tools.permissions():
        found = [s for s in facts.scopes if s == permission or s.endswith("/" + permission)]
        if not found:
            missing.append(permission)
        for scope in found:
            prefix = scope[: -len(permission)]
            if not prefix:
                short.append(scope)
            elif ":" in prefix:
                facts.scope_prefixes.add(prefix.rstrip("/"))
    if missing:
        return failed("prm.scopes", f"scopes_supported lacks {', '.join(missing)} (advertised: {' '.join(facts.scopes) or 'none'})")
    if REFRESH_SCOPE in facts.scopes:
        return failed("prm.scopes", f"scopes_supported lists {REFRESH_SCOPE}, which is not this resource's (RFC 9728 §2)")
    if short and (facts.entra or facts.front):
        return failed(
            "prm.scopes",
            f"short scopes {' '.join(short)}: Entra reads a bare name as a Microsoft Graph scope (AADSTS650053); "
            "advertise {App ID URI}/{name} (unset OAUTH_SCOPE_PREFIX, or set it to api://<client id>/)",
        )
    if len(facts.scope_prefixes) > 1:
        return failed("prm.scopes", f"scopes under several App ID URIs: {' '.join(sorted(facts.scope_prefixes))}")
    facts.scopes_ok = True
    return passed("prm.scopes", " ".join(facts.scopes) + ("" if facts.scope_prefixes else " (bare names: not an Entra issuer)"))


def _check_challenge_scope(facts: Outside) -> Check:
    """The 401's scope= is what the TypeScript SDK 1.x requests, exactly (see edge.challenge.challenge_scope)."""
    missing = [s for s in facts.scopes if s not in facts.challenge_scope]
    if missing:
        return failed("challenge.scope", f"the 401's scope= lacks {' '.join(missing)}: clients that request it cannot call those tools")
    if REFRESH_SCOPE not in facts.challenge_scope:
        return warned("challenge.scope", f"the 401's scope= lacks {REFRESH_SCOPE}: the TypeScript SDK gets no refresh token")
    return passed("challenge.scope", " ".join(facts.challenge_scope))


def _check_cors(seen: Observation) -> list[Check]:
    checks: list[Check] = []
    prm = seen.prm_answer
    if prm is not None:
        # edge.metadata.document_headers: public metadata, readable from any origin.
        if prm.headers.get("access-control-allow-origin") == "*":
            checks.append(passed("cors.metadata", "Access-Control-Allow-Origin: *"))
        else:
            checks.append(warned("cors.metadata", "the metadata has no Access-Control-Allow-Origin: *: browser-based clients cannot discover"))
    answer = seen.preflight
    if not isinstance(answer, Answer):
        checks.append(failed("cors.preflight", _describe(answer)))
        return checks
    asked = seen.preflight_origin != UNLISTED_ORIGIN
    allow_origin = answer.headers.get("access-control-allow-origin")
    if not asked:
        # MCP transport spec, "Security Warning": servers must validate Origin (DNS rebinding).
        if answer.status == 403 or (allow_origin is None and answer.status < 500):
            checks.append(passed("cors.preflight", f"an unlisted Origin is refused ({answer.status}); pass --origin to check yours"))
        else:
            checks.append(warned("cors.preflight", f"an unlisted Origin got {answer.status}, Allow-Origin {allow_origin!r}: is Origin checked?"))
        return checks
    headers = {h.strip().lower() for h in answer.headers.get("access-control-allow-headers", "").split(",")}
    needed = {"authorization", "content-type", "mcp-protocol-version"}
    if answer.status not in (200, 204):
        checks.append(failed("cors.preflight", f"{seen.preflight_origin} got {answer.status}: add it to MCP_ALLOWED_ORIGINS"))
    elif not needed <= headers:
        checks.append(failed("cors.preflight", f"Access-Control-Allow-Headers lacks {', '.join(sorted(needed - headers))}"))
    else:
        checks.append(passed("cors.preflight", f"{seen.preflight_origin} may POST with a bearer token"))
    return checks


def _check_front(seen: Observation, facts: Outside) -> list[Check]:
    """The OAuth front's own metadata (front/metadata.py): how clients without a client id get one."""
    checks = []
    if facts.registration_endpoint:
        checks.append(passed("front.registration", "registration_endpoint present (RFC 7591: Claude, ChatGPT, the Inspector)"))
    else:
        checks.append(failed("front.registration", "no registration_endpoint: clients that register themselves cannot"))
    if facts.cimd:
        checks.append(passed("front.cimd", "client_id_metadata_document_supported: true (VS Code)"))
    else:
        checks.append(warned("front.cimd", "client_id_metadata_document_supported is not true: VS Code falls back to registration"))
    return checks


def _check_endpoints_https(seen: Observation) -> Check:
    """Every URL the documents send a client to is https (or loopback), as auth.settings requires of ours."""
    urls: list[str] = []
    for answer in (seen.prm_answer, seen.metadata_answer):
        document = answer.json() if answer is not None else None
        if not isinstance(document, dict):
            continue
        for key, value in document.items():
            if key == "authorization_servers" and isinstance(value, list):
                urls += [v for v in value if isinstance(v, str)]
            elif (key.endswith("_endpoint") or key in ("issuer", "resource", "jwks_uri")) and isinstance(value, str):
                urls.append(value)
    clear = [u for u in dict.fromkeys(urls) if not fetchable(u)]
    if clear:
        return failed("https.endpoints", f"plain http off loopback: {' '.join(clear)}")
    return passed("https.endpoints", f"{len(set(urls))} URLs in the metadata are https (or loopback)")


