"""A client metadata document host that answers one byte at a time: the slow-drip attack, on loopback.

Plain http on 127.0.0.1 (the front's local-development mode fetches from loopback over http).
Each connection is served by one asyncio task on the server's own thread, so a few hundred
slow connections cost the test or benchmark nothing. The server records, per path, how many
bytes it had sent when the fetcher hung up.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Self

__all__ = ["DripServer"]


@dataclass
class Hangup:
    """What one connection saw: bytes sent before the client left, out of how many."""

    sent: int
    total: int


@dataclass
class DripServer:
    """`with DripServer(interval=0.05) as drip:` then GET drip.url + "/any/path.json"."""

    interval: float = 0.05
    url: str = ""
    hangups: dict[str, Hangup] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _ended: threading.Condition = field(default_factory=threading.Condition)
    _connections: set[asyncio.Task[None]] = field(default_factory=set)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __enter__(self) -> Self:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)

    def wait_for_hangups(self, count: int, timeout: float = 10.0) -> dict[str, Hangup]:
        """Block until `count` connections have ended (the clients hung up); the record so far."""
        with self._ended:
            self._ended.wait_for(lambda: len(self.hangups) >= count, timeout)
            return dict(self.hangups)

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main(ready))
        self._loop.close()

    async def _main(self, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        ready.set()
        await self._stopping.wait()
        server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._drip(reader, writer)
        finally:
            self._connections.discard(task)

    async def _drip(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            return
        path = request.split(b" ", 2)[1].decode()
        document = json.dumps({"client_id": self.url + path, "redirect_uris": ["http://127.0.0.1/callback"], "pad": "x" * 200}).encode()
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%b" % (len(document), document)
        sent = 0
        try:
            while sent < len(answer) and not reader.at_eof():
                writer.write(answer[sent : sent + 1])
                await writer.drain()
                sent += 1
                await asyncio.sleep(self.interval)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client hung up, or the server is stopping
        finally:
            writer.close()
        with self._ended:
            self.hangups[path] = Hangup(sent=sent, total=len(answer))
            self._ended.notify_all()
