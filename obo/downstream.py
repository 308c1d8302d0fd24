"""The downstream API call: GET the user's profile with the on-behalf-of token. Blocking (requests)."""

from __future__ import annotations

import json
from typing import Any

from .challenges import from_www_authenticate
from .exchange import ChallengeRequired

__all__ = ["DownstreamFailed", "fetch_profile"]

_TIMEOUT_SECONDS = 10.0
_MAX_BODY_BYTES = 64 * 1024


class DownstreamFailed(Exception):
    """The downstream API answered with something other than a profile or a claims challenge."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch_profile(url: str, token: str) -> dict[str, Any]:
    """The JSON object at `url`; a CAE claims challenge raises ChallengeRequired."""
    import requests

    try:
        with requests.get(
            url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            body = response.raw.read(_MAX_BODY_BYTES + 1, decode_content=True)
            status, challenge_header = response.status_code, response.headers.get("WWW-Authenticate")
    except requests.RequestException as exc:
        raise DownstreamFailed("unreachable") from exc
    if status == 401:
        challenge = from_www_authenticate(challenge_header)
        if challenge is not None:
            raise ChallengeRequired(challenge)
    if status != 200:
        raise DownstreamFailed(f"status_{status}")
    if len(body) > _MAX_BODY_BYTES:
        raise DownstreamFailed("too_large")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise DownstreamFailed("not_json") from exc
    if not isinstance(document, dict):
        raise DownstreamFailed("not_json")
    return document
