"""A pytest plugin (pytest.ini's `-p tests.parallel`): run the suite on every core by default.

Much of the suite waits (subprocess starts, servers in other processes, attack windows),
so one worker more than there are cores keeps both cores busy. pytest-xdist's `-n` is
added here rather than in pytest.ini's addopts so that `-p no:xdist` still works
(with no xdist, `-n` would be an unknown option) and runs the suite serially.
An explicit `-n`/`--numprocesses` or `--dist` on the command line wins.

`--dist loadfile` keeps each test file on one worker, in file order: module-scoped
servers start once, and tests that build on their neighbours' state stay together.
Files go to workers in the suite's order (`--no-loadscope-reorder`; xdist would
otherwise hand out the files with the most tests first and the long single-test
ones last, where one worker ends up running them alone), except the few long
ones in `LONG_FILES`, which go first. That list only orders the work: a file
missing from it or a stale entry costs seconds, never a result. The session-wide
log audit runs in the controller (tests/log_capture.py).
"""

from __future__ import annotations

import os

import pytest

# The files that take longest, longest first (seconds of one run, three workers on two cores).
LONG_FILES = (
    "tests/soak/test_soak.py",  # 14 s: 20,000 calls
    "tests/bench/test_slow_documents.py",  # 13 s: an attack window, by design
    "tests/bench/test_bench_smoke.py",  # 13 s: the benchmark harness end to end
    "tests/bench/test_telemetry_bench.py",  # 11 s: the telemetry benchmark's smoke run
    "tests/faults/test_jwks_faults.py",  # 6-9 s
    "tests/front/test_refresh_store.py",  # 7 s: Azurite
    "tests/infra/test_checkov.py",  # 7 s: Checkov
    "tests/doctor/test_outside.py",  # 7 s
    "tests/front/test_attacks.py",  # 6 s
    "tests/telemetry/test_imports.py",  # 5 s: a process per import check
    "tests/client/test_typescript_sdk.py",  # 5 s: Node clients
    "tests/e2e/test_node_clients.py",  # 5 s: Node clients
)

# Workers: one more than the cores this process may run on (3 on CI's 2 cores), at most 4. Many
# tests wait (on a subprocess, a server in another process, an attack window), and the spare
# worker fills those waits: on two idle cores the suite took 85 s with 2 workers, 78-83 s with 3
# and 77 s with 4. Each worker pays for its own collection and session fixtures (a JWKS server,
# the function app, uvicorn servers), so more than that buys nothing.
_WORKERS = min(4, len(os.sched_getaffinity(0)) + 1)


def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    # The documented way for a plugin to add default arguments (pytest's hook reference).
    if not early_config.pluginmanager.has_plugin("xdist"):
        return  # not installed, or `-p no:xdist`: a serial run
    chosen = any(arg in ("-n", "--numprocesses", "--dist") or arg.startswith(("-n", "--numprocesses=", "--dist=")) for arg in args)
    if not chosen:
        args[:] = ["-n", str(_WORKERS), "--dist", "loadfile", "--no-loadscope-reorder", *args]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):
        return  # serial, or xdist's controller: the suite's order
    rank = {path: index for index, path in enumerate(LONG_FILES)}
    # Stable: within a file, and among all the other files, the suite's order holds.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(LONG_FILES)))
