"""The one place front refusals and redirects become HTTP answers.

A `FrontError` becomes HTTP only through `refusal_json`, `refusal_page` or `refusal_redirect`,
and each of them writes the refusal's one log line, so no refusal goes unlogged.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from telemetry import front as front_telemetry
from telemetry.front import ClientKind

from .clients import is_document_client_id
from .errors import FrontError

__all__ = ["NO_STORE", "OPEN_CORS", "client_kind", "redirect_to_client", "refusal_json", "refusal_page", "refusal_redirect"]

log = logging.getLogger("front")

#: RFC 6749 §5.1: token responses (and anything carrying a code or a sealed value) are not cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Token and registration endpoints serve public clients without cookies: any origin may call them.
OPEN_CORS = {"Access-Control-Allow-Origin": "*"}
#: Clickjacking: the consent page and error pages are never framed (RFC 6749 §10.13).
PAGE_HEADERS = {
    **NO_STORE,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
_STYLE = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;line-height:1.5;padding:0 1rem}"


def _log_refusal(endpoint: str, error: FrontError, correlation_id: str, client_kind: ClientKind) -> None:
    """One line per refusal: the endpoint, the code and a reason, never a value from the request.

    The same as a metric and span attributes (telemetry/front.py: no-ops while telemetry is off)."""
    log.info("front refusal endpoint=%s error=%s reason=%s correlation_id=%s", endpoint, error.error, error.reason, correlation_id)
    front_telemetry.refusal(endpoint, error.error, error.reason, client_kind)


def client_kind(client_id: str | None) -> ClientKind:
    """A CIMD client's id is its document's URL; any other is a sealed DCR registration."""
    if not client_id:
        return "unknown"
    return "cimd" if is_document_client_id(client_id) else "dcr"


def refusal_json(
    endpoint: str, error: FrontError, correlation_id: str, headers: dict[str, str] | None = None, *, client_kind: ClientKind = "unknown"
) -> JSONResponse:
    """RFC 6749 §5.2 (token), RFC 7591 §3.2.2 (registration) error body."""
    _log_refusal(endpoint, error, correlation_id, client_kind)
    return JSONResponse(
        {"error": error.error, "error_description": error.description},
        status_code=error.status,
        headers={**NO_STORE, **(headers or {})},
    )


def page(title: str, body_html: str, status: int = 200, headers: dict[str, str] | None = None, style: str = "") -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width'><title>{escape(title)}</title><style>{_STYLE}{style}</style></head>"
        f"<body>{body_html}</body></html>",
        status_code=status,
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def refusal_page(endpoint: str, error: FrontError, correlation_id: str, *, client_kind: ClientKind = "unknown") -> HTMLResponse:
    """RFC 6749 §4.1.2.1: with no trustworthy redirect URI, tell the person and do not redirect."""
    _log_refusal(endpoint, error, correlation_id, client_kind)
    sentence = error.description if error.description.endswith(".") else error.description + "."
    return page(
        "Sign-in stopped",
        f"<h1>Sign-in stopped</h1><p>{escape(sentence)}</p>"
        "<p>Nothing was sent to the app. If this keeps happening, tell the app's publisher or this "
        "server's administrator, and give them this reference:</p>"
        f"<p><small>error <code>{escape(error.error)}</code>, reference <code>{escape(correlation_id)}</code></small></p>",
        status=error.status,
    )


def redirect_to_client(redirect_uri: str, params: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """302 to a redirect URI already matched against the client's registration, keeping its own query
    (RFC 6749 §3.1.2: the query component MUST be retained when adding parameters)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, str(v)) for k, v in params.items() if v is not None]
    target = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return RedirectResponse(target, status_code=302, headers={**NO_STORE, **(headers or {})})


def refusal_redirect(
    endpoint: str,
    error: FrontError,
    correlation_id: str,
    *,
    redirect_uri: str,
    state: str | None,
    issuer: str,
    client_kind: ClientKind = "unknown",
) -> Response:
    """RFC 6749 §4.1.2.1: the error, to a redirect URI already matched against the client's registration;
    RFC 9207 §2: with `iss`, so the client can tell which server refused."""
    _log_refusal(endpoint, error, correlation_id, client_kind)
    return redirect_to_client(
        redirect_uri, {"error": error.error, "error_description": error.description, "state": state, "iss": issuer}
    )
