"""Client registrations and users known to the development provider.

`ClientRegistration` adapts to authlib's `ClientMixin` so that authlib's grants
can authenticate the client and check its redirect URIs and grant types.
"""

from __future__ import annotations

import hmac
import ipaddress
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin

from . import defaults
from .federation import FederatedCredential

__all__ = ["ClientRegistration", "DevUser", "agent_user", "api_registration", "default_clients", "default_users"]

_ALL_GRANTS = frozenset({"authorization_code", "refresh_token", "client_credentials"})


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class DevUser:
    """A signed-in user: the identity a consent approval binds to the code."""

    oid: str
    name: str
    preferred_username: str
    #: An agent's user account (Entra Agent ID "agent user"): its tokens say so in `xms_sub_fct`.
    is_agent_user: bool = False


@dataclass(frozen=True)
class ClientRegistration(ClientMixin):  # type: ignore[misc]
    """One app registration: a client id, an optional secret and what it may do.

    A registration without a secret is a public client (RFC 6749 §2.1) and must
    use PKCE. `roles` are the application permissions an admin consented to;
    `client_credentials` tokens carry them. `scopes` limits delegated scopes
    (bare names such as ``calculator.add``); ``None`` allows all the API exposes.
    """

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uris: tuple[str, ...] = ("http://localhost", "http://127.0.0.1")
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] | None = None
    grant_types: frozenset[str] = _ALL_GRANTS
    name: str = "dev client"
    #: Object id of the client's service principal: `oid`/`sub` of its app tokens.
    service_principal_oid: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: Workload identity federation: tokens from these (issuer, subject, audience) authenticate the client.
    federated_credentials: tuple[FederatedCredential, ...] = ()
    #: An agent identity (Entra Agent ID): the app id of its parent, the agent identity blueprint.
    #: Its tokens carry the agent claims (devidp.claims.agent_claims).
    agent_parent_app_id: str | None = None

    @property
    def is_public(self) -> bool:
        """True when the client has neither a secret nor a federated credential (RFC 6749 §2.1 public client)."""
        return self.client_secret is None and not self.federated_credentials

    # -- authlib ClientMixin -------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        # Scope policy lives in devidp.scopes; authlib only needs the string back.
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match, except that a loopback URI may use any port.

        RFC 8252 §7.3: the authorization server MUST allow any port to be
        specified at the time of the request for loopback IP redirect URIs.
        Entra does the same for `http://localhost`.
        """
        if redirect_uri in self.redirect_uris:
            return True
        asked = urlsplit(redirect_uri)
        if asked.scheme != "http" or not _is_loopback(asked.hostname):
            return False
        for registered in self.redirect_uris:
            known = urlsplit(registered)
            if (known.scheme, known.hostname, known.path or "/") == (
                asked.scheme,
                asked.hostname,
                asked.path or "/",
            ) and not asked.query:
                return True
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        if method == "private_key_jwt":
            return bool(self.federated_credentials)
        return self.client_secret is not None and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials" and self.is_public:
            return False
        return grant_type in self.grant_types


def default_users() -> dict[str, DevUser]:
    """The users the consent page offers, keyed by `preferred_username`."""
    users = [
        DevUser(
            oid="55555555-5555-4555-8555-555555555555",
            name="Dev User",
            preferred_username="dev.user@contoso.test",
        ),
        DevUser(
            oid="66666666-6666-4666-8666-666666666666",
            name="Second User",
            preferred_username="second.user@contoso.test",
        ),
    ]
    return {u.preferred_username: u for u in users}


def agent_user() -> DevUser:
    """The development agent's user account; not offered on the consent page (it signs in as no person does)."""
    return DevUser(
        oid=defaults.DEV_AGENT_USER_OBJECT_ID,
        name="Dev Agent (user account)",
        preferred_username="dev.agent@contoso.test",
        is_agent_user=True,
    )


def api_registration(redirect_uris: tuple[str, ...]) -> ClientRegistration:
    """The API's own registration: the confidential client of the on-behalf-of exchange.

    It authenticates with the managed identity's federated credential, as on Azure, or with a
    development secret; `redirect_uris` is where the browser lands after consent or a step-up.
    """
    return ClientRegistration(
        client_id=defaults.DEV_API_CLIENT_ID,
        client_secret=defaults.DEV_API_CLIENT_SECRET,
        name="calculator MCP server (the API)",
        redirect_uris=redirect_uris,
        grant_types=frozenset({"urn:ietf:params:oauth:grant-type:jwt-bearer"}),
        service_principal_oid="dddddddd-dddd-4ddd-8ddd-dddddddddddd",
        federated_credentials=(FederatedCredential(subject=defaults.DEV_MANAGED_IDENTITY_OBJECT_ID),),
    )


def default_clients() -> dict[str, ClientRegistration]:
    """The registrations of the development tenant (see `devidp.defaults`)."""
    clients = [
        ClientRegistration(
            client_id=defaults.DEV_PUBLIC_CLIENT_ID,
            name="mcp client CLI (public)",
            grant_types=frozenset({"authorization_code", "refresh_token"}),
            service_principal_oid="77777777-7777-4777-8777-777777777777",
        ),
        ClientRegistration(
            client_id=defaults.DEV_APP_CLIENT_ID,
            client_secret=defaults.DEV_APP_CLIENT_SECRET,
            name="gateway / daemon (confidential)",
            roles=frozenset(defaults.API_SCOPES),
            service_principal_oid="88888888-8888-4888-8888-888888888888",
        ),
        ClientRegistration(
            client_id=defaults.DEV_FRONT_CLIENT_ID,
            client_secret=defaults.DEV_FRONT_CLIENT_SECRET,
            name="MCP server OAuth front (confidential, Web)",
            # Entra "Web" redirect URIs of the front's callback; loopback ports are free (RFC 8252 §7.3).
            redirect_uris=("http://localhost/oauth/callback", "http://127.0.0.1/oauth/callback"),
            grant_types=frozenset({"authorization_code", "refresh_token"}),
            service_principal_oid="99999999-9999-4999-8999-999999999999",
            federated_credentials=(FederatedCredential(subject=defaults.DEV_MANAGED_IDENTITY_OBJECT_ID),),
        ),
        ClientRegistration(
            client_id=defaults.DEV_AGENT_CLIENT_ID,
            client_secret=defaults.DEV_AGENT_CLIENT_SECRET,
            name="agent identity (Entra Agent ID)",
            roles=frozenset(defaults.API_SCOPES),
            service_principal_oid="12121212-1212-4121-8121-121212121212",
            agent_parent_app_id=defaults.DEV_AGENT_BLUEPRINT_ID,
        ),
    ]
    return {c.client_id: c for c in clients}
