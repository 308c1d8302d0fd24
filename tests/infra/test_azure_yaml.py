"""azure.yaml validates against azd's published JSON schema, and its parts agree with infra/.

The schema is Azure/azure-dev's schemas/v1.0/azure.yaml.json, vendored in tests/infra/schemas/
(refresh_types.py refreshes it). The YAML is read by the tools venv's PyYAML (the app's venv has
none) and validated here with jsonschema, the validator the MCP SDK already brings.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.exceptions

from tests.infra.conftest import HERE, INFRA, ROOT

SCHEMA = json.loads((HERE / "schemas" / "azure.yaml.json").read_text(encoding="utf-8"))


def load_yaml(tools_python: Path, path: Path) -> Any:
    script = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout)"
    done = subprocess.run([str(tools_python), "-c", script, str(path)], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def azure_yaml(tools_python: Path) -> Any:
    return load_yaml(tools_python, ROOT / "azure.yaml")


def _offline(uri: str) -> referencing.Resource[Any]:
    """The schema $refs the azd extensions' schemas (azure.ai.* hosts) by URL; nothing is fetched.

    Those apply only to services whose host is an azure.ai.* one; should this file ever need one,
    validation fails here, naming it, instead of reaching the network."""
    raise referencing.exceptions.NoSuchResource(ref=uri)


def validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(SCHEMA)
    assert cls is jsonschema.Draft201909Validator  # the schema's own $schema
    cls.check_schema(SCHEMA)
    return cls(SCHEMA, registry=referencing.Registry(retrieve=_offline))


def test_azure_yaml_matches_azds_schema(azure_yaml: Any) -> None:
    assert [error.message for error in validator().iter_errors(azure_yaml)] == []


def test_a_wrong_azure_yaml_fails_the_schema(azure_yaml: Any) -> None:
    wrong = json.loads(json.dumps(azure_yaml))
    wrong["hooks"]["postdeploy"]["posix"]["shel"] = "sh"
    wrong["services"]["api"]["remoteBuild"] = "yes"
    messages = sorted(error.message for error in validator().iter_errors(wrong))
    assert messages[0] == "'yes' is not of type 'boolean'"
    assert messages[1].endswith("'shel': 'sh'}} is not valid under any of the given schemas")
    assert len(messages) == 2


def test_the_template_deploys_this_folder_to_a_function_app(azure_yaml: Any) -> None:
    api = azure_yaml["services"]["api"]
    assert (api["project"], api["language"], api["host"], api["remoteBuild"]) == (".", "python", "function", True)
    # azd zips `dist`: the folder the prepackage hook stages with the app's bytecode.
    assert api["dist"] == ".deploy/app"
    assert api["hooks"]["prepackage"]["posix"]["run"] == "infra/hooks/prepackage.sh"
    staging = (INFRA / "hooks" / "prepackage.sh").read_text(encoding="utf-8")
    assert 'rm -rf .deploy/app\n"$python" -m deploy stage .deploy/app\n' in staging
    assert ".deploy/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert azure_yaml["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    # azd finds the app by its azd-service-name tag, which must name this service.
    assert "'azd-service-name': 'api'" in (INFRA / "modules" / "app.bicep").read_text(encoding="utf-8")


def test_every_hook_script_exists(azure_yaml: Any) -> None:
    runs = [hook["posix"]["run"] for hook in azure_yaml["hooks"].values()]
    assert runs == ["infra/hooks/postprovision.sh", "infra/hooks/postdeploy.sh"]
    for run in runs:
        assert (ROOT / run).is_file()


def test_the_postdeploy_hook_runs_the_doctor() -> None:
    text = (INFRA / "hooks" / "postdeploy.sh").read_text(encoding="utf-8")
    assert re.search(r'^exec "\$python" -m doctor "\$MCP_URL"$', text, re.MULTILINE)


def test_the_parameters_file_matches_main_bicep(bicep_trees: dict[str, Any]) -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    declared = bicep_trees["infra/main.bicep"]["parameters"]
    assert set(parameters) <= set(declared), "main.parameters.json passes a parameter main.bicep does not declare"
    without_default = {name for name, p in declared.items() if p.get("default") is None}
    assert without_default <= set(parameters), "a required parameter of main.bicep has no value in main.parameters.json"


def test_the_template_refuses_regions_without_flex_python(bicep_trees: dict[str, Any]) -> None:
    location = bicep_trees["infra/main.bicep"]["parameters"]["location"]
    allowed = next(d["argument"] for d in location["decorators"] if d["type"] == "allowed")
    assert len(allowed) == 31 and len(set(allowed)) == 31
    assert "westeurope" in allowed and "eastus2euap" not in allowed
    assert all(re.fullmatch(r"[a-z0-9]+", region) for region in allowed)


def test_the_deployment_package_leaves_the_template_and_its_tools_out() -> None:
    """azd packages a function app by .funcignore, as Core Tools does."""
    ignored = set((ROOT / ".funcignore").read_text(encoding="utf-8").split())
    assert {"infra", "azure.yaml", ".azure", ".venv-*", "requirements-infra.txt", "requirements-bicep.txt", "tests"} <= ignored
