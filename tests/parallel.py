"""A pytest plugin (pytest.ini's `-p tests.parallel`): run the suite on every core by default.

The suite mostly waits (subprocess starts, loopback round trips, attack windows),
so two workers on two cores roughly halve its wall time. pytest-xdist's `-n` is
added here rather than in pytest.ini's addopts so that `-p no:xdist` still works
(with no xdist, `-n` would be an unknown option) and runs the suite serially.
An explicit `-n`/`--numprocesses` or `--dist` on the command line wins.

`--dist loadfile` keeps each test file on one worker, in file order: module-scoped
servers start once, and tests that build on their neighbours' state stay together.
The session-wide log audit runs in the controller (tests/log_capture.py).
"""

from __future__ import annotations

import os

import pytest

# Workers: the cores this process may run on (2 on CI), at most 4: each worker pays for its
# own session fixtures (a JWKS server, the function app, uvicorn servers), so more buys little.
_WORKERS = max(1, min(4, len(os.sched_getaffinity(0))))


def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    # The documented way for a plugin to add default arguments (pytest's hook reference).
    if not early_config.pluginmanager.has_plugin("xdist"):
        return  # not installed, or `-p no:xdist`: a serial run
    chosen = any(arg in ("-n", "--numprocesses", "--dist") or arg.startswith(("-n", "--numprocesses=", "--dist=")) for arg in args)
    if not chosen:
        args[:] = ["-n", str(_WORKERS), "--dist", "loadfile", *args]
