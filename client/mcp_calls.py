"""Talk to the MCP server through the official MCP Python SDK client, with a bearer token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, Tool

from .errors import ClientError

__all__ = ["Unauthorized", "call_tool", "connect", "list_tools", "parse_arguments"]


class Unauthorized(ClientError):
    """The server answered 401: the token was refused (expired, revoked, wrong audience)."""


class _Bearer(httpx2.Auth):
    """RFC 6750 §2.1: the token in the Authorization header, and nowhere else."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx2.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _raise_for_auth(response: httpx2.Response) -> None:
    if response.status_code == 401:
        raise Unauthorized(f"the server refused the token (401): {response.headers.get('www-authenticate', '')}")
    if response.status_code == 403:
        raise ClientError(f"the token lacks a permission (403): {response.headers.get('www-authenticate', '')}")


@asynccontextmanager
async def connect(url: str, token: str, *, legacy: bool = False) -> AsyncIterator[Client]:
    """An entered `mcp.client.Client`; `legacy` forces the initialize handshake."""

    async def check(response: httpx2.Response) -> None:
        _raise_for_auth(response)

    try:
        async with httpx2.AsyncClient(
            auth=_Bearer(token), timeout=httpx2.Timeout(30.0, read=60.0), event_hooks={"response": [check]}
        ) as http:
            transport = streamable_http_client(url, http_client=http)
            async with Client(transport, mode="legacy" if legacy else "auto") as client:  # type: ignore[arg-type]
                yield client
    except BaseExceptionGroup as group:
        # The transport runs in a task group; surface our own error, not the group around it.
        first = _first_client_error(group, url)
        if first is None:
            raise
        raise first from None
    except httpx2.TransportError as exc:
        raise ClientError(f"cannot reach the MCP server at {url}: {exc.__class__.__name__}") from exc


def _first_client_error(group: BaseExceptionGroup[BaseException], url: str) -> ClientError | None:
    for exc in group.exceptions:
        if isinstance(exc, ClientError):
            return exc
        if isinstance(exc, httpx2.TransportError):
            return ClientError(f"cannot reach the MCP server at {url}: {exc.__class__.__name__}")
        if isinstance(exc, BaseExceptionGroup):
            found = _first_client_error(exc, url)
            if found is not None:
                return found
    return None


async def list_tools(url: str, token: str, *, legacy: bool = False) -> list[Tool]:
    async with connect(url, token, legacy=legacy) as client:
        return list((await client.list_tools()).tools)


async def call_tool(
    url: str, token: str, name: str, raw_arguments: Sequence[str], *, legacy: bool = False
) -> CallToolResult:
    """Call `name`; positional values follow the order of the tool's input schema."""
    async with connect(url, token, legacy=legacy) as client:
        schema_order: list[str] = []
        if any("=" not in a for a in raw_arguments):
            tools = {t.name: t for t in (await client.list_tools()).tools}
            if name not in tools:
                raise ClientError(f"the server offers no tool {name!r} to this caller (see `tools`)")
            schema_order = list(tools[name].input_schema.get("properties", {}))
        return await client.call_tool(name, parse_arguments(raw_arguments, schema_order))


def parse_arguments(raw: Sequence[str], order: Sequence[str]) -> dict[str, Any]:
    """``2 3`` → ``{a: 2, b: 3}`` by `order`; ``b=3`` by name. Values are JSON when they parse."""
    arguments: dict[str, Any] = {}
    positional = [a for a in raw if "=" not in a]
    if len(positional) > len(order):
        raise ClientError(f"too many arguments: the tool takes {', '.join(order) or 'none'}")
    for name, value in zip(order, positional, strict=False):
        arguments[name] = _value(value)
    for item in raw:
        if "=" in item:
            name, value = item.split("=", 1)
            arguments[name] = _value(value)
    return arguments


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
