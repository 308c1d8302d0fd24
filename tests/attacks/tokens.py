"""Forged and hand-built tokens for the attack matrix: what `mint` refuses to make."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from tests.support import SigningKey, remember_token


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    header: Mapping[str, Any],
    claims: Mapping[str, Any] | str,
    signature: bytes | None = None,
    *,
    hs256_secret: bytes | None = None,
    rs256_key: SigningKey | None = None,
) -> str:
    """A compact JWS with exactly this header and these claims, which PyJWT's encoder would refuse to write.

    Signed with HMAC-SHA256 under `hs256_secret`, with RS256 under `rs256_key`, or carrying `signature` as is.
    `claims` given as a str is the payload's JSON text, byte for byte (e.g. `"exp": 1e999`); a mapping is
    written by json.dumps, which writes NaN and Infinity as the bare literals Python's parser reads back.
    """
    payload = claims if isinstance(claims, str) else json.dumps(claims)
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload.encode())}"
    if hs256_secret is not None:
        signature = hmac.new(hs256_secret, signing_input.encode(), hashlib.sha256).digest()
    if rs256_key is not None:
        signature = rs256_key.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return remember_token(f"{signing_input}.{b64url(signature or b'')}")


def public_pem(key: SigningKey) -> bytes:
    return key.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def self_signed_x5c(key: SigningKey) -> list[str]:
    """An `x5c` chain of one self-signed certificate for `key` (RFC 7515 §4.1.6: base64 DER, not base64url)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "login.microsoftonline.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key.private, hashes.SHA256())
    )
    return [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]
