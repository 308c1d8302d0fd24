"""The template creates the operations workbook from monitoring/workbook.json, under Application Insights.

test_resource_types.py checks the resource against Microsoft.Insights/workbooks' published type;
this file checks what the type cannot: that the content is the repository's workbook, read from a
path that resolves from the module's folder, that the workbook hangs off the component, and that
its name is a GUID derived from the component, so a second `azd up` updates it in place.
"""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import INFRA, ROOT

MODULE = "infra/modules/app.bicep"
# Bicep's loadTextContent refuses a file above 131,072 characters ("Bicep functions - files:
# loadTextContent", Microsoft Learn).
LOAD_TEXT_CONTENT_LIMIT = 131_072


def workbooks(trees: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, symbol, resource)
        for name, tree in trees.items()
        for symbol, resource in tree.get("resources", {}).items()
        if resource["type"] == "Microsoft.Insights/workbooks"
    ]


def component_id(symbol: str) -> dict[str, Any]:
    """The parsed form of `{symbol}.id`."""
    return {"operator": {"type": "property_accessor", "operands": {"operand_1": {"identifier": symbol}, "operand_2": {"identifier": "id"}}}}


def test_one_shared_workbook_under_the_application_insights_component(bicep_trees: dict[str, Any]) -> None:
    found = workbooks(bicep_trees)
    assert [(name, symbol) for name, symbol, _ in found] == [(MODULE, "workbook")]
    resource = found[0][2]
    components = [
        symbol for symbol, r in bicep_trees[MODULE]["resources"].items() if r["type"] == "Microsoft.Insights/components" and not r["existing"]
    ]
    assert components == ["applicationInsights"]
    config = resource["config"]
    assert (resource["api_version"], resource["existing"], resource["config"].get("condition")) == ("2023-06-01", False, None)
    assert config["kind"] == "shared"
    assert (config["location"], config["tags"]) == ({"identifier": "location"}, {"identifier": "tags"})
    properties = config["properties"]
    assert properties["category"] == "workbook"
    assert properties["displayName"] == "MCP server: auth, tools and clients"
    assert properties["sourceId"] == component_id("applicationInsights")
    # A workbook's name must be a GUID: guid() of the component's id, deterministic per deployment.
    assert config["name"] == {
        "function": {"type": "guid", "parameters": {"base_string": component_id("applicationInsights"), "extra_string_1": "mcp-operations-workbook"}}
    }


def test_its_content_is_the_repositorys_workbook_read_from_the_modules_folder(bicep_trees: dict[str, Any]) -> None:
    (_, _, resource), = workbooks(bicep_trees)
    properties = resource["config"]["properties"]
    load = properties["serializedData"]["function"]
    assert load["type"] == "load_text_content" and load["parameters"]["encoding"] is None  # utf-8, Bicep's default
    # Bicep resolves the path from the folder of the file that calls loadTextContent.
    path = (INFRA / "modules" / load["parameters"]["file_path"]).resolve()
    assert path == ROOT / "monitoring" / "workbook.json"
    text = path.read_text(encoding="utf-8")
    assert len(text) <= LOAD_TEXT_CONTENT_LIMIT
    # The schema version the resource declares is the one the content carries.
    assert properties["version"] == json.loads(text)["version"] == "Notebook/1.0"
