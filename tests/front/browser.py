"""A headless browser for the sign-in step: follows redirects, keeps cookies, submits the consent forms.

It treats loopback as a secure context, as browsers do for localhost, so the
front's Secure cookies travel over http://127.0.0.1. It stops at the client's
redirect URI and returns that URL (the code or the error) without fetching it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urljoin, urlsplit

import httpx

__all__ = ["Browser", "ConsentForm", "read_form"]


@dataclass
class ConsentForm:
    """The first POST form on a page: its action and the fields a person would submit."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: ConsentForm | None = None
        self._done = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form is None and a.get("method", "").lower() == "post":
            self.form = ConsentForm(action=a.get("action", ""))
        if self.form is None or self._done:
            return
        if tag == "input" and a.get("type") == "hidden":
            self.form.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self.form.buttons[a["value"]] = a["name"]
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and self._select not in self.form.fields:
            self.form.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.form is not None:
            self._done = True
        if tag == "select":
            self._select = None


def read_form(html: str) -> ConsentForm:
    parser = _FormParser()
    parser.feed(html)
    if parser.form is None:
        raise AssertionError(f"no form on the page: {html[:300]}")
    return parser.form


class Browser:
    """One person's browser: a cookie jar per host and a rule for where to stop."""

    def __init__(self, *, remember: bool = False) -> None:
        self.cookies: dict[str, dict[str, str]] = {}
        self.pages: list[httpx.Response] = []
        self.remember = remember

    def _cookie_header(self, url: str) -> dict[str, str]:
        jar = self.cookies.get(urlsplit(url).netloc, {})
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}

    def _keep_cookies(self, response: httpx.Response) -> None:
        jar = self.cookies.setdefault(response.request.url.netloc.decode(), {})
        for header in response.headers.get_list("set-cookie"):
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        headers = {**self._cookie_header(url), **dict(kwargs.pop("headers", {}) or {})}  # type: ignore[arg-type]
        response = httpx.request(method, url, headers=headers, follow_redirects=False, timeout=30, **kwargs)  # type: ignore[arg-type]
        self._keep_cookies(response)
        self.pages.append(response)
        return response

    def sign_in(self, url: str, stop_at: str, *, decisions: tuple[str, ...] = (), max_steps: int = 12) -> str:
        """Follow `url` through consent pages until a redirect to `stop_at`; return that URL.

        `decisions` answers the forms in order (then "approve").
        """
        answers = list(decisions)
        method, data = "GET", None
        for _ in range(max_steps):
            response = self.request(method, url, data=data)
            if response.status_code in (301, 302, 303, 307):
                url = urljoin(url, response.headers["location"])
                method, data = "GET", None
                if url.startswith(stop_at):
                    return url
                continue
            if response.status_code != 200:
                raise AssertionError(f"sign-in stopped at {response.status_code}: {response.text[:500]}")
            form = read_form(response.text)
            decision = answers.pop(0) if answers else "approve"
            data = {**form.fields, form.buttons[decision]: decision}
            if self.remember:
                data["remember"] = "yes"
            method, url = "POST", urljoin(url, form.action)
        raise AssertionError("too many steps")
