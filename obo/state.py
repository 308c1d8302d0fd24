"""The multi-round-trip `requestState`: sealed the front's way, bound to the caller, kept by no instance.

MCP 2026-07-28 makes the client echo `requestState` back on its retry, and requires the server
to treat it as attacker-controlled. The SDK's `RequestStateBoundary` (installed by `MCPServer`)
wraps every outgoing state in an envelope that binds the method, the tool, a digest of the
arguments, an expiry and the caller, and checks all of it on the way back before the tool sees
the plaintext. Its default key is per process, which breaks when the retry lands on another
instance; here the codec is the OAuth front's sealing approach instead: `cryptography`'s
Fernet under `MultiFernet` (the first key seals, every key opens), with keys shared through
settings, so any instance can continue any round and none stores anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from mcp.server.mcpserver import InvalidRequestState, RequestStateSecurity

from auth import current_principal

__all__ = ["FernetStateCodec", "caller_binding", "request_state_security"]

#: A consent or a step-up is a person's task: ten minutes from the question to the retry.
STATE_LIFETIME_SECONDS = 600.0


class FernetStateCodec:
    """The SDK's `RequestStateCodec` over Fernet: authenticated encryption with a version byte under the MAC."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def seal(self, payload: bytes) -> str:
        return self._fernet.encrypt(payload).decode("ascii")

    def unseal(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, ValueError) as exc:
            raise InvalidRequestState("seal") from exc


def caller_binding(ctx: Any) -> str | None:
    """Whose state it is: the caller the edge verified. Another user's retry with it is refused.

    The SDK's default binding reads its own auth middleware, which this server does not use.
    """
    principal = current_principal.get()
    if principal is None:
        return None
    return "|".join(str(part) for part in (principal.tenant_id, principal.object_id or principal.subject, principal.client_id))


def request_state_security(keys: Sequence[str]) -> RequestStateSecurity:
    return RequestStateSecurity(codec=FernetStateCodec(keys), ttl=STATE_LIFETIME_SECONDS, bind_principal=caller_binding)
