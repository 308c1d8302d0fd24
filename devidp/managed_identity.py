"""A stand-in for App Service's managed-identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER).

The protocol is App Service's "REST endpoint reference" (api-version 2019-08-01):
GET {IDENTITY_ENDPOINT}?resource=...&api-version=2019-08-01[&client_id=...] with
the secret in `X-IDENTITY-HEADER`; the answer carries `access_token`,
`expires_on` (epoch seconds, as a string), `resource`, `token_type`, `client_id`.
MSAL's `ManagedIdentityClient` speaks it when both variables are set.

Tokens are signed by the provider's own key with its issuer, like Entra's
managed-identity tokens, so a federated credential on an app registration can
trust them (devidp/federation.py).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .keys import SigningKey

__all__ = ["MANAGED_IDENTITY_PATH", "managed_identity_endpoint"]

MANAGED_IDENTITY_PATH = "/msi/token"
_LIFETIME = 3600


def managed_identity_endpoint(
    *,
    key: SigningKey,
    issuer: str,
    tenant_id: str,
    identities: Mapping[str, str],
    identity_header: str,
    clock: Callable[[], float],
) -> Callable[[Request], Response]:
    """The route handler; `identities` maps each managed identity's client id to its object id ("system" too)."""

    def token(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get("x-identity-header", ""), identity_header):
            return JSONResponse({"statusCode": 401, "message": "Unauthorized: missing or wrong X-IDENTITY-HEADER"}, status_code=401)
        if request.query_params.get("api-version") != "2019-08-01":
            return JSONResponse({"statusCode": 400, "message": "api-version 2019-08-01 is required"}, status_code=400)
        resource = request.query_params.get("resource")
        client_id = request.query_params.get("client_id") or "system"
        object_id = identities.get(client_id)
        if not resource or object_id is None:
            return JSONResponse({"statusCode": 400, "message": "No managed identity with that client id, or no resource"}, status_code=400)
        now = int(clock())
        claims = {
            "aud": resource,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + _LIFETIME,
            "sub": object_id,
            "oid": object_id,
            "tid": tenant_id,
            "azp": client_id,
            "idtyp": "app",
            "ver": "2.0",
            "uti": uuid.uuid4().hex,
        }
        return JSONResponse(
            {
                "access_token": key.sign(claims),
                "expires_on": str(now + _LIFETIME),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": client_id,
            }
        )

    return token
