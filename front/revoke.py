"""/oauth/revoke: RFC 7009 token revocation, served only when the front has a store.

A sealed refresh token names its family (front/families.py); revoking it marks the whole
family revoked, so neither it nor any token refreshed from it works again. The access token
is the issuer's own: the front cannot revoke it (it lives out its hour, as Entra's do).
"""

from __future__ import annotations

import hmac

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from .answers import NO_STORE, OPEN_CORS, refusal_json
from .context import Front
from .errors import FrontError, InvalidGrant, TemporarilyUnavailable, UnsupportedTokenType
from .families import StoreUnavailable
from .params import form, required, single
from .sealed import SealedRefresh
from .sealing import SealError, fingerprint

__all__ = ["revoke"]


async def revoke(front: Front, request: Request, body: bytes) -> Response:
    try:
        pairs = form(request.headers.get("content-type", ""), body)
        token = required(pairs, "token")
        hint = single(pairs, "token_type_hint")
        client_id = required(pairs, "client_id")  # public clients identify themselves (RFC 7009 §2.1)
        await _revoke(front, token, hint, client_id)
    except FrontError as error:
        return refusal_json("revoke", error, request.state.correlation_id, OPEN_CORS)
    # RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by the client.
    return Response(status_code=200, headers={**NO_STORE, **OPEN_CORS})


async def _revoke(front: Front, token: str, hint: str | None, client_id: str) -> None:
    try:
        sealed = front.sealer.open_value(SealedRefresh, token)
    except SealError as exc:
        if hint == "access_token":
            # RFC 7009 §2.2.1: the access tokens are the issuer's, and the front cannot revoke them.
            raise UnsupportedTokenType("Access tokens cannot be revoked here; they expire on their own", reason="access_token") from exc
        # RFC 7009 §2.2: an invalid token (unknown, expired, tampered) is no error.
        return
    # RFC 7009 §2.1: the token must have been issued to the client asking.
    if not hmac.compare_digest(sealed.client_fingerprint, fingerprint(client_id)):
        raise InvalidGrant("The token was issued to another client", reason="revoke_other_client")
    family = sealed.family
    store = front.families
    if store is None:  # the route exists only with a store
        return
    ends = family.ends(front.front.refresh_window_seconds)
    try:
        await anyio.to_thread.run_sync(lambda: store.revoke(family, ends))
    except StoreUnavailable as exc:
        raise TemporarilyUnavailable("The token store is unavailable; retry shortly", reason="store_unavailable") from exc
