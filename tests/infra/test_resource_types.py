"""Every resource in infra/ against Microsoft's published type definitions (tests/infra/types/).

An unknown property, a read-only one, a missing required one, a literal of the wrong type or
outside its enum fails; so does a `Type@apiVersion` the vendored slice does not hold, and a
module call with an unknown or missing parameter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import INFRA, ROOT, parse_bicep
from tests.infra.typecheck import check_accesses, check_resource, load_types

TYPES = load_types()


def declarations(trees: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{name}:{symbol}", resource) for name, tree in trees.items() for symbol, resource in tree.get("resources", {}).items()]


def test_every_resource_matches_its_published_type(bicep_trees: dict[str, Any]) -> None:
    found = declarations(bicep_trees)
    assert len(found) == 32
    problems = [problem for where, resource in found for problem in check_resource(TYPES, where, resource)]
    assert problems == []


def test_the_slice_holds_exactly_the_declared_types(bicep_trees: dict[str, Any]) -> None:
    declared = {f"{r['type']}@{r['api_version']}".lower() for _, r in declarations(bicep_trees)}
    assert declared == set(TYPES)


def test_the_slice_names_its_source() -> None:
    for name, repository in (("arm.json", "Azure/bicep-types-az"), ("graph.json", "microsoftgraph/msgraph-bicep-types")):
        document = json.loads((Path(__file__).parent / "types" / name).read_text(encoding="utf-8"))
        assert document["repository"] == repository
        assert re.fullmatch(r"[0-9a-f]{40}", document["commit"])


MISTAKES = [
        ("app.bicep", "    httpsOnly: true\n", "    httpsOnyl: true\n", "unknown property properties.httpsOnyl"),
        ("app.bicep", "    publicAccess: 'None'\n", "    publicAccess: 'Nobody'\n", "properties.publicAccess 'Nobody' matches none of ['Container', 'Blob', 'None']"),
        ("app.bicep", "      http20Enabled: true\n", "      http20Enabled: 'yes'\n", "properties.siteConfig.http20Enabled must be true or false, not 'yes'"),
        ("app.bicep", "    allowSharedKeyAccess: false\n", "    allowSharedKeyAccess: 'false'\n", "properties.allowSharedKeyAccess must be true or false, not 'false'"),
        ("app.bicep", "      family: 'A'\n", "", "required property properties.sku.family is missing"),
        ("app.bicep", "    retentionInDays: 30\n", "    retentionInDays: 30\n    customerId: 'x'\n", "properties.customerId is read-only"),
        ("app.bicep", "    platform: {\n      enabled: false", "    platfrom: {\n      enabled: false", "unknown property properties.platfrom"),
        ("entra-api.bicep", "    requestedAccessTokenVersion: 2\n", "    requestedAccessTokenVersion: '2'\n", "api.requestedAccessTokenVersion must be an integer, not '2'"),
        ("entra-api.bicep", "      type: 'User'\n", "      kind: 'User'\n", "unknown property api.oauth2PermissionScopes[].kind"),
        ("entra-clients.bicep", "  subject: identityPrincipalId\n", "", "required property subject is missing"),
        ("entra-clients.bicep", "  uniqueName: 'mcp-oauth-front-${resourceToken}'\n", "  uniqueName: 'mcp-oauth-front-${resourceToken}'\n  appId: 'x'\n", "appId is read-only"),
    ]


@pytest.fixture(scope="module")
def mistake_problems(bicep_python: Path, tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    """Each mistake applied to a copy of its module; all copies parsed in one run; each one's problems."""
    folder = tmp_path_factory.mktemp("mistakes")
    copies = []
    for index, (module, old, new, _) in enumerate(MISTAKES):
        text = (INFRA / "modules" / module).read_text(encoding="utf-8")
        assert old in text, (module, old)
        copy = folder / f"{index}-{module}"
        copy.write_text(text.replace(old, new, 1), encoding="utf-8")
        copies.append(copy)
    trees = parse_bicep(bicep_python, copies)
    return [
        [problem.split(":", 2)[-1].strip() for where, r in declarations({name: tree}) for problem in check_resource(TYPES, where, r)]
        for name, tree in trees.items()
    ]


