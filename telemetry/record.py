"""What the edge and the key cache record, through the OpenTelemetry API only.

The edge calls `Telemetry` when it has one (telemetry on); it never learns where spans go.
With no SDK configured the API's tracer and meter are no-ops, but the edge does not even
call them then: `build_asgi_app` gets no `Telemetry` at all.

One SERVER span per HTTP request, named as the HTTP semantic conventions name server spans
(`{method} {route}`), is the current span while the request is served, so the MCP SDK's own
SERVER span (its OpenTelemetryMiddleware) is its child, on the fast path and on the SDK's app
alike. Its parent is the Functions invocation's span when the worker has put one in the
context (OpenTelemetry mode), otherwise the W3C `traceparent` header (W3C Trace Context §3.2).
A `traceparent` in a message's `_meta` is the SDK's to read: its span joins that trace (MCP
semantic conventions, "Context propagation"), and the edge span stays the HTTP request's.

Values recorded are codes, ids and names chosen from fixed sets; never a header, a token, a
body or a query string. Method and tool names come from the body, which the caller writes, so
only known ones are recorded (others as `_OTHER`, the conventions' word for it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Span, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import ValidationError
from starlette.types import Message, Scope, Send

from auth import AuthError, Principal

from . import names

__all__ = ["ObservedRequest", "OperationMiddleware", "Telemetry"]

OTHER = "_OTHER"
# HTTP semantic conventions: http.request.method is one of the known methods, else _OTHER.
_HTTP_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
# The MCP methods (MCP specification, schema): the only values recorded for mcp.method.name.
MCP_METHODS = frozenset({
    "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "resources/subscribe", "resources/unsubscribe", "prompts/list",
    "prompts/get", "completion/complete", "logging/setLevel", "subscriptions/listen",
    "notifications/initialized", "notifications/cancelled", "notifications/progress",
    "notifications/roots/list_changed", "tasks/get", "tasks/list", "tasks/result", "tasks/cancel",
})

_current: ContextVar[ObservedRequest | None] = ContextVar("observed_request", default=None)


class _AsgiHeaders(Getter[Scope]):
    """The W3C propagator's view of an ASGI scope's headers (first value of each name)."""

    def get(self, carrier: Scope, key: str) -> list[str] | None:
        wanted = key.lower().encode("latin-1")
        for name, value in carrier.get("headers") or ():
            if name == wanted:
                return [value.decode("latin-1")]
        return None

    def keys(self, carrier: Scope) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier.get("headers") or ()]


_HEADERS = _AsgiHeaders()
# W3C Trace Context only: `baggage` from a caller is not taken in (nothing here reads it, and a
# client's baggage would ride along into every span the SDK's instrumentations start).
_W3C = TraceContextTextMapPropagator()


def _caller_context(scope: Scope) -> otel_context.Context | None:
    """The invocation's context when the Functions worker put a span in it, else the `traceparent` header's."""
    if trace.get_current_span().get_span_context().is_valid:
        return None
    for name, _ in scope.get("headers") or ():
        if name == b"traceparent":
            return _W3C.extract(scope, getter=_HEADERS)
    return None


class Telemetry:
    """The app's tracer and instruments; one per process, shared by every request."""

    def __init__(
        self,
        tools: Iterable[str] = (),
        *,
        record_user_id: bool = False,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self.tools = frozenset(tools)
        self.record_user_id = record_user_id
        self.tracer = trace.get_tracer(names.SCOPE, tracer_provider=tracer_provider)
        meter = metrics.get_meter(names.SCOPE, meter_provider=meter_provider)
        # One measurement per request: its count by method, tool and outcome is the request count.
        self.duration = meter.create_histogram(
            names.OPERATION_DURATION,
            unit="s",
            description="POST /mcp requests, from arrival to answer, by MCP method, tool and outcome",
            explicit_bucket_boundaries_advisory=list(names.DURATION_BUCKETS),
        )
        self.refusals = meter.create_counter(names.AUTH_REFUSALS, unit="{request}", description="Requests refused by bearer-token auth, by reason")
        self.jwks_refreshes = meter.create_counter(names.JWKS_REFRESHES, unit="{fetch}", description="JWKS fetches by outcome and trigger")

    def add_tools(self, tools: Iterable[str]) -> None:
        """Names of tools the served MCP server has: recorded as they are (any other as _OTHER)."""
        self.tools = self.tools | frozenset(tools)

    def request(self, scope: Scope, route: str | None, correlation_id: str) -> ObservedRequest:
        """Start the request's SERVER span and make it current; call `finish()` when answered."""
        return ObservedRequest(self, scope, route, correlation_id)

    def middleware(self) -> OperationMiddleware:
        """The MCP server middleware that tells each request's ObservedRequest its outcome."""
        return OperationMiddleware(self)

    def method_name(self, method: Any) -> str:
        return method if method in MCP_METHODS else OTHER

    def tool_name(self, tool: Any) -> str:
        return tool if tool in self.tools else OTHER

    def jwks_fetch_started(self, trigger: str) -> Callable[[str, int], None]:
        """A span around one JWKS fetch, current on the fetching thread until the callback is called."""
        span = self.tracer.start_span(names.JWKS_SPAN, kind=SpanKind.INTERNAL, attributes={names.JWKS_TRIGGER: trigger})
        token = otel_context.attach(trace.set_span_in_context(span))

        def fetched(outcome: str, keys: int) -> None:
            try:
                span.set_attributes({names.JWKS_OUTCOME: outcome, names.JWKS_KEYS: keys})
                if outcome != "ok":
                    span.set_attribute(names.ERROR_TYPE, outcome)
                    span.set_status(StatusCode.ERROR)
                span.end()
            finally:
                otel_context.detach(token)
            self.jwks_refreshes.add(1, {names.JWKS_OUTCOME: outcome, names.JWKS_TRIGGER: trigger})

        return fetched


class ObservedRequest:
    """One HTTP request's span and what the edge learns about it on the way through.

    Attributes are gathered and set once, when the request ends, and only on a span that
    records (a sampler may have left it out); the metric is recorded either way.
    """

    __slots__ = ("_telemetry", "_token", "_var_token", "_mcp", "_started", "_attributes", "span", "status", "method", "tool", "outcome", "error_type")

    def __init__(self, telemetry: Telemetry, scope: Scope, route: str | None, correlation_id: str) -> None:
        self._telemetry = telemetry
        self._started = time.perf_counter()
        method = scope.get("method", "")
        http_method = method if method in _HTTP_METHODS else OTHER
        attributes: dict[str, Any] = {names.HTTP_METHOD: http_method, names.URL_SCHEME: scope.get("scheme", "http")}
        if route is not None:
            attributes[names.HTTP_ROUTE] = route
        self.span: Span = telemetry.tracer.start_span(
            f"{http_method} {route}" if route is not None else http_method,
            context=_caller_context(scope),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        self._var_token = _current.set(self)
        self._mcp = route is not None and route.startswith("/mcp")
        self._attributes: dict[str, Any] | None = {names.CORRELATION_ID: correlation_id} if self.span.is_recording() else None
        self.status = 0
        self.method: str | None = None
        self.tool: str | None = None
        self.outcome: str | None = None
        self.error_type: str | None = None

    def watch(self, send: Send) -> Send:
        """`send`, noting the response status."""

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            await send(message)

        return watched

    def authenticated(self, principal: Principal) -> None:
        attributes = self._attributes
        if attributes is None:
            return
        attributes[names.AUTH_OUTCOME] = "allowed"
        attributes[names.AUTH_CALLER_KIND] = principal.kind
        if principal.tenant_id is not None:
            attributes[names.AUTH_TENANT_ID] = principal.tenant_id
        if principal.client_id is not None:
            attributes[names.AUTH_CLIENT_ID] = principal.client_id
        if principal.parent_app_id is not None:
            attributes[names.AUTH_PARENT_APP_ID] = principal.parent_app_id
        if self._telemetry.record_user_id and principal.object_id is not None:
            attributes[names.USER_ID] = principal.object_id

    def refused(self, error: AuthError, status: int) -> None:
        self.outcome = "refused"
        if self._attributes is not None:
            self._attributes[names.AUTH_OUTCOME] = "refused"
            self._attributes[names.AUTH_REASON] = error.reason
        self._telemetry.refusals.add(1, {names.AUTH_REASON: error.reason, names.HTTP_STATUS: status})

    def message(self, message: Mapping[str, Any]) -> None:
        """The JSON-RPC message the edge read: its method, and the tool a tools/call names."""
        self.method = self._telemetry.method_name(message.get("method"))
        if self.method == "tools/call":
            params = message.get("params")
            self.tool = self._telemetry.tool_name(params.get("name") if isinstance(params, Mapping) else None)

    def operation(self, error_type: str | None) -> None:
        """What the MCP server made of the request (from OperationMiddleware)."""
        if self.outcome is None:
            self.outcome = "ok" if error_type is None else "tool_error" if error_type == "tool_error" else "error"
            self.error_type = error_type

    def finish(self) -> None:
        """End the span, record the request, and leave the context as it was."""
        status = self.status
        try:
            outcome = self.outcome
            error_type = self.error_type
            if status >= 500:
                outcome, error_type = "error", str(status)
            elif outcome is None:
                outcome = "rejected" if status >= 400 else "ok"
            measured: dict[str, Any] = {names.REQUEST_OUTCOME: outcome}
            if self.method is not None:
                measured[names.MCP_METHOD] = self.method
            if self.tool is not None:
                measured[names.TOOL_NAME] = self.tool
            if error_type is not None:
                measured[names.ERROR_TYPE] = error_type
            attributes = self._attributes
            if attributes is not None:
                if self.method is not None:
                    attributes[names.MCP_METHOD] = self.method
                if self.tool is not None:
                    attributes[names.TOOL_NAME] = self.tool
                if status:
                    attributes[names.HTTP_STATUS] = status
                if status >= 500:
                    # HTTP semantic conventions: a server span is an error on 5xx only.
                    attributes[names.ERROR_TYPE] = str(status)
                    self.span.set_status(StatusCode.ERROR)
                self.span.set_attributes(attributes)
            self.span.end()
            if self._mcp:
                self._telemetry.duration.record(time.perf_counter() - self._started, measured)
        finally:
            _current.reset(self._var_token)
            otel_context.detach(self._token)


class OperationMiddleware:
    """MCP server middleware: tells the request's ObservedRequest what the server made of it.

    It runs inside the SDK's own OpenTelemetryMiddleware and reads the outcome the same way
    (an MCPError's code, -32602 for invalid params, a tool result with isError).
    """

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        observed = _current.get()
        if observed is None or ctx.request_id is None:  # not through the edge, or a notification
            return await call_next(ctx)
        try:
            result = await call_next(ctx)
        except MCPError as exc:
            observed.operation(str(exc.error.code))
            raise
        except ValidationError:
            observed.operation(str(INVALID_PARAMS))
            raise
        except Exception as exc:
            observed.operation(type(exc).__qualname__)
            raise
        observed.operation("tool_error" if ctx.method == "tools/call" and _is_tool_error(result) else None)
        return result


def _is_tool_error(result: Any) -> bool:
    match result:
        case CallToolResult(is_error=True) | {"isError": True}:
            return True
        case _:
            return False
