"""`install(edge, ...)`: the front's endpoints, added to the edge only when OAUTH_FRONT is on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from auth import Settings
from edge.http import BodyTooLarge, ClientGone, read_body, send_json
from edge.metadata import document_headers

from .answers import OPEN_CORS
from .authorize import authorize, callback
from .clients import ClientDocuments
from .context import AUTHORIZE_PATH, CALLBACK_PATH, METADATA_PATH, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH, Front
from .errors import FrontError
from .metadata import authorization_server_metadata
from .register import register
from .revoke import revoke
from .sealing import Sealer
from .settings import FrontSettings
from .token import token
from .upstream import Upstream

__all__ = ["build_front", "install"]

MAX_BODY_BYTES = 64 * 1024
_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, MCP-Protocol-Version",
    "Access-Control-Max-Age": "600",
}

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


def build_front(settings: Settings, front_settings: FrontSettings, api_scopes: list[str], *, clock: Callable[[], float] | None = None) -> Front:
    sealer = Sealer(front_settings.sealing_keys, clock=clock) if clock else Sealer(front_settings.sealing_keys)
    families = None
    if front_settings.token_store is not None:
        # Imported only here: without a store, the Table SDK is never loaded.
        from .table_store import TableFamilyStore

        families = TableFamilyStore(front_settings.token_store, managed_identity=front_settings.managed_identity)
    return Front(
        settings=settings,
        front=front_settings,
        sealer=sealer,
        documents=ClientDocuments(dev_mode=front_settings.dev_mode),
        upstream=Upstream(front_settings),
        api_scopes=tuple(api_scopes),
        families=families,
    )


def install(edge: Any, front: Front) -> None:
    """Route the front's paths on `edge`; the PRM then names this origin as the authorization server."""
    edge.authorization_server_is_origin = True
    edge.add_route(METADATA_PATH, _get_only(front, _metadata))
    edge.add_route(AUTHORIZE_PATH, _browser(front, authorize, methods=("GET", "POST")))
    edge.add_route(CALLBACK_PATH, _browser(front, callback, methods=("GET",)))
    edge.add_route(TOKEN_PATH, _api(front, token))
    edge.add_route(REGISTER_PATH, _api(front, register))
    if front.families is not None:
        # RFC 7009 needs state: a stateless front cannot revoke a sealed token, so it has no endpoint.
        edge.add_route(REVOKE_PATH, _api(front, revoke))


async def _metadata(front: Front, request: Request) -> Response:
    # Derived from the request's Host unless MCP_PUBLIC_URL is set: the edge's headers (Vary: Host).
    return JSONResponse(authorization_server_metadata(front, front.place(request)), headers=document_headers(front.settings))


def _get_only(front: Front, handler: Callable[[Front, Request], Awaitable[Response]]) -> Handler:
    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await send_json(send, 405, {"error": "method_not_allowed", "error_description": "Use GET"}, {"Allow": "GET"})
            return
        try:
            response = await handler(front, Request(scope, receive))
        except FrontError as error:
            await send_json(send, error.status, {"error": error.error, "error_description": error.description})
            return
        await response(scope, receive, send)

    return serve


async def _capped_body(receive: Receive, send: Send) -> bytes | None:
    """The whole body under the cap; None when the client left or was already answered (413).

    Handlers get these bytes and never read the request themselves."""
    try:
        return await read_body(receive, MAX_BODY_BYTES)
    except BodyTooLarge:
        await send_json(send, 413, {"error": "invalid_request", "error_description": "The body is too large"})
    except ClientGone:
        pass
    return None


def _browser(front: Front, handler: Callable[[Front, Request, bytes], Awaitable[Response]], *, methods: tuple[str, ...]) -> Handler:
    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in methods:
            await send_json(send, 405, {"error": "method_not_allowed", "error_description": f"Use {' or '.join(methods)}"}, {"Allow": ", ".join(methods)})
            return
        body = b""
        if scope["method"] == "POST":
            capped = await _capped_body(receive, send)
            if capped is None:
                return
            body = capped
        response = await handler(front, Request(scope, receive), body)
        await response(scope, receive, send)

    return serve


def _api(front: Front, handler: Callable[[Front, Request, bytes], Awaitable[Response]]) -> Handler:
    """Token and registration: POST only, body capped, CORS open (public clients, no cookies)."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            await _no_content(send)
            return
        if scope["method"] != "POST":
            await send_json(send, 405, {"error": "method_not_allowed", "error_description": "Use POST"}, {"Allow": "POST", **OPEN_CORS})
            return
        body = await _capped_body(receive, send)
        if body is None:
            return
        response = await handler(front, Request(scope, receive), body)
        await response(scope, receive, send)

    return serve


async def _no_content(send: Send) -> None:
    headers = [(k.lower().encode(), v.encode()) for k, v in _PREFLIGHT.items()]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})

