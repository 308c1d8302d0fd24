"""`python devserver.py` as the README runs it: a subprocess serving `function_app:asgi_app` beside the dev IdP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.run import cli

REPO = Path(__file__).resolve().parents[2]


def start(env: dict[str, str], *flags: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start devserver on free ports; return the process and its banner (up to the Ctrl-C line)."""
    process = subprocess.Popen(
        [sys.executable, "devserver.py", "--port", "0", "--idp-port", "0", *flags],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    banner: list[str] = []
    for line in process.stdout:  # blocks until the banner is printed; no sleeping
        banner.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C stops everything."):
            break
    return process, banner


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAUTH_", "MCP_"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def devserver() -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process, banner = start(clean_env())
    yield process, banner
    if process.poll() is None:
        process.kill()
        process.wait(10)


def wait_until_serving(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if "Uvicorn running" in line:
            return
    raise AssertionError("uvicorn never started")


def test_quick_start_with_no_settings(
    devserver: tuple[subprocess.Popen[str], list[str]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    process, banner = devserver
    wait_until_serving(process)
    issuer = re.match(r"Dev identity provider: (\S+)", banner[0])
    mcp = re.match(r"MCP server:  (\S+)", banner[1])
    assert issuer is not None and mcp is not None
    assert f"  export MCP_URL={mcp.group(1)}" in banner
    assert f"  export MCP_CLIENT_ISSUER={issuer.group(1)}" in banner
    assert "  python -m client call add 2 3" in banner
    env = {"MCP_URL": mcp.group(1), "MCP_CLIENT_ISSUER": issuer.group(1), "MCP_CLIENT_CACHE": str(tmp_path / "t.json")}

    added = cli(capsys, "--app", "call", "add", "2", "3", env=env)
    subtracted = cli(capsys, "--app", "call", "subtract", "5", "1", env=env)

    assert (added.code, added.out) == (0, "5\n")
    assert (subtracted.code, subtracted.out) == (0, "4\n")


def test_ctrl_c_stops_both(devserver: tuple[subprocess.Popen[str], list[str]]) -> None:
    process, _ = devserver

    process.send_signal(signal.SIGINT)

    assert process.wait(20) == 0
    rest = process.stdout.read() if process.stdout else ""
    assert "Traceback" not in rest


def test_real_settings_start_no_provider() -> None:
    env = clean_env(
        OAUTH_ISSUER="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
        OAUTH_AUDIENCE="6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55",
        OAUTH_JWKS_URI="http://127.0.0.1:9/keys",  # nothing listens: the server starts anyway, keys come later
    )
    process, banner = start(env)
    try:
        assert banner[0] == (
            "Trusting the configured issuer: https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
        )
        assert not any(line.startswith("Dev identity provider") for line in banner)
        # Ctrl-C once uvicorn serves, as test_ctrl_c_stops_both does. One suite run lost a SIGINT sent
        # in the half second between the banner and uvicorn's own handlers (not seen again in 220 tries).
        wait_until_serving(process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(20) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def test_telemetry_prints_the_spans_and_metrics_production_records(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    process, banner = start(clean_env(), "--telemetry")
    try:
        assert banner[0].startswith("Telemetry: each span and metric is printed below")
        wait_until_serving(process)
        issuer = re.match(r"Dev identity provider: (\S+)", banner[1])
        mcp = re.match(r"MCP server:  (\S+)", banner[2])
        assert issuer is not None and mcp is not None
        env = {"MCP_URL": mcp.group(1), "MCP_CLIENT_ISSUER": issuer.group(1), "MCP_CLIENT_CACHE": str(tmp_path / "t.json")}

        added = cli(capsys, "--app", "call", "add", "2", "3", env=env)

        assert (added.code, added.out) == (0, "5\n")
    finally:
        process.send_signal(signal.SIGINT)  # the meter provider prints its last metrics on the way out
        assert process.wait(30) == 0
    output = process.stdout.read() if process.stdout else ""
    assert re.search(r"^span  'tools/call add' SERVER [0-9.]+ms trace=[0-9a-f]{32} id=[0-9a-f]{16} parent=[0-9a-f]{16}$", output, re.M)
    assert re.search(r"^span  'POST /mcp' SERVER [0-9.]+ms trace=[0-9a-f]{32} id=[0-9a-f]{16} parent=-$", output, re.M)
    assert "        mcp.auth.caller.kind='app'" in output.splitlines()
    assert re.search(
        r"^metric mcp.server.operation.duration count=1 mean=[0-9.]+ms max=[0-9.]+ms gen_ai.tool.name=add mcp.method.name=tools/call mcp.request.outcome=ok$",
        output,
        re.M,
    )
    assert "Traceback" not in output
