"""/oauth/revoke: RFC 7009 token revocation, served only when the front has a store.

A sealed refresh token names its family (front/families.py); revoking it marks the whole
family revoked, so neither it nor any token refreshed from it works again. The access token
is the issuer's own: the front cannot revoke it (it lives out its hour, as Entra's do).
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from .answers import NO_STORE, OPEN_CORS, error_json, log_refusal
from .context import Front
from .errors import FrontError, InvalidGrant, InvalidRequest, TemporarilyUnavailable, UnsupportedTokenType
from .families import Family, StoreUnavailable
from .params import required, single
from .sealing import SealError, fingerprint

__all__ = ["revoke"]


async def revoke(front: Front, request: Request, body: bytes) -> Response:
    try:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            # RFC 7009 §2.1: the request is form-encoded.
            raise InvalidRequest("Send application/x-www-form-urlencoded", reason="not_form")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=32)
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidRequest("The body is not a form", reason="bad_form") from exc
        token = required(pairs, "token")
        hint = single(pairs, "token_type_hint")
        client_id = required(pairs, "client_id")  # public clients identify themselves (RFC 7009 §2.1)
        await _revoke(front, token, hint, client_id)
    except FrontError as error:
        log_refusal("revoke", error, request.state.correlation_id)
        return error_json(error, OPEN_CORS)
    # RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by the client.
    return Response(status_code=200, headers={**NO_STORE, **OPEN_CORS})


async def _revoke(front: Front, token: str, hint: str | None, client_id: str) -> None:
    try:
        sealed = front.sealer.open("refresh", token)
    except SealError as exc:
        if hint == "access_token":
            # RFC 7009 §2.2.1: the access tokens are the issuer's, and the front cannot revoke them.
            raise UnsupportedTokenType("Access tokens cannot be revoked here; they expire on their own", reason="access_token") from exc
        # RFC 7009 §2.2: an invalid token (unknown, expired, tampered) is no error.
        return
    # RFC 7009 §2.1: the token must have been issued to the client asking.
    if not isinstance(sealed.get("cf"), str) or not hmac.compare_digest(sealed["cf"], fingerprint(client_id)):
        raise InvalidGrant("The token was issued to another client", reason="revoke_other_client")
    family = Family.of(sealed)
    store = front.families
    if family is None or store is None:  # a token without a family is refused at refresh already
        return
    ends = family.ends(front.front.refresh_window_seconds)
    try:
        await anyio.to_thread.run_sync(lambda: store.revoke(family, ends))
    except StoreUnavailable as exc:
        raise TemporarilyUnavailable("The token store is unavailable; retry shortly", reason="store_unavailable") from exc
