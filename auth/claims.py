"""The pure validation core: a token's header, signature and claims.

Nothing here touches the network or the clock: the key is handed in and `now`
is an argument, so every rule can be tested by changing one input.
Rules follow RFC 8725 (JWT Best Current Practices), RFC 7519 §4.1 and the
Microsoft identity platform's "Access tokens" page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jwt
from jwt import PyJWK
from jwt.exceptions import InvalidSignatureError, PyJWTError

from .errors import InvalidToken, TokenExpired
from .settings import Settings, TrustedIssuer, is_tenant_id

__all__ = [
    "ALLOWED_ALGORITHMS",
    "LEEWAY_SECONDS",
    "read_header",
    "validate_claims",
    "validate_lifetime",
    "verify_signature",
]

# RFC 8725 §3.1: verify with an explicit allow-list, never the token's own `alg` choice.
ALLOWED_ALGORITHMS = ("RS256",)
LEEWAY_SECONDS = 60
MAX_KID_LENGTH = 128
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud")
_KID = re.compile(r"^[A-Za-z0-9._~+/=-]+$")

# Everything PyJWT would check besides the signature is checked below, against `now`.
_SIGNATURE_ONLY: dict[str, Any] = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}


def read_header(token: str) -> dict[str, Any]:
    """The JOSE header, after the checks that need no key. Returns it with a usable `kid`."""
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError as exc:
        raise InvalidToken("malformed_token") from exc
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise InvalidToken("alg_not_allowed")
    # RFC 7515 §4.1.11: a recipient MUST reject a JWS whose `crit` names extensions it
    # does not understand; we understand none.
    if "crit" in header:
        raise InvalidToken("crit_header")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("missing_kid")
    if len(kid) > MAX_KID_LENGTH or not _KID.match(kid):
        raise InvalidToken("malformed_kid")
    # `jku`, `x5u`, `jwk` and `x5c` are never read: the key comes only from the
    # configured JWKS (RFC 8725 §3.10, key selection is the recipient's).
    return header


def verify_signature(token: str, key: PyJWK) -> dict[str, Any]:
    """The claims of `token` if `key` verifies its RS256 signature."""
    try:
        claims = jwt.decode(token, key, algorithms=list(ALLOWED_ALGORITHMS), options=_SIGNATURE_ONLY)
    except InvalidSignatureError as exc:
        raise InvalidToken("bad_signature") from exc
    except PyJWTError as exc:
        raise InvalidToken("malformed_token") from exc
    return claims


def validate_claims(claims: Mapping[str, Any], settings: Settings, now: float, leeway: float = LEEWAY_SECONDS) -> None:
    """Raise InvalidToken unless the claims make an access token for this API, valid at `now`."""
    _validate_required(claims)
    validate_lifetime(claims, now, leeway)
    _validate_issuer_and_audience(claims, settings)
    _validate_tenant(claims, settings)
    _validate_is_access_token(claims)


def validate_lifetime(claims: Mapping[str, Any], now: float, leeway: float = LEEWAY_SECONDS) -> None:
    """The rules that depend on `now` (exp, nbf, iat), in validate_claims's order.

    Claims that passed validate_claims once need only these to be judged at another `now`:
    every other rule is a function of the claims and the settings alone.
    """
    _validate_exp(claims["exp"], now, leeway)
    _validate_nbf(claims.get("nbf"), now, leeway)
    _validate_iat(claims["iat"], now, leeway)


def _validate_required(claims: Mapping[str, Any]) -> None:
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise InvalidToken(f"missing_{name}")


def _numeric_date(value: Any, name: str) -> float:
    # RFC 7519 §2 NumericDate: a JSON number (bool is not one, though Python says so).
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"malformed_{name}")
    return float(value)


def _validate_exp(value: Any, now: float, leeway: float) -> None:
    # RFC 7519 §4.1.4: MUST NOT be accepted on or after the expiration time.
    if now >= _numeric_date(value, "exp") + leeway:
        raise TokenExpired("expired")


def _validate_nbf(value: Any, now: float, leeway: float) -> None:
    # RFC 7519 §4.1.5: MUST NOT be accepted before the not-before time.
    if value is not None and now + leeway < _numeric_date(value, "nbf"):
        raise InvalidToken("not_yet_valid")


def _validate_iat(value: Any, now: float, leeway: float) -> None:
    # A token minted in the future comes from a skewed or forged issuer.
    if _numeric_date(value, "iat") > now + leeway:
        raise InvalidToken("issued_in_future")


def _validate_issuer_and_audience(claims: Mapping[str, Any], settings: Settings) -> None:
    issuer = claims["iss"]
    # Exact string comparison (RFC 7519 §4.1.1 and RFC 8725 §3.8): no prefix, suffix or case games.
    trusted = next((t for t in _trusted_issuers(claims, settings) if isinstance(issuer, str) and issuer == t.issuer), None)
    if trusted is None:
        raise InvalidToken("bad_issuer")
    audience = claims["aud"]
    audiences = [audience] if isinstance(audience, str) else audience
    # RFC 7519 §4.1.3: reject unless we identify ourselves with a value in `aud`.
    if not isinstance(audiences, list) or not any(isinstance(a, str) and a in trusted.audiences for a in audiences):
        raise InvalidToken("bad_audience")


def _trusted_issuers(claims: Mapping[str, Any], settings: Settings) -> tuple[TrustedIssuer, ...]:
    if not settings.is_multi_tenant:
        return settings.trusted_issuers
    # Multi-tenant: the issuer is the token's own tenant's, built from its `tid` and matched exactly.
    # Microsoft ("Access tokens: Validate the issuer", multi-tenant apps): check that `tid` is a GUID
    # and that the issuer and `tid` match, rather than skipping the issuer check for common/organizations.
    tenant = claims.get("tid")
    if not isinstance(tenant, str) or not is_tenant_id(tenant):
        return ()
    return settings.issuers_for_tenant(tenant)


def _validate_tenant(claims: Mapping[str, Any], settings: Settings) -> None:
    if settings.is_multi_tenant:
        # `tid` was checked against `iss` above; now it must be on OAUTH_ALLOWED_TENANTS.
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not settings.tenant_allowed(tenant):
            raise InvalidToken("tenant_not_allowed")
        return
    if settings.tenant_id is None:
        return
    tenant = claims.get("tid")
    if not isinstance(tenant, str) or tenant.lower() != settings.tenant_id:
        raise InvalidToken("tenant_mismatch")


def _validate_is_access_token(claims: Mapping[str, Any]) -> None:
    # An access token for an API carries delegated `scp` or application `roles`
    # ("Access tokens: Payload claims"); an ID token minted for the same client id
    # carries neither and must not be accepted as a credential (RFC 9068 §1).
    if "scp" not in claims and "roles" not in claims:
        raise InvalidToken("not_an_access_token")
