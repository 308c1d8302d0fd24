"""The checks only the app registration can answer: pure functions of what `az` read from Graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mcp_tools
from auth.settings import ConfigError, Settings, is_tenant_id
from front.context import CALLBACK_PATH

from .az import Registration
from .checks import Check, failed, passed, warned
from .outside import Outside
from .probe import origin_of

__all__ = ["Granted", "check_registration"]

#: The audience of a federated credential that trusts a managed identity, per cloud ("Configure an
#: application to trust a managed identity", learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
TOKEN_EXCHANGE_AUDIENCES = {
    "AzureCloud": "api://AzureADTokenExchange",
    "AzureUSGovernment": "api://AzureADTokenExchangeUSGov",
    "AzureChinaCloud": "api://AzureADTokenExchangeChina",
}
#: Graph authorizationPolicy: a user may consent for themselves only under a policy of this family
#: ("Configure how users consent to applications", learn.microsoft.com/entra/identity/enterprise-apps/configure-user-consent).
_SELF_CONSENT = "ManagePermissionGrantsForSelf."


@dataclass
class Granted:
    """What the registration settles for the verdicts; None where it was not read."""

    resource_is_identifier_uri: bool | None = None
    v2_tokens: bool | None = None
    users_may_consent: bool | None = None
    front_ready: bool | None = None


def check_registration(found: Registration, outside: Outside, api_app: str | None, front_app: str | None) -> tuple[list[Check], Granted]:
    granted = Granted()
    # A read that failed (another tenant, no Graph permission to read a policy) is no verdict on the deployment.
    checks = [warned("az", reason) for reason in found.unread]
    if found.api is not None:
        checks += _check_api(found.api, outside, granted)
    elif api_app is None:
        checks.append(warned("app", "no API app to read: the metadata's scopes name no App ID URI; pass --api-app-id"))
    if found.front is not None:
        checks += _check_front_app(found, outside, granted)
    elif outside.front and front_app is None:
        checks.append(warned("front.app", "the front is on; pass --front-client-id (or set OAUTH_FRONT_CLIENT_ID) to check its registration"))
    checks += _check_consent(found.authorization_policy, outside, granted)
    return checks, granted


def _check_api(api: dict[str, Any], outside: Outside, granted: Granted) -> list[Check]:
    checks: list[Check] = []
    app_id = str(api.get("appId", "?"))
    uris = [u for u in api.get("identifierUris") or [] if isinstance(u, str)]
    # Entra checks RFC 8707 `resource` against the API's identifier URIs (AADSTS9010010), and the
    # scope prefix must be one of them (AADSTS500011).
    unknown_prefixes = sorted(outside.scope_prefixes - set(uris))
    if unknown_prefixes:
        checks.append(failed("app.scopes-prefix", f"the scopes' App ID URI {' '.join(unknown_prefixes)} is not an identifier URI of {app_id} (AADSTS500011)"))
    if outside.resource is not None:
        granted.resource_is_identifier_uri = outside.resource in uris
        if granted.resource_is_identifier_uri:
            checks.append(passed("app.identifier-uris", f"{outside.resource} is an identifier URI of {app_id}"))
        else:
            checks.append(
                failed(
                    "app.identifier-uris",
                    f"{outside.resource} is not an identifier URI of {app_id} ({' '.join(uris) or 'none'}): clients that send "
                    f"resource= get AADSTS9010010; az ad app update --id {app_id} --identifier-uris {' '.join([*uris, outside.resource])}",
                )
            )
    version = (api.get("api") or {}).get("requestedAccessTokenVersion")
    granted.v2_tokens = version == 2
    if granted.v2_tokens:
        checks.append(passed("app.token-version", "requestedAccessTokenVersion 2"))
    else:
        # Microsoft, "Secure a Model Context Protocol server with Microsoft Entra ID": v2 tokens are
        # required, and must be set before the https MCP URL is added as an identifier URI.
        checks.append(
            failed(
                "app.token-version",
                f"requestedAccessTokenVersion is {version!r}: Entra issues v1 tokens and refuses the MCP URL as an identifier URI; "
                f"az ad app update --id {app_id} --set api.requestedAccessTokenVersion=2",
            )
        )
    permissions = mcp_tools.permissions()
    scopes = {s.get("value") for s in (api.get("api") or {}).get("oauth2PermissionScopes") or [] if s.get("isEnabled", True)}
    missing = [p for p in permissions if p not in scopes]
    if missing:
        checks.append(failed("app.scopes", f"{app_id} exposes no delegated scope {', '.join(missing)} (AADSTS65005 for users)"))
    else:
        checks.append(passed("app.scopes", " ".join(permissions)))
    roles = {
        r.get("value")
        for r in api.get("appRoles") or []
        if r.get("isEnabled", True) and "Application" in (r.get("allowedMemberTypes") or [])
    }
    missing = [p for p in permissions if p not in roles]
    if missing:
        checks.append(warned("app.roles", f"no application role {', '.join(missing)}: gateways using client credentials cannot call those tools"))
    else:
        checks.append(passed("app.roles", " ".join(permissions)))
    return checks


def _check_front_app(found: Registration, outside: Outside, granted: Granted) -> list[Check]:
    front = found.front or {}
    app_id = str(front.get("appId", "?"))
    checks: list[Check] = []
    origin = origin_of(outside.resource) if outside.resource else None
    redirect = f"{origin}{CALLBACK_PATH}" if origin else None
    redirects = [u for u in (front.get("web") or {}).get("redirectUris") or [] if isinstance(u, str)]
    redirect_ok = redirect is not None and redirect in redirects
    if redirect_ok:
        checks.append(passed("front.redirect", f"Web redirect {redirect}"))
    else:
        checks.append(
            failed(
                "front.redirect",
                f"{app_id} has no Web redirect URI {redirect} (AADSTS50011); az ad app update --id {app_id} --web-redirect-uris {redirect}",
            )
        )
    audience = TOKEN_EXCHANGE_AUDIENCES.get(found.cloud, TOKEN_EXCHANGE_AUDIENCES["AzureCloud"])
    credentials = found.federated_credentials or []
    good = [c for c in credentials if _trusts_managed_identity(c, found.tenant_id, audience)]
    if good:
        checks.append(passed("front.federated-credential", f"trusts managed identity {good[0].get('subject')} (issuer {good[0].get('issuer')})"))
    elif credentials:
        seen = "; ".join(f"issuer {c.get('issuer')} subject {c.get('subject')} audiences {c.get('audiences')}" for c in credentials)
        checks.append(
            failed(
                "front.federated-credential",
                f"none matches issuer https://<login host>/{found.tenant_id}/v2.0, a managed identity's object id as subject "
                f"and audience {audience} (AADSTS700213): {seen}",
            )
        )
    else:
        checks.append(warned("front.federated-credential", f"{app_id} has none: the front must then use a client secret"))
    granted.front_ready = redirect_ok and (bool(good) or not credentials)
    return checks


def _trusts_managed_identity(credential: dict[str, Any], tenant_id: str, audience: str) -> bool:
    """Issuer: this tenant's v2.0 issuer, judged by the server's own Entra issuer rule (auth.settings)."""
    issuer = credential.get("issuer")
    if not isinstance(issuer, str):
        return False
    try:
        read = Settings.from_env({"OAUTH_ISSUER": issuer, "OAUTH_AUDIENCE": "doctor", "OAUTH_JWKS_URI": "https://doctor.invalid/keys"})
    except ConfigError:
        return False
    subject = credential.get("subject")
    return (
        read.is_entra
        and read.tenant_id == tenant_id.lower()
        and issuer.endswith("/v2.0")
        and isinstance(subject, str)
        and is_tenant_id(subject.lower())  # a managed identity's object id is a GUID
        and credential.get("audiences") == [audience]
    )


def _check_consent(policy: dict[str, Any] | None, outside: Outside, granted: Granted) -> list[Check]:
    if policy is None:
        return []
    assigned = (policy.get("defaultUserRolePermissions") or {}).get("permissionGrantPoliciesAssigned") or []
    granted.users_may_consent = any(isinstance(p, str) and p.startswith(_SELF_CONSENT) for p in assigned)
    if granted.users_may_consent:
        return [passed("tenant.consent", f"users may consent ({', '.join(assigned)})")]
    reason = (
        "users may not consent (admin consent only): clients that send prompt=consent (the TypeScript SDK, "
        "the Python SDK when offline_access is asked) get 'Need admin approval' even after an admin granted the scopes"
    )
    if outside.front:
        # The front never forwards prompt to Entra (front/authorize.py builds its own request).
        return [warned("tenant.consent", reason + "; the OAuth front sends no prompt, so its clients are unaffected")]
    return [failed("tenant.consent", reason)]


