"""Shared fixtures of the template's static checks: the tools' venvs and the parsed Bicep files.

The tools live in venvs of their own, made by .ci/run from their own locks: .venv-tools
(requirements-infra.txt: Checkov, azure-cli, PyYAML) and .venv-bicep (requirements-bicep.txt:
pycep-parser). The tests run in the app's venv and call them as subprocesses. In CI (CI=true) a
missing venv fails the test, so a broken install can never pass as "skipped"; on a developer's
machine it skips, saying which command makes it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO

ROOT = Path(REPO)
INFRA = ROOT / "infra"
HERE = Path(__file__).resolve().parent
TOOLS_VENV = ROOT / ".venv-tools"
BICEP_VENV = ROOT / ".venv-bicep"


def require_venv(venv: Path, lock: str) -> Path:
    """The venv's python, or a failure (CI) or skip (elsewhere) naming how to make it."""
    python = venv / "bin" / "python"
    if python.exists():
        return python
    how = f"python3 -m venv {venv.name} && {venv.name}/bin/pip install -r {lock} (or run .ci/run)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{venv.name} is missing; .ci/run makes it: {how}")
    pytest.skip(f"{venv.name} is missing: {how}")


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@pytest.fixture(scope="session")
def tools_python() -> Path:
    return require_venv(TOOLS_VENV, "requirements-infra.txt")


@pytest.fixture(scope="session")
def bicep_python() -> Path:
    return require_venv(BICEP_VENV, "requirements-bicep.txt")


def parse_bicep(bicep_python: Path, paths: list[Path]) -> dict[str, Any]:
    """{repo-relative path: pycep-parser's tree, or {"error": why}} for each file."""
    names = [str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path) for path in paths]
    done = subprocess.run(
        [str(bicep_python), str(HERE / "bicep_ast.py"), *names], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    trees: dict[str, Any] = json.loads(done.stdout)
    return trees


@pytest.fixture(scope="session")
def bicep_trees(bicep_python: Path) -> dict[str, Any]:
    return parse_bicep(bicep_python, bicep_files())
