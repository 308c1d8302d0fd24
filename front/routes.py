"""`front_routes(front)`: the front's endpoints as raw ASGI handlers, for the composition root to hand the edge.

Every route answers the same way, before its handler runs, to a method it does not take (405)
and to a Host that names no place (400 invalid_host, the edge's own answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from auth import Settings
from web.asgi import BodyTooLarge, ClientGone, Handler, method_not_allowed, read_body, send_json
from web.place import BadHost, answer_bad_host, document_headers, resource_for

from .answers import NO_STORE, OPEN_CORS
from .authorize import authorize, callback
from .clients import ClientDocuments
from .context import AUTHORIZE_PATH, CALLBACK_PATH, METADATA_PATH, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH, Front
from .metadata import authorization_server_metadata
from .register import register
from .revoke import revoke
from .sealing import Sealer
from .settings import FrontSettings
from .token import token
from .upstream import Upstream

__all__ = ["build_front", "front_routes"]

MAX_BODY_BYTES = 64 * 1024
_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, MCP-Protocol-Version",
    "Access-Control-Max-Age": "600",
}

def build_front(
    settings: Settings,
    front_settings: FrontSettings,
    api_scopes: list[str],
    *,
    clock: Callable[[], float] | None = None,
    scope_texts: Mapping[str, str] | None = None,
    server_name: str = "MCP",
) -> Front:
    """`scope_texts`: each full scope string in words for the consent page; `server_name`: what the page calls the server."""
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
        scope_texts=dict(scope_texts or {}),
        server_name=server_name,
        families=families,
    )


def front_routes(front: Front) -> dict[str, Handler]:
    """The front's paths and their handlers; the edge serves them ahead of its 404."""
    routes = {
        METADATA_PATH: _get_only(front, _metadata),
        AUTHORIZE_PATH: _browser(front, authorize, methods=("GET", "POST")),
        CALLBACK_PATH: _browser(front, callback, methods=("GET",)),
        TOKEN_PATH: _api(front, token),
        REGISTER_PATH: _api(front, register),
    }
    if front.families is not None:
        # RFC 7009 needs state: a stateless front cannot revoke a sealed token, so it has no endpoint.
        routes[REVOKE_PATH] = _api(front, revoke)
    return routes


async def _metadata(front: Front, request: Request) -> Response:
    # Derived from the request's Host unless MCP_PUBLIC_URL is set: the edge's headers (Vary: Host).
    return JSONResponse(authorization_server_metadata(front, front.place(request)), headers=document_headers(front.settings))


async def _refused_before_handler(
    front: Front, scope: Scope, send: Send, methods: tuple[str, ...], headers: dict[str, str] | None = None
) -> bool:
    """Answer a method the route does not take, or a Host that names no place; True when answered."""
    if scope["method"] not in methods:
        await method_not_allowed(send, [m for m in methods if m not in ("HEAD", "OPTIONS")], headers)
        return True
    try:
        resource_for(scope, front.settings)
    except BadHost:
        await answer_bad_host(send)
        return True
    return False


def _get_only(front: Front, handler: Callable[[Front, Request], Awaitable[Response]]) -> Handler:
    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if await _refused_before_handler(front, scope, send, ("GET", "HEAD")):
            return
        response = await handler(front, Request(scope, receive))
        await response(scope, receive, send)

    return serve


async def _capped_body(receive: Receive, send: Send) -> bytes | None:
    """The whole body under the cap; None when the client left or was already answered (413).

    Handlers get these bytes and never read the request themselves."""
    try:
        return await read_body(receive, MAX_BODY_BYTES)
    except BodyTooLarge:
        # RFC 6749 §5.1 (and RFC 9111 §5.2.2.5): no answer of the front is stored by a cache, this one included.
        await send_json(send, 413, {"error": "invalid_request", "error_description": "The body is too large"}, NO_STORE)
    except ClientGone:
        pass
    return None


def _browser(front: Front, handler: Callable[[Front, Request, bytes], Awaitable[Response]], *, methods: tuple[str, ...]) -> Handler:
    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if await _refused_before_handler(front, scope, send, methods):
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
        if await _refused_before_handler(front, scope, send, ("POST",), OPEN_CORS):
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

