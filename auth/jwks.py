"""A JWKS document (RFC 7517 §5), screened: which of its keys may verify a token, and which not.

Pure: bytes in, keys out. The key set comes from the issuer, but nothing in it is
trusted to be usable:

* a JWK carrying private material is never used (a leak or a mistake; PyJWT would
  load it as a private key that cannot verify);
* an RSA key under 2048 bits is never used (RFC 7518 §3.3);
* keys that are not RSA, not for signatures or not for RS256 are skipped, as
  before;
* several distinct keys under one `kid` are all kept, in document order, up to
  MAX_KEYS_PER_KID, and a token signed by any of them verifies;
* a key's `issuer` member, which Entra's v2.0 keys documents carry ("Access tokens
  in the Microsoft identity platform", section *Validate the signing key issuer*),
  is kept with the key, so auth.claims.validate_key_issuer can hold the token's
  `iss` to it; a key whose `issuer` is present but not a non-empty string is
  never used, since no token could be tied to it.

Every entry not used is reported as a SkippedKey (its kid and a reason code); the
cache in auth.keys logs each once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from jwt import PyJWK
from jwt.exceptions import PyJWTError

from .errors import Failure

__all__ = [
    "MAX_KEYS_PER_KID",
    "MIN_RSA_BITS",
    "Candidates",
    "JwksFetchError",
    "ParsedJwks",
    "SkippedKey",
    "VerificationKey",
    "parse_jwks",
]

# Two keys under one kid happen (a botched rollover, a key republished with new parameters);
# each candidate costs one signature check on a cache miss, so their number is bounded.
MAX_KEYS_PER_KID = 4
# RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
MIN_RSA_BITS = 2048
# RFC 7518 §6.3.2 (RSA private members) and §6.4.1 (`k`, a symmetric key): a published key set
# carries public keys only; a key with any of these is a leak or a mistake, and PyJWT would load
# it as a private key that cannot verify (AttributeError, a 500 for every token under its kid).
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")



class VerificationKey(PyJWK):
    """A usable RS256 verification key, and the issuer its document ties it to (None when it names none)."""

    def __init__(self, jwk_data: dict[str, Any], issuer: str | None) -> None:
        super().__init__(jwk_data)
        self.issuer = issuer


Candidates = tuple[VerificationKey, ...]


class JwksFetchError(Failure[str]):
    """The JWKS could not be fetched or held no usable key; `reason` is a short code (`jwks_…`)."""


@dataclass(frozen=True)
class SkippedKey:
    """A JWK of the document that is not used, and why (a short code)."""

    kid: str | None
    reason: str


class ParsedJwks(NamedTuple):
    """The usable RS256 verification keys by `kid`, in document order, and the entries skipped."""

    keys: dict[str, Candidates]
    skipped: tuple[SkippedKey, ...]


def parse_jwks(body: bytes) -> ParsedJwks:
    """Screen a JWKS document (RFC 7517 §5); JwksFetchError when it holds no usable key."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; RecursionError: "[[[[..."
        raise JwksFetchError("jwks_not_json") from exc
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksFetchError("jwks_not_a_key_set")
    keys: dict[str, list[VerificationKey]] = {}
    skipped: list[SkippedKey] = []
    for entry in entries:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        kid = kid if isinstance(kid, str) and kid else None
        key = None
        reason = _unusable(entry, kid)
        if reason is None:
            key, reason = _load(entry)
        if key is not None and kid is not None:
            reason = _crowded(keys.setdefault(kid, []), key)
            if reason is None:
                keys[kid].append(key)
        if reason is not None:
            skipped.append(SkippedKey(kid, reason))
    usable = {kid: tuple(candidates) for kid, candidates in keys.items() if candidates}
    if not usable:
        raise JwksFetchError("jwks_no_usable_keys")
    return ParsedJwks(usable, tuple(skipped))


def _unusable(entry: Any, kid: str | None) -> str | None:
    """Why the entry can't be an RS256 verification key, from its members alone."""
    if not isinstance(entry, dict):
        return "not_an_object"
    if any(member in entry for member in _PRIVATE_MEMBERS):
        return "private_material"
    if kid is None:
        return "no_kid"
    if entry.get("kty") != "RSA":
        return "kty_not_rsa"
    if entry.get("use", "sig") != "sig":  # RFC 7517 §4.2: encryption keys never verify
        return "not_for_signing"
    if entry.get("alg", "RS256") != "RS256":
        return "alg_not_rs256"
    # Entra's keys documents name, per key, the issuer that signs with it; a key must only verify
    # that issuer's tokens ("Access tokens in the Microsoft identity platform", section *Validate
    # the signing key issuer*). A present but unusable `issuer` ties the key to nothing we can check.
    if "issuer" in entry and not (isinstance(entry["issuer"], str) and entry["issuer"].strip()):
        return "bad_key_issuer"
    return None


def _load(entry: dict[str, Any]) -> tuple[VerificationKey | None, str | None]:
    try:
        key = VerificationKey(entry, entry.get("issuer"))
    except (PyJWTError, ValueError, TypeError):
        return None, "unusable_key"
    if key.key.key_size < MIN_RSA_BITS:
        return None, "rsa_key_too_short"
    return key, None


def _crowded(candidates: list[VerificationKey], key: VerificationKey) -> str | None:
    """Why `key` can't join the other candidates under its kid, if it can't."""
    if any(held.key.public_numbers() == key.key.public_numbers() for held in candidates):
        return "duplicate_key"
    if len(candidates) >= MAX_KEYS_PER_KID:
        return "too_many_keys_for_kid"
    return None
