"""The tools venvs hold exactly what their locks pin, so the checks run the tools CI runs.

requirements-infra.txt and requirements-bicep.txt are written by .ci/lock; .ci/run installs them.
A venv left from an older lock fails here rather than checking with other tool versions.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.infra.conftest import ROOT
from tests.deps.test_pins import pins

_INSTALLED = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"


def installed(python: Path) -> dict[str, str]:
    done = subprocess.run([str(python), "-c", _INSTALLED], capture_output=True, text=True, timeout=120, check=True)
    return {canonicalize_name(name): version for name, version in json.loads(done.stdout).items()}


@pytest.mark.parametrize(("fixture", "lock"), [("tools_python", "requirements-infra.txt"), ("bicep_python", "requirements-bicep.txt")])
def test_the_tools_venv_matches_its_lock(request: pytest.FixtureRequest, fixture: str, lock: str) -> None:
    python: Path = request.getfixturevalue(fixture)
    wanted = pins(lock)
    have = installed(python)
    assert {name: have.get(name) for name in wanted} == wanted
    assert (ROOT / lock).is_file()


def test_the_locks_pin_the_tools() -> None:
    assert {"checkov", "azure-cli", "pyyaml"} <= set(pins("requirements-infra.txt"))
    assert pins("requirements-bicep.txt")["pycep-parser"].startswith("0.7.")
    # Checkov keeps its own older parser, which is why the Bicep parser has a venv of its own.
    assert pins("requirements-infra.txt")["pycep-parser"] == "0.5.1"
