"""A thin Starlette adapter for authlib's framework-neutral `AuthorizationServer`.

authlib ships server integrations for Flask and Django only; this module does
the same job for an already-parsed Starlette request: it wraps the parameters
as an `OAuth2Request`, turns authlib's ``(status, body, headers)`` triples into
responses, and generates tokens with `TokenIssuer`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidClientError,
    OAuth2Payload,
    OAuth2Request,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import logfilter
from .downstream import DownstreamStandIn, OnBehalfOfGrant
from .federation import JWT_BEARER, FederatedAssertionRejected, authenticate_federated
from .grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant, S256CodeChallenge
from .issuer import TokenIssuer
from .registry import ClientRegistration
from .scopes import Resource, user_scope
from .store import RefreshToken, Store

__all__ = ["DevAuthorizationServer", "ParamsRequest"]

_AADSTS = re.compile(r"AADSTS(\d+)")
logfilter.install()
# authlib's grants log every token they issue, access and refresh, at DEBUG ("Issue token {...}").
# A token never belongs in a log, whatever the level, so their DEBUG is off.
logging.getLogger("authlib.oauth2.rfc6749.grants").setLevel(logging.INFO)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._data = {k: v for k, v in reversed(pairs)}  # first value wins, as in Werkzeug
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ParamsRequest(OAuth2Request):  # type: ignore[misc]
    """An `OAuth2Request` over parameters that were already read from query or form."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        pairs: Sequence[tuple[str, str]],
    ) -> None:
        # Keep the case-insensitive mapping: authlib reads headers["Authorization"].
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = _Payload(pairs)

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data) if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data) if self.method == "POST" else {}


class DevAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server wired to the dev provider's clients, store and issuer."""

    def __init__(
        self,
        *,
        clients: Mapping[str, ClientRegistration],
        store: Store,
        issuer: TokenIssuer,
        resource: Resource,
        clock: Callable[[], float],
        downstream: DownstreamStandIn | None = None,
        strict_refresh_rotation: bool = False,
    ) -> None:
        super().__init__()
        #: Revoke a refresh token when it is used, and its family when it is replayed (not Entra's way).
        self.strict_refresh_rotation = strict_refresh_rotation
        self.clients = clients
        self.store = store
        self.issuer = issuer
        self.resource = resource
        self.clock = clock
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge()])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        #: On-behalf-of and the Graph-like downstream API (devidp/downstream.py).
        self.downstream = downstream
        if downstream is not None:
            self.register_grant(OnBehalfOfGrant)
        self.register_token_generator("default", self._generate_token)
        self.register_client_auth_method("private_key_jwt", self._authenticate_assertion)

    # -- authlib hooks ---------------------------------------------------------

    def query_client(self, client_id: str) -> ClientRegistration | None:
        return self.clients.get(client_id)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        assert isinstance(request, OAuth2Request)  # the routes always pass a ParamsRequest
        return request

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def handle_response(self, status: int, body: Any, headers: Sequence[tuple[str, str]]) -> Response:
        header_map = dict(headers)
        if status == 302:
            return RedirectResponse(header_map.pop("Location"), status_code=302, headers=header_map)
        if isinstance(body, dict):
            header_map.pop("Content-Type", None)
            if "error" in body:
                # Entra lists the AADSTS numbers beside the RFC 6749 §5.2 fields.
                body = {**body, "error_codes": [int(n) for n in _AADSTS.findall(body.get("error_description", ""))]}
            return JSONResponse(body, status_code=status, headers=header_map)
        return Response(body, status_code=status, headers=header_map)

    def authenticate_client(self, request: Any, methods: Sequence[str], endpoint: str = "token") -> ClientRegistration:
        try:
            return super().authenticate_client(request, methods, endpoint)  # type: ignore[no-any-return]
        except FederatedAssertionRejected:
            raise
        except InvalidClientError as exc:
            raise self._entra_client_error(request) from exc

    def _authenticate_assertion(self, query_client: Any, request: Any) -> ClientRegistration | None:
        """Client authentication by a federated assertion (workload identity federation)."""
        data = request.payload.data
        if data.get("client_assertion_type") != JWT_BEARER or not data.get("client_assertion"):
            return None
        client = query_client(data.get("client_id", ""))
        if client is None or not client.federated_credentials:
            return None
        authenticate_federated(self.issuer.key, self.issuer.shape.issuer, client, data["client_assertion"])
        return client  # type: ignore[no-any-return]

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        refresh = token.get("refresh_token")
        if not refresh:
            return
        previous: RefreshToken | None = request.refresh_token
        code = request.authorization_code
        self.store.add_refresh(
            RefreshToken(
                token=refresh,
                client_id=request.client.client_id,
                # The grant's full scope string, `offline_access` included, for later refreshes.
                scope=code.scope if code is not None else request.scope,
                user=request.user,
                expires_at=self.clock() + self.issuer.refresh_token_lifetime,
                family=previous.family if previous is not None else uuid.uuid4().hex,
            )
        )

    # -- helpers -----------------------------------------------------------

    def _generate_token(
        self,
        grant_type: str,
        client: ClientRegistration,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if grant_type == "client_credentials":
            return self.issuer.token_response(self.issuer.app_token(client))
        grant = user_scope(scope, self.resource, client.scopes)
        access = self.issuer.user_token(client, user, grant.api_scopes)
        # A refresh token only with `offline_access` (OIDC Core §11, as Entra does).
        return self.issuer.token_response(
            access,
            scope=grant.full_scopes(self.resource),
            refresh=include_refresh_token and grant.offline_access,
        )

    def _entra_client_error(self, request: Any) -> Exception:
        """Reword authlib's generic client authentication failure the way Entra words it."""
        basic_id, basic_secret = extract_basic_authorization(request.headers)
        client_id = basic_id or request.payload.client_id
        secret = basic_secret or request.payload.data.get("client_secret")
        client = self.clients.get(client_id) if client_id else None
        if client is None:
            return UnauthorizedClientError(
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory."
            )
        if client.is_public and secret:
            return InvalidClientError(
                status_code=401,
                description="AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' "
                "should be presented.",
            )
        if not secret:
            return InvalidClientError(
                status_code=401,
                description="AADSTS7000218: The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.",
            )
        return InvalidClientError(status_code=401, description="AADSTS7000215: Invalid client secret provided.")
