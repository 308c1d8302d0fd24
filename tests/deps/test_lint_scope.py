"""Type checking and linting cover every piece of Python that ships, and nothing is listed twice.

.ci/run runs `mypy --strict` and `ruff check` on the paths in pyproject.toml's [tool.mypy] files.
What ships is what .funcignore does not leave out, so a new top-level package added to the
function app without being added to that list fails here instead of going unchecked.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from tests.support import REPO


def checked_paths() -> list[str]:
    with open(Path(REPO, "pyproject.toml"), "rb") as file:
        return list(tomllib.load(file)["tool"]["mypy"]["files"])


def shipped_python() -> set[str]:
    """Top-level Python modules and packages that `func azure functionapp publish` uploads."""
    ignored = [line.strip() for line in Path(REPO, ".funcignore").read_text().splitlines() if line.strip()]
    found: set[str] = set()
    for entry in Path(REPO).iterdir():
        # Hidden folders are tools' state (.venv, caches, a staged .deploy), not source.
        if entry.name.startswith(".") or any(fnmatch(entry.name, pattern) for pattern in ignored):
            continue
        if entry.is_file() and entry.suffix == ".py":
            found.add(entry.name)
        elif entry.is_dir() and any(entry.rglob("*.py")):
            found.add(entry.name)
    return found


def test_every_shipped_python_package_is_type_checked_and_linted():
    assert set(checked_paths()) == shipped_python()


def test_each_path_is_listed_once():
    assert len(checked_paths()) == len(set(checked_paths()))


def test_the_lint_configuration_stays_out_of_the_published_package():
    ignored = Path(REPO, ".funcignore").read_text().splitlines()

    assert {"pyproject.toml", ".mypy_cache", ".ruff_cache"} <= set(ignored)

