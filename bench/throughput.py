"""Throughput: each app under uvicorn on loopback, closed-loop load at several concurrencies.

Three servers run side by side for the whole benchmark: ours (authenticated), the bare
SDK (unauthenticated) and the raw-ASGI floor. Five variants are loaded in every round:
ours and bare on the handshake wire (2025-06-18) and on the 2026-07-28 wire, and the
floor; rounds alternate the order. The load generator is `wrk` when installed (and allowed), else
`bench.loadgen` in its own process. The server's CPU time per request comes from
/proc, over exactly the measured window.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

from tests.support import free_port, stop_process, wait_until_listening

from .fixtures import REPO, WIRES, Fixture, read_cpu_seconds

__all__ = ["VARIANTS", "run_throughput"]

APPS = {"ours": "function_app:asgi_app", "bare": "bench.bare_app:asgi_app", "floor": "bench.floor_app:asgi_app"}
VARIANTS: dict[str, tuple[str, str]] = {
    "ours": ("ours", "handshake"),
    "bare": ("bare", "handshake"),
    "ours_modern": ("ours", "modern"),
    "bare_modern": ("bare", "modern"),
    "floor": ("floor", "handshake"),
}
"""variant -> (server, wire)."""
RATIOS: dict[str, tuple[str, str, str]] = {
    "ratio_rps": ("ours", "bare", "rps"),
    "ratio_rps_modern": ("ours_modern", "bare_modern", "rps"),
    "ratio_p99": ("ours", "bare", "p99"),
    "ratio_p99_modern": ("ours_modern", "bare_modern", "p99"),
    "ratio_cpu_to_floor": ("ours", "floor", "cpu_ms_per_request"),
    "ratio_cpu_to_floor_modern": ("ours_modern", "floor", "cpu_ms_per_request"),
    "ratio_cpu_to_floor_bare": ("bare", "floor", "cpu_ms_per_request"),
    # What one request costs the bare SDK over what it costs us: the throughput ratio a CPU-bound
    # server would show, and the steadier figure when other load shares the cores.
    "ratio_cpu_bare_to_ours": ("bare", "ours", "cpu_ms_per_request"),
    "ratio_cpu_bare_to_ours_modern": ("bare_modern", "ours_modern", "cpu_ms_per_request"),
}
"""ratio name -> (numerator variant, denominator variant, figure)."""

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
%(headers)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%%d,"errors":%%d,"seconds":%%f,"p50":%%f,"p99":%%f}\\n',
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1e6, latency:percentile(99) / 1e6))
end
"""


@contextmanager
def _server(app: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(process, port, timeout=60)
        yield process, f"http://127.0.0.1:{port}/mcp"
    finally:
        stop_process(process)


def _check(url: str, token: str | None, wire: str) -> None:
    headers, body = WIRES[wire]
    if token:
        headers = {**headers, "Authorization": f"Bearer {token}"}
    response = httpx.post(url, headers=headers, content=body, timeout=30)
    if response.status_code != 200 or response.json()["result"]["structuredContent"] != {"result": 5}:
        raise RuntimeError(f"{url}: unexpected answer {response.status_code} {response.text[:200]}")


def _load(url: str, token: str | None, concurrency: int, duration: float, use_wrk: bool, wire: str) -> dict[str, Any]:
    if use_wrk:
        headers, body = WIRES[wire]
        if token:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        header_lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(_WRK_SCRIPT % {"body": json.dumps(body.decode()), "headers": header_lines})
            script.flush()
            threads = 1  # one core for the load, one for the server on this 2-core box
            out = subprocess.run(
                ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "-s", script.name, url],
                capture_output=True, text=True, timeout=duration + 60, check=True,
            ).stdout
        line = next(line for line in out.splitlines() if line.startswith("BENCH "))
        result = json.loads(line[len("BENCH "):])
        result.update(tool="wrk", rps=result["requests"] / result["seconds"])
        return result
    command = [sys.executable, "-m", "bench.loadgen", url, "--concurrency", str(concurrency), "--duration", str(duration),
               "--wire", wire]
    if token:
        command += ["--token", token]
    out = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    return json.loads(out.splitlines()[-1])


def run_throughput(
    fixture: Fixture, *, concurrencies: tuple[int, ...], duration: float, rounds: int, prefer_wrk: bool, warmup: float = 1.0
) -> dict[str, Any]:
    """Median rps, p99 and CPU per request for each variant and concurrency, and the ratios the targets name.

    Each variant first takes `warmup` seconds of unmeasured load at the highest concurrency (none at 0).
    """
    use_wrk = prefer_wrk and shutil.which("wrk") is not None
    env = fixture.env()
    tokens = {"ours": fixture.token, "bare": None, "floor": None}
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {name: {c: [] for c in concurrencies} for name in VARIANTS}
    with ExitStack() as stack:
        servers = {name: stack.enter_context(_server(app, env)) for name, app in APPS.items()}
        for variant, (server, wire) in VARIANTS.items():
            _check(servers[server][1], tokens[server], wire)
            if warmup > 0:
                _load(servers[server][1], tokens[server], max(concurrencies), warmup, use_wrk, wire)
        hits_before = fixture.jwks.hits
        for round_number in range(rounds):
            for concurrency in concurrencies:
                order = list(VARIANTS) if round_number % 2 == 0 else list(reversed(VARIANTS))
                for variant in order:
                    server, wire = VARIANTS[variant]
                    process, url = servers[server]
                    cpu_before = read_cpu_seconds(process.pid)
                    result = _load(url, tokens[server], concurrency, duration, use_wrk, wire)
                    result["server_cpu_s"] = read_cpu_seconds(process.pid) - cpu_before
                    result["cpu_ms_per_request"] = 1000 * result["server_cpu_s"] / max(result["requests"], 1)
                    if result["errors"]:
                        raise RuntimeError(f"{variant} c={concurrency}: {result['errors']} failed requests")
                    runs[variant][concurrency].append(result)
        jwks_hits = fixture.jwks.hits - hits_before
    summary: dict[str, Any] = {
        "tool": "wrk" if use_wrk else "python-asyncio",
        "duration_s": duration,
        "rounds": rounds,
        "jwks_hits_under_load": jwks_hits,
        "by_concurrency": {},
    }
    for concurrency in concurrencies:
        row: dict[str, Any] = {}
        for variant in VARIANTS:
            samples = runs[variant][concurrency]
            row[variant] = {
                "rps": statistics.median(r["rps"] for r in samples),
                "p50": statistics.median(r["p50"] for r in samples),
                "p99": statistics.median(r["p99"] for r in samples),
                "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in samples),
                "requests": sum(r["requests"] for r in samples),
            }
        # The targets' ratios: of the medians over the interleaved rounds. Beside each, the median of
        # the rounds' own ratios (each pair measured back to back), which is less exposed to drift.
        for name, (a, b, key) in RATIOS.items():
            row[name] = row[a][key] / row[b][key]
            row[f"paired_{name}"] = _paired(runs, a, b, concurrency, key)
        summary["by_concurrency"][str(concurrency)] = row
    return summary


def _paired(runs: dict[str, dict[int, list[dict[str, Any]]]], a: str, b: str, concurrency: int, key: str) -> float:
    """The median over rounds of a's figure over b's, each pair measured in the same round."""
    return statistics.median(x[key] / y[key] for x, y in zip(runs[a][concurrency], runs[b][concurrency]))
