"""The app folder as Azure runs it, with the app's own bytecode compiled in advance.

Azure runs a Python function app from a read-only package (run-from-package), so
the interpreter cannot write the `__pycache__` it compiles, and the remote build
(Oryx's PythonBashBuildSnippet.sh.tpl) byte-compiles the packages it installs but
never the app's own modules. Without this step every cold start compiles
function_app, app_factory, sdk_app, auth, edge, front, web, mcp_tools and telemetry again.

`stage` copies the project (the files git tracks or would track) into a fresh
folder, compiles every module there with unchecked-hash pycs (PEP 552: used
without consulting the source, which a read-only package cannot change), and
writes a `.funcignore` that keeps those `__pycache__` folders. Core Tools,
publishing from that folder, still applies every other `.funcignore` rule. The
working tree keeps excluding `__pycache__`: its pycs are timestamp-based, made by
whatever Python ran last, and would be stale or ignored.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["PYTHON", "StageError", "Staged", "project_files", "stage"]

#: The Python the Functions app runs on (azure-functions 1.x needs <3.13; the pins are tested on 3.11).
PYTHON = (3, 11)
FUNCIGNORE = ".funcignore"
_PYCACHE_RULES = frozenset({"__pycache__", "__pycache__/", "*.pyc", "*.py[cod]"})


class StageError(Exception):
    """The folder cannot be staged; the message says why."""


@dataclass(frozen=True)
class Staged:
    """What `stage` wrote."""

    folder: str
    files: int
    compiled: bool


def project_files(repo: str) -> list[str]:
    """The project's files, relative to `repo`: tracked, or untracked and not git-ignored."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=repo, capture_output=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise StageError(f"{repo} is not a git checkout (git ls-files failed)") from exc
    names = sorted({name for name in listing.decode().split("\0") if name})
    return [name for name in names if os.path.isfile(os.path.join(repo, name))]  # a tracked file may be deleted


def stage(repo: str, folder: str, *, compile_bytecode: bool = True) -> Staged:
    """Copy the project into the empty or new `folder`; with `compile_bytecode`, ship its pycs."""
    if compile_bytecode and sys.version_info[:2] != PYTHON:
        # A pyc is only ever read by the Python version that wrote it (its cache tag, e.g. cpython-311).
        raise StageError(f"run this with Python {PYTHON[0]}.{PYTHON[1]}, the version the app runs on in Azure")
    if os.path.exists(folder) and (not os.path.isdir(folder) or os.listdir(folder)):
        raise StageError(f"{folder} must be a new or empty folder")
    files = project_files(repo)
    for name in files:
        target = os.path.join(folder, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(repo, name), target)
    if compile_bytecode:
        ok = compileall.compile_dir(
            folder, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, workers=1
        )
        if not ok:
            raise StageError("a module did not compile; run python -m compileall on it to see why")
        _keep_pycache(os.path.join(folder, FUNCIGNORE))
    return Staged(folder, len(files), compile_bytecode)


def _keep_pycache(path: str) -> None:
    """Drop the rules that would exclude the staged pycs; keep every other rule as it is."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(f"{line}\n" for line in lines if line.strip() not in _PYCACHE_RULES)
