"""What kind of caller a validated token speaks for: a user, an app, or one of three kinds of agent.

A pure function of the claims, like `auth.permissions`. Microsoft Entra Agent ID marks an agent's
tokens with claims of its own ("Token claims reference for agents",
https://learn.microsoft.com/entra/agent-id/agent-token-claims):

* `xms_act_fct` and `xms_sub_fct`, facts about the actor (`azp`/`appid`) and the subject (`sub`):
  space-separated odd numbers, in no promised order, of which `11` means an agent identity and
  `13` an agent's user account ("AgentIDUser"); every other value is to be ignored;
* `xms_par_app_azp`, the agent identity's parent application (its blueprint), "present in agent
  identity tokens and absent in standard app-only tokens" ("Validate agent identity tokens in a
  downstream API", https://learn.microsoft.com/entra/agent-id/how-to-validate-agent-tokens-downstream-api);
* `idtyp`, `user` or `app`, and `scp`, which an app-only agent token carries "empty or `/`".

The three agent scenarios of the claims page, and what tells them apart here:

    agent acting for a user     actor 11, subject not 13, delegated (idtyp user, scopes in scp)
    autonomous agent            actor 11, app-only (idtyp app, permissions in roles)
    agent's user account        actor 11, subject 13, delegated

Choices where the pages leave room, each failing closed (an agent is never taken for a plain user
or app, so a refusal of an agent kind cannot be slipped past):
* any one marker makes the token an agent's: `11` among the actor facets, `11` or `13` among the
  subject facets, or `xms_par_app_azp` present. The parent id's presence is a marker; its value is
  never used to decide anything (see `parent_app_id`);
* subject facet `13` makes an agent's user account whatever else the token says;
* a facet claim or parent id of the wrong shape is a malformed token (401), as a malformed `scp` is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

from .env import is_guid
from .errors import InvalidToken

__all__ = ["AGENT_KINDS", "CALLER_KINDS", "CallerKind", "caller_kind", "is_delegated", "parent_app_id"]

CallerKind = Literal["user", "app", "agent_for_user", "autonomous_agent", "agent_user_account"]
#: Every caller kind, in the order the docs list them.
CALLER_KINDS: tuple[CallerKind, ...] = get_args(CallerKind)
AGENT_KINDS: frozenset[CallerKind] = frozenset({"agent_for_user", "autonomous_agent", "agent_user_account"})

# "Token claims reference for agents", section "xms_tnt_fct, xms_sub_fct, and xms_act_fct claims".
_AGENT_IDENTITY = 11
_AGENT_USER = 13
_FACET = re.compile(r"[0-9]{1,9}")  # fullmatch; ASCII digits only (str.isdigit also takes "²")


def is_delegated(claims: Mapping[str, Any]) -> bool:
    """Whether the token acts for a signed-in subject (delegated) rather than as an app on its own.

    Entra: a delegated token has `scp`; an app-only one has none, or (an agent identity's) an empty
    or `/` one beside idtyp=app ("Access token claims reference: idtyp"; "Token claims reference
    for agents", claim table). idtyp=app makes it app-only whatever `scp` holds.
    """
    return "scp" in claims and claims.get("idtyp") != "app"


def caller_kind(claims: Mapping[str, Any], client_id: str | None) -> CallerKind:
    """The kind of caller a validated token speaks for; raises InvalidToken for a malformed agent claim."""
    actor = _facets(claims, "xms_act_fct")
    subject = _facets(claims, "xms_sub_fct")
    parent = parent_app_id(claims)
    delegated = is_delegated(claims)
    if _AGENT_USER in subject:
        return "agent_user_account"
    if _AGENT_IDENTITY in actor or _AGENT_IDENTITY in subject or parent is not None:
        return "agent_for_user" if delegated else "autonomous_agent"
    if not delegated:
        return "app"
    # Okta: client-credentials tokens carry `scp` too, but their subject is the client itself.
    if client_id is not None and claims.get("sub") == client_id:
        return "app"
    return "user"


def parent_app_id(claims: Mapping[str, Any]) -> str | None:
    """`xms_par_app_azp`, the agent's parent application id: for the audit trail only.

    Microsoft: "Log the parent application ID for auditing purposes ... It isn't recommended to use
    the parent application ID for authorization decisions, as it would result in widespread access
    by many agents" ("Token claims reference for agents", section xms_par_app_azp). Nothing here
    decides on its value; the caller-kind refusals (auth.refusals) take kinds, never parent ids.
    """
    value = claims.get("xms_par_app_azp")
    if value is None:
        return None
    if not isinstance(value, str) or not is_guid(value):
        raise InvalidToken("malformed_xms_par_app_azp")  # "It's a GUID, when included."
    return value.lower()


def _facets(claims: Mapping[str, Any], name: str) -> frozenset[int]:
    """A facet claim's values: a space-separated string of numbers (a JSON array of them is taken too)."""
    value = claims.get(name)
    if value is None:
        return frozenset()
    items: list[Any] = value.split(" ") if isinstance(value, str) else value if isinstance(value, list) else [None]
    facets: set[int] = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and item >= 0:
            facets.add(item)
        elif isinstance(item, str) and _FACET.fullmatch(item):
            facets.add(int(item))
        elif item != "":  # doubled spaces are no value
            raise InvalidToken(f"malformed_{name}")
    return frozenset(facets)
