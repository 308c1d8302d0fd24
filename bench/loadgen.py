"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams, run in its own process.

`python -m bench.loadgen URL --concurrency N --duration S [--token T] [--wire W]` prints one JSON
line: requests, errors, seconds, rps and latency percentiles. Each of N connections is
kept alive and sends its next request as soon as the previous answer is read, so the
client costs a few tens of microseconds per request and the server saturates first.
Used when `wrk` is not installed, and always in smoke mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit

from .stats import summarize
from .wires import WIRES


def build_request(host: str, path: str, token: str | None, wire: str = "handshake") -> bytes:
    headers, body = WIRES[wire]
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        *(f"{name}: {value}" for name, value in headers.items()),
        f"Content-Length: {len(body)}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        return status, await reader.readexactly(length)
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                return status, bytes(body)
            body += data[:-2]
    raise RuntimeError("response without a length")


async def _worker(host: str, port: int, request: bytes, deadline: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200 or b'"isError":false' not in body:
                errors.append(status)
    finally:
        writer.close()


async def run(url: str, concurrency: int, duration: float, token: str | None, wire: str = "handshake") -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = build_request(f"{host}:{port}", parts.path or "/", token, wire)
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(*(_worker(host, port, request, deadline, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    stats = summarize(latencies) if latencies else {}
    return {
        "tool": "python-asyncio",
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50": stats.get("p50"),
        "p99": stats.get("p99"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--token")
    parser.add_argument("--wire", choices=sorted(WIRES), default="handshake")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.concurrency, args.duration, args.token, args.wire))), flush=True)


if __name__ == "__main__":
    main()
