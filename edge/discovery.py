"""Authorization-server metadata at our own origin, for gateways that discover from the MCP URL.

Entra publishes no `scopes_supported` for your API and no
`code_challenge_methods_supported`, so a client that reads only the issuer's
metadata cannot learn `api://{id}/calculator.add` or that PKCE S256 works.
We serve the issuer's document (RFC 8414 / OpenID Connect Discovery 1.0),
fetched and cached, with those two gaps filled. Its `issuer` stays the
upstream issuer: strict RFC 8414 §3.3 clients must compare against that.
Multi-tenant, the upstream issuer is Entra's template `…/{tenantid}/v2.0`, and
the document's `issuer` is our own origin, the authorization server our RFC 9728
document names (see edge/metadata.py: authorization_server).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.types import Receive, Scope, Send

from auth.fetch import FetchError, fetch_document
from web.asgi import method_not_allowed, send_json
from web.place import BadHost, answer_bad_host

__all__ = ["DISCOVERY_PATHS", "UpstreamMetadata", "augment", "discovery_handler"]

log = logging.getLogger("edge.discovery")

DISCOVERY_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
MAX_METADATA_BYTES = 256 * 1024


class MetadataUnavailable(Exception):
    """The issuer's metadata could not be fetched and none is cached."""


class UpstreamMetadata:
    """The issuer's metadata document, cached for `ttl` seconds; a failed refresh keeps the last good copy."""

    def __init__(
        self,
        url: str,
        *,
        fetch: Callable[[str], bytes] = lambda url: fetch_document(url, max_bytes=MAX_METADATA_BYTES),
        ttl: float = 3600.0,
        failure_cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._fetch = fetch
        self._ttl = ttl
        self._failure_cooldown = failure_cooldown
        self._clock = clock
        self._lock = threading.Lock()  # one fetch at a time; discovery is rare and never on the MCP path
        self._document: dict[str, Any] | None = None
        self._fetched_at = -float("inf")
        self._failed_at = -float("inf")
        self.fetch_count = 0

    def fresh(self) -> dict[str, Any] | None:
        """The cached document if it is still fresh, without blocking."""
        if self._document is not None and self._clock() - self._fetched_at < self._ttl:
            return self._document
        return None

    def get(self) -> dict[str, Any]:
        """The document, refetching when stale. Blocks on the network: call it off the event loop."""
        with self._lock:
            document = self.fresh()
            if document is not None:
                return document
            if self._clock() - self._failed_at >= self._failure_cooldown:
                self.fetch_count += 1
                try:
                    document = _parse(self._fetch(self.url))
                except FetchError as exc:
                    self._failed_at = self._clock()
                    log.warning("upstream metadata fetch failed reason=%s", exc.reason)
                else:
                    self._document, self._fetched_at = document, self._clock()
                    return document
            if self._document is not None:
                return self._document  # stale beats nothing
            raise MetadataUnavailable


def _parse(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError("not_json") from exc
    if not isinstance(document, dict) or not isinstance(document.get("issuer"), str):
        raise FetchError("not_metadata")
    return document


def augment(upstream: dict[str, Any], scopes: list[str], issuer: str | None = None) -> dict[str, Any]:
    """The upstream document with our scopes added and PKCE S256 advertised where it is missing.

    `issuer`, when given, replaces the upstream's (multi-tenant: our origin, never a template).
    """
    document = dict(upstream)
    if issuer is not None:
        document["issuer"] = issuer
    listed = upstream.get("scopes_supported")
    listed = [s for s in listed if isinstance(s, str)] if isinstance(listed, list) else []
    document["scopes_supported"] = listed + [s for s in scopes if s not in listed]
    # Entra supports S256 (RFC 7636) but does not say so; MCP clients refuse to proceed without it.
    document.setdefault("code_challenge_methods_supported", ["S256"])
    return document


def discovery_handler(
    upstream: UpstreamMetadata,
    scopes: list[str],
    headers: dict[str, str],
    issuer_of: Callable[[Scope], str] | None = None,
) -> Callable[[Scope, Receive, Send], Any]:
    """The ASGI handler for both discovery paths.

    `headers` go on the document (web.place.document_headers); `issuer_of(scope)` names the
    issuer to publish, if not upstream's (multi-tenant: this request's origin). The document is
    fetched beside the RFC 9728 one, at the origin the client took from the MCP URL, and is sent
    with the same caching headers, `Vary: Host` included whenever the resource (and so a
    multi-tenant issuer) comes from Host. A single-tenant body is the same whatever the Host;
    the Vary keeps it and the RFC 9728 document consistent in a shared cache.
    """

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await method_not_allowed(send, ("GET",))
            return
        try:
            issuer = issuer_of(scope) if issuer_of is not None else None
        except BadHost:
            await answer_bad_host(send)
            return
        try:
            fresh = upstream.fresh()
            document = fresh if fresh is not None else await anyio.to_thread.run_sync(upstream.get)
        except MetadataUnavailable:
            await send_json(
                send,
                503,
                {"error": "temporarily_unavailable", "error_description": "The issuer's metadata is unavailable"},
                {"Retry-After": "30"},
            )
            return
        await send_json(send, 200, augment(document, scopes, issuer), headers)

    return serve
