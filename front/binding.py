"""A sign-in bound to the browser that approved it: a cookie set on approval, its hash in the sealed `state`.

Without it, /oauth/callback would finish any sealed `state` it is shown, in any browser: an
attacker approves its own consent page, keeps the issuer URL it is sent to, and mails that URL
to victims, whose browsers then sign in upstream (silently, with single sign-on) and carry a
code for the victim to the attacker's redirect URI: login CSRF across browsers (RFC 9700 §4.7;
MCP Security Best Practices, "OAuth State Parameter Validation": the state is bound to the user
agent that started the flow, and used once).

So when the browser leaves for the issuer, the front sets a random nonce in a cookie of that
browser and puts only the nonce's hash in the sealed `state` (RFC 9700 §2.1, §2.1.1: CSRF
protection by a one-time value bound to the user agent, carried in `state`). The callback
finishes only when the cookie is there and hashes to the sealed value, and clears it in the same
answer (RFC 9700 §4.2.4: a state is invalidated after its first use at the redirection endpoint):
a state presented again, in this browser or any other, finds no cookie and is refused.

The cookie is `__Host-` (host-only, Path=/, Secure: RFC 6265bis, "Cookie Name Prefixes"),
HttpOnly, and SameSite=Lax: the issuer's answer arrives as a cross-site top-level GET
(`response_mode=query`, a 302 from the issuer's site), which carries Lax cookies and not Strict
ones (RFC 6265bis, "Same-site and Cross-site Requests" and the "SameSite" attribute's rules).
A `form_post` answer (a cross-site POST) would carry neither; upstream.py asks for `query`. Each sign-in gets its
own cookie name, so two sign-ins under way in one browser do not overwrite each other.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from .sealing import fingerprint

__all__ = ["BINDING_COOKIE_PREFIX", "bind_to_browser", "binding_cookie_name", "browser_holds", "release"]

BINDING_COOKIE_PREFIX = "__Host-mcp-front-signin-"


def binding_cookie_name(binding: str) -> str:
    """The cookie of one sign-in, named after its hash: the callback knows which cookie to read."""
    return BINDING_COOKIE_PREFIX + binding[:16]


def bind_to_browser(response: Response, lifetime: int) -> str:
    """Set a fresh nonce cookie on `response`; the nonce's hash, for the sealed state."""
    nonce = secrets.token_urlsafe(32)
    binding = fingerprint(nonce)
    response.set_cookie(
        binding_cookie_name(binding), nonce, max_age=lifetime, path="/", secure=True, httponly=True, samesite="lax"
    )
    return binding


def browser_holds(request: Request, binding: str) -> bool:
    """True when this browser holds the nonce whose hash the sealed state carries."""
    nonce = request.cookies.get(binding_cookie_name(binding))
    if nonce is None:
        return False
    # Bytes: compare_digest refuses a str with non-ASCII characters, which a forged cookie may carry.
    return hmac.compare_digest(fingerprint(nonce).encode(), binding.encode())


def release(response: Response, binding: str) -> None:
    """Clear the sign-in's cookie: the state it guards finishes once."""
    response.delete_cookie(binding_cookie_name(binding), path="/", secure=True, httponly=True, samesite="lax")
