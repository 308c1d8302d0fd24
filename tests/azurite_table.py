"""Azurite's Table Storage emulator (the `azurite` npm package), on a free loopback port.

Installed from tests/azurite/package-lock.json: `.ci/run` runs `npm ci` there; on a fresh clone
the first test that needs it installs it here, once. In-memory: nothing is written to disk, and
each run starts with no tables.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .support import REPO, stop_process

__all__ = ["AZURITE_DIR", "azurite_table"]

AZURITE_DIR = os.path.join(REPO, "tests", "azurite")
_READY = b"Azurite Table service successfully started"


def _ensure_installed() -> str:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("Node.js 20+ and npm are needed for Azurite (the refresh-token store tests)")
    executable = os.path.join(AZURITE_DIR, "node_modules", ".bin", "azurite-table")
    with open(os.path.join(AZURITE_DIR, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions on one clone install once
        if not os.path.exists(executable):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AZURITE_DIR, check=True, timeout=600)
    return executable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def azurite_table() -> Iterator[str]:
    """Run Azurite's table service; yield its account URL, http://127.0.0.1:{port}/devstoreaccount1."""
    executable = _ensure_installed()
    port = _free_port()
    process = subprocess.Popen(
        [executable, "--tableHost", "127.0.0.1", "--tablePort", str(port), "--inMemoryPersistence", "--skipApiVersionCheck", "--silent"],
        cwd=AZURITE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while True:
            line = process.stdout.readline()
            if _READY in line:
                break
            if not line or time.monotonic() > deadline:
                raise RuntimeError(f"Azurite did not start: {line!r}")
        # Keep reading what it prints, so a full pipe never stalls it.
        threading.Thread(target=process.stdout.read, name="azurite-output", daemon=True).start()
        yield f"http://127.0.0.1:{port}/devstoreaccount1"
    finally:
        stop_process(process)
