"""`python -m deploy stage`: the app folder Azure runs, with bytecode that is used without the source.

Real files only: the repository itself is staged into a temporary folder, and a fresh
interpreter imports from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.stage import StageError, project_files, stage
from tests.support import REPO

# PEP 552: the pyc header's second word; bit 0 set = hash-based, bit 1 clear = the source is never checked.
UNCHECKED_HASH = (0b01).to_bytes(4, "little")


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("staged") / "app"
    result = stage(REPO, str(folder))
    assert (result.folder, result.compiled) == (str(folder), True)
    assert result.files == len(project_files(REPO))
    return folder


def test_the_apps_own_modules_ship_as_unchecked_hash_pycs(staged: Path) -> None:
    tag = sys.implementation.cache_tag  # cpython-311: only the Python that runs the app reads them
    for module in ("function_app", "auth/claims", "edge/app", "front/settings", "mcp_tools/__init__"):
        source = staged / f"{module}.py"
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert pyc.read_bytes()[4:8] == UNCHECKED_HASH, module


def test_a_staged_pyc_is_used_without_reading_the_source(staged: Path, tmp_path: Path) -> None:
    # Break the staged source after staging: an import that still works ran the shipped bytecode.
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(staged), str(copy)], check=True)
    (copy / "auth" / "permissions.py").write_text("raise SystemExit('the source was compiled again')\n")
    probe = "import auth.permissions as p; print(p.__name__)"

    result = subprocess.run([sys.executable, "-c", probe], cwd=copy, env={"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"},
                            capture_output=True, text=True, timeout=60)

    assert (result.returncode, result.stdout, result.stderr) == (0, "auth.permissions\n", "")


def test_the_staged_funcignore_keeps_the_pycs_and_every_other_rule(staged: Path) -> None:
    original = (Path(REPO) / ".funcignore").read_text().splitlines()
    shipped = (staged / ".funcignore").read_text().splitlines()

    assert "__pycache__" in original  # the working tree's pycs stay out: stale, or another Python's
    assert shipped == [line for line in original if line != "__pycache__"]


def test_only_the_projects_files_are_staged(staged: Path) -> None:
    staged_files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file() and "__pycache__" not in p.parts)

    assert staged_files == project_files(REPO)
    assert not (staged / "local.settings.json").exists() and not (staged / ".venv").exists()


def test_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")

    with pytest.raises(StageError) as caught:
        stage(REPO, str(tmp_path))
    assert str(caught.value) == f"{tmp_path} must be a new or empty folder"


def test_the_command_line_names_the_problem_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")

    result = subprocess.run([sys.executable, "-m", "deploy", "stage", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=60)

    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"deploy stage: {tmp_path} must be a new or empty folder\n")
