"""Every .bicep file under infra/ parses with pycep-parser, and every module it declares exists.

No Bicep compiler can run here, so a Python parser of the language stands in for its first step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.infra.conftest import INFRA, ROOT, bicep_files, parse_bicep


def test_the_template_has_its_entry_point_and_modules() -> None:
    names = {str(path.relative_to(INFRA)) for path in bicep_files()}
    assert names == {
        "main.bicep",
        "modules/app.bicep",
        "modules/app-settings.bicep",
        "modules/entra-api.bicep",
        "modules/entra-clients.bicep",
    }


def test_every_bicep_file_parses(bicep_trees: dict[str, Any]) -> None:
    errors = {name: tree["error"] for name, tree in bicep_trees.items() if "error" in tree}
    assert errors == {}
    for name, tree in bicep_trees.items():
        assert tree.get("resources") or tree.get("modules"), f"{name} declares nothing"


def test_a_syntax_error_is_reported_not_passed(bicep_python: Path, tmp_path: Path) -> None:
    broken = INFRA / "modules" / "app.bicep"
    text = broken.read_text(encoding="utf-8").replace("resource identity ", "resource identity = ", 1)
    copy = tmp_path / "app.bicep"
    copy.write_text(text, encoding="utf-8")
    (tree,) = parse_bicep(bicep_python, [copy]).values()
    assert tree["error"].startswith("UnexpectedToken: Unexpected token Token('EQUAL', '=')")


def test_every_module_path_exists(bicep_trees: dict[str, Any]) -> None:
    for name, tree in bicep_trees.items():
        for symbol, module in tree.get("modules", {}).items():
            assert module["type"] == "local", f"{name}: module {symbol} is not a local file"
            target = (ROOT / name).parent / module["detail"]["path"]
            assert target.is_file(), f"{name}: module {symbol} names {module['detail']['path']}, which does not exist"
