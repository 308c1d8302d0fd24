"""The `get_me` tool: who the server thinks is calling."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, create_model

from auth import Principal, current_principal

from .registry import tool


def _identity_model() -> type[BaseModel]:
    """`get_me`'s answer: auth.Principal's fields, declared there once, with the permissions as a sorted list."""
    types = get_type_hints(Principal)
    declared: dict[str, Any] = {
        field.name: (list[str] if field.name == "permissions" else types[field.name], ...) for field in fields(Principal)
    }
    return create_model("Identity", __doc__="The caller, from the validated access token. Claims the token lacks are null.", **declared)


if TYPE_CHECKING:
    Identity = BaseModel
else:
    Identity = _identity_model()


@tool(title="Who am I?", permission=None)
async def get_me() -> Identity:
    """Describe the caller: user, app or agent (kind), its ids, its name, its token's permissions, and an agent's parent application."""
    principal = current_principal.get()
    if principal is None:  # the edge authenticates every call; reaching here without a caller is a wiring bug
        raise RuntimeError("no authenticated caller in this request")
    return Identity(**{**asdict(principal), "permissions": sorted(principal.permissions)})
