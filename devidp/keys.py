"""The provider's signing key: generated at start, published as a JWKS.

Entra signs access tokens with RS256 and names the key in the `kid` header;
resource servers pick the key from the JWKS by that `kid` (RFC 7515 §4.1.4,
RFC 7517 §5).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["SigningKey"]


class SigningKey:
    """An RSA key pair with a thumbprint `kid`, able to sign JWTs with RS256."""

    algorithm = "RS256"

    def __init__(
        self, private_key: rsa.RSAPrivateKey | None = None, *, kid: str | None = None, key_size: int = 2048
    ) -> None:
        self._private = private_key or rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        public_jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._private.public_key()))
        # RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
        canonical = json.dumps(
            {"e": public_jwk["e"], "kty": "RSA", "n": public_jwk["n"]}, separators=(",", ":"), sort_keys=True
        )
        thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
        #: An explicit `kid` lets tests sign with a key another JWKS already publishes.
        self.kid = kid or thumbprint
        # RFC 7517 §4.3: "use" and "key_ops" SHOULD NOT both be present; Entra publishes "use".
        public_jwk.pop("key_ops", None)
        self._public_jwk = {**public_jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The private key, for tests that need to forge tokens deliberately."""
        return self._private

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with `kid`, `use` and `alg`."""
        return dict(self._public_jwk)

    def jwks(self) -> dict[str, Any]:
        """The JWK Set document served at the `jwks_uri`."""
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        """Sign `claims` as a compact JWS with `typ` JWT and this key's `kid`."""
        header = {"kid": self.kid, "typ": "JWT", **(headers or {})}
        return jwt.encode(claims, self._private, algorithm=self.algorithm, headers=header)

    def signed_claims(self, token: str, *, require: list[str]) -> dict[str, Any]:
        """The claims of a token this key signed, with `require` present; raise jwt.PyJWTError otherwise.

        The audience and the times are left to the caller, who judges them against the provider's
        clock (which tests move) rather than the wall clock.
        """
        claims: dict[str, Any] = jwt.decode(
            token,
            self._private.public_key(),
            algorithms=[self.algorithm],
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": require},
        )
        return claims
