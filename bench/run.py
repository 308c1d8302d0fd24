"""Run the three benchmarks and write docs/performance.md.

    .venv/bin/python -m bench            # full run, a few minutes; writes docs/performance.md
    .venv/bin/python -m bench --smoke    # seconds; proves the harness works, writes nothing unless --out
    .venv/bin/python -m bench --azure-cold   # only the cold start as Azure runs it; prints, writes nothing

Every figure is measured against the bare MCP SDK in the same run, because this
machine is shared and noisy: the ratios matter, the absolute numbers drift.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from .cold import run_azure_cold, run_cold
from .fixtures import REPO, Fixture
from .report import environment, render
from .throughput import run_throughput

__all__ = ["FULL", "SMOKE", "Plan", "main", "run"]


@dataclass(frozen=True)
class Plan:
    """How much of each benchmark to run."""

    cold_runs: int
    cold_warmup: int
    azure_cold_runs: int
    azure_cold_warmup: bool
    warm_iterations: int
    warm_warmup: int
    concurrencies: tuple[int, ...]
    duration: float
    load_warmup: float
    rounds: int
    prefer_wrk: bool


FULL = Plan(
    cold_runs=15, cold_warmup=1, azure_cold_runs=15, azure_cold_warmup=True, warm_iterations=3000, warm_warmup=300,
    concurrencies=(8, 64), duration=3.0, load_warmup=1.0, rounds=6, prefer_wrk=True,
)
# Smoke: every measurement once, at the smallest size that still yields each figure, and no unmeasured
# warm-up runs (they fill caches for figures a smoke run never quotes); never wrk, so CI needs nothing extra.
SMOKE = Plan(
    cold_runs=1, cold_warmup=0, azure_cold_runs=1, azure_cold_warmup=False, warm_iterations=30, warm_warmup=10,
    concurrencies=(8, 64), duration=0.25, load_warmup=0.0, rounds=1, prefer_wrk=False,
)


def _warm(plan: Plan) -> dict[str, Any]:
    # Its own process: both apps and their Functions wrappers live there and are torn down with it.
    out = subprocess.run(
        [sys.executable, "-m", "bench.warm", str(plan.warm_iterations), str(plan.warm_warmup)],
        cwd=REPO, capture_output=True, text=True, timeout=900, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _azure_cold(fixture: Fixture, plan: Plan, log: Any) -> dict[str, Any]:
    log("cold start as Azure runs it (read-only app folder) ...")
    result = run_azure_cold(fixture, runs=plan.azure_cold_runs, warmup=plan.azure_cold_warmup)
    log(
        f"  import function_app: no app bytecode {result['no_bytecode']['median_import_s']:.3f}s, "
        f"shipped bytecode {result['shipped_bytecode']['median_import_s']:.3f}s, ratio {result['import_ratio']:.3f} "
        f"(CPU ratio {result['import_cpu_ratio']:.3f})"
    )
    return result


def run(plan: Plan, *, log: Any = print) -> dict[str, Any]:
    """All three benchmarks under `plan`; the results as one JSON-ready dict."""
    started = time.time()
    fixture = Fixture.start()
    try:
        log("cold start ...")
        cold = run_cold(fixture, runs=plan.cold_runs, warmup=plan.cold_warmup)
        log(f"  ours {cold['ours']['median_s']:.3f}s bare {cold['bare']['median_s']:.3f}s ratio {cold['ratio']:.3f}")
        azure_cold = _azure_cold(fixture, plan, log)
        log("warm path ...")
        warm = _warm(plan)
        log(f"  p50 ours {warm['ours']['p50'] * 1e3:.3f}ms bare {warm['bare']['p50'] * 1e3:.3f}ms ratio {warm['ratio_p50']:.3f}")
        log("throughput ...")
        throughput = run_throughput(
            fixture, concurrencies=plan.concurrencies, duration=plan.duration, rounds=plan.rounds,
            prefer_wrk=plan.prefer_wrk, warmup=plan.load_warmup,
        )
        for concurrency, row in throughput["by_concurrency"].items():
            log(
                f"  c={concurrency} rps ours {row['ours']['rps']:.0f} bare {row['bare']['rps']:.0f} ratio {row['ratio_rps']:.3f}"
                f"; 2026-07-28 ratio {row['ratio_rps_modern']:.3f}; CPU ours/floor {row['ratio_cpu_to_floor']:.3f}"
                f"; p99 ratio {row['ratio_p99']:.3f}"
            )
    finally:
        fixture.close()
    return {
        "plan": plan.__dict__,
        "environment": environment(),
        "elapsed_s": time.time() - started,
        "cold_start": cold,
        "azure_cold_start": azure_cold,
        "warm": warm,
        "throughput": throughput,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Cold start, warm path and throughput vs the bare MCP SDK.")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that proves the harness works")
    parser.add_argument("--out", help="where to write the Markdown report (default: docs/performance.md, none with --smoke)")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--azure-cold", action="store_true",
                        help="run only the cold start as Azure runs it (read-only app folder, with and without app bytecode)")
    args = parser.parse_args(argv)
    if args.azure_cold:
        fixture = Fixture.start()
        try:
            result = _azure_cold(fixture, SMOKE if args.smoke else FULL, print)
        finally:
            fixture.close()
        print(json.dumps(result, indent=2))
        return
    plan = SMOKE if args.smoke else FULL
    results = run(plan)
    out = args.out or (None if args.smoke else os.path.join(REPO, "docs", "performance.md"))
    if out:
        # The telemetry section (python -m bench.telemetry --write) is carried over, not measured here.
        from .telemetry import carry_section

        old = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
        with open(out, "w") as handle:
            handle.write(carry_section(old, render(results, smoke=args.smoke)))
        print(f"wrote {out}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    else:
        print(json.dumps({k: results[k] for k in ("cold_start", "warm", "throughput")}, indent=2))


if __name__ == "__main__":
    main()
