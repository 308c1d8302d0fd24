"""`DevIdentityProvider`: an Entra-like OAuth 2.0 server on a loopback port, in a thread.

    with DevIdentityProvider() as idp:          # port 0: an ephemeral port
        token = idp.mint_user_token(["calculator.add"])
        requests.get(idp.jwks_uri)

The issuer string is a free parameter: tests of the resource server can pass
``https://login.microsoftonline.com/{tid}/v2.0`` while the provider is served
on ``http://127.0.0.1:{port}``.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.responses import HTMLResponse
from starlette.routing import Route

from . import defaults
from .app import Endpoints, TenantSite, build_app
from .claims import AgentScenario, TokenShape, TokenVersion
from .consent import message_page
from .downstream import DONE_PATH, ME_PATH, DownstreamStandIn
from .issuer import TokenIssuer
from .keys import SigningKey
from .listener import loopback_listener
from .managed_identity import MANAGED_IDENTITY_PATH, managed_identity_endpoint
from .oauth import DevAuthorizationServer
from .registry import ClientRegistration, DevUser, agent_user, api_registration, default_clients, default_users
from .scopes import Resource
from .store import Store
from .tls import write_loopback_certificate

__all__ = ["DevIdentityProvider"]


def _require_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the development identity provider serves loopback only, not {host!r}")


def _done_page(request: object) -> HTMLResponse:
    """Where the API's registration sends the browser after consent or a step-up."""
    return HTMLResponse(message_page("Done", "You can close this page and go back to your MCP client."))


