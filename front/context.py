"""What every front endpoint shares: the sealer, the client lookups, the upstream, and the scope rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from auth import Settings
from web.place import Resource, resource_for

from .clients import ClientDocuments
from .errors import InvalidScope, InvalidTarget
from .families import FamilyStore
from .sealing import Sealer
from .settings import FrontSettings
from .upstream import Upstream

__all__ = ["CALLBACK_PATH", "Front", "callback_url"]

AUTHORIZE_PATH = "/oauth/authorize"
CALLBACK_PATH = "/oauth/callback"
TOKEN_PATH = "/oauth/token"
REGISTER_PATH = "/oauth/register"
REVOKE_PATH = "/oauth/revoke"
METADATA_PATH = "/.well-known/oauth-authorization-server"
OFFLINE_ACCESS = "offline_access"


@dataclass(frozen=True)
class Front:
    """The front's collaborators, built once."""

    settings: Settings
    front: FrontSettings
    sealer: Sealer
    documents: ClientDocuments
    upstream: Upstream
    #: The API's full scope strings, e.g. api://{id}/calculator.add (the edge's list).
    api_scopes: tuple[str, ...]
    #: Refresh-token reuse detection and revocation (OAUTH_FRONT_TOKEN_STORE); None: stateless.
    families: FamilyStore | None = None
    #: Each full scope string in words, from the tools' declarations ("Add numbers"), for the consent page.
    scope_texts: Mapping[str, str] = field(default_factory=dict)
    #: What the consent page calls this server (the MCP server's own name).
    server_name: str = "MCP"

    def place(self, request: Request) -> Resource:
        """Where this server is, as the request names it: the issuer is its origin exactly (RFC 8414 §2).

        Every front route answers a bad Host before its handler runs (front/routes.py), so here it names a place.
        """
        return resource_for(request.scope, self.settings)

    def check_resource(self, resource: str | None, place: Resource) -> None:
        """RFC 8707 §2: a `resource` that is not this server is `invalid_target`. It is never sent upstream."""
        if resource is None:
            return
        if resource.rstrip("/") not in (place.url, place.origin):
            raise InvalidTarget("The resource parameter does not name this MCP server", reason="foreign_resource")

    def requested_scopes(self, scope: str | None) -> list[str]:
        """The API scopes asked for, as full strings; none asked means all of them.

        Clients send short names (`calculator.add`) or full strings (`api://…/calculator.add`);
        `offline_access` is accepted and always added upstream. Anything else is `invalid_scope`
        (RFC 6749 §4.1.2.1): the front gets tokens for this API only.
        """
        wanted: list[str] = []
        for name in (scope or "").split():
            if name == OFFLINE_ACCESS:
                continue
            full = name if name in self.api_scopes else self.settings.scope_string(name)
            if full not in self.api_scopes:
                raise InvalidScope(f"The scope {name[:100]!r} is not offered by this server", reason="unknown_scope")
            if full not in wanted:
                wanted.append(full)
        return wanted or list(self.api_scopes)

    @staticmethod
    def upstream_scope(scopes: list[str]) -> str:
        """Full strings plus offline_access, so the issuer returns a refresh token (OIDC Core §11)."""
        return " ".join([*scopes, OFFLINE_ACCESS])


def callback_url(place: Resource) -> str:
    """The front's redirect URI at the upstream issuer (its Web redirect URI in Entra)."""
    return place.origin + CALLBACK_PATH
