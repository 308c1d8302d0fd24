"""The provider's HTTP surface: discovery, JWKS, authorize (consent) and token.

Paths copy Entra's so that an authority URL such as
``http://127.0.0.1:8001/{tenant}`` works the way
``https://login.microsoftonline.com/{tenant}`` does, for each tenant the
provider serves, and ``/organizations`` and ``/common`` work as Entra's
tenant-independent authorities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from secrets import token_urlsafe
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .consent import consent_page, message_page
from .keys import SigningKey
from .oauth import DevAuthorizationServer, ParamsRequest
from .registry import ClientRegistration, DevUser
from .scopes import OIDC_SCOPES, user_scope

__all__ = ["MULTI_TENANT_AUTHORITIES", "Endpoints", "TenantSite", "build_app", "metadata"]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class Endpoints:
    """The provider's URLs, derived from where it is served and its tenant."""

    base_url: str
    tenant_id: str

    @property
    def authority(self) -> str:
        """Entra-style authority: ``{base}/{tenant}`` (MSAL's `authority`)."""
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def jwks_uri(self) -> str:
        return f"{self.authority}/discovery/v2.0/keys"

    @property
    def metadata_url(self) -> str:
        """OIDC Discovery §4: ``{issuer path}/.well-known/openid-configuration``."""
        return f"{self.authority}/v2.0/.well-known/openid-configuration"


