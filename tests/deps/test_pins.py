"""Deploys are reproducible: requirements.txt pins exact versions, and the suite runs on exactly those.

`func azure functionapp publish` installs requirements.txt; .ci/lock writes it (and
requirements-dev.txt) from the ranges in requirements.in / requirements-dev.in. A venv
that drifts from the pins, or a range edited without relocking, fails here.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support import REPO

#: A pin as .ci/lock writes it: a bare name, `==`, a version; no extras, markers, ranges or URLs.
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")
LOCKS = ("requirements.txt", "requirements-dev.txt")
RANGES = {"requirements.txt": "requirements.in", "requirements-dev.txt": "requirements-dev.in"}


def lines(name: str) -> list[str]:
    """The requirement lines of a file: comments (uv's `# via` annotations too) and blanks dropped."""
    text = Path(REPO, name).read_text()
    return [line.split(" #", 1)[0].strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def pins(name: str) -> dict[str, str]:
    """Canonical package name → exact version, asserting that every line is a pin."""
    found: dict[str, str] = {}
    for line in lines(name):
        match = _PIN.match(line)
        assert match, f"{name}: not an exact pin: {line!r}"
        found[canonicalize_name(match["name"])] = match["version"]
    return found


def ranges(name: str) -> list[Requirement]:
    """The requirements of a ranges file, following its `-r` includes."""
    found: list[Requirement] = []
    for line in lines(name):
        if line.startswith("-r "):
            found += ranges(line[3:].strip())
        else:
            found.append(Requirement(line))
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_line_of_a_lock_is_an_exact_pin(lock: str):
    assert len(pins(lock)) == len(lines(lock))  # and no package twice


@pytest.mark.parametrize("lock", LOCKS)
def test_the_installed_packages_are_exactly_the_pinned_versions(lock: str):
    drift = {}
    for name, version in pins(lock).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or Version(installed) != Version(version):
            drift[name] = (version, installed)

    assert drift == {}, f"pinned vs installed; run: .venv/bin/pip install -r {lock}"


def test_the_dev_lock_pins_every_runtime_package_at_the_same_version():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")

    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", LOCKS)
def test_the_pins_satisfy_the_ranges_they_were_locked_from(lock: str):
    pinned = pins(lock)
    unmet = [
        str(requirement)
        for requirement in ranges(RANGES[lock])
        if canonicalize_name(requirement.name) not in pinned
        or not requirement.specifier.contains(pinned[canonicalize_name(requirement.name)], prereleases=True)
    ]

    assert unmet == [], f"{RANGES[lock]} changed since the lock was written; run .ci/lock"


def test_ci_and_the_readme_install_the_locks():
    ci = Path(REPO, ".ci", "run").read_text()
    readme = Path(REPO, "README.md").read_text()

    assert "pip install --quiet --disable-pip-version-check -r requirements-dev.txt" in ci
    assert "pip install -r requirements-dev.txt && .venv/bin/python -m pytest" in readme
