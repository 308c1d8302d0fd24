"""The pure validation core: a token's header, signature and claims.

Nothing here touches the network or the clock: the key is handed in and `now`
is an argument, so every rule can be tested by changing one input.
Rules follow RFC 8725 (JWT Best Current Practices), RFC 7519 §4.1 and the
Microsoft identity platform's "Access tokens" page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import jwt
from jwt import PyJWK
from jwt.exceptions import InvalidSignatureError, PyJWTError
from jwt.types import Options

from .errors import InvalidToken, TokenExpired
from .settings import Settings, TrustedIssuer, is_tenant_id

__all__ = [
    "ALLOWED_ALGORITHMS",
    "LEEWAY_SECONDS",
    "client_id_of",
    "read_header",
    "validate_claims",
    "validate_key_issuer",
    "validate_lifetime",
    "verify_signature",
]

# RFC 8725 §3.1: verify with an explicit allow-list, never the token's own `alg` choice.
ALLOWED_ALGORITHMS = ("RS256",)
LEEWAY_SECONDS = 60
MAX_KID_LENGTH = 128
# The last second of the year 9999 (datetime's range): later, or before 1970, is no date a token means.
MAX_NUMERIC_DATE = 253_402_300_799
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud")
_KID = re.compile(r"[A-Za-z0-9._~+/=-]+")  # fullmatch: `$` would let a trailing newline through
# The placeholder of Entra's tenant-independent issuer values ("…/{tenantid}/v2.0"); Microsoft's
# recap of the signing-key-issuer check substitutes it case-insensitively.
_TENANT_PLACEHOLDER = re.compile(re.escape("{tenantid}"), re.IGNORECASE)

_Key = TypeVar("_Key", bound=PyJWK)

# Everything PyJWT would check besides the signature is checked below, against `now`.
_SIGNATURE_ONLY: Options = {
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
    if len(kid) > MAX_KID_LENGTH or not _KID.fullmatch(kid):
        raise InvalidToken("malformed_kid")
    # `jku`, `x5u`, `jwk` and `x5c` are never read: the key comes only from the
    # configured JWKS (RFC 8725 §3.10, key selection is the recipient's).
    return header


def verify_signature(token: str, keys: Sequence[_Key]) -> tuple[dict[str, Any], _Key]:
    """The claims of `token` and the key that verified its RS256 signature.

    `keys` are the candidates under the token's kid, tried in order; auth.keys bounds their number.
    """
    for key in keys:
        try:
            return jwt.decode(token, key, algorithms=list(ALLOWED_ALGORITHMS), options=_SIGNATURE_ONLY), key
        except InvalidSignatureError:
            continue
        except PyJWTError as exc:
            # A token that does not parse would not parse under any other key either.
            raise InvalidToken("malformed_token") from exc
    raise InvalidToken("bad_signature")


def validate_claims(claims: Mapping[str, Any], settings: Settings, now: float, leeway: float = LEEWAY_SECONDS) -> None:
    """Raise InvalidToken unless the claims make an access token for this API, valid at `now`."""
    _validate_required(claims)
    validate_lifetime(claims, now, leeway)
    _validate_issuer_and_audience(claims, settings)
    _validate_tenant(claims, settings)
    _validate_not_an_id_token(claims)
    _validate_names_its_client(claims, settings)
    _validate_is_access_token(claims)


def validate_key_issuer(claims: Mapping[str, Any], key_issuer: str | None, settings: Settings) -> None:
    """Raise InvalidToken unless the key that verified the token belongs to the token's issuer.

    Microsoft, "Access tokens in the Microsoft identity platform", section *Validate the signing
    key issuer*: Entra's keys document names, for each key, the issuer that uses it; a key with a
    concrete issuer verifies only tokens whose `iss` equals it, and a key with the templated
    `…/{tenantid}/v2.0` only tokens whose `iss` equals it once the token's `tid` is put in.
    So a key published for one issuer (e.g. the consumers tenant) cannot vouch for a token that
    claims another. Keys without `issuer` (Okta, generic OIDC, Entra's v1.0 keys) are not tied.
    Call it after validate_claims: `iss` is then a trusted issuer for this API.
    """
    if key_issuer is None:
        return
    issuer = claims["iss"]
    tenant = claims.get("tid")
    if _TENANT_PLACEHOLDER.search(key_issuer):
        if not isinstance(tenant, str) or not is_tenant_id(tenant):
            raise InvalidToken("key_issuer_mismatch")
        key_issuer = _TENANT_PLACEHOLDER.sub(lambda _: tenant, key_issuer)
    if issuer == key_issuer:
        return
    # A v1.0 token (`iss` https://sts.windows.net/{tid}/) verified by a key of the v2.0 keys document:
    # only v2.0 documents carry `issuer`, so the key is held to the v2.0 issuer of the same tenant and
    # cloud, as Microsoft.IdentityModel.Validators' signing-key-issuer check does for v1.0 tokens.
    if settings.is_entra and isinstance(tenant, str) and settings.v1_issuer_base is not None:
        if issuer == f"{settings.v1_issuer_base}/{tenant}/" and key_issuer == f"{settings.authority}/{tenant}/v2.0":
            return
    raise InvalidToken("key_issuer_mismatch")


def client_id_of(claims: Mapping[str, Any], settings: Settings) -> str | None:
    """The client the token was issued to, from the first claim of its issuer's profile that names one."""
    for name in _client_id_claims(claims["iss"], settings):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _client_id_claims(issuer: str, settings: Settings) -> tuple[str, ...]:
    # Entra ("Access token claims reference"): `azp` is "only present in v2.0 tokens, a
    # replacement for appid", and `appid` "only present in v1.0 tokens". v2.0 issuers end in
    # /v2.0, v1.0 issuers (https://sts.windows.net/{tid}/) do not. Reading only the claim of the
    # token's own version keeps a v1 lookalike carrying `azp` (or the reverse) out.
    if settings.is_entra:
        return ("azp",) if issuer.endswith("/v2.0") else ("appid",)
    # Any other issuer is known only by its URL, which does not say whose software it runs
    # (Okta, Keycloak and Auth0 all allow custom domains), so the claims that name the client in
    # access tokens are read in this order: RFC 9068 §2.2 `client_id`; `azp` (OpenID Connect
    # Core §2, which Keycloak and Auth0 access tokens carry); Okta's `cid` ("Okta: Access token
    # claims"). An ID token of such an issuer has a client id, not this API, as its `aud`, and
    # fails the audience rule before this one.
    return ("client_id", "azp", "cid")


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
    # RFC 7519 §2 NumericDate: a JSON number (bool is not one, though Python says so) of seconds
    # since the epoch. Python's json reads NaN, Infinity and 1e999 as non-finite floats, and NaN
    # compares false to everything, so a NaN `exp` would never expire; an int past float's range
    # (10**400) would raise OverflowError. The range check refuses every one of them before float()
    # sees it (comparing an int of any size with an int is exact).
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_NUMERIC_DATE:
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


# Access tokens only. RFC 8725 §3.12: when one issuer signs several kinds of JWT, the
# recipient needs rules that tell them apart; RFC 9068 §4 refuses anything but an access
# token. An Entra ID token can carry `aud` = our client id and, when an app role is assigned
# to users, `roles` too, signed by the same keys; three rules keep it out.


def _validate_not_an_id_token(claims: Mapping[str, Any]) -> None:
    # `nonce` is an ID token claim (OpenID Connect Core 1.0 §2, §3.1.3.7); Entra and Okta access
    # tokens for an API never carry one in their payload (Graph's `nonce` is in its header, and
    # Graph tokens never reach us). Keycloak before 25.0 copied it into access tokens too
    # (keycloak/keycloak#26893); 25.0 stopped, unless its backwards-compatible nonce mapper is added.
    if "nonce" in claims:
        raise InvalidToken("nonce_present")


def _validate_names_its_client(claims: Mapping[str, Any], settings: Settings) -> None:
    # An access token names the client it was issued to (RFC 9068 §2.2 `client_id`; Entra
    # `azp`/`appid`, Okta `cid`); an ID token names only its audience.
    if client_id_of(claims, settings) is None:
        raise InvalidToken("missing_client_id")


def _validate_is_access_token(claims: Mapping[str, Any]) -> None:
    # An access token for an API carries delegated `scp` or application `roles`
    # ("Access tokens: Payload claims").
    if "scp" not in claims and "roles" not in claims:
        raise InvalidToken("not_an_access_token")
