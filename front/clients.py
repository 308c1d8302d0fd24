"""Who is asking: a client id becomes a `Client`, from a metadata document (CIMD) or a sealed registration (DCR).

Nothing is stored. A CIMD client id is an https URL whose document the front
fetches (bounded cache); a DCR client id *is* the registration, sealed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio

from auth.errors import Failure
from auth.settings import is_loopback_host

from .errors import InvalidClientMetadata, InvalidRedirectUri
from .fetch import DocumentFetcher, DocumentRefused
from .sealed import ClientRegistration
from .sealing import MAX_SEALED_CHARS, Sealer, SealError

__all__ = [
    "Client",
    "ClientDocuments",
    "UnknownClient",
    "check_client_id",
    "is_document_client_id",
    "redirect_uri_allowed",
    "redirect_uri_problem",
    "register_client",
    "resolve_client",
]

MAX_REDIRECT_URIS = 10
MAX_URI_CHARS = 2000
MAX_NAME_CHARS = 100
#: An error page names the client by its client_id, cut to this many characters.
MAX_SHOWN_CLIENT_ID = 200
#: How long a document that could not be fetched or was refused is remembered as refused: long enough
#: that repeating one slow URL costs a fetch per half minute, short enough that a fixed document works again soon.
FAILURE_TTL_SECONDS = 30.0
_BUSY = "document_busy"
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
# RFC 3986 §2.2-2.4: unreserved, reserved and "%" (the percent-encodings themselves are left to the client).
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# Schemes a browser would run or read locally rather than hand to an app: never a redirect target.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob", "filesystem", "ftp", "ws", "wss"})


class UnknownClient(Failure[str]):
    """The client id names no client we can trust; `reason` is a short code for the log.

    `description` is for the person (RFC 6749 §4.1.2.1: the error page): for a document client,
    which client and that its document could not be fetched or was refused, never why in detail.
    """

    def __init__(self, reason: str, *, client_id: str | None = None) -> None:
        super().__init__(reason)
        self.client_id = client_id

    @property
    def description(self) -> str:
        if self.client_id is None:
            return "The client_id names no client this server can verify"
        shown = self.client_id if len(self.client_id) <= MAX_SHOWN_CLIENT_ID else self.client_id[:MAX_SHOWN_CLIENT_ID] + "..."
        if self.reason.startswith("client_id_"):
            return f"The client_id {shown} is not a URL this server can fetch a client metadata document from"
        return f"The metadata document of the client {shown} could not be fetched or was refused, so this server cannot verify the client"


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
    if not _URI_CHARACTERS.fullmatch(uri):
        # RFC 7591 §2: a redirect URI is a URI, and RFC 3986 §2 allows these characters only: an
        # international host is written in its A-label (xn--) form, anything else percent-encoded.
        # A host that is not Latin-1 broke the consent page's CSP header; a quote or a control
        # character grew several times over in the sealed values that carry the URI.
        return "must be a URI: ASCII letters, digits and the characters RFC 3986 allows (an international host in its xn-- form)"
    if "@" in parts.netloc:
        # RFC 3986 §7.6: `https://accounts.google.com-signin@evil.example/cb` goes to evil.example
        # while it reads as Google; a redirect URI has no use for a user name or password.
        return "must not contain a user name or password (RFC 3986 section 7.6)"
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
    if "@" in asked.netloc:
        # RFC 3986 §7.6: userinfo before a host misleads; only the port may differ (RFC 8252 §7.3).
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


def has_unpaired_surrogate(document: Any) -> bool:
    """True when a parsed JSON document holds "\\ud800" or the like (RFC 8259 §8.2): it parses,
    but is no character, so no page or JSON answer could carry it in UTF-8."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
    if has_unpaired_surrogate(metadata):
        raise InvalidClientMetadata("The body holds an unpaired surrogate, which is no character (RFC 8259 section 8.2)", reason="unpaired_surrogate")
    uris = _redirect_uris(metadata.get("redirect_uris"))
    if isinstance(uris, str):
        raise InvalidRedirectUri(uris, reason="redirect_uris")
    grants = metadata.get("grant_types", ["authorization_code"])
    if (
        not isinstance(grants, list)
        or not all(isinstance(grant, str) for grant in grants)  # objects or arrays are no grant type (RFC 7591 §2)
        or not set(grants) <= {"authorization_code", "refresh_token"}
        or "authorization_code" not in grants
    ):
        raise InvalidClientMetadata("grant_types may be authorization_code and refresh_token only", reason="grant_types")
    responses = metadata.get("response_types", ["code"])
    if responses != ["code"]:
        raise InvalidClientMetadata('response_types must be ["code"]', reason="response_types")
    name = _name(metadata.get("client_name"), "Unnamed client")
    issued_at = int(sealer.now())
    client_id = sealer.seal_value(ClientRegistration(name=name, redirect_uris=uris), lifetime=None)
    if len(client_id) > MAX_SEALED_CHARS:
        # The client id is the sealed registration: one longer than the front opens would be
        # registered (201) and then name no client at /oauth/authorize. RFC 7591 §3.2.2: refuse it now.
        raise InvalidClientMetadata(
            f"The registration is too large: its client_id would pass {MAX_SEALED_CHARS} characters; register fewer or shorter redirect_uris",
            reason="registration_too_large",
        )
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
    try:
        port = parts.port  # ValueError for 99999 or abc (RFC 3986 §3.2.3: digits; TCP ports end at 65535)
    except ValueError:
        return "bad_port"
    if port == 0:
        return "bad_port"
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
    except RecursionError as exc:  # deep nesting: CPython's decoder recurses per level
        raise UnknownClient("document_too_deep") from exc
    except (UnicodeDecodeError, ValueError) as exc:  # not JSON, or an integer past int_max_str_digits
        raise UnknownClient("document_not_json") from exc
    if not isinstance(document, dict):
        raise UnknownClient("document_not_json")
    if has_unpaired_surrogate(document):
        raise UnknownClient("document_unpaired_surrogate")
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


