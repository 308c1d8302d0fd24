"""What the person can fix, read from Entra's token error or the downstream API's 401. Pure.

Three failures of an on-behalf-of call are the user's to fix, not the server's:
- AADSTS65001: nobody consented to the API calling the downstream API for this user
  ("OAuth 2.0 On-Behalf-Of flow", section "Gaining consent for the middle-tier application").
- AADSTS50076 / AADSTS53003: Conditional Access wants more (MFA, a compliant device). Entra
  answers the exchange with `error_codes` and, for a policy the user can satisfy, a `claims`
  JSON to request at the next sign-in ("OAuth 2.0 On-Behalf-Of flow", "Error response example").
- a claims challenge from the downstream API: 401 with `WWW-Authenticate: Bearer
  error="insufficient_claims", claims="<base64 JSON>"` (Continuous Access Evaluation,
  "Claims challenges, claims requests and client capabilities").

Each becomes a `Challenge` whose `url` is the exact Entra page where the person acts: the
authorize endpoint for the API's own registration and the downstream scopes, with
`prompt=consent` for consent and the `claims` parameter for the other two. The code Entra
sends to the redirect URI afterwards is never redeemed: the person's step itself is what
changes the outcome of the next exchange.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from requests.utils import parse_dict_header

from .settings import OboSettings

__all__ = ["Challenge", "ChallengeKind", "aadsts_codes", "from_token_error", "from_www_authenticate"]

ChallengeKind = Literal["consent", "conditional_access", "claims"]
_CONSENT = frozenset({65001})
_CONDITIONAL_ACCESS = frozenset({50076, 53003})
_AADSTS = re.compile(r"AADSTS(\d{5,6})")
#: A claims request is a small JSON object; anything bigger is not one (and would bloat the URL).
_MAX_CLAIMS_CHARS = 4096
_MAX_HEADER_CHARS = 8192


@dataclass(frozen=True)
class Challenge:
    """A failure the person can fix, with the Entra page where they fix it."""

    kind: ChallengeKind
    #: What Entra or the API said: "AADSTS65001", "AADSTS50076", "AADSTS53003", "insufficient_claims".
    code: str
    #: The claims request (JSON text) to send with the sign-in and with the next exchange.
    claims: str | None = None

    def url(self, settings: OboSettings) -> str:
        """The authorize URL for the API's registration, asking for the downstream scopes."""
        query = {
            "client_id": settings.client_id,
            "response_type": "code",
            "redirect_uri": settings.redirect_uri,
            "response_mode": "query",
            "scope": " ".join(settings.scopes),
        }
        if self.kind == "consent":
            query["prompt"] = "consent"
        if self.claims is not None:
            query["claims"] = self.claims
        return f"{settings.authorization_endpoint}?{urlencode(query)}"

    def instruction(self) -> str:
        """What the person does, in words a person can follow."""
        if self.kind == "consent":
            return "Open this page, sign in, and approve the permissions this server needs to read your profile"
        if self.kind == "conditional_access":
            return "Open this page and complete the extra sign-in step your organization requires (for example MFA)"
        return "Open this page and sign in again: the profile service asks for a fresh sign-in"


def aadsts_codes(body: Mapping[str, Any]) -> frozenset[int]:
    """The AADSTS numbers of an Entra token error: `error_codes`, else those in the description."""
    listed = body.get("error_codes")
    if isinstance(listed, list) and all(isinstance(code, int) and not isinstance(code, bool) for code in listed):
        return frozenset(listed)
    description = body.get("error_description")
    return frozenset(int(n) for n in _AADSTS.findall(description)) if isinstance(description, str) else frozenset()


def from_token_error(body: Mapping[str, Any]) -> Challenge | None:
    """The challenge in an Entra token endpoint error (MSAL's result dict), or None if it is not one."""
    codes = aadsts_codes(body)
    if codes & _CONSENT:
        return Challenge(kind="consent", code="AADSTS65001")
    found = sorted(codes & _CONDITIONAL_ACCESS)
    if found:
        return Challenge(kind="conditional_access", code=f"AADSTS{found[0]}", claims=_claims_json(body.get("claims")))
    return None


def from_www_authenticate(header: str | None) -> Challenge | None:
    """A CAE claims challenge in a downstream 401's WWW-Authenticate header, or None.

    RFC 6750 §3 syntax, auth-params read by requests' quoted-list parser; the `claims` value
    is base64 of a JSON object (Microsoft, "Claims challenges"). Anything else is no challenge.
    """
    if not header or len(header) > _MAX_HEADER_CHARS:
        return None
    scheme, _, params = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    values = parse_dict_header(params)
    if values.get("error") != "insufficient_claims":
        return None
    encoded = values.get("claims")
    if not encoded or len(encoded) > _MAX_CLAIMS_CHARS * 2:
        return None
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    claims = _claims_json(decoded)
    return None if claims is None else Challenge(kind="claims", code="insufficient_claims", claims=claims)


def _claims_json(value: Any) -> str | None:
    """`value` as compact JSON text if it is a JSON object of bounded size, else None."""
    if not isinstance(value, str) or not value or len(value) > _MAX_CLAIMS_CHARS:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not parsed:
        return None
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=True)
