"""The `get_me` tool: who the server thinks is calling."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel

from auth import current_principal

from .registry import tool


class Identity(BaseModel):
    """The caller, from the validated access token. Claims the token lacks are null."""

    kind: Literal["user", "app"]
    subject: str | None
    object_id: str | None
    tenant_id: str | None
    client_id: str | None
    name: str | None
    username: str | None
    permissions: list[str]


@tool(title="Who am I?", permission=None)
async def get_me() -> Identity:
    """Describe the caller: user or app, its ids, its name and the permissions its token grants."""
    principal = current_principal.get()
    if principal is None:  # the edge authenticates every call; reaching here without a caller is a wiring bug
        raise RuntimeError("no authenticated caller in this request")
    return Identity(**{**asdict(principal), "permissions": sorted(principal.permissions)})