@dataclass
class _Flight:
    """One fetch of one URL in progress; whoever asks for the same URL meanwhile waits for it."""

    done: anyio.Event = field(default_factory=anyio.Event)
    #: A Client, or the refusal reason. "document_busy" until the fetch ends, and if it never does.
    outcome: Client | str = _BUSY


class ClientDocuments:
    """CIMD lookups: fetched once per URL at a time, the answer cached (draft §4.4: caching is allowed).

    A good document is kept `ttl` seconds; a refusal is kept `failure_ttl` seconds, so asking again
    and again for a slow or broken document costs one fetch per `failure_ttl`, not one per request.
    "Busy" (no fetch slot within the deadline) is this server's state and is never kept.

    The cache is read from the event loop and may be read from worker threads: one lock guards it.
    """

    def __init__(
        self,
        *,
        dev_mode: bool,
        fetch: Callable[[str], Awaitable[bytes]] | None = None,
        ttl: float = 300.0,
        failure_ttl: float = FAILURE_TTL_SECONDS,
        capacity: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dev_mode = dev_mode
        self._fetch = fetch or DocumentFetcher(allow_private=dev_mode)
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, Client | str]] = OrderedDict()
        self._flights: dict[str, _Flight] = {}

    def _entry(self, url: str) -> Client | str | None:
        with self._lock:
            entry = self._cache.get(url)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._cache[url]
                return None
            self._cache.move_to_end(url)
            return entry[1]

    def _keep(self, url: str, outcome: Client | str) -> None:
        if outcome == _BUSY:
            return
        ttl = self._ttl if isinstance(outcome, Client) else self._failure_ttl
        with self._lock:
            self._cache[url] = (self._clock() + ttl, outcome)
            self._cache.move_to_end(url)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)

    def cached(self, url: str) -> Client | None:
        """A good document's client when it is cached; never fetches. Safe from any thread."""
        entry = self._entry(url)
        return entry if isinstance(entry, Client) else None

    async def load(self, url: str) -> Client:
        """The client `url`'s document describes; UnknownClient with the reason otherwise."""
        problem = _client_id_url_problem(url, dev_mode=self.dev_mode)
        if problem:
            raise UnknownClient(f"client_id_{problem}", client_id=url)
        outcome = self._entry(url)
        if outcome is None:
            outcome = await self._single_flight(url)
        if isinstance(outcome, Client):
            return outcome
        raise UnknownClient(outcome, client_id=url)

    async def _single_flight(self, url: str) -> Client | str:
        with self._lock:
            flight = self._flights.get(url)
            leader = flight is None
            if flight is None:
                flight = self._flights[url] = _Flight()
        if not leader:
            await flight.done.wait()
            return flight.outcome
        try:
            flight.outcome = await self._fetch_client(url)
            self._keep(url, flight.outcome)
        finally:
            with self._lock:
                del self._flights[url]
            flight.done.set()
        return flight.outcome

    async def _fetch_client(self, url: str) -> Client | str:
        try:
            body = await self._fetch(url)
        except DocumentRefused as exc:
            return f"document_{exc.reason}"
        try:
            return _document_client(url, body)
        except UnknownClient as exc:
            return exc.reason


def check_client_id(sealer: Sealer, documents: ClientDocuments, client_id: str) -> None:
    """UnknownClient unless `client_id` could name a client, judged without fetching anything:
    a registration that opens, or a client id URL of the right form."""
    if not client_id or len(client_id) > MAX_SEALED_CHARS:
        raise UnknownClient("missing_client_id")
    if is_document_client_id(client_id):
        problem = _client_id_url_problem(client_id, dev_mode=documents.dev_mode)
        if problem:
            raise UnknownClient(f"client_id_{problem}", client_id=client_id)
        return
    _registered_client(sealer, client_id)


async def resolve_client(sealer: Sealer, documents: ClientDocuments, client_id: str) -> Client:
    """The client a client id names; UnknownClient otherwise. May fetch a document (async, bounded)."""
    if not client_id or len(client_id) > MAX_SEALED_CHARS:
        raise UnknownClient("missing_client_id")
    if is_document_client_id(client_id):
        return await documents.load(client_id)
    return _registered_client(sealer, client_id)
