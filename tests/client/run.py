"""Run the CLI in-process with explicit settings and seams; capture what it prints."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from client.cli import main
from tests.client.conftest import Stack


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def stack_env(stack: Stack, cache: Path, **extra: str) -> dict[str, str]:
    """Settings for the session's stack; the dev issuer brings the dev client ids and scopes."""
    return {"MCP_URL": stack.mcp_url, "MCP_CLIENT_ISSUER": stack.idp.issuer, "MCP_CLIENT_CACHE": str(cache), **extra}


def cli(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    env: Mapping[str, str],
    now: Callable[[], float] | None = None,
    open_url: Callable[[str], None] | None = None,
) -> Result:
    out = io.StringIO()
    seams: dict[str, object] = {"env": dict(env), "out": out}
    if now is not None:
        seams["now"] = now
    if open_url is not None:
        seams["open_url"] = open_url
    capsys.readouterr()
    code = main(list(argv), **seams)
    return Result(code, out.getvalue(), capsys.readouterr().err)
