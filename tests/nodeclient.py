"""The official TypeScript MCP SDK, installed from tests/node/package-lock.json and run with Node.

`.ci/run` installs it with `npm ci`; on a fresh clone the README's test command has
not, so the first test that needs it installs it here, once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess

from .support import REPO

__all__ = ["NODE_DIR", "ensure_node_modules"]

NODE_DIR = os.path.join(REPO, "tests", "node")


def ensure_node_modules() -> str:
    """The path of tests/node, with its locked packages installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("Node.js 20+ and npm are needed for the TypeScript client tests")
    with open(os.path.join(NODE_DIR, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions on one clone install once
        if not all(os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@modelcontextprotocol", package))
                   for package in ("sdk", "client", "inspector-cli")):
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=NODE_DIR,
                check=True,
                timeout=600,
            )
    return NODE_DIR
