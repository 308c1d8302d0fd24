"""What each sealed value carries: one typed model per sealing purpose.

The code reads and writes named, typed fields; only the wire (the JSON inside the Fernet
token) uses the short names, which keep the values small enough for a URL or a cookie.
The short names are the ones the front has always sealed under, so a value sealed before
an upgrade still opens after it (except a refresh token from before the refresh window, which
has no family: see SealedRefresh). Opening checks the shape as well as the purpose: a payload
with a missing or mistyped field is `Unreadable`, like a tampered one.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from .families import Family
from .sealing import Purpose

__all__ = ["ClientRegistration", "ConsentTransaction", "RememberedApprovals", "SealedCode", "SealedRefresh", "UpstreamState"]


class _Sealed(BaseModel):
    # Built by field name in code, read and written by the short name on the wire; fields the
    # model doesn't know are ignored, so a value sealed by a newer instance still opens here.
    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True, extra="ignore")

    PURPOSE: ClassVar[Purpose]

    def wire(self) -> dict[str, Any]:
        """The payload as sealed: short names, JSON types."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self:
        """The payload as opened; ValueError (pydantic's ValidationError) when its shape is wrong."""
        return cls.model_validate(data)


def _short(name: str) -> Any:
    """A field's name on the wire."""
    return Field(validation_alias=name, serialization_alias=name)


class ClientRegistration(_Sealed):
    """A DCR registration (RFC 7591); sealed, it is the client id. Never expires."""

    PURPOSE: ClassVar[Purpose] = "client"

    name: str = _short("n")
    redirect_uris: tuple[str, ...] = _short("r")


class ConsentTransaction(_Sealed):
    """An authorization request checked at /oauth/authorize, carried by the consent form."""

    PURPOSE: ClassVar[Purpose] = "consent"

    #: fingerprint() of the client id: binds the code to its client without carrying the id.
    client_fingerprint: str = _short("cf")
    #: consent.approval_key(client id, redirect URI): what a remembered approval names.
    approval_key: str = _short("ak")
    redirect_uri: str = _short("rd")
    #: The client's own `state`, returned to it unchanged.
    client_state: str | None = _short("st")
    #: The client's S256 PKCE challenge (RFC 7636 §4.2).
    code_challenge: str = _short("ch")
    scopes: tuple[str, ...] = _short("sc")
    #: The CSRF token the page's cookie and form field must both equal.
    csrf: str = _short("x")


class UpstreamState(_Sealed):
    """The `state` sent to the issuer: the transaction, the front's PKCE verifier and its callback URL."""

    PURPOSE: ClassVar[Purpose] = "state"

    client_fingerprint: str = _short("cf")
    redirect_uri: str = _short("rd")
    client_state: str | None = _short("st")
    code_challenge: str = _short("ch")
    scopes: tuple[str, ...] = _short("sc")
    #: The front's own PKCE verifier for the issuer (RFC 7636 §4.1).
    upstream_verifier: str = _short("uv")
    callback_url: str = _short("cb")
    #: binding.bind_to_browser(): the hash of the nonce in the approving browser's cookie.
    browser_binding: str = _short("bb")


class SealedCode(_Sealed):
    """The authorization code the client gets: the issuer's code and what /oauth/token must check."""

    PURPOSE: ClassVar[Purpose] = "code"

    upstream_code: str = _short("uc")
    upstream_verifier: str = _short("uv")
    callback_url: str = _short("cb")
    client_fingerprint: str = _short("cf")
    redirect_uri: str = _short("rd")
    code_challenge: str = _short("ch")
    scopes: tuple[str, ...] = _short("sc")


class SealedRefresh(_Sealed):
    """The refresh token the client gets: the issuer's, bound to the client, its granted scopes and
    its sign-in's family (front/families.py). One sealed before families existed has no family
    fields, so it no longer opens: every refresh token has a window."""

    PURPOSE: ClassVar[Purpose] = "refresh"

    upstream_refresh_token: str = _short("rt")
    client_fingerprint: str = _short("cf")
    scopes: tuple[str, ...] = _short("sc")
    family_id: str = _short("fm")
    #: The sign-in's time (epoch seconds): the refresh window runs from here.
    family_started: int = _short("fs")
    #: 0 at sign-in, one more at each refresh (RFC 9700 §4.14.2 reuse detection).
    generation: int = _short("gn")

    @property
    def family(self) -> Family:
        return Family(id=self.family_id, started=self.family_started, generation=self.generation)


class RememberedApprovals(_Sealed):
    """The browser's remembered approvals (a cookie): approval keys, newest last."""

    PURPOSE: ClassVar[Purpose] = "remember"

    approval_keys: tuple[str, ...] = _short("k")
