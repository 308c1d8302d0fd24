"""Cold start: fresh processes, ours and the bare SDK interleaved, timed from spawn to first answer."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from .fixtures import REPO, Fixture

__all__ = ["run_azure_cold", "run_cold"]

CHILD = os.path.join(REPO, "bench", "cold_child.py")


def _one(variant: str, env: dict[str, str], cwd: str = REPO) -> dict[str, Any]:
    env = {**env, "BENCH_T0": repr(time.monotonic())}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, CHILD, variant], cwd=cwd, env=env, stdout=subprocess.PIPE)
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


def run_azure_cold(fixture: Fixture, *, runs: int, warmup: bool = True) -> dict[str, Any]:
    """Cold start as Azure runs it: the staged app folder, read-only, with and without the app's bytecode.

    Azure runs the app from a read-only package, so Python can write no `__pycache__` there,
    and the remote build compiles the installed packages but not the app (deploy/stage.py).
    Both folders come from deploy.stage (one with its unchecked-hash pycs, one without) and
    are made read-only; PYTHONDONTWRITEBYTECODE keeps the bytecode-less one bytecode-less
    even where read-only means nothing (root). The installed packages keep their bytecode,
    as on Azure. After one unmeasured run of each (with `warmup`), runs alternate, so drift hits
    both alike.
    """
    from deploy.stage import stage

    env = {**fixture.env(), "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-azure-cold-") as root:
        folders = {"shipped_bytecode": os.path.join(root, "with"), "no_bytecode": os.path.join(root, "without")}
        for name, folder in folders.items():
            stage(REPO, folder, compile_bytecode=name == "shipped_bytecode")
            _read_only(folder, True)
        try:
            for folder in folders.values() if warmup else ():  # one unmeasured run each fills the page cache for both alike
                _one("ours", {**env, "BENCH_APP_DIR": folder}, cwd=folder)
            samples: dict[str, list[dict[str, Any]]] = {name: [] for name in folders}
            for i in range(runs):
                for name in list(folders) if i % 2 == 0 else list(reversed(folders)):
                    samples[name].append(_one("ours", {**env, "BENCH_APP_DIR": folders[name]}, cwd=folders[name]))
        finally:
            for folder in folders.values():
                _read_only(folder, False)
    summary: dict[str, Any] = {"runs": runs}
    for name, results in samples.items():
        summary[name] = {
            "median_import_s": statistics.median(r["import_s"] for r in results),
            "median_import_cpu_s": statistics.median(r["import_cpu_s"] for r in results),
            "median_s": statistics.median(r["wall_s"] for r in results),
            "import_samples_s": [round(r["import_s"], 4) for r in results],
        }
    summary["import_ratio"] = summary["no_bytecode"]["median_import_s"] / summary["shipped_bytecode"]["median_import_s"]
    summary["import_cpu_ratio"] = (
        summary["no_bytecode"]["median_import_cpu_s"] / summary["shipped_bytecode"]["median_import_cpu_s"]
    )
    summary["wall_ratio"] = summary["no_bytecode"]["median_s"] / summary["shipped_bytecode"]["median_s"]
    return summary


def _read_only(folder: str, read_only: bool) -> None:
    for directory, _, files in os.walk(folder):
        os.chmod(directory, 0o555 if read_only else 0o755)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o444 if read_only else 0o644)
