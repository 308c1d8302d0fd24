"""Who is asking: a client id becomes a `Client`, from a metadata document (CIMD) or a sealed registration (DCR).

Nothing is stored. A CIMD client id is an https URL whose document the front
fetches (bounded cache); a DCR client id *is* the registration, sealed.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from auth.errors import Failure
from auth.settings import is_loopback_host

from .errors import InvalidClientMetadata, InvalidRedirectUri
from .fetch import DocumentRefused, fetch_client_document
from .sealed import ClientRegistration
from .sealing import Sealer, SealError

__all__ = [
    "Client",
    "ClientDocuments",
    "UnknownClient",
    "is_document_client_id",
    "redirect_uri_problem",
    "redirect_uri_allowed",
    "register_client",
    "resolve_client",
]

MAX_REDIRECT_URIS = 10
MAX_URI_CHARS = 2000
MAX_NAME_CHARS = 100
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
# Schemes a browser would run or read locally rather than hand to an app: never a redirect target.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob", "filesystem", "ftp", "ws", "wss"})


class UnknownClient(Failure[str]):
    """The client id names no client we can trust; `reason` is a short code."""


@dataclass(frozen=True)
class Client:
    """A client as the consent page shows it and the authorize endpoint checks it."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    #: True when a document at the client id's own URL vouches for it (CIMD); False when self-asserted (DCR).
    verified: bool


def redirect_uri_problem(uri: Any) -> str | None:
    """Why `uri` cannot be a redirect URI, or None (RFC 6749 §3.1.2, RFC 8252 §7, OAuth 2.1 §2.3)."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_CHARS:
        return "must be a URI of at most 2000 characters"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "is not a URI"
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(scheme) or any(c.isspace() for c in uri):
        return "is not an absolute URI"
    if parts.fragment or "#" in uri:
        return "must not contain a fragment (RFC 6749 section 3.1.2)"
    if scheme in _FORBIDDEN_SCHEMES:
        return f"must not use the {scheme} scheme"
    if scheme == "https":
        return None if parts.hostname else "must name a host"
    if scheme == "http":
        # RFC 8252 §7.3 / OAuth 2.1 §2.3.1: plain http only to the loopback interface.
        return None if is_loopback_host(parts.hostname) else "may use http only for a loopback address"
    # RFC 8252 §7.1: a private-use scheme for a native app (vscode://, cursor://).
    return None


def redirect_uri_allowed(client: Client, redirect_uri: str) -> bool:
    """Exact match with a registered URI; a loopback http URI may differ only in its port.

    RFC 8252 §7.3: the authorization server MUST allow any port to be specified at the time of
    the request for loopback IP redirect URIs. Everything else is a simple string comparison
    (RFC 6749 §3.1.2.3 with RFC 3986 §6.2.1; OAuth 2.1 §4.1.3: exact matching).
    """
    if redirect_uri in client.redirect_uris:
        return True
    try:
        asked = urlsplit(redirect_uri)
        asked_port = asked.port
    except ValueError:
        return False
    if asked.scheme != "http" or not is_loopback_host(asked.hostname) or asked.fragment or asked_port == 0:
        return False
    for registered in client.redirect_uris:
        known = urlsplit(registered)
        # RFC 3986 §6.2.3: for http an empty path is "/" (VS Code registers http://127.0.0.1:33418).
        if (known.scheme, known.hostname, known.path or "/", known.query) == ("http", asked.hostname, asked.path or "/", asked.query):
            return True
    return False


def _redirect_uris(value: Any) -> tuple[str, ...] | str:
    """The validated list, or the problem."""
    if not isinstance(value, list) or not value:
        return "redirect_uris must be a non-empty list"
    if len(value) > MAX_REDIRECT_URIS:
        return f"at most {MAX_REDIRECT_URIS} redirect_uris"
    for uri in value:
        problem = redirect_uri_problem(uri)
        if problem:
            return f"redirect URI {str(uri)[:80]!r} {problem}"
    return tuple(value)


def _name(value: Any, fallback: str) -> str:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())[:MAX_NAME_CHARS]
    return fallback


# -- DCR (RFC 7591) ------------------------------------------------------------------


def register_client(sealer: Sealer, metadata: Any) -> dict[str, Any]:
    """The RFC 7591 §3.2.1 answer for `metadata`; the client id returned is the sealed registration.

    Only public clients with PKCE are registered: `token_endpoint_auth_method` "none", grant types
    authorization_code and refresh_token, response type code. A public client holds no secret, so
    there is nothing to issue, store or rotate; PKCE (RFC 7636, required at /authorize) binds each
    code to the instance that asked for it. RFC 7591 §3.2.1 lets the server replace what it does not
    support, which is what happens to a request for a secret-based method.
    """
    if not isinstance(metadata, dict):
        raise InvalidClientMetadata("The body must be a JSON object", reason="not_an_object")
    uris = _redirect_uris(metadata.get("redirect_uris"))
    if isinstance(uris, str):
        raise InvalidRedirectUri(uris, reason="redirect_uris")
    grants = metadata.get("grant_types", ["authorization_code"])
    if not isinstance(grants, list) or not set(grants) <= {"authorization_code", "refresh_token"} or "authorization_code" not in grants:
        raise InvalidClientMetadata("grant_types may be authorization_code and refresh_token only", reason="grant_types")
    responses = metadata.get("response_types", ["code"])
    if responses != ["code"]:
        raise InvalidClientMetadata('response_types must be ["code"]', reason="response_types")
    name = _name(metadata.get("client_name"), "Unnamed client")
    issued_at = int(sealer.now())
    client_id = sealer.seal_value(ClientRegistration(name=name, redirect_uris=uris), lifetime=None)
    answer: dict[str, Any] = {
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "client_name": name,
        "redirect_uris": list(uris),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    if isinstance(metadata.get("scope"), str):
        answer["scope"] = metadata["scope"]
    return answer


def _registered_client(sealer: Sealer, client_id: str) -> Client:
    try:
        registration = sealer.open_value(ClientRegistration, client_id)
    except SealError as exc:
        raise UnknownClient(f"registration_{exc.reason}") from exc
    return Client(client_id=client_id, name=registration.name, redirect_uris=registration.redirect_uris, verified=False)


# -- CIMD ----------------------------------------------------------------------------


def is_document_client_id(client_id: str) -> bool:
    return client_id.startswith(("https://", "http://"))


def _client_id_url_problem(url: str, *, dev_mode: bool) -> str | None:
    """draft-ietf-oauth-client-id-metadata-document §3: https, a path, no fragment, no dot segments, no credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not_a_url"
    if parts.scheme != "https" and not (dev_mode and parts.scheme == "http"):
        return "not_https"
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return "bad_host"
    if parts.fragment or "#" in url:
        return "fragment"
    segments = parts.path.split("/")
    if parts.path in ("", "/") or "." in segments or ".." in segments:
        return "bad_path"
    return None


