"""In-memory, thread-safe storage of consent tickets, codes and refresh tokens.

Everything here lives as long as the provider process: restarting the
development provider signs everyone out, which is what a dev loop wants.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, TokenMixin

from .registry import ClientRegistration, DevUser
from .scopes import ScopeGrant

__all__ = ["AuthorizationCode", "RefreshToken", "Store"]

#: RFC 6749 §4.1.2: a maximum authorization code lifetime of 10 minutes is RECOMMENDED.
CODE_LIFETIME = 600
CONSENT_LIFETIME = 600


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    """A code bound to client, redirect URI, user, scopes and PKCE challenge (RFC 7636 §4.4)."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    grant: ScopeGrant
    user: DevUser
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class RefreshToken(TokenMixin):  # type: ignore[misc]
    """A refresh token; `family` links the chain of rotations that started at one code."""

    token: str
    client_id: str
    scope: str
    user: DevUser
    expires_at: float
    family: str
    revoked: bool = False

    def check_client(self, client: ClientRegistration) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class Store:
    """The provider's mutable state behind one lock; `clock` gives the current time."""

    clock: Callable[[], float]
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _tickets: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)
    _codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    _redeemed: set[str] = field(default_factory=set)
    _refresh: dict[str, RefreshToken] = field(default_factory=dict)

    # -- consent tickets: the authorization request, parked while the user decides

    def park_request(self, params: Mapping[str, str]) -> str:
        """Keep an authorization request's parameters; return a one-time ticket for the consent form."""
        ticket = secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            # Abandoned sign-ins would otherwise pile up for the life of the process.
            for stale in [t for t, (expires, _) in self._tickets.items() if expires <= now]:
                del self._tickets[stale]
            for code in [c for c, found in self._codes.items() if found.expires_at <= now]:
                del self._codes[code]
            self._tickets[ticket] = (now + CONSENT_LIFETIME, dict(params))
        return ticket

    def take_request(self, ticket: str) -> dict[str, str] | None:
        """Consume a ticket; None if unknown, used or expired."""
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    # -- authorization codes (RFC 6749 §4.1.2: single use, short lived)

    def add_code(self, code: AuthorizationCode) -> None:
        with self._lock:
            self._codes[code.code] = code

    def find_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        with self._lock:
            found = self._codes.get(code)
        if found is None or found.client_id != client_id or found.expires_at <= self.clock():
            return None
        return found

    def was_redeemed(self, code: str) -> bool:
        with self._lock:
            return code in self._redeemed

    def redeem_code(self, code: AuthorizationCode) -> None:
        with self._lock:
            self._codes.pop(code.code, None)
            self._redeemed.add(code.code)

    # -- refresh tokens (a new one on every use; the old one revoked only under strict rotation)

    def add_refresh(self, token: RefreshToken) -> None:
        with self._lock:
            self._refresh[token.token] = token

    def find_refresh(self, token: str) -> RefreshToken | None:
        with self._lock:
            return self._refresh.get(token)

    def revoke_refresh(self, token: RefreshToken) -> None:
        with self._lock:
            token.revoked = True

    def revoke_family(self, family: str) -> None:
        """Revoke every refresh token descended from the same grant.

        RFC 9700 §4.14.2: when a rotated-out refresh token is presented again,
        the authorization server cannot tell attacker from client, so it
        revokes the active refresh token too.
        """
        with self._lock:
            for token in self._refresh.values():
                if token.family == family:
                    token.revoked = True
