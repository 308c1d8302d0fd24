"""Check resource declarations against Microsoft's published type definitions (tests/infra/types/).

The definitions are the Bicep compiler's own: Azure/bicep-types-az for ARM and
microsoftgraph/msgraph-bicep-types for Microsoft Graph, sliced by refresh_types.py. A declaration
is checked as far as its values are known without deploying: every property name against the
type (an unknown one is an error, and so is a read-only one), every required property present,
and every literal value against its type (strings, integers and their bounds, booleans, enums,
arrays, nested objects). A value computed at deployment (a parameter, a function, an
interpolated string) is checked for its name only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = Path(__file__).resolve().parent / "types"

# bicep-types' property flags (Azure/bicep-types, src/bicep-types/src/types.ts: ObjectTypePropertyFlags).
REQUIRED, READ_ONLY, WRITE_ONLY, DEPLOY_TIME_CONSTANT, IDENTIFIER = 1, 2, 4, 8, 16
# Written by the compiler from the declaration itself, never by the author.
IMPLICIT = frozenset({"id", "type", "apiVersion"})
# Bicep keywords of a resource body that are not properties of the resource.
KEYWORDS = frozenset({"parent", "scope", "dependsOn"})
_EXPRESSION_KEYS = frozenset({"identifier", "function", "operator"})


def load_types() -> dict[str, dict[str, Any]]:
    """`type@version` (lower case) → its slice, from both vendored files."""
    resources: dict[str, dict[str, Any]] = {}
    for name in ("arm.json", "graph.json"):
        resources.update(json.loads((TYPES / name).read_text(encoding="utf-8"))["resources"])
    return resources


def is_expression(value: Any) -> bool:
    """A value known only at deployment: a name, a function call, an operator, an interpolation."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _EXPRESSION_KEYS:
        return True
    return isinstance(value, str) and "${" in value


def is_loop(value: Any) -> bool:
    return isinstance(value, dict) and "loop_type" in value and "config" in value


