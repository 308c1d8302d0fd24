"""Cold start: fresh processes, ours and the bare SDK interleaved, timed from spawn to first answer."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from .fixtures import REPO, Fixture

__all__ = ["run_cold"]

CHILD = os.path.join(REPO, "bench", "cold_child.py")


def _one(variant: str, env: dict[str, str]) -> dict[str, Any]:
    env = {**env, "BENCH_T0": repr(time.monotonic())}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, CHILD, variant], cwd=REPO, env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline()
    wall = time.monotonic() - started
    process.wait(30)
    if not line:
        raise RuntimeError(f"cold start {variant}: the child printed nothing (exit {process.returncode})")
    result = json.loads(line)
    if result["status"] != 200 or '"structuredContent":{"result":5}' not in result["body"]:
        raise RuntimeError(f"cold start {variant}: unexpected answer {result}")
    result["wall_s"] = wall
    return result


def run_cold(fixture: Fixture, *, runs: int, warmup: int) -> dict[str, Any]:
    """Median spawn-to-answer seconds for each variant over `runs` interleaved runs, and their ratio."""
    env = fixture.env()
    for _ in range(warmup):  # fills the bytecode and page caches for both, so neither pays for it alone
        _one("ours", env)
        _one("bare", env)
    hits_before = fixture.jwks.hits
    samples: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
    for i in range(runs):
        for variant in ("ours", "bare") if i % 2 == 0 else ("bare", "ours"):
            samples[variant].append(_one(variant, env))
    # Each pair ran back to back, so its ratio is less exposed to the machine's drift.
    paired = [o["wall_s"] / b["wall_s"] for o, b in zip(samples["ours"], samples["bare"])]
    summary: dict[str, Any] = {"runs": runs, "jwks_hits_per_ours_run": (fixture.jwks.hits - hits_before) / runs}
    for variant, results in samples.items():
        summary[variant] = {
            "median_s": statistics.median(r["wall_s"] for r in results),
            "min_s": min(r["wall_s"] for r in results),
            "max_s": max(r["wall_s"] for r in results),
            "median_import_s": statistics.median(r["import_s"] for r in results),
            "median_first_call_s": statistics.median(r["first_call_s"] for r in results),
            "median_cpu_s": statistics.median(r["cpu_s"] for r in results),
            "samples_s": [round(r["wall_s"], 4) for r in results],
        }
    summary["ratio"] = summary["ours"]["median_s"] / summary["bare"]["median_s"]
    summary["median_paired_ratio"] = statistics.median(paired)
    summary["cpu_ratio"] = summary["ours"]["median_cpu_s"] / summary["bare"]["median_cpu_s"]
    return summary
