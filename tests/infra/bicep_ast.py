"""Print the syntax tree of each .bicep file given, as JSON: {path: tree}, or {path: {"error": why}}.

Run by tests/infra with the Bicep parser's own venv (.venv-bicep, requirements-bicep.txt); the tests
themselves run in the app's venv. The tree is pycep-parser's JSON, with one change: a bare name (a
parameter, variable or resource: `location`) becomes {"identifier": "location"}, so it is never
mistaken for the string literal 'location'.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lark import Token
from pycep import BicepParser
from pycep.transformer import BicepToJson

_MARK = "\x00identifier:"


class _MarkingTransformer(BicepToJson):
    def string(self, arg: tuple[Token]) -> str:
        token = arg[0]
        if token.type == "STRING":  # an unquoted name; quoted literals are QUOTED_INTERPOLATION
            return _MARK + str(token)
        return super().string(arg)


def _unmark(node: Any) -> Any:
    if isinstance(node, str):
        return {"identifier": node[len(_MARK):]} if node.startswith(_MARK) else node
    if isinstance(node, list):
        return [_unmark(item) for item in node]
    if isinstance(node, dict):
        return {key: _unmark(value) for key, value in node.items()}
    return node


def parse(path: Path) -> Any:
    parser = BicepParser()
    tree = parser._create_tree(text=None, file_path=path)  # noqa: SLF001  (the public parse() has no hook for the transformer)
    return _unmark(_MarkingTransformer(add_line_numbers=False).transform(tree))


def main(paths: list[str]) -> int:
    result: dict[str, Any] = {}
    for name in paths:
        try:
            result[name] = parse(Path(name))
        except Exception as error:  # noqa: BLE001  (any parse failure is reported per file, as data)
            result[name] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
