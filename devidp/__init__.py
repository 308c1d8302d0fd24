"""A local development identity provider that issues Entra-shaped tokens.

Development only: listed in `.funcignore`, never deployed with the function app.
"""

from __future__ import annotations

from .claims import TokenVersion
from .clock import OffsetClock
from .keys import SigningKey
from .provider import DevIdentityProvider
from .registry import ClientRegistration, DevUser, agent_user, default_clients, default_users

__all__ = [
    "ClientRegistration",
    "DevIdentityProvider",
    "DevUser",
    "OffsetClock",
    "SigningKey",
    "TokenVersion",
    "agent_user",
    "default_clients",
    "default_users",
]