def _document_client(url: str, body: bytes) -> Client:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnknownClient("document_not_json") from exc
    if not isinstance(document, dict):
        raise UnknownClient("document_not_json")
    # draft §4.1 (-02 §4): the document's client_id MUST equal the URL it was fetched from, exactly.
    if document.get("client_id") != url:
        raise UnknownClient("document_client_id_mismatch")
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        # A shared secret is forbidden in a document (draft §4.1), and the front takes no key-based client auth.
        raise UnknownClient("document_not_public_client")
    uris = _redirect_uris(document.get("redirect_uris"))
    if isinstance(uris, str):
        raise UnknownClient("document_bad_redirect_uris")
    return Client(client_id=url, name=_name(document.get("client_name"), urlsplit(url).hostname or url), redirect_uris=uris, verified=True)


class ClientDocuments:
    """CIMD lookups, with a bounded cache of the documents that passed (draft §4.4: caching is allowed)."""

    def __init__(
        self,
        *,
        dev_mode: bool,
        fetch: Callable[[str], bytes] | None = None,
        ttl: float = 300.0,
        capacity: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dev_mode = dev_mode
        self._fetch = fetch or (lambda url: fetch_client_document(url, allow_private=dev_mode))
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Client]] = OrderedDict()

    def cached(self, url: str) -> Client | None:
        entry = self._cache.get(url)
        if entry is None or entry[0] <= self._clock():
            return None
        self._cache.move_to_end(url)
        return entry[1]

    def load(self, url: str) -> Client:
        """Fetch and check the document (blocking: call it off the event loop)."""
        problem = _client_id_url_problem(url, dev_mode=self.dev_mode)
        if problem:
            raise UnknownClient(f"client_id_{problem}")
        cached = self.cached(url)
        if cached is not None:
            return cached
        try:
            body = self._fetch(url)
        except DocumentRefused as exc:
            raise UnknownClient(f"document_{exc.reason}") from exc
        client = _document_client(url, body)  # only a good document is cached; failures are retried
        self._cache[url] = (self._clock() + self._ttl, client)
        self._cache.move_to_end(url)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return client


def resolve_client(sealer: Sealer, documents: ClientDocuments, client_id: str) -> Client:
    """The client a client id names; UnknownClient otherwise. May fetch: call it off the event loop."""
    if not client_id or len(client_id) > 8192:
        raise UnknownClient("missing_client_id")
    if is_document_client_id(client_id):
        return documents.load(client_id)
    return _registered_client(sealer, client_id)
