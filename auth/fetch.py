"""Bounded HTTPS GETs of the issuer's public documents (JWKS, authorization-server metadata).

Built on the standard library's urllib, which the MCP SDK has already imported by
the time a fetch runs: `requests` cost a cold start about 60-80 ms of CPU to import
(urllib3, charset_normalizer, idna), for one GET. Its behaviour is kept: no
redirects followed, certificates checked against certifi's bundle (or
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when set), proxies taken from the environment.
"""

from __future__ import annotations

import http.client
import os
import ssl
import urllib.error
import urllib.request
from typing import Any

from .errors import Failure

__all__ = ["FetchError", "fetch_document", "tls_context"]

DEFAULT_TIMEOUT_SECONDS = 5.0


class FetchError(Failure[str]):
    """A document could not be fetched; `reason` is a short code such as `unreachable` or `http_404`."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx answer is an answer (http_30x), never followed: the document must live at its configured URI."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def tls_context() -> ssl.SSLContext:
    """The TLS context every outbound GET uses."""
    # The CA bundle requests would use: its environment overrides, else certifi's.
    cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not cafile:
        import certifi

        cafile = certifi.where()
    if os.path.isdir(cafile):
        return ssl.create_default_context(capath=cafile)
    return ssl.create_default_context(cafile=cafile)


def fetch_document(uri: str, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> bytes:
    """GET `uri` without following redirects, refusing bodies over `max_bytes`."""
    try:
        # `uri` is a configured URL, https or loopback http, checked by auth.settings at startup.
        request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
        handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
        if uri.lower().startswith("https:"):
            handlers.append(urllib.request.HTTPSHandler(context=tls_context()))
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as response:
            if response.status != 200:
                raise FetchError(f"http_{response.status}")
            declared = response.headers.get("Content-Length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:  # "²".isdigit()
                raise FetchError("too_large")
            body = bytearray()
            while chunk := response.read(16384):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError("too_large")
            return bytes(body)
    except urllib.error.HTTPError as exc:  # any status outside 2xx, 3xx included (not followed)
        exc.close()
        raise FetchError(f"http_{exc.code}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        # Refused, reset, timed out, TLS failure, truncated body or a URL urllib cannot use.
        raise FetchError("unreachable") from exc
