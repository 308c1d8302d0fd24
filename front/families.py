"""Refresh-token families: one sign-in's chain of sealed refresh tokens, and the rules that bound it.

Entra does not revoke a refresh token when it is used ("Refresh tokens in the Microsoft identity
platform"), and the front's clients are all public, so RFC 9700 §4.14.2 asks for refresh tokens
that are sender-constrained or rotated with reuse detection. The front does two things:

- **The window (always, no storage).** Every sealed refresh token carries its family's id and the
  time of the sign-in that started it. The family works for `refresh_window_seconds` after that
  sign-in and not a second longer, however often it is refreshed: the window never slides.
  Entra caps a single-page app's refresh tokens at 24 hours the same way, and so does the default.
- **Reuse detection and revocation (with a store).** Each token also carries its generation. The
  store keeps each family's current generation; a token of an older generation is a replay
  (the client always moves on to the newest), so the whole family is revoked, the newest token
  included, and later refreshes are refused (RFC 9700 §4.14.2). RFC 7009 revocation marks a
  family revoked. Without a store a replay inside the window still works: that is the window's
  price, and why the store exists.

This module is the pure part: the decision on a stored record. `front/table_store.py` does the I/O.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Claim",
    "Family",
    "FamilyRecord",
    "FamilyRevoked",
    "FamilyReused",
    "FamilyStore",
    "StoreUnavailable",
    "Verdict",
    "judge",
]


@dataclass(frozen=True)
class Family:
    """What a sealed refresh token says about its sign-in: id, start (epoch seconds) and generation."""

    id: str
    started: int
    generation: int

    @classmethod
    def start(cls, now: float) -> Family:
        # 128 random bits: a family id is never guessed (RFC 6749 §10.10).
        return cls(id=secrets.token_urlsafe(16), started=int(now), generation=0)

    def next(self) -> Family:
        return Family(id=self.id, started=self.started, generation=self.generation + 1)

    def ends(self, window_seconds: int) -> int:
        """When the window closes: the sign-in's time plus the window, whatever happened since."""
        return self.started + window_seconds


@dataclass(frozen=True)
class Claim:
    """A family allowed to refresh, as read from the store: what `advance` writes against."""

    family: Family
    window_ends: int
    #: The stored entity's version (ETag) when read; None when the family had none yet.
    version: str | None


@dataclass(frozen=True)
class FamilyRecord:
    """A family as stored: the generation of its newest token, and whether it is revoked."""

    generation: int
    revoked: bool


class FamilyRevoked(Exception):
    """The family was revoked: by RFC 7009 revocation, or because a replay was detected before."""


class FamilyReused(Exception):
    """A token of an older generation came back: a replay. The store has revoked the family."""


class StoreUnavailable(Exception):
    """The store could not be read or written. Refresh fails closed (503) rather than skip the check."""


@dataclass(frozen=True)
class Verdict:
    """`judge`'s answer: go ahead, or refuse and (for a replay) revoke."""

    allowed: bool
    revoke: bool = False
    revoked_before: bool = False


def judge(record: FamilyRecord | None, generation: int) -> Verdict:
    """May the token of `generation` be refreshed, given the stored record?

    No record: the family was never refreshed with the store on (its first refresh, or a sign-in
    from before the store was configured); the token is accepted and its successor recorded.
    """
    if record is None:
        return Verdict(allowed=True)
    if record.revoked:
        return Verdict(allowed=False, revoked_before=True)
    if record.generation != generation:
        # RFC 9700 §4.14.2: a rotated-out refresh token is presented again; the server cannot tell
        # the attacker from the client, so it revokes the active refresh token too.
        return Verdict(allowed=False, revoke=True)
    return Verdict(allowed=True)


class FamilyStore(Protocol):
    """Where each family's current generation lives. Blocking: callers run it off the event loop."""

    def claim(self, family: Family, window_ends: int) -> Claim:
        """Check `family` may refresh (else raise FamilyRevoked or FamilyReused, revoking on reuse);
        return the claim to pass to `advance` once the issuer has answered."""

    def advance(self, claim: Claim) -> None:
        """Record the claimed family's next generation, only if nothing changed since the claim
        (optimistic concurrency); raise FamilyReused, revoking the family, if another use won."""

    def revoke(self, family: Family, window_ends: int) -> None:
        """Mark `family` revoked (RFC 7009 §2.1), whatever its generation."""
