"""The front's own consent page, against the confused deputy (MCP "Security Best Practices").

Entra would otherwise sign the person in silently (SSO) and hand a code to any
redirect URI a registered client names: the front is one registration serving
every client. So before the browser goes upstream the person sees which server, who
asks, whether that identity was verified, where the answer goes (a website, a program
on this computer, or an app by its scheme: front/destination.py), and what it may do,
and approves explicitly. Approval binds the sign-in to this browser (front/binding.py).

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
from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from .answers import page
from .clients import Client
from .destination import Destination, ascii_host, destination
from .sealed import RememberedApprovals
from .sealing import Sealer, SealError, fingerprint

__all__ = [
    "CSRF_COOKIE",
    "REMEMBER_COOKIE",
    "approval_key",
    "consent_page",
    "csrf_matches",
    "may_remember",
    "new_csrf_token",
    "remember",
    "remembered",
]

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


def _source(uri: str) -> str:
    """A CSP source for where `uri` points: its origin (host in ASCII, as CSP host-sources are), or
    its scheme for a private-use scheme."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}:"
    host = ascii_host(parts.hostname or "")
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"


#: `offline_access` is the front's own addition (front/context.py), so its words are the front's.
OFFLINE_ACCESS_TEXT = "Stay signed in"
_OFFLINE_ACCESS_DETAIL = "the app can renew its access without asking you again"
#: MCP 2025-11-25, client ID metadata documents, "Localhost Redirect URI Risks": an authorization server
#: SHOULD warn when the redirect URI is on localhost, since any program there can present the client id.
LOOPBACK_WARNING = (
    "The answer goes to a program on this computer. Any program on this computer can start a sign-in "
    "in this app's name{verified}, so approve only if you started this sign-in yourself, just now."
)
_PAGE_STYLE = (
    ".server{color:#444;margin-bottom:0}.server strong{color:#000}"
    ".badge{display:inline-block;font-weight:700;padding:.15rem .6rem;border-radius:1rem;border:2px solid}"
    ".verified{color:#0a5d1e;background:#e3f6e8;border-color:#0a5d1e}"
    ".unverified,.warning{color:#7a3d00;background:#fff1dc;border-color:#b35900}"
    ".box{border-left:4px solid #ccc;padding:.2rem .9rem;margin:1rem 0}"
    ".box.ok{border-color:#0a5d1e}.box.warn{border-color:#b35900}"
    "ul.scopes{padding-left:1.2rem}ul.scopes small{color:#555}"
    "button{font:inherit;padding:.55rem 1.2rem;border-radius:.4rem;cursor:pointer;margin-right:.6rem}"
    "button.approve{background:#0b57d0;color:#fff;border:2px solid #0b57d0;font-weight:700}"
    "button.cancel{background:#fff;color:#0b57d0;border:2px solid #0b57d0}"
    "code,small{overflow-wrap:anywhere}"
)


def _identity(client: Client, answer: Destination) -> str:
    if client.verified:
        document_host = escape(ascii_host(urlsplit(client.client_id).hostname or ""))
        html = (
            '<div class="box ok"><p><span class="badge verified">&#10003; Verified</span></p>'
            f"<p>The app is described by a document on <strong>{document_host}</strong>, at the address it "
            f"gave as its name: <small><code>{escape(client.client_id)}</code></small></p></div>"
        )
    else:
        html = (
            '<div class="box warn"><p><span class="badge unverified">&#9888; Not verified</span></p>'
            "<p>This app registered itself: its name is its own claim. "
            "Approve only if you just started this sign-in from an app you trust.</p></div>"
        )
    if answer.kind == "this_computer":
        verified = ", even one verified as above" if client.verified else ""
        html += (
            '<div class="box warn"><p><span class="badge warning">&#9888; Answer goes to this computer</span></p>'
            f"<p>{escape(LOOPBACK_WARNING.format(verified=verified))}</p></div>"
        )
    return html


