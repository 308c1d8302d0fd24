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

__all__ = ["CHROMIUM", "Chromium", "Page"]

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
    """One headless Chromium process; `new_page()` opens a page in a browser context of its own.

    A browser context has its own cookies and storage, as a fresh profile does: each is a person's
    browser, and one process serves them all (starting Chromium costs seconds, a context nothing).
    `events` keeps what the browser reported, newest last.
    """

    def __init__(self, timeout: float = 20.0) -> None:
        assert CHROMIUM, "chromium is not installed (apt-get install -y chromium)"
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # bash (dash takes single-digit fds only) puts the two pipe ends where Chromium looks for them:
        # fd 3 (commands) and fd 4 (answers).
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

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
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

    def new_page(self) -> Page:
        """A page in a fresh browser context: no cookies, nothing shared with any other page."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, context, session)
        page.send("Page.enable")
        page.send("Network.enable")
        return page

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


class Page:
    """One page of one browser context: a person's browser, as far as a test needs one."""

    def __init__(self, chromium: Chromium, context: str, session: str) -> None:
        self.chromium = chromium
        self.context = context
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.chromium.send(method, params, session=self.session)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event of the process (this page's carry its session id); index with `wait_for`."""
        return self.chromium.events

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], since: int) -> dict[str, Any]:
        """This page's first event from index `since` on that satisfies `predicate`."""
        return self.chromium.wait_for(lambda e: e.get("sessionId") == self.session and predicate(e), since)

    def _until_loaded(self, action: Callable[[], object]) -> None:
        since = len(self.events)
        action()
        self.wait_for(lambda e: e.get("method") == "Page.loadEventFired", since)

    def open(self, url: str) -> None:
        self._until_loaded(lambda: self.send("Page.navigate", {"url": url}))

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
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
        cookies: list[dict[str, Any]] = self.chromium.send("Storage.getCookies", {"browserContextId": self.context})["cookies"]
        return cookies

    def set_cookie(self, **cookie: Any) -> None:
        assert self.send("Network.setCookie", cookie).get("success", True)

    def screenshot(self, path: str) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(path, "wb") as sink:
            sink.write(base64.b64decode(data))

    def close(self) -> None:
        self.chromium.send("Target.disposeBrowserContext", {"browserContextId": self.context})
