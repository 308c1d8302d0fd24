"""How the settings modules read the environment: each of auth, the front, the on-behalf-of
example and telemetry reads its own variables with these, so one spelling means one thing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

__all__ = ["comma_separated", "fernet_key_problem", "is_guid", "setting", "switch"]

_ON = frozenset({"on", "true", "1", "yes"})
_OFF = frozenset({"", "off", "false", "0", "no"})
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def setting(environ: Mapping[str, str], name: str) -> str | None:
    """The trimmed value of `name`; None when it is unset or blank."""
    return environ.get(name, "").strip() or None


def switch(environ: Mapping[str, str], name: str, problems: list[str]) -> bool:
    """An on/off setting (unset is off); anything else adds "`name` must be on or off" to `problems`."""
    text = environ.get(name, "").strip().lower()
    if text in _ON:
        return True
    if text not in _OFF:
        problems.append(f"{name} must be on or off")
    return False


def comma_separated(text: str | None) -> tuple[str, ...]:
    """The non-blank items of a comma-separated value, trimmed, in order."""
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())


def is_guid(text: str) -> bool:
    """A GUID in its 8-4-4-4-12 form, either case (fullmatch: `$` would let a trailing newline through)."""
    return _GUID.fullmatch(text) is not None


def fernet_key_problem(key: str) -> str | None:
    """Why `key` is not a Fernet key (32 random bytes, url-safe base64), or None."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "is not url-safe base64"
    if len(raw) != 32:
        return "must be 32 bytes of url-safe base64 (python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    return None
