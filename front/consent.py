"""The front's own consent page, against the confused deputy (MCP "Security Best Practices").

Entra would otherwise sign the person in silently (SSO) and hand a code to any
redirect URI a registered client names: the front is one registration serving
every client. So before the browser goes upstream the person sees who asks, where
the answer goes and whether that identity was verified, and approves explicitly.

The approval is a POST carrying the sealed transaction and a CSRF token. The same
token sits in a SameSite=Strict, HttpOnly, Secure cookie set with the page, so a
form fetched by an attacker (with the attacker's client) cannot be replayed from
the victim's browser (OWASP CSRF cheat sheet, "signed double-submit cookie"; RFC
6749 §10.12). An approval may be remembered per client and redirect URI in a sealed
cookie of the same kind.
"""

from __future__ import annotations

import hmac
import secrets
from html import escape
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from .answers import page
from .clients import Client
from .sealed import RememberedApprovals
from .sealing import Sealer, SealError, fingerprint

__all__ = ["CSRF_COOKIE", "REMEMBER_COOKIE", "approval_key", "consent_page", "csrf_matches", "new_csrf_token", "remember", "remembered"]

CSRF_COOKIE = "__Host-mcp-front-csrf"
REMEMBER_COOKIE = "__Host-mcp-front-consent"
REMEMBER_SECONDS = 30 * 86400
_MAX_REMEMBERED = 20


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str, form_value: object, cookie_value: str | None) -> bool:
    """Form field and cookie both equal the token sealed into this transaction."""
    if not isinstance(form_value, str) or cookie_value is None:
        return False
    # hmac.compare_digest raises TypeError for a str that is not ASCII; compare bytes instead.
    token = expected.encode()
    return hmac.compare_digest(token, _as_bytes(form_value)) and hmac.compare_digest(token, _as_bytes(cookie_value))


def _as_bytes(value: str) -> bytes:
    """Any text as bytes (a lone surrogate included), for a comparison that never raises."""
    return value.encode("utf-8", "surrogatepass")


def redirect_host(redirect_uri: str) -> str:
    parts = urlsplit(redirect_uri)
    return parts.netloc or f"{parts.scheme}:"


def _source(uri: str) -> str:
    """A CSP source for where `uri` points: its origin, or its scheme for a private-use scheme."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else f"{parts.scheme}:"


def consent_page(
    *, action: str, client: Client, redirect_uri: str, scopes: list[str], transaction: str, csrf: str, upstream: str
) -> Response:
    """The page; its form posts `transaction`, `csrf`, `decision` and `remember` back to `action`.

    CSP `form-action` also governs the redirects that follow the POST (CSP Level 3 §6.4.2), so it
    names exactly this origin, the issuer (approve) and the client's redirect URI (cancel).
    """
    if client.verified:
        identity = (
            f"<p>Verified: this client is described by the document at "
            f"<code>{escape(client.client_id)}</code>, on <strong>{escape(redirect_host(client.client_id))}</strong>.</p>"
        )
    else:
        identity = (
            "<p><strong>Not verified.</strong> This client registered itself; its name is its own claim. "
            "Approve only if you just started this sign-in from an app you trust.</p>"
        )
    items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
    body = (
        "<h1>Allow access to the MCP server?</h1>"
        f"<p><strong>{escape(client.name)}</strong> asks to use this server on your behalf.</p>"
        f"{identity}"
        f"<p>After you sign in, the answer goes to <strong>{escape(redirect_host(redirect_uri))}</strong> "
        f"(<code>{escape(redirect_uri)}</code>).</p>"
        f"<p>Permissions:</p><ul>{items}</ul>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="transaction" value="{escape(transaction)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<p><label><input type="checkbox" name="remember" value="yes"> Remember this approval in this browser for 30 days</label></p>'
        '<p><button type="submit" name="decision" value="approve">Approve and sign in</button> '
        '<button type="submit" name="decision" value="deny">Cancel</button></p>'
        "</form>"
    )
    targets = " ".join(dict.fromkeys(["'self'", _source(action), _source(upstream), _source(redirect_uri)]))
    csp = f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; frame-ancestors 'none'"
    response = page("Allow access?", body, headers={"Content-Security-Policy": csp})
    response.set_cookie(CSRF_COOKIE, csrf, max_age=600, path="/", secure=True, httponly=True, samesite="strict")
    return response


def approval_key(client_id: str, redirect_uri: str) -> str:
    return fingerprint(f"{client_id}\n{redirect_uri}")


def remembered(sealer: Sealer, request: Request, client_id: str, redirect_uri: str) -> bool:
    """True when this browser approved this client and redirect URI before (and the cookie is ours and fresh)."""
    try:
        approvals = sealer.open_value(RememberedApprovals, request.cookies.get(REMEMBER_COOKIE))
    except SealError:
        return False
    return approval_key(client_id, redirect_uri) in approvals.approval_keys


def remember(sealer: Sealer, request: Request, response: Response, client_key: str) -> None:
    """Add one approval to the browser's sealed list (newest kept, bounded)."""
    try:
        known = sealer.open_value(RememberedApprovals, request.cookies.get(REMEMBER_COOKIE)).approval_keys
    except SealError:
        known = ()
    keys = (*(k for k in known if k != client_key), client_key)[-_MAX_REMEMBERED:]
    sealed = sealer.seal_value(RememberedApprovals(approval_keys=keys), lifetime=REMEMBER_SECONDS)
    response.set_cookie(REMEMBER_COOKIE, sealed, max_age=REMEMBER_SECONDS, path="/", secure=True, httponly=True, samesite="lax")


