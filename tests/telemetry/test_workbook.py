"""The workbook shows exactly the Kusto queries docs/operations.md gives, and only names the app records."""

from __future__ import annotations

import json
import re
from pathlib import Path

from telemetry import names
from tests.support import REPO

DOC = Path(REPO, "docs", "operations.md").read_text(encoding="utf-8")
WORKBOOK = json.loads(Path(REPO, "monitoring", "workbook.json").read_text(encoding="utf-8"))


def _queries() -> list[str]:
    return [item["content"]["query"] for item in WORKBOOK["items"] if item["type"] == 3]


def test_the_workbook_charts_the_four_queries_of_the_docs():
    documented = [query.rstrip("\n") for query in re.findall(r"```kusto\n(.*?)```", DOC, re.S)]

    assert WORKBOOK["version"] == "Notebook/1.0"
    assert _queries() == documented and len(documented) == 4
    assert all(item["content"]["timeContextFromParameter"] == "TimeRange" for item in WORKBOOK["items"] if item["type"] == 3)


def test_every_name_a_query_reads_is_one_the_app_records():
    recorded = {value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)}
    read = set()
    for query in _queries():
        read.update(re.findall(r'customDimensions\["([^"]+)"\]', query))
        read.update(re.findall(r'name == "(mcp\.[a-z_.]+)"', query))

    assert read and read <= recorded, read - recorded
