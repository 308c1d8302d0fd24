"""A scripted user agent: what the browser and the user do during `login`, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

_TICKET = re.compile(r'name="ticket" value="([^"]+)"')


@dataclass
class Agent:
    """Open the sign-in URL, submit the consent form, follow the redirect to the loopback listener."""

    decision: str = "approve"
    user: str = "dev.user@contoso.test"
    tamper: Callable[[str], str] | None = None  # rewrite the redirect before following it
    visited: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> None:
        self.visited.append(url)
        page = requests.get(url, timeout=10)
        assert page.status_code == 200, page.text
        match = _TICKET.search(page.text)
        assert match is not None
        decided = requests.post(
            url.split("?", 1)[0],
            data={"ticket": match.group(1), "decision": self.decision, "user": self.user},
            allow_redirects=False,
            timeout=10,
        )
        assert decided.status_code == 302, decided.text
        location = decided.headers["location"]
        if self.tamper is not None:
            location = self.tamper(location)
        landed = requests.get(location, timeout=10)
        assert landed.status_code == 200
        assert "You can close this tab" in landed.text
