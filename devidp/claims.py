"""Access token claims shaped like Entra's v1 and v2 tokens. Pure functions of their inputs.

Shapes follow "Access token claims reference" (learn.microsoft.com, Entra ID):
v2 tokens carry `azp`/`azpacr` and `aud` = the API's client id; v1 tokens carry
`appid`/`appidacr`, `upn` and `aud` = the App ID URI. A user's delegated
permissions are bare names in `scp` (space separated); an app's permissions
are `roles`, and app tokens say `idtyp` = ``app``.

An agent identity's tokens (a registration with `agent_parent_app_id`) carry what "Token claims
reference for agents" (learn.microsoft.com/entra/agent-id/agent-token-claims) lists for each of its
scenarios: see `agent_claims`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .registry import ClientRegistration, DevUser
from .scopes import Resource

__all__ = ["TokenVersion", "TokenShape", "agent_claims", "app_claims", "user_claims"]

TokenVersion = Literal[1, 2]


@dataclass(frozen=True)
class TokenShape:
    """Where tokens come from and whom they are for."""

    issuer: str
    v1_issuer: str
    tenant_id: str
    resource: Resource


def _pairwise_sub(oid: str, client_id: str) -> str:
    # Entra's `sub` is pairwise: the same user has a different `sub` per application.
    digest = hashlib.sha256(f"{oid}|{client_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:43]


def _common(shape: TokenShape, version: TokenVersion, client: ClientRegistration, now: float, lifetime: int) -> dict[str, Any]:
    issued = int(now)
    claims: dict[str, Any] = {
        "tid": shape.tenant_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "uti": secrets.token_urlsafe(16),
    }
    acr = "0" if client.is_public else "1"
    if version == 2:
        claims.update(aud=shape.resource.client_id, iss=shape.issuer, azp=client.client_id, azpacr=acr, ver="2.0")
    else:
        claims.update(aud=shape.resource.app_id_uri, iss=shape.v1_issuer, appid=client.client_id, appidacr=acr, ver="1.0")
    return claims


def user_claims(
    shape: TokenShape,
    *,
    version: TokenVersion,
    client: ClientRegistration,
    user: DevUser,
    scopes: Iterable[str],
    now: float,
    lifetime: int,
) -> dict[str, Any]:
    """Claims of a delegated (user) access token; `scopes` are bare names."""
    claims = _common(shape, version, client, now, lifetime)
    claims.update(
        name=user.name,
        oid=user.oid,
        sub=_pairwise_sub(user.oid, client.client_id),
        scp=" ".join(scopes),
    )
    if version == 2:
        claims["preferred_username"] = user.preferred_username
    else:
        claims.update(upn=user.preferred_username, unique_name=user.preferred_username)
    if client.agent_parent_app_id is not None:
        claims.update(agent_claims("agent_user_account" if user.is_agent_user else "agent_for_user", client.agent_parent_app_id))
    return claims


def app_claims(
    shape: TokenShape,
    *,
    version: TokenVersion,
    client: ClientRegistration,
    now: float,
    lifetime: int,
    roles: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Claims of an application (client credentials) access token.

    `roles` defaults to the client's granted roles; Entra omits the claim
    when no role is granted.
    """
    claims = _common(shape, version, client, now, lifetime)
    granted = sorted(client.roles if roles is None else roles)
    claims.update(idtyp="app", oid=client.service_principal_oid, sub=client.service_principal_oid)
    if granted:
        claims["roles"] = granted
    if client.agent_parent_app_id is not None:
        claims.update(agent_claims("autonomous_agent", client.agent_parent_app_id))
    return claims


AgentScenario = Literal["agent_for_user", "autonomous_agent", "agent_user_account"]


def agent_claims(scenario: AgentScenario, parent_app_id: str) -> dict[str, Any]:
    """The claims an agent identity's token adds, per scenario of "Token claims reference for agents".

    Facet values (section "xms_tnt_fct, xms_sub_fct, and xms_act_fct claims"): 11 AgentIdentity,
    13 AgentIDUser, space-separated. `xms_par_app_azp`, the parent (blueprint) app id, is "present in
    agent identity tokens" ("Validate agent identity tokens in a downstream API"). The autonomous
    token's facets copy the page's sample ("3 9 11" / "9 3 11"), other values and order included,
    so a reader that assumes one value or one order fails here as it would against Entra.
    """
    if scenario == "autonomous_agent":
        # "Agent identity acting autonomously": idtyp app, xms_idrel 7 (service principal), roles.
        return {"idtyp": "app", "xms_idrel": "7", "xms_act_fct": "3 9 11", "xms_sub_fct": "9 3 11",
                "xms_tnt_fct": "3 9", "xms_par_app_azp": parent_app_id}
    if scenario == "agent_user_account":
        # "Agent identity acts autonomously via agent's user account": idtyp user, subject facet 13, scp.
        return {"idtyp": "user", "xms_idrel": "1", "xms_act_fct": "11", "xms_sub_fct": "13",
                "xms_par_app_azp": parent_app_id}
    # "Agent identity acting on behalf of a human user": idtyp user, actor facet 11, scp, the user's oid.
    return {"idtyp": "user", "xms_idrel": "1", "xms_act_fct": "11", "xms_par_app_azp": parent_app_id}