def metadata(endpoints: Endpoints, issuer: str, scopes: list[str]) -> dict[str, Any]:
    """The authorization server metadata (RFC 8414 §2, OIDC Discovery §3)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": endpoints.authorization_endpoint,
        "token_endpoint": endpoints.token_endpoint,
        "jwks_uri": endpoints.jwks_uri,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": sorted(OIDC_SCOPES) + scopes,
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid", "preferred_username"],
        "tenant_region_scope": None,
    }


@dataclass(frozen=True)
class TenantSite:
    """One tenant the provider serves: its URLs, the `iss` of its v2 tokens and the server that issues them."""

    endpoints: Endpoints
    issuer: str
    server: DevAuthorizationServer


#: Entra's tenant-independent authorities. Their metadata names the issuer as a template
#: (`{base}/{tenantid}/v2.0`); here a sign-in through them lands in the provider's home tenant,
#: where the development users live. Their JWKS is the common key set every tenant signs with.
MULTI_TENANT_AUTHORITIES = ("organizations", "common")


def build_app(
    *, sites: Sequence[TenantSite], key: SigningKey, users: Mapping[str, DevUser], extra_routes: Sequence[Route] = ()
) -> Starlette:
    """Assemble the Starlette application: each tenant under `/{tid}`, the first one also at the root,
    the `organizations`/`common` authorities, and `extra_routes` (the managed-identity stand-in)."""
    home = sites[0]
    resource = home.server.resource
    scopes = [resource.app_id_uri.rstrip("/") + "/" + s for s in resource.scopes]
    routes: list[Route] = []
    for site in sites:
        routes += _site_routes(site.endpoints, metadata(site.endpoints, site.issuer, scopes), site.server, key, users)
    home_document = metadata(home.endpoints, home.issuer, scopes)

    async def home_discovery(request: Request) -> Response:
        return JSONResponse(home_document)

    routes += [
        Route("/.well-known/openid-configuration", home_discovery),
        Route("/.well-known/oauth-authorization-server", home_discovery),
    ]
    for authority in MULTI_TENANT_AUTHORITIES:
        endpoints = Endpoints(base_url=home.endpoints.base_url, tenant_id=authority)
        template = metadata(endpoints, f"{endpoints.base_url}/{{tenantid}}/v2.0", scopes)
        routes += _site_routes(endpoints, template, home.server, key, users)
    return Starlette(routes=[*routes, *extra_routes])


def _site_routes(
    endpoints: Endpoints,
    document: dict[str, Any],
    server: DevAuthorizationServer,
    key: SigningKey,
    users: Mapping[str, DevUser],
) -> list[Route]:
    """Discovery, JWKS, authorize (consent) and token under `/{endpoints.tenant_id}`."""
    resource = server.resource
    prefix = resource.app_id_uri.rstrip("/") + "/"
    tenant = f"/{endpoints.tenant_id}"

    async def discovery(request: Request) -> Response:
        return JSONResponse(document)

    async def jwks(request: Request) -> Response:
        return JSONResponse(key.jwks())

    def params_request(request: Request, pairs: list[tuple[str, str]]) -> ParamsRequest:
        return ParamsRequest(request.method, str(request.url), request.headers, pairs)

    async def authorize(request: Request) -> Response:
        # RFC 6749 §3.1: the authorization endpoint MUST support GET.
        if request.method == "GET":
            return show_consent(request)
        return await decide(request)

    def show_consent(request: Request) -> Response:
        if server.downstream is not None and server.downstream.is_downstream_request(request.query_params):
            return show_downstream_consent(dict(request.query_params))
        oauth_request = params_request(request, list(request.query_params.multi_items()))
        try:
            grant = server.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            # Redirects to the client when the redirect URI is trusted (RFC 6749 §4.1.2.1).
            return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
        ticket = server.store.park_request(dict(request.query_params))
        asked = user_scope(oauth_request.payload.scope, resource, grant.client.scopes)
        shown = [prefix + s for s in asked.api_scopes] + (["offline_access"] if asked.offline_access else [])
        page = consent_page(
            action=endpoints.authorization_endpoint,
            ticket=ticket,
            client=grant.client,
            scopes=shown,
            users=users.values(),
        )
        return HTMLResponse(page, headers={**_NO_STORE, "X-Frame-Options": "DENY"})

    async def decide(request: Request) -> Response:
        form = await request.form()
        params = server.store.take_request(str(form.get("ticket", "")))
        if params is None:
            page = message_page("Consent expired", "This sign-in request is unknown, used or expired. Start again.")
            return HTMLResponse(page, status_code=400)
        if server.downstream is not None and server.downstream.is_downstream_request(params):
            return decide_downstream(params, users.get(str(form.get("user", ""))) if form.get("decision") == "approve" else None)
        oauth_request = params_request(request, list(params.items()))
        try:
            grant = server.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
        user = users.get(str(form.get("user", ""))) if form.get("decision") == "approve" else None
        # No user means denial: authlib redirects with error=access_denied (RFC 6749 §4.1.2.1).
        return server.create_authorization_response(oauth_request, grant_user=user, grant=grant)  # type: ignore[no-any-return]

    def downstream_client(params: Mapping[str, str]) -> tuple[ClientRegistration | None, Response | None]:
        """The API registration asking for downstream scopes, with a registered redirect URI, or the error page."""
        client = server.clients.get(params.get("client_id", ""))
        if client is None:
            text = f"AADSTS700016: Application with identifier '{params.get('client_id', '')}' was not found in the directory."
            return None, HTMLResponse(message_page("Unknown application", text), status_code=400)
        if not client.check_redirect_uri(params.get("redirect_uri", "")):
            # RFC 6749 §4.1.2.1: never redirect to a URI the registration does not list.
            text = "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured."
            return None, HTMLResponse(message_page("Redirect URI mismatch", text), status_code=400)
        return client, None

    def show_downstream_consent(params: dict[str, str]) -> Response:
        client, error = downstream_client(params)
        if client is None:
            return error or HTMLResponse("", status_code=400)
        shown = [s for s in params.get("scope", "").split() if s not in OIDC_SCOPES]
        if params.get("claims"):
            shown.append(f"an extra sign-in step (claims {params['claims']})")
        ticket = server.store.park_request(params)
        page = consent_page(
            action=endpoints.authorization_endpoint, ticket=ticket, client=client, scopes=shown, users=users.values()
        )
        return HTMLResponse(page, headers={**_NO_STORE, "X-Frame-Options": "DENY"})

    def decide_downstream(params: dict[str, str], user: DevUser | None) -> Response:
        client, error = downstream_client(params)
        if client is None or server.downstream is None:
            return error or HTMLResponse("", status_code=400)
        if user is None:
            query = {"error": "access_denied", "error_description": "AADSTS65004: User declined to consent to access the app."}
        else:
            server.downstream.record_sign_in(params, user)
            # Entra would issue a code; the MCP server never redeems it (the sign-in itself is the point).
            query = {"code": token_urlsafe(32)}
        if params.get("state"):
            query["state"] = params["state"]
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", status_code=302)

    async def token(request: Request) -> Response:
        form = await request.form()
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        return server.create_token_response(params_request(request, pairs))  # type: ignore[no-any-return]

    return [
        Route(f"{tenant}/v2.0/.well-known/openid-configuration", discovery),
        Route(f"{tenant}/v2.0/.well-known/oauth-authorization-server", discovery),
        # RFC 8414 §3.1: insert the well-known segment before the issuer's path.
        Route(f"/.well-known/oauth-authorization-server{tenant}/v2.0", discovery),
        Route(f"/.well-known/openid-configuration{tenant}/v2.0", discovery),
        Route(f"{tenant}/discovery/v2.0/keys", jwks),
        Route(f"{tenant}/oauth2/v2.0/authorize", authorize, methods=["GET", "POST"]),
        Route(f"{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    ]
