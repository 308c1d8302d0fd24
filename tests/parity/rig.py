"""Two ASGI apps side by side on one loop: this project's, and the SDK's own stateless app.

Both are driven over raw ASGI, so every byte of status, headers and body is what
the app sent; each runs its lifespan first, as a server would start it.

The reference is `mcp_tools.build_server()` served by the SDK's stateless JSON app,
built by the factory edge.build_asgi_app uses (sdk_app.stateless_app), with nothing in front but the
caller's Principal put where get_me and the tools/list filter read it (what the edge
does after authenticating). So any difference is the edge's or the fast path's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

import mcp_tools
from auth import Principal, current_principal
from sdk_app import stateless_app
from tests.support import close_loop

__all__ = ["Answer", "Rig", "reference_app"]


@dataclass(frozen=True)
class Answer:
    """What an app sent back: status, headers in order, the whole body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)

    def without(self, *names: bytes) -> Answer:
        """The same answer without the headers `names`."""
        return Answer(self.status, tuple(h for h in self.headers if h[0] not in names), self.body)

    def by_name(self) -> Answer:
        """The same answer with its headers in name order, keeping the order of repeats.

        RFC 9110 §5.3: the order of fields with different names is not significant.
        """
        return Answer(self.status, tuple(sorted(self.headers, key=lambda h: h[0])), self.body)


def reference_app(principal: Principal) -> ASGIApp:
    """The SDK's stateless app over this project's tools, the caller already known."""
    sdk_app = stateless_app(mcp_tools.build_server()).app  # the factory production uses

    async def as_caller(scope: Scope, receive: Receive, send: Send) -> None:
        reset = current_principal.set(principal)
        try:
            await sdk_app(scope, receive, send)
        finally:
            current_principal.reset(reset)

    return as_caller


class Rig:
    """Runs apps' lifespans and requests on one event loop in a thread of its own."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="parity-loop", daemon=True)
        self._thread.start()
        self._shutdowns: list[asyncio.Queue[Message]] = []

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def start(self, app: ASGIApp) -> None:
        """Run `app`'s lifespan startup, as uvicorn does before the first request."""

        async def startup() -> None:
            inbox: asyncio.Queue[Message] = asyncio.Queue()
            started: asyncio.Future[Message] = self._loop.create_future()

            async def send(message: Message) -> None:
                if message["type"].startswith("lifespan.startup") and not started.done():
                    started.set_result(message)

            await inbox.put({"type": "lifespan.startup"})
            self._loop.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send))
            outcome = await started
            if outcome["type"] != "lifespan.startup.complete":
                raise RuntimeError(f"lifespan startup failed: {outcome}")
            self._shutdowns.append(inbox)

        self._run(startup())

    def request(
        self, app: ASGIApp, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> Answer:
        """One HTTP request through `app`; the whole answer."""

        async def exchange() -> Answer:
            sent: list[Message] = []
            delivered = False

            async def receive() -> Message:
                nonlocal delivered
                if not delivered:
                    delivered = True
                    return {"type": "http.request", "body": body, "more_body": False}
                await asyncio.Event().wait()  # the client stays connected until the answer is in
                raise AssertionError("unreachable")

            async def send(message: Message) -> None:
                sent.append(message)

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": method,
                "scheme": "https",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "root_path": "",
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 443),
                "state": {},
            }
            task = asyncio.ensure_future(app(scope, receive, send))
            while not task.done():
                await asyncio.wait([task], timeout=0.05)
                if any(m["type"] == "http.response.start" for m in sent) and not task.done():
                    # A stream (the SDK's SSE answer to GET) never ends; what it sent first is its answer.
                    await asyncio.sleep(0.2)
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            starts = [m for m in sent if m["type"] == "http.response.start"]
            if not task.cancelled() and task.exception() is not None and not starts:
                raise task.exception()  # type: ignore[misc]
            # An app that raised after its answer began (Starlette's 500, then the re-raise) is
            # compared by that answer, as a server's client would see it.
            (start,) = starts
            payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
            return Answer(start["status"], tuple((bytes(k), bytes(v)) for k, v in start["headers"]), payload)

        return self._run(exchange())

    def close(self) -> None:
        async def shutdown() -> None:
            for inbox in self._shutdowns:
                await inbox.put({"type": "lifespan.shutdown"})
            await asyncio.sleep(0.1)

        self._run(shutdown())
        close_loop(self._loop, self._thread)
