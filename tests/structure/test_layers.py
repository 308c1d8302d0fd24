"""The layers import downwards only: web below edge and front, and neither of those two imports the other.

The composition root (app_factory.py) is the one place that knows both; this reads every
import statement of the product packages, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO


def _imported(path: Path) -> set[str]:
    """The top-level package of every module `path` imports (relative imports resolve to its own)."""
    own = path.parent.name
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(own if node.level else (node.module or "").split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    modules = sorted((Path(REPO) / package).glob("*.py"))
    assert modules, f"no modules under {package}/"
    return modules


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("edge", {"front", "app_factory", "function_app"}),
        ("front", {"edge", "app_factory", "function_app"}),
        ("web", {"edge", "front", "auth", "mcp_tools", "app_factory", "function_app"}),
        ("auth", {"edge", "front", "web", "mcp_tools", "app_factory", "function_app"}),
        # Telemetry sits below edge and front: they record through it, it knows neither.
        ("telemetry", {"edge", "front", "web", "app_factory", "function_app"}),
        # Below both the front and the on-behalf-of example, which share it.
        ("outbound", {"edge", "front", "web", "auth", "mcp_tools", "obo", "app_factory", "function_app"}),
        # The example is assembled by the composition root; the edge and the front never see it.
        ("obo", {"edge", "front", "web", "app_factory", "function_app"}),
        ("edge", {"obo"}),
        ("front", {"obo"}),
    ],
)
def test_no_module_of_a_package_imports_a_layer_it_must_not_reach(package: str, forbidden: set[str]):
    reaching = {path.name: sorted(_imported(path) & forbidden) for path in _modules(package)}

    assert {name: found for name, found in reaching.items() if found} == {}


def test_the_check_sees_a_lazy_import_inside_a_function(tmp_path: Path):
    module = tmp_path / "edge" / "probe.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from front.routes import front_routes\n    from . import app\n", encoding="utf-8")

    assert _imported(module) == {"front", "edge"}
