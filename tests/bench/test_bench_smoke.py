"""The benchmark harness runs end to end in smoke mode and yields every figure it reports.

Asserts the structure of the results, never their timing: benchmarks are not timed tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import REPO


def test_smoke_run_yields_every_figure_and_a_report(tmp_path: Path) -> None:
    results_path, report_path = tmp_path / "results.json", tmp_path / "performance.md"
    subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json", str(results_path), "--out", str(report_path)],
        cwd=REPO, check=True, timeout=180, capture_output=True,
    )
    results = json.loads(results_path.read_text())

    cold = results["cold_start"]
    for variant in ("ours", "bare"):
        assert cold[variant]["median_s"] > 0
        assert len(cold[variant]["samples_s"]) == cold["runs"] >= 1
    assert cold["ratio"] > 0
    assert cold["jwks_hits_per_ours_run"] == 1

    azure = results["azure_cold_start"]  # the read-only app folder, with and without the app's bytecode
    for variant in ("no_bytecode", "shipped_bytecode"):
        assert azure[variant]["median_import_s"] > 0 and azure[variant]["median_import_cpu_s"] > 0
        assert len(azure[variant]["import_samples_s"]) == azure["runs"] >= 1
    assert azure["import_ratio"] > 0 and azure["import_cpu_ratio"] > 0

    warm = results["warm"]
    for variant in ("ours", "bare"):
        assert warm[variant]["n"] == warm["iterations"]
        assert 0 < warm[variant]["p50"] <= warm[variant]["p99"]
    assert warm["jwks_hits_during_warm"] == 0
    assert warm["jwks_fetches_during_warm"] == 0
    assert warm["socket_events_during_warm"] == 0

    throughput = results["throughput"]
    assert throughput["tool"] == "python-asyncio"  # smoke never needs wrk
    assert set(throughput["by_concurrency"]) == {"8", "64"}
    for row in throughput["by_concurrency"].values():
        for variant in ("ours", "bare", "ours_modern", "bare_modern", "floor"):
            assert row[variant]["requests"] > 0
            assert row[variant]["rps"] > 0 and row[variant]["p99"] > 0
            assert row[variant]["cpu_ms_per_request"] > 0
        for ratio in ("ratio_rps", "ratio_rps_modern", "ratio_p99", "ratio_p99_modern", "ratio_cpu_to_floor",
                      "ratio_cpu_to_floor_modern", "ratio_cpu_to_floor_bare", "ratio_cpu_bare_to_ours",
                      "ratio_cpu_bare_to_ours_modern"):
            assert row[ratio] > 0 and row[f"paired_{ratio}"] > 0
    assert throughput["jwks_hits_under_load"] == 0

    report = report_path.read_text()
    for heading in ("## Targets", "## Every ratio", "## Throughput and CPU per request", "## Warm path and cold start",
                    "## What this round changed", "## Scale, on paper", "## Method", "## Environment"):
        assert heading in report
    assert "raw-ASGI floor" in report and "2026-07-28 wire" in report
    assert "### Cold start as Azure runs it" in report
