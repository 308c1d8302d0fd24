"""`python -m bench.telemetry`: what telemetry on costs, beside telemetry off and the bare SDK.

A focused run, not the whole benchmark: the three servers under uvicorn side by side
(function_app as deployed; bench/telemetry_app.py, the same with every span and metric recorded
and dropped; the bare SDK), closed-loop load on the handshake wire at each concurrency in
interleaved rounds, the server's CPU per call from /proc; then cold starts of the three,
interleaved, spawn to first answer. Prints the rows docs/performance.md shows.

    .venv/bin/python -m bench.telemetry           # about three minutes; prints the section
    .venv/bin/python -m bench.telemetry --write   # and puts it in docs/performance.md
    .venv/bin/python -m bench.telemetry --smoke   # seconds: proves the scenario runs

The section sits between two markers in docs/performance.md; `python -m bench`, which rewrites
that file, carries it over (`carry_section`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from contextlib import ExitStack
from typing import Any

from .cold import _one as cold_start
from .fixtures import REPO, Fixture, read_cpu_seconds
from .throughput import _check, _load, _server

__all__ = ["SECTION_END", "SECTION_START", "carry_section", "main", "render", "run"]

SECTION_START = "<!-- bench.telemetry: written by `python -m bench.telemetry --write` -->"
SECTION_END = "<!-- /bench.telemetry -->"
PERFORMANCE_MD = os.path.join(REPO, "docs", "performance.md")

SERVERS = {
    "ours": "function_app:asgi_app",
    "telemetry": "bench.telemetry_app:asgi_app",
    "sampled": "bench.telemetry_app:asgi_app",
    "bare": "bench.bare_app:asgi_app",
}
#: "telemetry" records every span; "sampled" samples as the Azure Monitor distro does by default.
SAMPLING = {"telemetry": "all", "sampled": "distro"}
COLD = ("ours", "telemetry", "bare")
LABELS = {
    "ours": "ours, telemetry off",
    "telemetry": "ours, telemetry on, every span",
    "sampled": "ours, telemetry on, distro's sampler",
    "bare": "bare SDK",
}


def run(*, concurrencies: tuple[int, ...], duration: float, rounds: int, cold_runs: int, warmup: bool = True) -> dict[str, Any]:
    """The figures `render` shows. `warmup`: one unmeasured load on each server and one unmeasured cold
    start of each first (a smoke run skips them: it quotes no figure)."""
    fixture = Fixture.start()
    try:
        env = fixture.env()
        tokens = {"ours": fixture.token, "telemetry": fixture.token, "sampled": fixture.token, "bare": None}
        samples: dict[str, dict[int, list[dict[str, Any]]]] = {name: {c: [] for c in concurrencies} for name in SERVERS}
        with ExitStack() as stack:
            servers = {
                name: stack.enter_context(_server(app, {**env, "BENCH_TELEMETRY_SAMPLING": SAMPLING.get(name, "all")}))
                for name, app in SERVERS.items()
            }
            for name, (_, url) in servers.items():
                _check(url, tokens[name], "handshake")
                if warmup:
                    _load(url, tokens[name], max(concurrencies), min(duration, 1.0), False, "handshake")
            for round_number in range(rounds):
                for concurrency in concurrencies:
                    order = list(SERVERS) if round_number % 2 == 0 else list(reversed(SERVERS))
                    for name in order:
                        process, url = servers[name]
                        cpu_before = read_cpu_seconds(process.pid)
                        result = _load(url, tokens[name], concurrency, duration, False, "handshake")
                        if result["errors"]:
                            raise RuntimeError(f"{name} c={concurrency}: {result['errors']} failed requests")
                        result["cpu_ms_per_request"] = 1000 * (read_cpu_seconds(process.pid) - cpu_before) / max(result["requests"], 1)
                        samples[name][concurrency].append(result)
        cold: dict[str, list[dict[str, Any]]] = {name: [] for name in COLD}
        for name in COLD if warmup else ():  # fills the bytecode and page caches for each, so none pays for it alone
            cold_start(name, env)
        for i in range(cold_runs):
            for name in COLD if i % 2 == 0 else reversed(COLD):
                cold[name].append(cold_start(name, env))
    finally:
        fixture.close()
    results: dict[str, Any] = {"duration_s": duration, "rounds": rounds, "cold_runs": cold_runs, "by_concurrency": {}, "cold_s": {}}
    for concurrency in concurrencies:
        results["by_concurrency"][str(concurrency)] = {
            name: {
                "rps": statistics.median(r["rps"] for r in samples[name][concurrency]),
                "p99": statistics.median(r["p99"] for r in samples[name][concurrency]),
                "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in samples[name][concurrency]),
            }
            for name in SERVERS
        }
    results["cold_s"] = {name: statistics.median(r["wall_s"] for r in runs) for name, runs in cold.items()}
    # CPU of the whole child (every thread): steadier than wall time on a shared machine.
    results["cold_cpu_s"] = {name: statistics.median(r["cpu_s"] for r in runs) for name, runs in cold.items()}
    results["cold_import_s"] = {name: statistics.median(r["import_s"] for r in runs) for name, runs in cold.items()}
    return results


def render(results: dict[str, Any]) -> str:
    lines = [
        "| concurrency | server | rps | vs bare SDK | p99 | CPU per call | CPU vs telemetry off |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for concurrency, row in results["by_concurrency"].items():
        bare, off = row["bare"], row["ours"]
        for name, label in LABELS.items():
            figures = row[name]
            lines.append(
                f"| {concurrency} | {label} | {figures['rps']:.0f} | {figures['rps'] / bare['rps']:.2f}x | {figures['p99'] * 1000:.1f} ms "
                f"| {figures['cpu_ms_per_request']:.3f} ms | {figures['cpu_ms_per_request'] / off['cpu_ms_per_request']:.2f}x |"
            )
    cold = results["cold_s"]
    lines += [
        "",
        "| cold start (median of {runs}) | spawn to answer | vs bare SDK | import | CPU | CPU vs bare SDK |".format(runs=results["cold_runs"]),
        "|---|---:|---:|---:|---:|---:|",
    ]
    cpu, imports = results["cold_cpu_s"], results["cold_import_s"]
    for name in COLD:
        label = LABELS[name] + (", distro imported" if name == "telemetry" else "")
        lines.append(
            f"| {label} | {cold[name]:.3f} s | {cold[name] / cold['bare']:.2f}x | {imports[name]:.3f} s | {cpu[name]:.3f} s | {cpu[name] / cpu['bare']:.2f}x |"
        )
    return "\n".join(lines)


def section(results: dict[str, Any]) -> str:
    """The Markdown section for docs/performance.md, markers included."""
    return "\n".join(
        [
            SECTION_START,
            "## Telemetry on",
            "",
            "`python -m bench.telemetry`, a focused run beside the full benchmark: the deployed app with telemetry",
            "off, the same with telemetry on (`bench/telemetry_app.py`: the OpenTelemetry SDK as `telemetry/setup.py`",
            "configures it, a batch span processor and a periodic metric reader over exporters that drop everything,",
            "so this is the cost of recording, not of sending), once recording every span and once with the Azure",
            "Monitor distro's default sampler (5 traces a second), and the bare SDK with telemetry off. Handshake wire,",
            f"{results['rounds']} interleaved rounds of {results['duration_s']:.0f} s; medians. Metrics are never sampled.",
            "",
            render(results),
            SECTION_END,
        ]
    )


def carry_section(old: str, new: str) -> str:
    """`new` (a freshly rendered performance.md) with the telemetry section of `old` appended, if it had one."""
    start, end = old.find(SECTION_START), old.find(SECTION_END)
    if start < 0 or end < start:
        return new
    return new.rstrip("\n") + "\n\n" + old[start : end + len(SECTION_END)] + "\n"


def write_section(results: dict[str, Any], path: str = PERFORMANCE_MD) -> None:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    body = text[:start].rstrip("\n") if start >= 0 and end > start else text.rstrip("\n")
    tail = text[end + len(SECTION_END) :].strip("\n") if start >= 0 and end > start else ""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(body + "\n\n" + section(results) + "\n" + (tail + "\n" if tail else ""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="the smallest run that yields every figure")
    parser.add_argument("--json", action="store_true", help="print the raw results as one JSON line too")
    parser.add_argument("--write", action="store_true", help="put the section in docs/performance.md")
    args = parser.parse_args(argv)
    if args.smoke:
        results = run(concurrencies=(8,), duration=0.25, rounds=1, cold_runs=1, warmup=False)
    else:
        results = run(concurrencies=(8, 64), duration=3.0, rounds=4, cold_runs=7)
    print(section(results))
    if args.write and not args.smoke:
        write_section(results)
        print(f"wrote {PERFORMANCE_MD}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