def literal_key(key: str) -> str:
    """A property name as written: `name` or `'azd-service-name'`."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == "'" else key


@dataclass
class Checker:
    """Collects every problem of one declaration (`where` names it in each message)."""

    types: list[dict[str, Any]]
    where: str
    problems: list[str] = field(default_factory=list)

    def resolve(self, ref: dict[str, Any]) -> dict[str, Any]:
        return self.types[int(ref["$ref"][2:])]

    def check(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if is_loop(value):
            if type_["$type"] != "ArrayType":
                self.problems.append(f"{self.where}: {path} is a for-loop (an array), but the type wants {type_['$type']}")
                return
            self.check(value["config"], self.resolve(type_["itemType"]), f"{path}[]")
            return
        if is_expression(value) and not isinstance(value, str):
            return  # a name, a function or an operator: known at deployment only
        kind = type_["$type"]
        handler = getattr(self, f"_check_{kind}", None)
        if handler is None:
            self.problems.append(f"{self.where}: {path}: no rule for type kind {kind}")
            return
        handler(value, type_, path)

    def _check_AnyType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        pass

    def _check_StringType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if not isinstance(value, str):
            self.problems.append(f"{self.where}: {path} must be a string, not {value!r}")
            return
        if "${" in value:
            return
        if "minLength" in type_ and len(value) < type_["minLength"]:
            self.problems.append(f"{self.where}: {path} is shorter than {type_['minLength']}")
        if "maxLength" in type_ and len(value) > type_["maxLength"]:
            self.problems.append(f"{self.where}: {path} is longer than {type_['maxLength']}")
        if "pattern" in type_ and not re.search(type_["pattern"], value):
            self.problems.append(f"{self.where}: {path} {value!r} does not match {type_['pattern']}")

    def _check_StringLiteralType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if not (isinstance(value, str) and ("${" in value or value.lower() == type_["value"].lower())):
            self.problems.append(f"{self.where}: {path} must be {type_['value']!r}, not {value!r}")

    def _check_IntegerType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(f"{self.where}: {path} must be an integer, not {value!r}")
            return
        if "minValue" in type_ and value < type_["minValue"]:
            self.problems.append(f"{self.where}: {path} is below {type_['minValue']}")
        if "maxValue" in type_ and value > type_["maxValue"]:
            self.problems.append(f"{self.where}: {path} is above {type_['maxValue']}")

    def _check_BooleanType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if not isinstance(value, bool):
            self.problems.append(f"{self.where}: {path} must be true or false, not {value!r}")

    def _check_ArrayType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if not isinstance(value, list):
            self.problems.append(f"{self.where}: {path} must be an array, not {value!r}")
            return
        item = self.resolve(type_["itemType"])
        for index, element in enumerate(value):
            self.check(element, item, f"{path}[{index}]")
        if "minLength" in type_ and len(value) < type_["minLength"]:
            self.problems.append(f"{self.where}: {path} has fewer than {type_['minLength']} items")
        if "maxLength" in type_ and len(value) > type_["maxLength"]:
            self.problems.append(f"{self.where}: {path} has more than {type_['maxLength']} items")

    def _check_UnionType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        """Valid if it is valid against any member."""
        failures: list[list[str]] = []
        for element in type_["elements"]:
            trial = Checker(self.types, self.where)
            trial.check(value, self.resolve(element), path)
            if not trial.problems:
                return
            failures.append(trial.problems)
        allowed = [self.resolve(e).get("value", self.resolve(e)["$type"]) for e in type_["elements"]]
        self.problems.append(f"{self.where}: {path} {value!r} matches none of {allowed}")

    def _check_ObjectType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        self.check_object(value, type_.get("properties", {}), type_.get("additionalProperties"), path)

    def _check_DiscriminatedObjectType(self, value: Any, type_: dict[str, Any], path: str) -> None:
        if not isinstance(value, dict):
            self.problems.append(f"{self.where}: {path} must be an object, not {value!r}")
            return
        discriminator = type_["discriminator"]
        chosen = value.get(discriminator)
        properties = dict(type_.get("baseProperties", {}))
        if not isinstance(chosen, str) or is_expression(chosen):
            self.problems.append(f"{self.where}: {path}.{discriminator} must be a literal naming one of {sorted(type_['elements'])}")
            return
        element = next((ref for key, ref in type_["elements"].items() if key.lower() == chosen.lower()), None)
        if element is None:
            self.problems.append(f"{self.where}: {path}.{discriminator} {chosen!r} is not one of {sorted(type_['elements'])}")
            return
        variant = self.resolve(element)
        properties.update(variant.get("properties", {}))
        self.check_object(value, properties, variant.get("additionalProperties"), path)

    def check_object(self, value: Any, properties: dict[str, Any], additional: Any, path: str) -> None:
        if not isinstance(value, dict) or is_loop(value):
            self.problems.append(f"{self.where}: {path} must be an object, not {value!r}")
            return
        given = {literal_key(key): item for key, item in value.items()}
        for name, item in given.items():
            here = f"{path}.{name}" if path else name
            if is_expression(name) or name.startswith("${"):
                if additional is None:
                    self.problems.append(f"{self.where}: {here}: a computed key, but the type allows no extra properties")
                continue
            spec = properties.get(name)
            if spec is None:
                if additional is None:
                    self.problems.append(f"{self.where}: unknown property {here}")
                else:
                    self.check(item, self.resolve(additional), here)
                continue
            if spec.get("flags", 0) & READ_ONLY:
                self.problems.append(f"{self.where}: {here} is read-only")
                continue
            self.check(item, self.resolve(spec["type"]), here)
        for name, spec in properties.items():
            flags = spec.get("flags", 0)
            if flags & REQUIRED and name not in given and name not in IMPLICIT:
                self.problems.append(f"{self.where}: required property {path + '.' if path else ''}{name} is missing")


def check_resource(types: dict[str, dict[str, Any]], where: str, declaration: dict[str, Any]) -> list[str]:
    """Every problem of one `resource` declaration, as pycep-parser reads it."""
    key = f"{declaration['type']}@{declaration['api_version']}".lower()
    entry = types.get(key)
    if entry is None:
        return [f"{where}: {declaration['type']}@{declaration['api_version']} is not in tests/infra/types/ (run refresh_types.py)"]
    config = declaration["config"]
    if isinstance(config, dict) and "condition" in config and "config" in config and len(config) == 2:
        config = config["config"]  # `= if (condition) { ... }`
    if is_loop(config):
        config = config["config"]
    config = {key: value for key, value in config.items() if literal_key(key) not in KEYWORDS}
    checker = Checker(entry["types"], where)
    body = entry["types"][entry["body"]]
    if declaration.get("existing"):
        # `existing`: only the identifying properties are written; names must still be known.
        known = body.get("properties", {}) if body["$type"] == "ObjectType" else body.get("baseProperties", {})
        for name in config:
            if literal_key(name) not in known and literal_key(name) not in KEYWORDS:
                checker.problems.append(f"{where}: unknown property {literal_key(name)}")
        return checker.problems
    checker.check(config, body, "")
    return checker.problems


_ACCESS = re.compile(r"\b([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)+)")
# A Bicep string literal ('...', \' escaping a quote) and the `${expression}` interpolations in it.
_STRING = re.compile(r"'(?:\\.|[^'\\])*'")
_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")


def _code_only(line: str) -> str:
    """The line without its comment and with each string literal reduced to its interpolations.

    So `loadTextContent('../x/workbook.json')` reads no property `json` of a resource `workbook`,
    while `'${identity.properties.clientId}'` still reads one.
    """
    if line.lstrip().startswith("//"):
        return ""
    line = _STRING.sub(lambda literal: " ".join(_INTERPOLATION.findall(literal.group(0))), line)
    return line.split("//", 1)[0]


def property_path_problem(entry: dict[str, Any], path: list[str]) -> str | None:
    """Why `resource.a.b.c` names nothing in the resource's type (read-only properties count), or None."""
    types = entry["types"]
    current = types[entry["body"]]
    walked: list[str] = []
    for name in path:
        if current["$type"] == "DiscriminatedObjectType":
            properties = dict(current.get("baseProperties", {}))
            for ref in current["elements"].values():
                properties.update(types[int(ref["$ref"][2:])].get("properties", {}))
        elif current["$type"] == "ObjectType":
            properties = current.get("properties", {})
            if name not in properties and "additionalProperties" in current:
                current = types[int(current["additionalProperties"]["$ref"][2:])]
                walked.append(name)
                continue
        elif current["$type"] == "AnyType":
            return None
        else:
            return f"{'.'.join(walked)} is a {current['$type']}, which has no property {name}"
        if name not in properties:
            return f"{'.'.join([*walked, name])} is not a property of {entry['name']}"
        current = types[int(properties[name]["type"]["$ref"][2:])]
        walked.append(name)
    return None


def check_accesses(types: dict[str, dict[str, Any]], where: str, text: str, resources: dict[str, Any]) -> list[str]:
    """Every `symbol.property.path` read from a resource declared in the same file names a real property."""
    problems = []
    code = "\n".join(_code_only(line) for line in text.splitlines())
    for symbol, path in _ACCESS.findall(code):
        declaration = resources.get(symbol)
        if declaration is None:
            continue
        entry = types.get(f"{declaration['type']}@{declaration['api_version']}".lower())
        if entry is None:
            continue
        problem = property_path_problem(entry, path.lstrip(".").split("."))
        if problem:
            problems.append(f"{where}: {symbol}{path}: {problem}")
    return problems
