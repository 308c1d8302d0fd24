"""The front's own RFC 8414 authorization-server metadata, served at this server's origin.

Its `issuer` is the origin exactly (RFC 8414 §3.3: the client compares it with
the URL it derived the well-known address from). It is not an OpenID provider:
it issues no ID tokens, so there is no openid-configuration and no jwks_uri.
"""

from __future__ import annotations

from typing import Any

from web.place import Resource

from .context import AUTHORIZE_PATH, OFFLINE_ACCESS, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH, Front

__all__ = ["authorization_server_metadata"]


def authorization_server_metadata(front: Front, place: Resource) -> dict[str, Any]:
    document: dict[str, Any] = {
        "issuer": place.origin,
        "authorization_endpoint": place.origin + AUTHORIZE_PATH,
        "token_endpoint": place.origin + TOKEN_PATH,
        "registration_endpoint": place.origin + REGISTER_PATH,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        # Public clients only: PKCE protects the code, the sealed refresh token is bound to the client id.
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": [*front.api_scopes, OFFLINE_ACCESS],
        # draft-ietf-oauth-client-id-metadata-document: an https client_id is a metadata document's URL.
        "client_id_metadata_document_supported": True,
        # RFC 9207: the authorization response carries `iss`.
        "authorization_response_iss_parameter_supported": True,
    }
    if front.families is not None:
        # RFC 8414 §2 / RFC 7009: revocation only where a store can remember it (OAUTH_FRONT_TOKEN_STORE).
        document["revocation_endpoint"] = place.origin + REVOKE_PATH
        document["revocation_endpoint_auth_methods_supported"] = ["none"]
    return document
