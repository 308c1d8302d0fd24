"""Refresh what tests/infra vendors from Microsoft's public repositories, and only that.

    python tests/infra/refresh_types.py BICEP_TYPES_AZ MSGRAPH_BICEP_TYPES [AZURE_DEV]

The arguments are local checkouts of Azure/bicep-types-az (ARM), microsoftgraph/msgraph-bicep-types
(Microsoft Graph) and, optionally, Azure/azure-dev. For every `Type@apiVersion` that infra/
declares, the script finds the generated `types.json` that defines it, copies the resource's
body type and every type reachable from it (descriptions dropped), and writes them to
types/arm.json and types/graph.json; the Graph types are those of the extension version that
infra/bicepconfig.json names. With AZURE_DEV it also copies azd's azure.yaml schema
(schemas/v1.0/azure.yaml.json) to schemas/azure.yaml.json. Nothing else is kept. A sparse
checkout of the named paths is enough.

Run it after changing an API version in infra/; tests/infra/test_resource_types.py then checks
every resource against the slice, and fails on a resource whose type the slice does not hold.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "types"
# `resource name 'Type@version' = ...` and `resource name 'Type@version' existing = ...`; nested
# child resources (`resource x 'child@v'`) are written out in full in infra/, so one pattern suffices.
_RESOURCE = re.compile(r"^\s*resource\s+\w+\s+'(?P<type>[^'@]+)@(?P<version>[^']+)'", re.MULTILINE)


def declared_types() -> set[tuple[str, str]]:
    """Every (type, API version) that a .bicep file under infra/ declares."""
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "infra").rglob("*.bicep")):
        for match in _RESOURCE.finditer(path.read_text(encoding="utf-8")):
            found.add((match.group("type"), match.group("version")))
    return found


def graph_extension_version() -> str:
    """The Graph extension's version that infra/bicepconfig.json names (`...microsoftgraph/v1.0:1.0.0`)."""
    config = json.loads((ROOT / "infra" / "bicepconfig.json").read_text(encoding="utf-8"))
    reference = config["extensions"]["microsoftGraphV1"]
    return str(reference.rsplit(":", 1)[1])


def _types_file(checkout: Path, resource_type: str, version: str, graph: bool) -> Path:
    """The generated types.json of a namespace at an API version (ARM) or of a Graph API version."""
    if graph:
        # generated/microsoftgraph/microsoft.graph/{v1.0|beta}/{extension version}/types.json
        return checkout / "generated" / "microsoftgraph" / "microsoft.graph" / version / graph_extension_version() / "types.json"
    namespace = resource_type.split("/")[0].lower()
    candidates = sorted((checkout / "generated").glob(f"*/{namespace}/{version}/types.json"))
    for candidate in candidates:
        if f'"{resource_type}@{version}"'.lower() in candidate.read_text(encoding="utf-8").lower():
            return candidate
    raise SystemExit(f"no types.json in {checkout} defines {resource_type}@{version}")


def _slice(types: list[dict[str, Any]], resource_name: str) -> dict[str, Any]:
    """The resource's body type and everything it references, re-indexed from 0, descriptions dropped."""
    root = next(
        i for i, t in enumerate(types) if t.get("$type") == "ResourceType" and t["name"].lower() == resource_name.lower()
    )
    order: dict[int, int] = {}
    pending = [int(types[root]["body"]["$ref"][2:])]

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                pending.append(int(ref[2:]))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    while pending:
        index = pending.pop()
        if index in order:
            continue
        order[index] = len(order)
        visit(types[index])

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "description" and isinstance(value, str):
                    continue  # documentation only; a property named `description` maps to an object
                if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                    out[key] = f"#/{order[int(value[2:])]}"
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(value) for value in node]
        return node

    sliced = [None] * len(order)
    for old, new in order.items():
        sliced[new] = rewrite(types[old])
    return {"name": types[root]["name"], "body": 0, "types": sliced}


def _commit(checkout: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    arm_checkout, graph_checkout = Path(argv[1]), Path(argv[2])
    slices: dict[str, dict[str, Any]] = {"arm": {}, "graph": {}}
    for resource_type, version in sorted(declared_types()):
        graph = resource_type.lower().startswith("microsoft.graph/")
        path = _types_file(graph_checkout if graph else arm_checkout, resource_type, version, graph)
        types = json.loads(path.read_text(encoding="utf-8"))
        kind = "graph" if graph else "arm"
        entry = _slice(types, f"{resource_type}@{version}")
        entry["source"] = str(path.relative_to(graph_checkout if graph else arm_checkout))
        slices[kind][f"{resource_type}@{version}".lower()] = entry
    sources = {"arm": ("Azure/bicep-types-az", arm_checkout), "graph": ("microsoftgraph/msgraph-bicep-types", graph_checkout)}
    OUT.mkdir(exist_ok=True)
    for kind, resources in slices.items():
        repo, checkout = sources[kind]
        document = {"repository": repo, "commit": _commit(checkout), "resources": resources}
        (OUT / f"{kind}.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{kind}: {len(resources)} resource types from {repo}@{document['commit'][:12]}")
    if len(argv) == 4:
        schema = Path(argv[3]) / "schemas" / "v1.0" / "azure.yaml.json"
        (OUT.parent / "schemas").mkdir(exist_ok=True)
        (OUT.parent / "schemas" / "azure.yaml.json").write_bytes(schema.read_bytes())
        (OUT.parent / "schemas" / "SOURCE").write_text(
            f"azure.yaml.json: Azure/azure-dev {_commit(Path(argv[3]))} schemas/v1.0/azure.yaml.json\n", encoding="utf-8"
        )
        print(f"schema: azure.yaml.json from Azure/azure-dev@{_commit(Path(argv[3]))[:12]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