def _answer_goes_to(answer: Destination) -> str:
    if answer.kind == "web":
        where = f"the website <strong>{escape(answer.where)}</strong>"
    elif answer.kind == "this_computer":
        where = f"a program on this computer, at port <strong>{escape(answer.where)}</strong>"
    else:
        where = f"the app that opens <strong>{escape(answer.where)}</strong> links on this device"
    return f"<p>After you sign in, the answer goes to {where}.<br><small><code>{escape(answer.shown_uri)}</code></small></p>"


def _permissions(scopes: list[str], scope_texts: Mapping[str, str]) -> str:
    items = []
    for scope in scopes:
        if scope == "offline_access":
            text, detail = OFFLINE_ACCESS_TEXT, f"{_OFFLINE_ACCESS_DETAIL}; <code>offline_access</code>"
        else:
            text, detail = scope_texts.get(scope, scope), f"<code>{escape(scope)}</code>"
        items.append(f"<li><strong>{escape(text)}</strong><br><small>{detail}</small></li>")
    return f'<ul class="scopes">{"".join(items)}</ul>'


def consent_page(
    *,
    action: str,
    client: Client,
    redirect_uri: str,
    scopes: list[str],
    transaction: str,
    csrf: str,
    upstream: str,
    server_name: str,
    server_host: str,
    scope_texts: Mapping[str, str],
    remember_allowed: bool,
) -> Response:
    """The page; its form posts `transaction`, `csrf`, `decision` and `remember` back to `action`.

    It names the server and its host, who asks (verified by its document, or self-registered),
    where the answer goes (front/destination.py), and each permission in the words of the tool
    declarations with the raw scope in small print. The remember box is left out where a remembered
    approval would not be used (an answer to this computer).

    CSP `form-action` also governs the redirects that follow the POST (CSP Level 3 §6.4.2), so it
    names exactly this origin, the issuer (approve) and the client's redirect URI (cancel).
    """
    answer = destination(redirect_uri)
    remember = (
        '<p><label><input type="checkbox" name="remember" value="yes"> Remember this approval in this browser for 30 days</label></p>'
        if remember_allowed
        else ""
    )
    body = (
        f'<p class="server">MCP server <strong>{escape(server_name)}</strong> on <strong>{escape(server_host)}</strong></p>'
        f"<h1>Allow {escape(client.name)} to use it as you?</h1>"
        f"{_identity(client, answer)}"
        f"{_answer_goes_to(answer)}"
        f"<p>It will be able to:</p>{_permissions(scopes, scope_texts)}"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="transaction" value="{escape(transaction)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f"{remember}"
        '<p><button type="submit" class="approve" name="decision" value="approve">Allow and sign in</button>'
        '<button type="submit" class="cancel" name="decision" value="deny">Cancel</button></p>'
        "</form>"
    )
    targets = " ".join(dict.fromkeys(["'self'", _source(action), _source(upstream), _source(redirect_uri)]))
    csp = f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; frame-ancestors 'none'"
    response = page(f"Allow {client.name}?", body, headers={"Content-Security-Policy": csp}, style=_PAGE_STYLE)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=600, path="/", secure=True, httponly=True, samesite="strict")
    return response


def approval_key(client_id: str, redirect_uri: str) -> str:
    return fingerprint(f"{client_id}\n{redirect_uri}")


def may_remember(redirect_uri: str) -> bool:
    """Whether an approval for `redirect_uri` may be remembered, and a remembered one used.

    Never for an answer to this computer (a loopback redirect URI): any program on it can open the
    browser with a client's id and a loopback redirect URI of its own port, and with single sign-on
    upstream a remembered approval would hand it a code without a click (MCP 2025-11-25, client ID
    metadata documents, "Localhost Redirect URI Risks"; RFC 8252 §8.3: loopback ports are anyone's).
    """
    return destination(redirect_uri).kind != "this_computer"


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


