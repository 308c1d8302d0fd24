"""Headless Chromium, driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`).

A real browser decides what no test double can: which cookies a cross-site redirect carries
(SameSite), whether a Secure cookie is kept on http://localhost, what the pages look like. The
protocol is JSON messages separated by NUL bytes, Chromium reading on fd 3 and writing on fd 4;
so no extra package is needed. Every wait has a deadline; nothing sleeps.

Chromium runs with a fresh profile, without its background services, and resolves no name but
localhost (`--host-resolver-rules`): it sends nothing beyond loopback.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

__all__ = ["CHROMIUM", "Chromium"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--window-size=900,900",
    "--remote-debugging-pipe",
]


class Chromium:
    """One browser with one page; `events` keeps what it reported, newest last."""

    def __init__(self, timeout: float = 20.0) -> None:
        assert CHROMIUM, "chromium is not installed (apt-get install -y chromium)"
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # bash (dash takes single-digit fds only) puts the two pipe ends where Chromium looks for them: fd 3 (commands) and fd 4 (answers).
        self._process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}', CHROMIUM, *_FLAGS,
             f"--user-data-dir={self._profile.name}", "about:blank"],
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Network.enable", session=True)

    # -- the protocol -------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], since: int) -> dict[str, Any]:
        """The first event from index `since` on that satisfies `predicate`, waiting for it if need be."""
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self.events[since:]:
                if predicate(event):
                    return event
            since = len(self.events)
            self.events.append(self._read_message(deadline))

    # -- what a test does with a page ---------------------------------------------------------

    def _until_loaded(self, action: Callable[[], object]) -> None:
        since = len(self.events)
        action()
        self.wait_for(lambda e: e.get("method") == "Page.loadEventFired", since)

    def open(self, url: str) -> None:
        self._until_loaded(lambda: self.send("Page.navigate", {"url": url}, session=True))

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str) -> None:
        """Click the element and wait for the page it leads to."""
        self._until_loaded(lambda: self.evaluate(f"document.querySelector({json.dumps(selector)}).click()"))

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))

    @property
    def text(self) -> str:
        return str(self.evaluate("document.body.innerText"))

    def cookies(self) -> list[dict[str, Any]]:
        cookies: list[dict[str, Any]] = self.send("Storage.getCookies")["cookies"]
        return cookies

    def set_cookie(self, **cookie: Any) -> None:
        assert self.send("Network.setCookie", cookie, session=True).get("success", True)

    def screenshot(self, path: str) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=True)["data"]
        with open(path, "wb") as sink:
            sink.write(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (TimeoutError, ConnectionError, OSError):
            pass
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()
