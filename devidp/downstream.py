"""On-behalf-of, as Entra does it, and a Graph-like `/v1.0/me` to call with the result.

- The grant: RFC 7523 §2.1 JWT bearer (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`)
  with `requested_token_use=on_behalf_of` and the caller's access token as `assertion`
  ("Microsoft identity platform and OAuth 2.0 On-Behalf-Of flow", section "First case: Access
  token request with a shared secret" / "with a federated credential"). The client is the API
  the assertion was issued to (its `aud`); it authenticates with a secret or a federated
  assertion like any confidential client here. The answer is a Graph-shaped v1 token for
  `https://graph.microsoft.com` with the requested delegated scopes.
- `/v1.0/me` checks the token's signature, issuer, expiry, audience (Graph) and scope
  (`User.Read`), as Graph does, and answers the user's profile.
- The failures a person fixes, each switched on by a test or by devserver flags:
  `consent_required` (AADSTS65001 until the person approves the consent URL),
  `conditional_access` = 50076 or 53003 (until the person completes the step-up at the
  authorize URL carrying the `claims` Entra returned), and `claims_challenge()` (a CAE critical
  event: `/me` answers 401 `insufficient_claims` to every token issued before it, and a new
  exchange carrying those claims succeeds only after the person signed in again).
- The authorize endpoint's pages for those URLs (`is_downstream_request`): the person picks a
  user and approves; the sign-in is recorded and the browser goes to the API's redirect URI.
  No code issued there is ever redeemed; the person's step is what the next exchange sees.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal

import jwt
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, TokenEndpointMixin
from authlib.oauth2.rfc6749.grants import BaseGrant
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .keys import SigningKey
from .registry import ClientRegistration, DevUser

__all__ = [
    "DONE_PATH",
    "GRAPH_APP_ID",
    "GRAPH_RESOURCE",
    "JWT_BEARER_GRANT",
    "ME_PATH",
    "DownstreamStandIn",
    "OnBehalfOfGrant",
]

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ME_PATH = "/v1.0/me"
#: Where the API's registration sends the browser after consent: a "you may close this page" page.
DONE_PATH = "/obo/done"
_GRAPH_SCOPES = frozenset({"User.Read"})
_OIDC = frozenset({"openid", "profile", "email", "offline_access"})
#: The policy id Entra names in a Conditional Access claims request (`capolids`).
_POLICY_ID = "9ab03e19-ed42-4168-b6b7-7001fb3e933a"
_MESSAGES = {
    65001: "AADSTS65001: The user or administrator has not consented to use the application with ID '{client}'. "
    "Send an interactive authorization request for this user and resource.",
    50076: "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new "
    "location, you must use multi-factor authentication to access '{resource}'.",
    53003: "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow "
    "token issuance.",
}


class EntraGrantError(InvalidGrantError):  # type: ignore[misc]
    """`invalid_grant` with Entra's extra members: `suberror` and the `claims` to request."""

    def __init__(self, description: str, *, suberror: str | None = None, claims: str | None = None) -> None:
        super().__init__(description=description)
        self.suberror = suberror
        self.claims = claims

    def get_body(self) -> list[tuple[str, Any]]:
        body: list[tuple[str, Any]] = super().get_body()
        if self.suberror:
            body.append(("suberror", self.suberror))
        if self.claims:
            body.append(("claims", self.claims))
        return body


