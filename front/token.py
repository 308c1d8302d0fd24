"""/oauth/token: the client's sealed code or sealed refresh token for the issuer's own tokens.

The access token handed back is Entra's, unchanged; `/mcp` validates it exactly
as it validates any other. Only the refresh token is wrapped: sealed, bound
to the client that got it, and to its sign-in's family (front/families.py): it
works within the family's window only, and, with a store, only as the newest
of its family.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from telemetry import front as front_telemetry

from .answers import NO_STORE, OPEN_CORS, client_kind, refusal_json
from .clients import UnknownClient, check_client_id
from .context import Front
from .errors import (
    FrontError,
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    TemporarilyUnavailable,
    UnsupportedGrantType,
    UpstreamError,
)
from .families import Family, FamilyReused, FamilyRevoked, StoreUnavailable
from .params import form, required, single
from .sealed import SealedCode, SealedRefresh
from .sealing import SealError, fingerprint
from .upstream import UpstreamRefused, UpstreamUnavailable

__all__ = ["token"]

T = TypeVar("T")
# RFC 7636 §4.1: code_verifier = 43*128unreserved.
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
Bound = TypeVar("Bound", SealedCode, SealedRefresh)


async def token(front: Front, request: Request, body: bytes) -> Response:
    grant_type: str | None = None
    client_id: str | None = None
    try:
        pairs = form(request.headers.get("content-type"), body)
        place = front.place(request)
        front.check_resource(single(pairs, "resource"), place)
        # RFC 6749 §5.2: a missing parameter is invalid_request; only a grant type we don't serve is unsupported.
        grant_type = required(pairs, "grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise UnsupportedGrantType("Use authorization_code or refresh_token", reason="grant_type")
        client_id = required(pairs, "client_id")  # public clients identify themselves (RFC 6749 §3.2.1)
        if grant_type == "authorization_code":
            answer = await _authorization_code(front, pairs, client_id)
        else:
            answer = await _refresh(front, pairs, client_id)
    except FrontError as error:
        front_telemetry.grant(grant_type, client_kind(client_id), error.error, client_id)
        return refusal_json("token", error, request.state.correlation_id, OPEN_CORS, client_kind=client_kind(client_id))
    front_telemetry.grant(grant_type, client_kind(client_id), None, client_id)
    return JSONResponse(answer, headers={**NO_STORE, **OPEN_CORS})


async def _authorization_code(front: Front, pairs: list[tuple[str, str]], client_id: str) -> dict[str, Any]:
    code = required(pairs, "code")
    redirect_uri = required(pairs, "redirect_uri")
    verifier = required(pairs, "code_verifier")
    # RFC 6749 §4.1.3: the code was issued to this client, for this redirect URI.
    sealed = _open_bound(front, SealedCode, code, client_id)
    if sealed.redirect_uri != redirect_uri:
        raise InvalidGrant("redirect_uri differs from the authorization request's", reason="redirect_uri_mismatch")
    # RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the code_challenge.
    if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(create_s256_code_challenge(verifier), sealed.code_challenge):
        raise InvalidGrant("The code_verifier does not match the code_challenge", reason="pkce_mismatch")
    # The issuer's code is single use: a replayed sealed code fails there (AADSTS54005).
    tokens = await _upstream(
        front.upstream.redeem,
        code=sealed.upstream_code,
        redirect_uri=sealed.callback_url,
        code_verifier=sealed.upstream_verifier,
        scope=front.upstream_scope(list(sealed.scopes)),
    )
    return _answer(front, tokens, client_id, list(sealed.scopes), Family.start(front.sealer.now()))


async def _refresh(front: Front, pairs: list[tuple[str, str]], client_id: str) -> dict[str, Any]:
    # RFC 6749 §6 / RFC 9700 §4.14.2: a refresh token is bound to the client it was issued to.
    sealed = _open_bound(front, SealedRefresh, required(pairs, "refresh_token"), client_id)
    scopes = list(sealed.scopes)
    asked = single(pairs, "scope")
    if asked is not None:
        # RFC 6749 §6: the scope MUST NOT include any scope not originally granted.
        narrowed = front.requested_scopes(asked)
        if not set(narrowed) <= set(scopes):
            raise InvalidScope("A refresh cannot add scopes", reason="refresh_wider_scope")
        scopes = narrowed
    family = sealed.family
    window_ends = family.ends(front.front.refresh_window_seconds)
    if front.sealer.now() >= window_ends:
        # The window as configured now, should it have been shortened since this token was sealed.
        raise InvalidGrant("The sign-in is older than the refresh window; sign in again", reason="refresh_window_ended")
    store = front.families
    claim = await _reuse_check(lambda: store.claim(family, window_ends)) if store is not None else None
    tokens = await _upstream(front.upstream.refresh, refresh_token=sealed.upstream_refresh_token, scope=front.upstream_scope(scopes))
    if store is not None and claim is not None:
        # Only after the issuer answered: a failed refresh leaves the client's token the newest.
        await _reuse_check(lambda: store.advance(claim))
    if not tokens.get("refresh_token"):
        tokens["refresh_token"] = sealed.upstream_refresh_token  # RFC 6749 §6: the old one stays valid when none is issued
    return _answer(front, tokens, client_id, scopes, family.next())


async def _reuse_check(step: Callable[[], T]) -> T:
    """A step of RFC 9700 §4.14.2 reuse detection, off the event loop; it fails closed."""
    try:
        return await anyio.to_thread.run_sync(step)
    except FamilyRevoked as exc:
        raise InvalidGrant("The refresh token is revoked; sign in again", reason="refresh_revoked") from exc
    except FamilyReused as exc:
        raise InvalidGrant(
            "The refresh token was already used; its sign-in is revoked, sign in again", reason="refresh_reused"
        ) from exc
    except StoreUnavailable as exc:
        raise TemporarilyUnavailable("The token store is unavailable; retry shortly", reason="store_unavailable") from exc


def _still_a_client(front: Front, client_id: str) -> None:
    """The client id still names a client, checked again after its fingerprint matched the one sealed
    in the code or refresh token: a registration must still open (its key not rotated out), a document
    client id must still be a client-id URL. RFC 6749 §3.2.1: the token endpoint identifies the client."""
    try:
        check_client_id(front.sealer, front.documents, client_id)
    except UnknownClient as exc:
        raise InvalidClient(exc.description, reason=exc.reason) from exc


def _open_bound(front: Front, kind: type[Bound], value: str, client_id: str) -> Bound:
    """A sealed code or refresh token, opened and checked to belong to `client_id`, which must still
    name a client; else invalid_grant (invalid_client for the client id)."""
    purpose = kind.PURPOSE
    what = "code" if purpose == "code" else "refresh token"
    try:
        sealed = front.sealer.open_value(kind, value)
    except SealError as exc:
        raise InvalidGrant(f"The {what} is invalid or expired", reason=f"{purpose}_{exc.reason}") from exc
    if not hmac.compare_digest(sealed.client_fingerprint, fingerprint(client_id)):
        raise InvalidGrant(f"The {what} was issued to another client", reason=f"{purpose}_other_client")
    _still_a_client(front, client_id)
    return sealed


async def _upstream(call: Any, **arguments: str) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await anyio.to_thread.run_sync(lambda: call(**arguments))
    except UpstreamRefused as exc:
        raise UpstreamError(exc.error, exc.description) from exc
    except UpstreamUnavailable as exc:
        raise TemporarilyUnavailable("The identity provider is unavailable; retry shortly", reason=f"upstream_{exc.reason}") from exc
    if not isinstance(result.get("access_token"), str):
        raise TemporarilyUnavailable("The identity provider sent no access token", reason="upstream_no_token")
    return result


def _answer(front: Front, tokens: dict[str, Any], client_id: str, scopes: list[str], family: Family) -> dict[str, Any]:
    """RFC 6749 §5.1, with the issuer's access token as it came and the refresh token sealed
    until its family's window closes (RFC 9700 §4.14.2; front/families.py)."""
    answer: dict[str, Any] = {"access_token": tokens["access_token"], "token_type": "Bearer"}
    if isinstance(tokens.get("expires_in"), (int, float)):
        answer["expires_in"] = int(tokens["expires_in"])
    answer["scope"] = tokens["scope"] if isinstance(tokens.get("scope"), str) else " ".join(scopes)
    upstream_refresh = tokens.get("refresh_token")
    if isinstance(upstream_refresh, str) and upstream_refresh:
        refresh = SealedRefresh(
            upstream_refresh_token=upstream_refresh, client_fingerprint=fingerprint(client_id), scopes=tuple(scopes),
            family_id=family.id, family_started=family.started, generation=family.generation,
        )
        answer["refresh_token"] = front.sealer.seal_value(refresh, None, until=family.ends(front.front.refresh_window_seconds))
    return answer