class DevIdentityProvider:
    """A development identity provider that issues Entra-shaped tokens over real HTTP.

    Nothing is served until `start()` (or ``with``). `issuer` defaults to
    ``http://{host}:{port}/{tenant_id}/v2.0``; `v1_issuer` to Entra's
    ``https://sts.windows.net/{tenant_id}/``; `app_id_uri` to ``api://{api_client_id}``.
    `clock` is read for every timestamp, so tests can move time instead of sleeping.
    A used refresh token stays valid, as Entra's does; `strict_refresh_rotation` revokes it on use
    and revokes its family when it comes back (RFC 9700 §4.14.2), for testing against stricter issuers.
    `tls` serves https with a throwaway self-signed certificate (`ca_path`), for MSAL.
    `other_tenant_ids` are more tenants served beside `tenant_id`, each under `/{tid}` with its own
    store and issuer (``{url}/{tid}/v2.0``, v1 ``https://sts.windows.net/{tid}/``), all signing with
    the one key that `/common/discovery/v2.0/keys` publishes, as Entra's tenants share theirs.
    """

    def __init__(
        self,
        *,
        host: str = defaults.DEV_HOST,
        port: int = 0,
        tenant_id: str = defaults.DEV_TENANT_ID,
        api_client_id: str = defaults.DEV_API_CLIENT_ID,
        app_id_uri: str | None = None,
        api_scopes: Iterable[str] = defaults.API_SCOPES,
        issuer: str | None = None,
        v1_issuer: str | None = None,
        clients: Mapping[str, ClientRegistration] | Iterable[ClientRegistration] | None = None,
        users: Iterable[DevUser] | None = None,
        access_token_lifetime: int = 3600,
        refresh_token_lifetime: int = 86400,
        access_token_version: TokenVersion = 2,
        clock: Callable[[], float] = time.time,
        key: SigningKey | None = None,
        tls: bool = False,
        other_tenant_ids: Iterable[str] = (),
        managed_identities: Mapping[str, str] | None = None,
        strict_refresh_rotation: bool = False,
    ) -> None:
        _require_loopback(host)
        self.tls = tls
        self.host = host
        self.port = port
        self.tenant_id = tenant_id
        self.tenant_ids: tuple[str, ...] = tuple(dict.fromkeys([tenant_id, *other_tenant_ids]))
        self.clock = clock
        self.strict_refresh_rotation = strict_refresh_rotation
        self.key = key or SigningKey()
        self.resource = Resource(
            client_id=api_client_id,
            app_id_uri=(app_id_uri or f"api://{api_client_id}").rstrip("/"),
            scopes=tuple(api_scopes),
        )
        if clients is None:
            clients = default_clients()
        self.clients: dict[str, ClientRegistration] = (
            dict(clients) if isinstance(clients, Mapping) else {c.client_id: c for c in clients}
        )
        self.users: dict[str, DevUser] = (
            default_users() if users is None else {u.preferred_username: u for u in users}
        )
        self._issuer = issuer
        self.v1_issuer = v1_issuer or f"https://sts.windows.net/{tenant_id}/"
        self._lifetimes = (access_token_lifetime, refresh_token_lifetime)
        self._version: TokenVersion = access_token_version
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._token_issuers: dict[str, TokenIssuer] = {}
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        #: With ``tls=True``: the self-signed certificate to trust (requests' ``verify=``).
        self.ca_path: Path | None = None
        self.store = Store(clock=clock)
        self._stores = {tid: self.store if tid == tenant_id else Store(clock=clock) for tid in self.tenant_ids}
        #: Managed identities the /msi/token stand-in answers for: client id → object id.
        self.managed_identities: dict[str, str] = dict(
            managed_identities
            if managed_identities is not None
            else {defaults.DEV_MANAGED_IDENTITY_CLIENT_ID: defaults.DEV_MANAGED_IDENTITY_OBJECT_ID}
        )
        #: The secret a caller of the stand-in sends as X-IDENTITY-HEADER (IDENTITY_HEADER on App Service).
        self.identity_header = secrets.token_urlsafe(24)
        #: On-behalf-of and the Graph-like /v1.0/me, with its failure switches (set at start()).
        self.downstream: DownstreamStandIn | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> DevIdentityProvider:
        """Bind the port, build the app and serve it from a daemon thread; return when ready."""
        if self._server is not None:
            raise RuntimeError("already started")
        sock = loopback_listener(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._socket = sock
        # The API's own registration, for on-behalf-of; after consent the browser lands on DONE_PATH.
        self.clients.setdefault(defaults.DEV_API_CLIENT_ID, api_registration((f"{self.url}{DONE_PATH}",)))
        self.downstream = DownstreamStandIn(
            key=self.key,
            issuers=frozenset({self.issuer, self.v1_issuer}),
            v1_issuer=self.v1_issuer,
            tenant_id=self.tenant_id,
            users=self.users,
            clock=self.clock,
        )
        sites = [
            TenantSite(
                endpoints=Endpoints(base_url=self.url, tenant_id=tid),
                issuer=self.issuer_of(tid),
                server=DevAuthorizationServer(
                    clients=self.clients,
                    store=self._stores[tid],
                    issuer=self._make_issuer(tid),
                    resource=self.resource,
                    clock=self.clock,
                    downstream=self.downstream if tid == self.tenant_id else None,
                    strict_refresh_rotation=self.strict_refresh_rotation,
                ),
            )
            for tid in self.tenant_ids
        ]
        identity = managed_identity_endpoint(
            key=self.key,
            issuer=self.issuer,
            tenant_id=self.tenant_id,
            identities=self.managed_identities,
            identity_header=self.identity_header,
            clock=self.clock,
        )
        app = build_app(
            sites=sites,
            key=self.key,
            users=self.users,
            extra_routes=[
                Route(MANAGED_IDENTITY_PATH, identity, methods=["GET"]),
                Route(ME_PATH, self.downstream.me, methods=["GET"]),
                Route(DONE_PATH, _done_page, methods=["GET"]),
            ],
        )
        certfile = keyfile = None
        if self.tls:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="devidp-tls-")
            certificate = write_loopback_certificate(Path(self._tls_dir.name))
            self.ca_path = certificate.ca_path
            certfile, keyfile = str(certificate.cert_path), str(certificate.key_path)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"devidp:{self.port}", daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the development identity provider failed to start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call twice."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=2)
            if self._thread.is_alive():
                # A client holding a keep-alive connection open must not hold up the test run.
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
        self._server = self._thread = self._socket = self._tls_dir = None

    def __enter__(self) -> DevIdentityProvider:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """Where the provider is served, e.g. ``http://127.0.0.1:8001``."""
        if self.port == 0:
            raise RuntimeError("the port is chosen at start(); start the provider first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def endpoints(self) -> Endpoints:
        """Authority, authorize, token, JWKS and metadata URLs."""
        return Endpoints(base_url=self.url, tenant_id=self.tenant_id)

    @property
    def issuer(self) -> str:
        """The `iss` of v2 tokens and the metadata's `issuer`."""
        return self._issuer or f"{self.url}/{self.tenant_id}/v2.0"

    def issuer_of(self, tenant_id: str) -> str:
        """The v2 `iss` of one of the served tenants."""
        return self.issuer if tenant_id == self.tenant_id else f"{self.url}/{tenant_id}/v2.0"

    @property
    def organizations_issuer(self) -> str:
        """The multi-tenant authority, shaped like ``https://login.microsoftonline.com/organizations/v2.0``."""
        return f"{self.url}/organizations/v2.0"

    @property
    def common_jwks_uri(self) -> str:
        """The tenant-independent key set (Entra: ``/common/discovery/v2.0/keys``)."""
        return f"{self.url}/common/discovery/v2.0/keys"

    @property
    def authority(self) -> str:
        return self.endpoints.authority

    @property
    def jwks_uri(self) -> str:
        return self.endpoints.jwks_uri

    @property
    def token_endpoint(self) -> str:
        return self.endpoints.token_endpoint

    @property
    def authorization_endpoint(self) -> str:
        return self.endpoints.authorization_endpoint

    @property
    def metadata_url(self) -> str:
        return self.endpoints.metadata_url

    @property
    def identity_endpoint(self) -> str:
        """The managed-identity stand-in: what App Service puts in IDENTITY_ENDPOINT."""
        return f"{self.url}{MANAGED_IDENTITY_PATH}"

    @property
    def me_url(self) -> str:
        """The Graph-like /me stand-in (what OBO_API_URL points at locally)."""
        return f"{self.url}{ME_PATH}"

    @property
    def done_url(self) -> str:
        """The API registration's redirect URI after consent (what OBO_REDIRECT_URI points at locally)."""
        return f"{self.url}{DONE_PATH}"

    @property
    def app_id_uri(self) -> str:
        return self.resource.app_id_uri

    def scope(self, name: str) -> str:
        """The full scope string of one API scope, e.g. ``api://{id}/calculator.add``."""
        return f"{self.resource.app_id_uri}/{name}"

    # -- minting without HTTP, for tests of resource servers -----------------------

    @property
    def access_token_lifetime(self) -> int:
        """Seconds an access token lives (its `expires_in`)."""
        return self._lifetimes[0]

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds: int) -> None:
        # Tests shorten it to watch a client refresh, without restarting the provider.
        self._lifetimes = (seconds, self._lifetimes[1])
        for token_issuer in self._token_issuers.values():
            token_issuer.access_token_lifetime = seconds

    def _make_issuer(self, tenant_id: str | None = None) -> TokenIssuer:
        tid = tenant_id or self.tenant_id
        if tid not in self._stores:
            raise KeyError(f"the provider does not serve tenant {tid!r}")
        if tid not in self._token_issuers:
            home = tid == self.tenant_id
            shape = TokenShape(
                issuer=self.issuer_of(tid),
                v1_issuer=self.v1_issuer if home else f"https://sts.windows.net/{tid}/",
                tenant_id=tid,
                resource=self.resource,
            )
            self._token_issuers[tid] = TokenIssuer(
                shape=shape,
                key=self.key,
                clock=self.clock,
                access_token_lifetime=self._lifetimes[0],
                refresh_token_lifetime=self._lifetimes[1],
                access_token_version=self._version,
            )
        return self._token_issuers[tid]

    def _client(self, client_id: str | None, fallback: str) -> ClientRegistration:
        chosen = client_id or fallback
        try:
            return self.clients[chosen]
        except KeyError:
            raise KeyError(f"no client registration {chosen!r}") from None

    def mint_user_token(
        self,
        scopes: Iterable[str] = defaults.API_SCOPES,
        *,
        user: DevUser | str | None = None,
        client_id: str | None = None,
        version: TokenVersion | None = None,
        lifetime: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> str:
        """A signed user token with `scp` = `scopes` (bare names), as the code flow would issue.

        `extra_claims` override or add claims (set a value to test a bad `aud`, say);
        `tenant_id` picks one of the served tenants (default: the home tenant).
        """
        if user is None:
            user = next(iter(self.users.values()))
        elif isinstance(user, str):
            user = self.users[user]
        client = self._client(client_id, defaults.DEV_PUBLIC_CLIENT_ID)
        return self._make_issuer(tenant_id).user_token(
            client, user, list(scopes), version=version, lifetime=lifetime, extra_claims=dict(extra_claims or {})
        )

    def mint_app_token(
        self,
        roles: Iterable[str] | None = None,
        *,
        client_id: str | None = None,
        version: TokenVersion | None = None,
        lifetime: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> str:
        """A signed app token with `roles` (default: the client's granted roles) and `idtyp` = app."""
        client = self._client(client_id, defaults.DEV_APP_CLIENT_ID)
        return self._make_issuer(tenant_id).app_token(
            client,
            roles=None if roles is None else list(roles),
            version=version,
            lifetime=lifetime,
            extra_claims=dict(extra_claims or {}),
        )

    def mint_agent_token(
        self,
        scenario: AgentScenario,
        permissions: Iterable[str] = defaults.API_SCOPES,
        *,
        client_id: str | None = None,
        user: DevUser | str | None = None,
        version: TokenVersion | None = None,
    ) -> str:
        """A signed token of an agent identity (a registration with `agent_parent_app_id`), per scenario.

        `autonomous_agent`: app-only, `permissions` as roles (what client credentials issue);
        `agent_for_user`: delegated for `user` (default: the first user), `permissions` as scp;
        `agent_user_account`: delegated for the agent's own user account (`agent_user()` by default).
        """
        client = self._client(client_id, defaults.DEV_AGENT_CLIENT_ID)
        if client.agent_parent_app_id is None:
            raise ValueError(f"client {client.client_id!r} is not an agent identity")
        if scenario == "autonomous_agent":
            return self.mint_app_token(permissions, client_id=client.client_id, version=version)
        if scenario == "agent_user_account":
            user = user or agent_user()
        return self.mint_user_token(permissions, user=user, client_id=client.client_id, version=version)
