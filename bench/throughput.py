"""Throughput: each app under uvicorn on loopback, closed-loop load at several concurrencies.

Both servers run side by side for the whole benchmark; rounds alternate which one
is loaded first. The load generator is `wrk` when installed (and allowed), else
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
from contextlib import contextmanager
from typing import Any

import httpx

from tests.support import MCP_HEADERS, free_port, wait_until_listening

from .fixtures import REPO, TOOL_CALL, TOOL_CALL_BODY, Fixture, read_cpu_seconds

__all__ = ["run_throughput"]

APPS = {"ours": "function_app:asgi_app", "bare": "bench.bare_app:asgi_app"}

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
%(auth)s
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
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _check(url: str, token: str | None) -> None:
    headers = dict(MCP_HEADERS)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(url, headers=headers, json=TOOL_CALL, timeout=30)
    if response.status_code != 200 or response.json()["result"]["structuredContent"] != {"result": 5}:
        raise RuntimeError(f"{url}: unexpected answer {response.status_code} {response.text[:200]}")


def _load(url: str, token: str | None, concurrency: int, duration: float, use_wrk: bool) -> dict[str, Any]:
    if use_wrk:
        auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(_WRK_SCRIPT % {"body": json.dumps(TOOL_CALL_BODY.decode()), "auth": auth})
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
    command = [sys.executable, "-m", "bench.loadgen", url, "--concurrency", str(concurrency), "--duration", str(duration)]
    if token:
        command += ["--token", token]
    out = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    return json.loads(out.splitlines()[-1])


def run_throughput(
    fixture: Fixture, *, concurrencies: tuple[int, ...], duration: float, rounds: int, prefer_wrk: bool
) -> dict[str, Any]:
    """Median rps, p99 and CPU per request for each app and concurrency, and the ours/bare ratios."""
    use_wrk = prefer_wrk and shutil.which("wrk") is not None
    env = fixture.env()
    tokens = {"ours": fixture.token, "bare": None}
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {name: {c: [] for c in concurrencies} for name in APPS}
    with _server(APPS["ours"], env) as (ours_process, ours_url), _server(APPS["bare"], env) as (bare_process, bare_url):
        servers = {"ours": (ours_process, ours_url), "bare": (bare_process, bare_url)}
        for name, (_, url) in servers.items():
            _check(url, tokens[name])
            _load(url, tokens[name], max(concurrencies), min(duration, 1.0), use_wrk)  # warm up
        hits_before = fixture.jwks.hits
        for round_number in range(rounds):
            for concurrency in concurrencies:
                order = list(APPS) if round_number % 2 == 0 else list(reversed(APPS))
                for name in order:
                    process, url = servers[name]
                    cpu_before = read_cpu_seconds(process.pid)
                    result = _load(url, tokens[name], concurrency, duration, use_wrk)
                    result["server_cpu_s"] = read_cpu_seconds(process.pid) - cpu_before
                    result["cpu_ms_per_request"] = 1000 * result["server_cpu_s"] / max(result["requests"], 1)
                    if result["errors"]:
                        raise RuntimeError(f"{name} c={concurrency}: {result['errors']} failed requests")
                    runs[name][concurrency].append(result)
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
        for name in APPS:
            samples = runs[name][concurrency]
            row[name] = {
                "rps": statistics.median(r["rps"] for r in samples),
                "p50": statistics.median(r["p50"] for r in samples),
                "p99": statistics.median(r["p99"] for r in samples),
                "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in samples),
                "requests": sum(r["requests"] for r in samples),
            }
        row["ratio_rps"] = row["ours"]["rps"] / row["bare"]["rps"]
        # Each round measured both apps back to back: their ratio is less exposed to the machine's drift.
        row["median_paired_ratio_rps"] = statistics.median(
            o["rps"] / b["rps"] for o, b in zip(runs["ours"][concurrency], runs["bare"][concurrency])
        )
        row["ratio_p99"] = row["ours"]["p99"] / row["bare"]["p99"]
        summary["by_concurrency"][str(concurrency)] = row
    return summary
