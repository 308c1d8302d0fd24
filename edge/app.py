"""The edge: one ASGI layer in front of the MCP SDK, and the only place that speaks HTTP errors.

A request's way through, cheapest checks first:
  path → method → Origin → declared body size → bearer token → body → tool permission
then the caller is put in the request's context and the SDK's stateless app answers.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

import mcp_tools
from auth import AGENT_KINDS, AuthError, CallerRefused, InsufficientScope, JwksCache, Principal, Settings, TokenVerifier, current_principal
from sdk_app import stateless_app
from web.asgi import BodyTooLarge, ClientGone, Handler, header, header_values, method_not_allowed, read_body, send_json
from web.place import (
    MCP_PATH,
    PRM_PREFIX,
    BadHost,
    Resource,
    answer_bad_host,
    document_headers,
    request_host,
    resource_for,
)

from .challenge import auth_error_answer, challenge_scope
from .cors import cors_headers, origin_allowed, preflight
from .discovery import DISCOVERY_PATHS, UpstreamMetadata, discovery_handler
from .fastpath import FastPath
from .jsonrpc import BATCH_REFUSED, NOT_JSON, PARSE_ERROR, invalid_request, is_jsonrpc_message, missing_permission, peek_json, refused_tool
from .lifespan import LifespanOnce
from .metadata import protected_resource_metadata

if TYPE_CHECKING:
    from mcp_tools import PermissionAwareServer
    from telemetry.record import ObservedRequest, Telemetry

__all__ = ["MAX_BODY_BYTES", "Edge", "Handler", "api_scopes", "build_asgi_app"]

log = logging.getLogger("edge")

MAX_BODY_BYTES = 1024 * 1024
_MAX_REMEMBERED_RESOURCES = 64
_MCP_PATHS = frozenset({MCP_PATH, MCP_PATH + "/"})
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # fullmatch: `$` also matches before a final "\n"


class Edge:
    """Routes, checks and authenticates every HTTP request before the SDK sees it."""

    def __init__(
        self,
        settings: Settings,
        verifier: TokenVerifier,
        mcp_app: ASGIApp,
        fast_path: FastPath | None = None,
        *,
        routes: Mapping[str, Handler] | None = None,
        authorization_server_at_origin: bool = False,
        tool_names: Collection[str] | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        """`routes`: more exact paths and their handlers, served ahead of the 404.

        `authorization_server_at_origin`: an authorization server of our own answers at this
        origin (the OAuth front), so RFC 9728 `authorization_servers` names this origin.
        """
        self.settings = settings
        self.verifier = verifier
        self.mcp_app = mcp_app
        self.fast_path = fast_path
        #: Set when telemetry is on: the edge records on it and never learns where it goes.
        self.telemetry = telemetry
        self.scopes = api_scopes(settings)
        self._all_scopes = challenge_scope(self.scopes)
        self._routes: dict[str, Handler] = {path: self._mcp for path in _MCP_PATHS}
        for path in (PRM_PREFIX, PRM_PREFIX + MCP_PATH):
            self._routes[path] = self._protected_resource_metadata
        self._routes.update(routes or {})
        self._resources: dict[tuple[Any, str | None], Resource] = {}
        self.authorization_server_at_origin = authorization_server_at_origin
        #: The tools the MCP server has: only these can be refused a caller kind by name.
        self.tool_names = frozenset(mcp_tools.tool_names() if tool_names is None else tool_names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.mcp_app(scope, receive, send)  # the SDK's session manager must start
            return
        if scope["type"] != "http":
            return
        correlation_id = _correlation_id(scope)
        scope.setdefault("state", {})
        scope["state"] = {**(scope["state"] or {}), "correlation_id": correlation_id}
        send = _with_headers(send, [(b"x-correlation-id", correlation_id.encode())])
        handler = self._routes.get(scope["path"])
        if self.telemetry is not None:
            await self._observed(scope, receive, send, handler, correlation_id, self.telemetry)
            return
        if handler is None:
            await send_json(send, 404, {"error": "not_found", "error_description": "No such endpoint"})
            return
        await handler(scope, receive, send)

    async def _observed(
        self, scope: Scope, receive: Receive, send: Send, handler: Handler | None, correlation_id: str, telemetry: Telemetry
    ) -> None:
        """The same, inside the request's span (telemetry on)."""
        observed = telemetry.request(scope, scope["path"] if handler is not None else None, correlation_id)
        scope["state"]["observed"] = observed
        try:
            send = observed.watch(send)
            if handler is None:
                await send_json(send, 404, {"error": "not_found", "error_description": "No such endpoint"})
                return
            await handler(scope, receive, send)
        finally:
            observed.finish()

    async def _protected_resource_metadata(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await method_not_allowed(send, ("GET",))
            return
        try:
            resource = resource_for(scope, self.settings)
        except BadHost:
            await answer_bad_host(send)
            return
        document = protected_resource_metadata(
            resource, self.settings, self.scopes, at_origin=self.authorization_server_at_origin
        )
        await send_json(send, 200, document, document_headers(self.settings))

    async def _mcp(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin")
        if origin is not None and not origin_allowed(origin, scope, self.settings):
            # MCP transport spec "Security Warning": validate Origin to stop DNS rebinding
            # and cross-site calls from browsers; clients that send none are not browsers.
            await send_json(send, 403, {"error": "origin_not_allowed", "error_description": "Origin not allowed"})
            return
        if origin is not None:
            send = _with_headers(send, cors_headers(origin))
        method = scope["method"]
        if method == "OPTIONS" and origin is not None:
            await preflight(send)
            return
        if method != "POST":
            # A stateless server has no stream to offer on GET and no session to DELETE; a GET
            # would otherwise hold an SSE stream open until the function times out.
            await method_not_allowed(send, ("POST",))
            return
        declared = header(scope, b"content-length")
        # RFC 9110 §8.6 Content-Length = 1*DIGIT, ASCII only (str.isdigit also takes "²", which int() refuses).
        if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large(send)
            return
        try:
            resource = self._resource(scope)
        except BadHost:
            await answer_bad_host(send)
            return
        try:
            principal = await self.verifier.verify(header_values(scope, b"authorization"))
        except AuthError as error:
            await self._refuse(scope, send, error, resource.metadata_url)
            return
        if principal.kind in AGENT_KINDS:
            # Every agent call leaves an audit line with its kind and parent application: "Microsoft
            # Entra ID sign-in logs always includes the parent ID if available, so resource server
            # should do the same" (Token claims reference for agents, xms_par_app_azp). Users and
            # apps leave none, as before.
            log.info("agent call%s correlation_id=%s", _caller_fields(principal), scope["state"]["correlation_id"])
        observed: ObservedRequest | None = scope["state"].get("observed")
        if observed is not None:
            observed.authenticated(principal)
        try:
            body = await read_body(receive, MAX_BODY_BYTES)
        except BodyTooLarge:
            await _too_large(send)
            return
        except ClientGone:
            return
        message = peek_json(body)
        if message is NOT_JSON:
            # Answered here, for every revision: a body the edge cannot read is never handed on,
            # since its tool permission could not be checked (and another parser might read it).
            await send_json(send, 400, PARSE_ERROR)
            return
        if isinstance(message, list):
            await send_json(send, 400, BATCH_REFUSED)
            return
        if not is_jsonrpc_message(message):
            # The SDK answers a malformed envelope with -32602 (invalid params), or takes an
            # object id for a notification and answers nothing; JSON-RPC 2.0 §5 says -32600.
            await send_json(send, 400, invalid_request(message))
            return
        if observed is not None:
            observed.message(message)
        refused = refused_tool(message, principal, self.settings.refused_callers, self.tool_names)
        if refused is not None:
            # Before the permission: no step-up can fix the caller's kind, so none is offered.
            await self._refuse(scope, send, CallerRefused(principal.kind, refused), resource.metadata_url, principal)
            return
        missing = missing_permission(message, principal)
        if missing is not None:
            await self._refuse(scope, send, InsufficientScope(missing), resource.metadata_url, principal)
            return
        await self._dispatch(scope, send, body, message, principal)

    def _resource(self, scope: Scope) -> Resource:
        """resource_for(scope, settings), remembered per (scheme, Host): urlsplit stays off the hot path.

        Bounded, since Host is the client's to choose; a BadHost is never remembered.
        """
        memo_key = (scope.get("scheme"), None if self.settings.public_url else request_host(scope))
        resource = self._resources.get(memo_key)
        if resource is None:
            resource = resource_for(scope, self.settings)
            if len(self._resources) < _MAX_REMEMBERED_RESOURCES:
                self._resources[memo_key] = resource
        return resource

    async def _dispatch(self, scope: Scope, send: Send, body: bytes, message: Any, principal: Principal) -> None:
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        # The SDK routes only "/mcp"; "/mcp/" must answer the same, not 307 (proxies drop POST bodies).
        inner_scope = {**scope, "path": MCP_PATH, "raw_path": MCP_PATH.encode()}
        reset = current_principal.set(principal)
        try:
            # The fast path answers what it can exactly as the SDK would; the SDK's app the rest.
            if self.fast_path is None or not await self.fast_path.answer(inner_scope, replay, message, send):
                await self.mcp_app(inner_scope, replay, send)
        finally:
            current_principal.reset(reset)

    async def _refuse(
        self, scope: Scope, send: Send, error: AuthError, metadata_url: str, principal: Principal | None = None
    ) -> None:
        scope_of = self.settings.scope_string(error.permission) if isinstance(error, InsufficientScope) else None
        status, headers, body = auth_error_answer(
            error, metadata_url=metadata_url, all_scopes=self._all_scopes, scope_of=scope_of
        )
        # One line per failure: a reason code and the correlation id, never the token; the caller's
        # kind (and an agent's parent application, for the audit trail) once the token was valid.
        log.info(
            "auth failure status=%d reason=%s%s correlation_id=%s",
            status,
            error.reason,
            _caller_fields(principal) if principal is not None else "",
            scope["state"]["correlation_id"],
        )
        observed: ObservedRequest | None = scope["state"].get("observed")
        if observed is not None:
            observed.refused(error, status)
        await send_json(send, status, body, headers)


def _caller_fields(principal: Principal) -> str:
    """` caller_kind=… [parent_app_id=…]` for a log line: a kind from auth.callers, a GUID it checked."""
    fields = f" caller_kind={principal.kind}"
    if principal.parent_app_id is not None:
        # "Log the parent application ID for auditing purposes" (Token claims reference for agents).
        fields += f" parent_app_id={principal.parent_app_id}"
    return fields


def _correlation_id(scope: Scope) -> str:
    """The Functions invocation id, else a sane client-sent x-request-id, else a fresh one."""
    for candidate in (scope.get("azure_functions.invocation_id"), header(scope, b"x-request-id")):
        if isinstance(candidate, str) and _CORRELATION_ID.fullmatch(candidate):
            return candidate
    return uuid.uuid4().hex


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return send_with_headers


async def _too_large(send: Send) -> None:
    await send_json(
        send, 413, {"error": "payload_too_large", "error_description": f"The body is over {MAX_BODY_BYTES} bytes"}
    )


def api_scopes(settings: Settings) -> list[str]:
    """The full scope string of every tool permission, e.g. `api://{id}/calculator.add`."""
    return [settings.scope_string(p) for p in mcp_tools.permissions()]


def build_asgi_app(
    settings: Settings,
    keys: JwksCache | None = None,
    *,
    authorization_server: Mapping[str, Handler] | None = None,
    clock: Callable[[], float] = time.time,
    server: PermissionAwareServer | None = None,
    telemetry: Telemetry | None = None,
) -> Edge:
    """The whole application as ASGI: the edge in front of the SDK's stateless JSON app.

    `authorization_server`: the routes of an authorization server of our own at this origin (the
    OAuth front, built by the composition root, app_factory.py). Given, they are served, and the
    RFC 9728 document names this origin. Without it the issuer's discovery documents are relayed.
    `telemetry`: each request gets a span and a histogram point; the MCP server, a middleware that
    tells the request its outcome (telemetry/record.py).
    `clock` is the wall clock (seconds since the epoch) that token lifetimes are judged by;
    tests pass a settable one instead of sleeping.
    `server`: the MCP server to serve, when the composition root adds opt-in example tools
    (the on-behalf-of example), built with `settings.refused_callers` and `settings.tools_listed`
    (and telemetry's middleware, when telemetry is on); by default
    `mcp_tools.build_server(refusals=..., list_every_tool=...)` from the same settings.
    """
    keys = keys or JwksCache(settings.jwks_uri)
    middleware = [telemetry.middleware()] if telemetry is not None else []
    list_every_tool = settings.tools_listed == "all"
    server = server or mcp_tools.build_server(refusals=settings.refused_callers, middleware=middleware, list_every_tool=list_every_tool)
    if server.refusals != settings.refused_callers or server.list_every_tool != list_every_tool:
        # A wiring bug, not a setting: the composition root built the server without these settings.
        raise RuntimeError("the MCP server was built with other caller refusals or tool listing than the settings'")
    if telemetry is not None:
        telemetry.add_tools(server.tool_names)  # the tool names it may record; others are _OTHER
    sdk = stateless_app(server)
    fast_path = FastPath(sdk.server.session_manager.app, sdk.app, sdk.security)
    if authorization_server is not None:
        # Our own authorization server, not an OpenID provider: no openid-configuration, and its
        # own RFC 8414 document instead of the issuer's.
        routes: dict[str, Handler] = dict(authorization_server)
    else:
        issuer_of = (lambda scope: resource_for(scope, settings).origin) if settings.is_multi_tenant else None
        serve_discovery = discovery_handler(
            UpstreamMetadata(settings.metadata_url), api_scopes(settings), document_headers(settings), issuer_of
        )
        routes = dict.fromkeys(DISCOVERY_PATHS, serve_discovery)
    return Edge(
        settings,
        TokenVerifier(settings, keys, clock=clock),
        LifespanOnce(fast_path),
        fast_path,
        routes=routes,
        authorization_server_at_origin=authorization_server is not None,
        tool_names=server.tool_names,
        telemetry=telemetry,
    )
