"""The consent page of the authorization code flow: an HTML form, approve or deny.

The form carries only a one-time ticket for the parked authorization request,
so a page elsewhere cannot forge an approval without first fetching the form.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .registry import ClientRegistration, DevUser

__all__ = ["consent_page", "message_page"]

_STYLE = "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5}"


def consent_page(
    *,
    action: str,
    ticket: str,
    client: ClientRegistration,
    scopes: Iterable[str],
    users: Iterable[DevUser],
) -> str:
    """Render the form; it posts `ticket`, `user` and `decision` (approve or deny) to `action`."""
    options = "".join(
        f'<option value="{escape(u.preferred_username)}">{escape(u.name)} ({escape(u.preferred_username)})</option>'
        for u in users
    )
    items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Consent - dev identity provider</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Development sign-in</h1>"
        f"<p><strong>{escape(client.name)}</strong> (<code>{escape(client.client_id)}</code>) asks for:</p>"
        f"<ul>{items}</ul>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="ticket" value="{escape(ticket)}">'
        f'<label>Sign in as <select name="user">{options}</select></label>'
        '<p><button type="submit" name="decision" value="approve">Approve</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></p>'
        "</form><p><small>Local development provider. Never deployed.</small></p></body></html>"
    )


def message_page(title: str, text: str) -> str:
    """A minimal HTML page for errors that cannot be redirected to the client."""
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )
