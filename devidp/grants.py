"""authlib's RFC 6749 grants, bound to the provider's store and Entra's scope rules.

Only persistence and Entra's wording live here; the protocol steps (client
authentication, redirect URI binding, code and PKCE checks, refresh scope
narrowing) are authlib's.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidGrantError, InvalidRequestError, OAuth2Error, grants
from authlib.oauth2.rfc7636 import CodeChallenge

from .registry import DevUser
from .scopes import app_scope, user_scope
from .store import CODE_LIFETIME, AuthorizationCode, RefreshToken

__all__ = ["AuthorizationCodeGrant", "ClientCredentialsGrant", "RefreshTokenGrant", "S256CodeChallenge"]


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707 §2 `invalid_target`, which Entra's v2 endpoint answers with AADSTS9010010."""

    error = "invalid_target"


def _check_resource_parameter(grant: Any) -> None:
    # Entra v2 takes the resource from the scope; a `resource` parameter (RFC 8707)
    # that names anything else fails with AADSTS9010010.
    resource = grant.request.payload.data.get("resource")
    if resource and resource.rstrip("/") + "/" not in grant.server.resource.prefixes():
        raise InvalidTargetError(
            "AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes."
        )


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only, required for every client (RFC 7636, RFC 9700 §2.1.1).

    RFC 7636 §4.3 makes `plain` the default when the method is omitted, so an
    omitted method is refused as well.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only S256 is accepted (RFC 7636 4.2).")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        try:
            super().validate_code_verifier(grant, result)
        except InvalidGrantError as exc:
            # RFC 7636 §4.6: a mismatch MUST be answered with invalid_grant.
            raise InvalidGrantError(
                "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request."
            ) from exc


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """RFC 6749 §4.1 with the store behind it; public clients authenticate with `none`."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]

    def validate_requested_scope(self) -> None:
        _check_resource_parameter(self)
        user_scope(self.request.payload.scope, self.server.resource, self.request.client.scopes)

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        if not grant_user:
            # Entra's wording when the person declines ("AADSTS65004").
            raise AccessDeniedError("AADSTS65004: User declined to consent to access the app.", redirect_uri=redirect_uri)
        return super().create_authorization_response(redirect_uri, grant_user)

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.store.add_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.payload.scope,
                grant=user_scope(request.payload.scope, self.server.resource, request.client.scopes),
                user=request.user,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                expires_at=self.server.clock() + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode:
        found: AuthorizationCode | None = self.server.store.find_code(code, client.client_id)
        if found is not None:
            return found
        if self.server.store.was_redeemed(code):
            # RFC 6749 §4.1.2: the client MUST NOT use the authorization code more than once.
            raise InvalidGrantError(
                "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code "
                "or use an existing refresh token."
            )
        raise InvalidGrantError("AADSTS70000: The provided value for the 'code' parameter is not valid.")

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.server.store.redeem_code(authorization_code)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> DevUser:
        return authorization_code.user


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """RFC 6749 §6: every use returns a new refresh token.

    As Entra does by default, the used one stays valid until it expires: Entra does not
    revoke a refresh token when it is redeemed ("Refresh tokens in the Microsoft identity
    platform"). With the server's `strict_refresh_rotation`, the used one is revoked and
    presenting it again revokes its whole family (RFC 9700 §4.14.2), as stricter issuers do.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken:
        store = self.server.store
        found: RefreshToken | None = store.find_refresh(refresh_token)
        if found is None:
            raise InvalidGrantError("AADSTS9002313: Invalid request. Request is malformed or invalid.")
        if found.revoked:
            store.revoke_family(found.family)
            raise InvalidGrantError(
                "AADSTS70000: The provided value for the input parameter 'refresh_token' is not valid. "
                "The refresh token was already used or revoked."
            )
        if found.expires_at <= self.server.clock():
            raise InvalidGrantError("AADSTS700082: The refresh token has expired due to inactivity.")
        return found

    def issue_token(self, user: DevUser, refresh_token: RefreshToken) -> dict[str, Any]:
        scope = self.request.payload.scope or refresh_token.get_scope()
        # The right to refresh (`offline_access`) stays with the grant even if the
        # client narrows the scope of this request.
        if "offline_access" not in scope.split():
            scope = f"{scope} offline_access"
        self.request.scope = scope
        return self.generate_token(user=user, scope=scope, include_refresh_token=True)  # type: ignore[no-any-return]

    def authenticate_user(self, refresh_token: RefreshToken) -> DevUser:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        if self.server.strict_refresh_rotation:
            self.server.store.revoke_refresh(refresh_token)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """RFC 6749 §4.4 with Entra's `{resource}/.default` rule; the token carries the app's roles."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

    def validate_requested_scope(self) -> None:
        _check_resource_parameter(self)
        app_scope(self.request.payload.scope, self.server.resource)
