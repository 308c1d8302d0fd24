"""How this app proves who it is when it calls Entra itself: shared by the OAuth front and on-behalf-of.

Below both (neither imports the other): the managed identity's token, presented as a
federated client assertion, so no client secret exists on Azure.
"""

from __future__ import annotations

from .assertion import TOKEN_EXCHANGE_AUDIENCE, AssertionUnavailable, ManagedIdentityAssertion

__all__ = ["TOKEN_EXCHANGE_AUDIENCE", "AssertionUnavailable", "ManagedIdentityAssertion"]
