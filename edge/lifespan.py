"""Run an ASGI app's lifespan once, however many lifespans its server starts."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LifespanOnce"]


class LifespanOnce:
    """Passes requests through; starts the wrapped app's lifespan only the first time.

    AsgiFunctionApp starts one lifespan per invocation that arrives before the first
    startup completes, so a burst at a cold instance starts several. The SDK's session
    manager runs only once; the duplicates used to fail, mark the whole app as failed
    to start, and every request of that instance answered with an error from then on.
    Later lifespans wait for the first and report its outcome.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._started: anyio.Event | None = None
        self._startup_answer: Message = {"type": "lifespan.startup.failed"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        if self._started is not None:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._started.wait()
                await send(self._startup_answer)
            return
        started = self._started = anyio.Event()

        async def remember_startup(message: Message) -> None:
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                self._startup_answer = {"type": message["type"]}
                started.set()
            await send(message)

        try:
            await self.app(scope, receive, remember_startup)
        finally:
            started.set()
