"""Checkov scans infra/ with no failures; every skip is written inline with its reason.

Checkov runs offline (--skip-download, BC_SKIP_MAPPING): it would otherwise fetch guidelines
from its vendor, and the suite sends no traffic off this machine. Checkov pins pycep-parser 0.5.1,
which cannot read Bicep's `extension` statement, so the two Microsoft Graph modules are the files
it cannot parse; they declare only Microsoft.Graph resources, for which Checkov has no checks.
Tests here pin that: any other file Checkov fails to parse fails the suite.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.infra.conftest import INFRA, ROOT, bicep_files

_SKIP = re.compile(r"//\s*checkov:skip=(?P<ids>[^:\s]*)(?::(?P<reason>.*))?$")
GRAPH_MODULES = {"modules/entra-api.bicep", "modules/entra-clients.bicep"}


def run_checkov(tools_python: Path) -> dict[str, object]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    done = subprocess.run(
        [str(tools_python.parent / "checkov"), "--directory", "infra", "--framework", "bicep", "--output", "json",
         "--quiet", "--compact", "--skip-download"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    report = json.loads(done.stdout)
    assert isinstance(report, dict)
    report["exit_code"] = done.returncode
    report["stderr"] = done.stderr
    return report


def test_checkov_finds_nothing(tools_python: Path) -> None:
    report = run_checkov(tools_python)
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert (summary["failed"], summary["parsing_errors"], report["exit_code"]) == (0, len(GRAPH_MODULES), 0), report["results"]
    assert summary["passed"] >= 20
    assert "prismacloud" not in str(report["stderr"])


def test_only_the_graph_modules_are_beyond_checkovs_parser(tools_python: Path) -> None:
    """Checkov's own pycep-parser reads every file but the Graph modules; those hold Graph resources only."""
    script = (
        "import json, sys, pathlib\n"
        "from pycep import BicepParser\n"
        "bad = []\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        BicepParser().parse(file_path=pathlib.Path(name))\n"
        "    except Exception:\n"
        "        bad.append(name)\n"
        "print(json.dumps(bad))\n"
    )
    names = [str(path.relative_to(INFRA)) for path in bicep_files()]
    done = subprocess.run([str(tools_python), "-c", script, *names], cwd=INFRA, capture_output=True, text=True, timeout=300, check=True)
    assert set(json.loads(done.stdout)) == GRAPH_MODULES
    for name in GRAPH_MODULES:
        types = set(re.findall(r"^resource \w+ '([^'@]+)@", (INFRA / name).read_text(encoding="utf-8"), re.MULTILINE))
        assert types and all(t.startswith("Microsoft.Graph/") for t in types), (name, types)


def test_every_skip_names_one_check_and_says_why() -> None:
    skips = []
    for path in bicep_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _SKIP.search(line.strip())
            if match:
                where = f"{path.relative_to(ROOT)}:{number}"
                # One id per comment: Checkov 3.3 applies only the first of a comma-separated list.
                assert re.fullmatch(r"CKV2?_AZURE_\d+", match["ids"]), f"{where}: one check id per skip"
                assert match["reason"] and len(match["reason"].split()) >= 6, f"{where}: a skip needs its reason"
                skips.append(match["ids"])
    assert len(skips) == 28