class DownstreamStandIn:
    """The downstream API's registration, its `/me`, and what the person has done so far."""

    def __init__(
        self,
        *,
        key: SigningKey,
        issuers: frozenset[str],
        v1_issuer: str,
        tenant_id: str,
        users: Mapping[str, DevUser],
        clock: Callable[[], float],
        lifetime: int = 3600,
    ) -> None:
        self.key = key
        self.issuers = issuers
        self.v1_issuer = v1_issuer
        self.tenant_id = tenant_id
        self.users = users
        self.clock = clock
        self.lifetime = lifetime
        #: Switches: which failure the exchange (or /me) answers until the person acts.
        self.consent_required = False
        self.conditional_access: Literal[50076, 53003] | None = None
        self._critical_event: float | None = None
        self._consented: set[str] = set()
        self._stepped_up: set[str] = set()
        self._signed_in_at: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- switches ------------------------------------------------------------

    def reset(self) -> None:
        """Every failure off and nobody's consent or sign-in remembered (tests start from here)."""
        with self._lock:
            self.consent_required = False
            self.conditional_access = None
            self._critical_event = None
            self._consented.clear()
            self._stepped_up.clear()
            self._signed_in_at.clear()

    def claims_challenge(self) -> None:
        """A CAE critical event now: /me refuses every token issued before it with a claims challenge."""
        self._critical_event = float(int(self.clock()))

    @property
    def conditional_access_claims(self) -> str:
        """The claims request Entra returns with a Conditional Access failure."""
        return json.dumps({"access_token": {"capolids": {"essential": True, "values": [_POLICY_ID]}}}, separators=(",", ":"))

    def event_claims(self) -> str | None:
        """The CAE claims request /me sends: a token issued at or after the event."""
        if self._critical_event is None:
            return None
        value = str(int(self._critical_event))
        return json.dumps({"access_token": {"nbf": {"essential": True, "value": value}}}, separators=(",", ":"))

    # -- the authorize pages -------------------------------------------------

    @staticmethod
    def is_downstream_request(params: Mapping[str, str]) -> bool:
        """An authorize request for Graph scopes: the consent or step-up URL the MCP tool hands out."""
        scopes = params.get("scope", "").split()
        return any(scope.startswith(GRAPH_RESOURCE + "/") for scope in scopes)

    def record_sign_in(self, params: Mapping[str, str], user: DevUser) -> None:
        """The person approved the page: consent given, step-up done, a fresh sign-in recorded."""
        with self._lock:
            self._signed_in_at[user.oid] = self.clock()
            if params.get("prompt") == "consent":
                self._consented.add(user.oid)
            if params.get("claims"):
                self._stepped_up.add(user.oid)

    # -- the exchange ----------------------------------------------------------

    def refusal(self, client: ClientRegistration, user: DevUser, claims: str | None) -> EntraGrantError | None:
        """Why the exchange fails for `user` right now, or None."""
        with self._lock:
            consented = user.oid in self._consented
            stepped_up = user.oid in self._stepped_up
            signed_in_at = self._signed_in_at.get(user.oid)
        if self.consent_required and not consented:
            return EntraGrantError(_MESSAGES[65001].format(client=client.client_id), suberror="consent_required")
        if self.conditional_access is not None and not stepped_up:
            return EntraGrantError(
                _MESSAGES[self.conditional_access].format(resource=GRAPH_RESOURCE),
                suberror="basic_action",
                claims=self.conditional_access_claims,
            )
        if claims is not None and self._critical_event is not None and "nbf" in claims:
            if signed_in_at is None or signed_in_at < self._critical_event:
                # The session predates the event: only an interactive sign-in satisfies the claims.
                return EntraGrantError(
                    "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.",
                    suberror="bad_token",
                )
        return None

    def token_response(self, client: ClientRegistration, user: DevUser, scopes: list[str]) -> dict[str, Any]:
        """A Graph-shaped v1 access token ("Access token claims reference": v1.0, `aud` the resource URI)."""
        now = int(self.clock())
        claims = {
            "aud": GRAPH_RESOURCE,
            "iss": self.v1_issuer,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "appid": client.client_id,
            "appidacr": "2" if client.federated_credentials and not client.client_secret else "1",
            "oid": user.oid,
            "sub": user.oid,
            "tid": self.tenant_id,
            "name": user.name,
            "upn": user.preferred_username,
            "scp": " ".join(scopes),
            "ver": "1.0",
            "uti": secrets.token_urlsafe(16),
        }
        return {
            "token_type": "Bearer",
            "scope": " ".join(f"{GRAPH_RESOURCE}/{s}" for s in scopes),
            "expires_in": self.lifetime,
            "ext_expires_in": self.lifetime,
            "access_token": self.key.sign(claims),
        }

    # -- /v1.0/me ----------------------------------------------------------------

    def me(self, request: Request) -> Response:
        """Graph's /me: the profile of the token's user, or Graph's own 401 shapes."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = self.key.signed_claims(token, require=["iss", "aud", "exp", "iat"])
        except jwt.PyJWTError:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if claims.get("iss") not in self.issuers or claims.get("aud") not in (GRAPH_RESOURCE, GRAPH_APP_ID):
            return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self.clock():
            return _graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        if "User.Read" not in str(claims.get("scp", "")).split():
            return _graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        event = self._critical_event
        if event is not None and isinstance(claims.get("iat"), int) and claims["iat"] < event:
            # CAE: "Claims challenges, claims requests and client capabilities" — 401 with the claims, base64.
            encoded = base64.b64encode((self.event_claims() or "").encode()).decode()
            challenge = (
                f'Bearer realm="", authorization_uri="{self.v1_issuer}", client_id="{GRAPH_APP_ID}", '
                f'error="insufficient_claims", claims="{encoded}"'
            )
            response = _graph_error(401, "InvalidAuthenticationToken", "Continuous access evaluation resulted in challenge.")
            response.headers["WWW-Authenticate"] = challenge
            return response
        user = next((u for u in self.users.values() if u.oid == claims.get("oid")), None)
        if user is None:
            return _graph_error(404, "Request_ResourceNotFound", "The user does not exist.")
        return JSONResponse(
            {
                "id": user.oid,
                "displayName": user.name,
                "userPrincipalName": user.preferred_username,
                "mail": user.preferred_username,
            }
        )


def _graph_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class OnBehalfOfGrant(BaseGrant, TokenEndpointMixin):  # type: ignore[misc]
    """RFC 7523 JWT bearer with `requested_token_use=on_behalf_of`, as Entra's v2.0 token endpoint takes it."""

    GRANT_TYPE = JWT_BEARER_GRANT
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

    def validate_token_request(self) -> None:
        client: ClientRegistration = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise InvalidGrantError(f"AADSTS70000: The client '{client.client_id}' may not use this grant.")
        data = self.request.payload.data
        if data.get("requested_token_use") != "on_behalf_of":
            raise InvalidRequestError("AADSTS70003: requested_token_use must be on_behalf_of.")
        assertion = data.get("assertion")
        if not assertion:
            raise InvalidRequestError("AADSTS900144: The request body must contain the following parameter: 'assertion'.")
        stand_in: DownstreamStandIn = self.server.downstream
        claims = self._assertion_claims(assertion, client, stand_in)
        user = next((u for u in stand_in.users.values() if u.oid == claims.get("oid")), None)
        if user is None or "scp" not in claims:
            # An app-only token has no user to act for.
            raise InvalidGrantError("AADSTS50013: Assertion is not a delegated user token.")
        scopes = self._graph_scopes(self.request.payload.scope or "")
        refusal = stand_in.refusal(client, user, data.get("claims"))
        if refusal is not None:
            raise refusal
        self.request.client = client
        self.request.user = user
        self.request.scope = " ".join(scopes)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        stand_in: DownstreamStandIn = self.server.downstream
        body = stand_in.token_response(self.request.client, self.request.user, self.request.scope.split())
        return 200, body, self.TOKEN_RESPONSE_HEADER

    def _assertion_claims(self, assertion: str, client: ClientRegistration, stand_in: DownstreamStandIn) -> dict[str, Any]:
        try:
            claims = stand_in.key.signed_claims(assertion, require=["iss", "aud", "exp"])
        except jwt.PyJWTError as exc:
            raise InvalidGrantError("AADSTS50013: Assertion failed signature validation.") from exc
        if claims.get("iss") not in stand_in.issuers:
            raise InvalidGrantError("AADSTS50013: Assertion is not from a trusted issuer.")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= stand_in.clock():
            raise InvalidGrantError("AADSTS500133: Assertion is not within its valid time range.")
        # The assertion must have been issued to this very client: the API exchanges its own callers' tokens.
        if claims.get("aud") not in (client.client_id, f"api://{client.client_id}"):
            raise InvalidGrantError("AADSTS50013: Assertion audience does not match the Client app presenting the assertion.")
        return claims

    @staticmethod
    def _graph_scopes(scope: str) -> list[str]:
        names: list[str] = []
        for item in scope.split():
            if item in _OIDC:
                continue
            if not item.startswith(GRAPH_RESOURCE + "/") or item.removeprefix(GRAPH_RESOURCE + "/") not in _GRAPH_SCOPES:
                raise InvalidScopeError(f"AADSTS70011: The provided value for the input parameter 'scope' is not valid: {item}")
            names.append(item.removeprefix(GRAPH_RESOURCE + "/"))
        if not names:
            raise InvalidScopeError("AADSTS70011: The provided request must include a 'scope' input parameter.")
        return names
