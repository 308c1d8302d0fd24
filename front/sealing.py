"""Sealed values: what the front hands out instead of storing anything.

Authenticated encryption is `cryptography`'s Fernet (AES-128-CBC + HMAC-SHA256,
a maintained, versioned format), through `MultiFernet` for rotation: the first
key seals, every key opens, so a new key goes first and an old one stays until
nothing it sealed is still alive (itsdangerous' list-of-keys pattern).

The sealed JSON carries its purpose and its expiry. `open` checks both, so a
sealed `state` is never accepted as a code or a refresh token, and the expiry
is judged against the front's injected clock, not Fernet's own timestamp.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal, Protocol, Self, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from auth.errors import Failure

__all__ = [
    "MAX_SEALED_CHARS",
    "Expired",
    "Purpose",
    "SealError",
    "SealedPayload",
    "Sealer",
    "Unreadable",
    "WrongPurpose",
    "fingerprint",
    "sealed_length",
]

Purpose = Literal["client", "consent", "state", "code", "refresh", "remember"]
#: The longest sealed value `open` reads: what a client id, a form field or a cookie may carry.
MAX_SEALED_CHARS = 8192


class SealedPayload(Protocol):
    """A typed payload (front/sealed.py): its purpose, and its form on the wire."""

    PURPOSE: ClassVar[Purpose]

    def wire(self) -> dict[str, Any]: ...

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self: ...


P = TypeVar("P", bound=SealedPayload)


class SealError(Failure[Literal["unreadable", "expired", "wrong_purpose"]]):
    """A sealed value cannot be used; `reason` is a short code for logs."""


class Unreadable(SealError):
    """Not sealed by any current key: tampered, truncated, or sealed by a rotated-out key."""

    def __init__(self) -> None:
        super().__init__("unreadable")


class Expired(SealError):
    """Sealed by us, but past its expiry."""

    def __init__(self) -> None:
        super().__init__("expired")


class WrongPurpose(SealError):
    """Sealed by us for another use (a state offered as a code, say)."""

    def __init__(self) -> None:
        super().__init__("wrong_purpose")


def _is_canonical(sealed: str) -> bool:
    """True when `sealed` is exactly the encoding Fernet writes: url-safe base64 with its padding.

    Fernet's decoder is lenient (it skips characters outside the alphabet, takes `+/` for `-_`,
    ignores bits after the last byte and anything after the padding), so one sealed value would
    have many spellings that all open. Each must have one (RFC 4648 §3.5: decoders MAY reject
    non-canonical encodings, §3.3: and characters outside the alphabet): decode strictly, encode
    again and demand the same characters.
    """
    if not sealed.isascii():
        return False
    spelled = sealed.encode("ascii")
    try:
        raw = base64.b64decode(spelled, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(raw) == spelled


def sealed_length(value: str) -> int:
    """The bytes `value` takes inside a sealed payload (JSON with ASCII escapes), quotes excluded."""
    return len(json.dumps(value)) - 2


def fingerprint(value: str) -> str:
    """A short, one-way binding of a value (a client id) inside sealed payloads."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:18]).decode()


class Sealer:
    """Seals and opens JSON payloads bound to a purpose and an expiry."""

    def __init__(self, keys: Sequence[str], *, clock: Callable[[], float] = time.time) -> None:
        if not keys:
            raise ValueError("at least one sealing key is required")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    def seal(self, purpose: Purpose, data: dict[str, Any], lifetime: float | None, *, until: int | None = None) -> str:
        """Seal `data` for `lifetime` seconds from now, or `until` an absolute epoch second."""
        expires = until if until is not None else None if lifetime is None else int(self._clock() + lifetime)
        payload = json.dumps({"p": purpose, "e": expires, "d": data}, separators=(",", ":")).encode()
        return self._fernet.encrypt(payload).decode("ascii")

    def open(self, purpose: Purpose, sealed: str | None) -> dict[str, Any]:
        if not sealed or len(sealed) > MAX_SEALED_CHARS or not _is_canonical(sealed):
            raise Unreadable
        try:
            payload = json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except (InvalidToken, ValueError) as exc:
            raise Unreadable from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("d"), dict):
            raise Unreadable
        if payload.get("p") != purpose:
            raise WrongPurpose
        expires = payload.get("e")
        if expires is not None and (not isinstance(expires, int) or self._clock() >= expires):
            raise Expired
        data: dict[str, Any] = payload["d"]
        return data

    def seal_value(self, value: SealedPayload, lifetime: float | None, *, until: int | None = None) -> str:
        """Seal a typed payload under its own purpose, for `lifetime` seconds or `until` an epoch second."""
        return self.seal(value.PURPOSE, value.wire(), lifetime, until=until)

    def open_value(self, kind: type[P], sealed: str | None) -> P:
        """Open a value sealed as `kind`; Unreadable when its payload has another shape."""
        data = self.open(kind.PURPOSE, sealed)
        try:
            return kind.from_wire(data)
        except ValueError as exc:
            raise Unreadable from exc
