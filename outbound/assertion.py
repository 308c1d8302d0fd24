"""The managed identity's token as a federated client assertion (no secret anywhere on Azure).

An app registration trusts the function's managed identity through a federated identity
credential ("Workload identity federation: configure an app to trust a managed identity",
Microsoft identity platform). When the app authenticates to Entra's token endpoint, it
presents a token of that identity, for the audience `api://AzureADTokenExchange`, as its
`client_assertion` (RFC 7521 §4.2, RFC 7523 §2.2). MSAL's `ManagedIdentityClient` fetches
that token through App Service's IDENTITY_ENDPOINT / IDENTITY_HEADER protocol and caches it
until shortly before it expires, so calling this object per request costs a dictionary lookup.

Blocking (MSAL's HTTP): callers run it off the event loop.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["TOKEN_EXCHANGE_AUDIENCE", "AssertionUnavailable", "ManagedIdentityAssertion"]

#: Microsoft docs, "Configure an app to trust a managed identity": the audience of the managed
#: identity's token, and of the federated credential, in the public cloud.
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


class AssertionUnavailable(Exception):
    """The managed-identity endpoint could not be reached, or answered without a token."""

    reason = "managed_identity"


class ManagedIdentityAssertion:
    """`assertion()` returns the managed identity's current token for the exchange audience.

    `client_id` is a user-assigned identity's client id: Microsoft, "Configure an application to
    trust a managed identity": "Only user-assigned managed identities can be used as a federated
    credential for apps. system-assigned identities aren't supported." The MSAL client is built on
    first use, under a lock, and then shared.
    """

    def __init__(self, client_id: str, audience: str = TOKEN_EXCHANGE_AUDIENCE) -> None:
        self.client_id = client_id
        self.audience = audience
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        """The assertion; the shape MSAL's `client_credential={"client_assertion": callable}` expects."""
        import requests

        client = self._managed_identity_client()
        try:
            result = client.acquire_token_for_client(resource=self.audience)
        except (requests.RequestException, ValueError) as exc:
            raise AssertionUnavailable from exc
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            raise AssertionUnavailable
        return str(token)

    def _managed_identity_client(self) -> Any:
        import msal
        import requests

        with self._lock:
            if self._client is None:
                managed = msal.UserAssignedManagedIdentity(client_id=self.client_id)
                self._client = msal.ManagedIdentityClient(managed, http_client=requests.Session())
            return self._client
