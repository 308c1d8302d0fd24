"""The loopback redirect listener of a native app's authorization code flow (RFC 8252 §7.3).

It binds 127.0.0.1 (RFC 8252 §8.3: loopback IP, not a name, for the listener)
on the redirect URI's port, 0 meaning any free one, and waits for the one
request that carries the code.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import ClientError

__all__ = ["LoopbackListener"]

_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>Signed in</title>"
    b"<p>The sign-in finished. You can close this tab and return to the terminal.</p>"
)


class LoopbackListener:
    """Serve `redirect_uri` (default ``http://localhost:{free port}``) until the redirect arrives."""

    def __init__(self, redirect_uri: str | None = None) -> None:
        parts = urlsplit(redirect_uri or "http://localhost:0")
        if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
            raise ClientError("the redirect URI must be http://localhost[:port][/path] or http://127.0.0.1[...]")
        self._path = parts.path or "/"
        self._received: str | None = None
        self._arrived = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if urlsplit(self.path).path != listener._path:
                    self.send_error(404)
                    return
                listener._received = self.path
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(_DONE_PAGE)
                listener._arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                return None  # the query holds the code: keep it out of the terminal

        self._server = HTTPServer(("127.0.0.1", parts.port or 0), Handler)
        port = self._server.server_address[1]
        netloc = f"{parts.hostname}:{port}"
        self.redirect_uri = urlunsplit(("http", netloc, parts.path, "", ""))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oauth-redirect", daemon=True
        )

    def __enter__(self) -> LoopbackListener:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> str:
        """The full redirect URL the browser was sent to; ClientError on timeout."""
        if not self._arrived.wait(timeout):
            raise ClientError(f"no sign-in within {timeout:.0f} s")
        assert self._received is not None
        base = urlsplit(self.redirect_uri)
        return f"{base.scheme}://{base.netloc}{self._received}"
