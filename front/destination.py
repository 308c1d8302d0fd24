"""Where a redirect URI sends the answer, as the consent page tells a person.

Three kinds (RFC 8252 §7): a web address (https), a program on this computer (http to a loopback
address, §7.3), or an app that claimed a private-use URI scheme (§7.1). Hosts are shown in their
ASCII (punycode) form, so a name spelled with look-alike letters reads as what it is (RFC 3986
§7.6 on misleading URIs; UTS #39 confusables). A private-use scheme is shown as the scheme: in
`x-app://claude.ai/cb` the "host" is whatever the app chose to write there, not a place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from auth.settings import is_loopback_host

__all__ = ["Destination", "ascii_host", "destination"]

# RFC 3986 §2.2 and §2.3: what may stay as it is in a shown path or query; the rest is percent-encoded.
_SHOWN_SAFE = "/:@!$&'()*+,;=?-._~%"


@dataclass(frozen=True)
class Destination:
    kind: Literal["web", "this_computer", "app"]
    #: The host in ASCII (web), the port (this_computer) or `scheme:` (app).
    where: str
    #: The whole URI, with its host in ASCII and every other non-ASCII character percent-encoded.
    shown_uri: str


def ascii_host(host: str) -> str:
    """`host` as DNS carries it: IDNA (punycode) labels; a host IDNA refuses keeps its non-ASCII
    characters as visible escapes, never as look-alike letters."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.encode("ascii", "backslashreplace").decode("ascii").lower()


def destination(uri: str) -> Destination:
    """The kind of place `uri` (an accepted redirect URI) names, and how to show it."""
    parts = urlsplit(uri)
    host = ascii_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path, query = quote(parts.path, safe=_SHOWN_SAFE), quote(parts.query, safe=_SHOWN_SAFE)
    scheme = parts.scheme.lower()
    if scheme == "http" and is_loopback_host(parts.hostname):
        return Destination("this_computer", str(port) if port is not None else "80", urlunsplit((parts.scheme, netloc, path, query, "")))
    if scheme in ("http", "https"):
        return Destination("web", host, urlunsplit((parts.scheme, netloc, path, query, "")))
    # A private-use scheme: what follows `scheme:` is the app's own text, not a place (RFC 8252 §7.1).
    app_text = parts.netloc.encode("ascii", "backslashreplace").decode("ascii")
    return Destination("app", f"{scheme}:", urlunsplit((parts.scheme, app_text, path, query, "")))
