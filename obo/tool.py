"""`get_my_profile`: the downstream API's view of the signed-in user, fetched on their behalf.

When the exchange or the API fails for a reason the person can fix (obo/challenges.py):
- on 2026-07-28, to a client that declared URL elicitation, the tool answers with an
  `InputRequiredResult` carrying one URL-mode elicitation to the Entra page, and its retry
  state in `requestState` (sealed by the SDK's boundary with obo/state.py's codec). When the
  client resends the call with the person's answer, the tool exchanges again and succeeds.
- on the handshake revisions (2025-06-18, 2025-11-25: no back-channel in a stateless JSON
  answer), or to a client without URL elicitation, a tool error with the same URL and what
  to do there.

URL elicitation here is only ever for the downstream API's authorization (consent, a step-up
for the downstream token). MCP forbids using it to sign the user in to this MCP server itself:
"MCP servers MUST NOT rely on URL mode elicitation to authorize users for themselves"
(specification 2026-07-28, Client Features > Elicitation > "URL Mode Elicitation for OAuth
Flows"; and "URL Mode Elicitation Requests": it is not for authorizing the MCP client's access
to the MCP server, and the client's bearer token remains unchanged). So a token this server
refuses is still a 401 from the edge, never an elicitation.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestURLParams, ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel

from auth import CallerKind, current_principal

from .cache import CacheKey
from .challenges import Challenge
from .downstream import DownstreamFailed, fetch_profile
from .exchange import ChallengeRequired, ExchangeRefused, ExchangeUnavailable, OnBehalfOf

__all__ = ["Profile", "ProfileTool"]

log = logging.getLogger("obo")

_INPUT_REQUIRED_VERSION = "2026-07-28"
_ELICITATION_KEY = "downstream_sign_in"
_STATE_VERSION = 1
#: A person gets three tries at the page before the tool stops asking and says so.
_MAX_ROUNDS = 3
_NO_USER = (
    "this tool acts on behalf of a signed-in user, and the caller acts for itself (an application's "
    "client credentials, or an autonomous agent): on-behalf-of has no user to act for. Call it with a user's token."
)
#: Callers with a signed-in subject to act for (caller kinds, auth.callers): a user, an agent acting
#: for a user, or an agent's own user account. Anything else (app, autonomous agent) is app-only.
_DELEGATED_KINDS: frozenset[CallerKind] = frozenset({"user", "agent_for_user", "agent_user_account"})


class Profile(BaseModel):
    """The signed-in user as the downstream API (Microsoft Graph's /me) describes them."""

    id: str | None
    display_name: str | None
    user_principal_name: str | None
    mail: str | None


def _text(document: dict[str, Any], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) else None


class ProfileTool:
    """The tool function, bound to one exchange (its settings, its cache)."""

    def __init__(self, exchange: OnBehalfOf) -> None:
        self.exchange = exchange

    async def get_my_profile(self, ctx: Context) -> Profile | InputRequiredResult:
        """Read your profile from the downstream API, as you: on-behalf-of, with your consent."""
        principal = current_principal.get()
        if principal is None:  # the edge authenticates every call; reaching here without a caller is a wiring bug
            raise RuntimeError("no authenticated caller in this request")
        if principal.kind not in _DELEGATED_KINDS:
            raise ToolError(_NO_USER)
        claims, round_ = self._resumed(ctx)
        key = CacheKey(
            tenant_id=principal.tenant_id,
            user=principal.object_id or principal.subject or "",
            client_id=principal.client_id,
            scopes=self.exchange.settings.scopes,
        )
        try:
            document = await anyio.to_thread.run_sync(partial(self._profile, key, _bearer(ctx), claims))
        except ChallengeRequired as needed:
            return self._ask(ctx, needed.challenge, round_)
        except ExchangeRefused as refused:
            log.warning("obo refused code=%s", refused.code)
            raise ToolError(f"Entra refused to issue a token for the profile service ({refused.code}).") from None
        except ExchangeUnavailable as down:
            log.warning("obo unavailable reason=%s", down.reason)
            raise ToolError("The sign-in service is unavailable right now; try again in a minute.") from None
        except DownstreamFailed as failed:
            log.warning("obo downstream failed reason=%s", failed.reason)
            raise ToolError(f"The profile service did not answer with a profile ({failed.reason}).") from None
        return Profile(
            id=_text(document, "id"),
            display_name=_text(document, "displayName"),
            user_principal_name=_text(document, "userPrincipalName"),
            mail=_text(document, "mail"),
        )

    def _profile(self, key: CacheKey, assertion: str, claims: str | None) -> dict[str, Any]:
        token = self.exchange.token(key, assertion, claims=claims)
        try:
            return fetch_profile(self.exchange.settings.api_url, token)
        except ChallengeRequired:
            # Continuous Access Evaluation revoked this token's standing: never hand it out again.
            self.exchange.cache.drop(key)
            raise
        except DownstreamFailed as failed:
            if failed.reason == "status_401":  # refused for another reason: not worth keeping either
                self.exchange.cache.drop(key)
            raise

    def _resumed(self, ctx: Context) -> tuple[str | None, int]:
        """On a retry: the claims to ask Entra for, and which round this is. The person must have accepted."""
        state = ctx.request_state
        if state is None:
            return None, 0
        # The SDK's boundary has already opened and verified the envelope: this is our own plaintext.
        try:
            saved = json.loads(state)
        except ValueError:
            saved = None
        if not isinstance(saved, dict) or saved.get("v") != _STATE_VERSION:
            return None, 0
        answer = (ctx.input_responses or {}).get(_ELICITATION_KEY)
        if not isinstance(answer, ElicitResult) or answer.action != "accept":
            action = answer.action if isinstance(answer, ElicitResult) else "no answer"
            raise ToolError(f"The sign-in step was not completed ({action}), so the profile was not read.")
        claims = saved.get("claims")
        round_ = saved.get("round")
        return (claims if isinstance(claims, str) else None), (round_ if isinstance(round_, int) else 0)

    def _ask(self, ctx: Context, challenge: Challenge, round_: int) -> InputRequiredResult:
        url = challenge.url(self.exchange.settings)
        log.info("obo challenge code=%s kind=%s round=%d", challenge.code, challenge.kind, round_ + 1)
        if not _can_elicit_url(ctx) or round_ >= _MAX_ROUNDS:
            suffix = "" if round_ < _MAX_ROUNDS else " (the earlier attempts did not complete it)"
            raise ToolError(f"{challenge.instruction()}{suffix}: {url} Then call get_my_profile again. ({challenge.code})")
        request = ElicitRequest(
            params=ElicitRequestURLParams(message=f"{challenge.instruction()}. ({challenge.code})", url=url)
        )
        state = json.dumps({"v": _STATE_VERSION, "claims": challenge.claims, "round": round_ + 1}, separators=(",", ":"))
        return InputRequiredResult(input_requests={_ELICITATION_KEY: request}, request_state=state)


def _bearer(ctx: Context) -> str:
    """The caller's access token: the OBO `assertion`. The edge verified this very header before the tool ran."""
    header = (ctx.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():  # unreachable behind the edge
        raise RuntimeError("no bearer token on a request the edge authenticated")
    return token.strip()


def _can_elicit_url(ctx: Context) -> bool:
    """2026-07-28 and a client that declared URL-mode elicitation (a server MUST NOT ask otherwise)."""
    version = ctx.protocol_version
    if version is None or not is_version_at_least(version, _INPUT_REQUIRED_VERSION):
        return False
    capabilities = ctx.client_capabilities
    return capabilities is not None and capabilities.elicitation is not None and capabilities.elicitation.url is not None
