"""bench.telemetry runs end to end in smoke mode, and `python -m bench` carries its section over.

Asserts the structure of the results, never their timing: benchmarks are not timed tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.telemetry import SECTION_END, SECTION_START, carry_section
from tests.support import REPO


def test_the_telemetry_scenario_yields_every_figure():
    done = subprocess.run(
        [sys.executable, "-m", "bench.telemetry", "--smoke", "--json"], cwd=REPO, check=True, timeout=300, capture_output=True, text=True
    )
    results = json.loads(done.stdout.splitlines()[-1])

    row = results["by_concurrency"]["8"]
    assert sorted(row) == ["bare", "ours", "sampled", "telemetry"]
    assert all(row[name]["rps"] > 0 and row[name]["cpu_ms_per_request"] > 0 for name in row)
    assert sorted(results["cold_s"]) == sorted(results["cold_cpu_s"]) == ["bare", "ours", "telemetry"]
    assert done.stdout.startswith(SECTION_START) and SECTION_END in done.stdout
    assert "| 8 | ours, telemetry on, every span |" in done.stdout


def test_a_full_benchmark_rewrite_keeps_the_telemetry_section():
    section = f"{SECTION_START}\n## Telemetry on\n\n| a | b |\n{SECTION_END}"
    old = f"# Performance\n\nold figures\n\n{section}\n"

    assert carry_section(old, "# Performance\n\nnew figures\n") == f"# Performance\n\nnew figures\n\n{section}\n"
    assert carry_section("# Performance\n", "# Performance\n\nnew\n") == "# Performance\n\nnew\n"