@pytest.mark.parametrize("index", range(len(MISTAKES)), ids=lambda i: MISTAKES[i][3][:60])
def test_the_check_catches_a_mistake(mistake_problems: list[list[str]], index: int) -> None:
    problems = mistake_problems[index]
    assert len(problems) == 1, problems
    assert problems[0].startswith(MISTAKES[index][3]), problems


def _module_params(tree: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(every parameter, those without a default) of a parsed module."""
    params = tree.get("parameters", {})
    return set(params), {name for name, p in params.items() if p.get("default") is None}


def test_every_module_call_passes_exactly_its_parameters(bicep_trees: dict[str, Any]) -> None:
    problems = []
    for name, tree in bicep_trees.items():
        for symbol, module in tree.get("modules", {}).items():
            target = str(((ROOT / name).parent / module["detail"]["path"]).resolve().relative_to(ROOT))
            declared, required = _module_params(bicep_trees[target])
            given = set(module["config"].get("params", {}))
            problems += [f"{name}:{symbol} passes unknown parameter {p}" for p in sorted(given - declared)]
            problems += [f"{name}:{symbol} misses required parameter {p}" for p in sorted(required - given)]
    assert problems == []


def test_every_module_output_read_is_declared(bicep_trees: dict[str, Any]) -> None:
    problems = []
    for name, tree in bicep_trees.items():
        modules = tree.get("modules", {})
        text = (ROOT / name).read_text(encoding="utf-8")
        for symbol, output in set(re.findall(r"\b(\w+)\.outputs\.(\w+)", text)):
            assert symbol in modules, f"{name}: {symbol} is not a module"
            target = str(((ROOT / name).parent / modules[symbol]["detail"]["path"]).resolve().relative_to(ROOT))
            if output not in bicep_trees[target].get("outputs", {}):
                problems.append(f"{name}: {symbol}.outputs.{output} is not an output of {target}")
    assert problems == []


def test_every_property_read_from_a_resource_exists(bicep_trees: dict[str, Any]) -> None:
    problems = []
    reads = 0
    for name, tree in bicep_trees.items():
        text = (ROOT / name).read_text(encoding="utf-8")
        problems += check_accesses(TYPES, name, text, tree.get("resources", {}))
        reads += sum(1 for symbol, _ in re.findall(r"\b(\w+)((?:\.\w+)+)", text) if symbol in tree.get("resources", {}))
    assert problems == []
    assert reads >= 30


def test_a_misspelt_property_read_is_caught() -> None:
    resources = {"identity": {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "api_version": "2024-11-30"},
                 "front": {"type": "Microsoft.Graph/applications", "api_version": "v1.0"}}
    text = "x: identity.properties.principalID\ny: identity.properties.clientId.value\nz: front.appId\nw: front.applicationId\n"
    assert check_accesses(TYPES, "f", text, resources) == [
        "f: identity.properties.principalID: properties.principalID is not a property of Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30",
        "f: identity.properties.clientId.value: properties.clientId is a StringType, which has no property value",
        "f: front.applicationId: applicationId is not a property of Microsoft.Graph/applications@v1.0",
    ]


def test_a_string_literal_is_not_read_as_a_property_access() -> None:
    """A file path or URL in quotes names no property; an interpolation inside quotes does."""
    resources = {"identity": {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "api_version": "2024-11-30"}}
    text = (
        "a: loadTextContent('../../monitoring/identity.json')\n"
        "b: 'https://identity.example.com/x' // identity.nothing\n"
        "c: 'ClientId=${identity.properties.clientID};Authorization=AAD'\n"
        "d: 'it\\'s identity.json'\n"
    )
    assert check_accesses(TYPES, "f", text, resources) == [
        "f: identity.properties.clientID: properties.clientID is not a property of Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30",
    ]
