"""Soak: a bounded load of authenticated calls over uvicorn on loopback; zero errors, flat memory.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams, so that
on a 2-core runner the CPU goes to the server rather than to the load generator.
Every answer is parsed and checked, not just its status. SOAK_CALLS sets the
number of calls (20,000 by default).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.log_capture import report
from tests.support import (
    MCP_HEADERS,
    SigningKey,
    UvicornServer,
    app_claims,
    call_tool,
    list_tools,
    mint,
    user_claims,
)

CALLS = int(os.environ.get("SOAK_CALLS", "20000"))
WARM_UP = 1_000
CONCURRENCY = 16
RSS_GROWTH_LIMIT_KIB = 30 * 1024


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@dataclass
class Tally:
    ok: int = 0
    errors: list[str] = field(default_factory=list)


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON to /mcp."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = parts.netloc.encode()

    async def __aenter__(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def post(self, token: str, message: dict[str, Any]) -> tuple[int, Any]:
        body = json.dumps(message).encode()
        head = ["POST /mcp HTTP/1.1", f"Host: {self.authority.decode()}", f"Authorization: Bearer {token}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in MCP_HEADERS.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return status, json.loads(payload) if payload else None


def workload(people: list[tuple[str, dict[str, Any]]], n: int) -> tuple[str, dict[str, Any], Any]:
    """Call `n`: its token, message and the exact result it must produce."""
    token, me = people[n % len(people)]
    kind = n % 4
    if kind == 0:
        return token, call_tool("add", {"a": n, "b": 7}, n), {"result": n + 7}
    if kind == 1:
        return token, call_tool("subtract", {"a": n, "b": 0.5}, n), {"result": n - 0.5}
    if kind == 2:
        return token, call_tool("get_me", request_id=n), me
    return token, list_tools(n), ["add", "get_me", "subtract"]


async def drive(url: str, people: list[tuple[str, dict[str, Any]]], first: int, count: int) -> Tally:
    tally = Tally()
    next_call = first

    async def worker() -> None:
        nonlocal next_call
        async with Connection(url) as connection:
            while next_call < first + count:
                n = next_call
                next_call += 1
                token, message, expected = workload(people, n)
                try:
                    status, answer = await connection.post(token, message)
                except Exception as exc:  # a dropped connection is an error of the soak, counted, not raised
                    tally.errors.append(f"call {n}: {exc!r}")
                    return
                result = (answer or {}).get("result", {}) if status == 200 else {}
                got = sorted(t["name"] for t in result.get("tools", [])) if "tools" in result else result.get("structuredContent")
                if status == 200 and answer["id"] == n and not result.get("isError") and got == expected:
                    tally.ok += 1
                else:
                    tally.errors.append(f"call {n}: {status} {answer!r:.300}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return tally


@pytest.fixture(scope="module")
def server(entra_uvicorn: UvicornServer) -> UvicornServer:
    return entra_uvicorn


@pytest.mark.soak
def test_soak_has_zero_errors_and_flat_memory(server: UvicornServer, signing_key: SigningKey):
    people = [
        (mint(signing_key, user_claims()), _me("user", "user-subject-1", "user-object-1", "3f2d6a11-9c0e-4f6b-8a7d-1e2b3c4d5e6f", "Ada Lovelace", "ada@contoso.example")),
        (mint(signing_key, app_claims()), _me("app", "app-object-1", "app-object-1", "9a8b7c6d-0000-4000-8000-000000000001", None, None)),
    ]
    warm = asyncio.run(drive(server.url, people, 0, WARM_UP))
    assert warm.errors == []
    rss_before = rss_kib(server.pid)

    started = time.monotonic()
    tally = asyncio.run(drive(server.url, people, WARM_UP, CALLS))
    elapsed = time.monotonic() - started
    rss_after = rss_kib(server.pid)

    assert tally.errors == []
    assert tally.ok == CALLS
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_KIB
    report(
        f"soak: {CALLS} authenticated calls over uvicorn (concurrency {CONCURRENCY}) in {elapsed:.1f} s = "
        f"{CALLS / elapsed:.0f} calls/s, 0 errors; server RSS {rss_before / 1024:.1f} MiB after {WARM_UP} warm-up "
        f"calls -> {rss_after / 1024:.1f} MiB after the soak ({(rss_after - rss_before) / 1024:+.1f} MiB)"
    )


def _me(kind: str, subject: str, object_id: str, client_id: str, name: str | None, username: str | None) -> dict[str, Any]:
    from tests.support import TENANT_ID

    return {
        "kind": kind,
        "subject": subject,
        "object_id": object_id,
        "tenant_id": TENANT_ID,
        "client_id": client_id,
        "name": name,
        "username": username,
        "permissions": ["calculator.add", "calculator.subtract"],
        "parent_app_id": None,
    }
