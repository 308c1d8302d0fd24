"""Evaluate the few Bicep expressions the app settings use, with given parameter values.

Enough to turn infra/modules/app-settings.bicep's `appsettings` object into the environment the app
would see, so the tests can hand it to Settings.from_env: literals, names of parameters and
variables, `${name}` interpolation, `a ? b : c`, `empty()`, `join()`, `tenant().tenantId` and
`environment().authentication.loginEndpoint`. Anything else raises, naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# environment() of the public cloud ("Bicep functions - deployment: environment", Microsoft Learn).
PUBLIC_CLOUD = {"name": "AzureCloud", "authentication": {"loginEndpoint": "https://login.microsoftonline.com/"}}
_INTERPOLATION = re.compile(r"\$\{(\w+)\}")


class CannotEvaluate(Exception):
    """An expression beyond this evaluator."""


@dataclass
class Scope:
    params: dict[str, Any]
    variables: dict[str, Any]  # as parsed, evaluated on use
    tenant_id: str

    def name(self, name: str) -> Any:
        if name in self.params:
            return self.params[name]
        if name in self.variables:
            return self.evaluate(self.variables[name]["value"])
        raise CannotEvaluate(f"unknown name {name}")

    def evaluate(self, node: Any) -> Any:
        if isinstance(node, str):
            if "${" not in node:
                return node
            rest = _INTERPOLATION.sub(lambda m: str(self.name(m.group(1))), node)
            if "${" in rest:
                raise CannotEvaluate(f"interpolation in {node!r}")
            return rest
        if isinstance(node, (bool, int)) or node is None:
            return node
        if isinstance(node, list):
            return [self.evaluate(item) for item in node]
        if not isinstance(node, dict) or len(node) != 1:
            raise CannotEvaluate(repr(node))
        (kind, body), = node.items()
        if kind == "identifier":
            return self.name(body)
        if kind == "function":
            return self.function(body)
        if kind == "operator":
            return self.operator(body)
        raise CannotEvaluate(kind)

    def function(self, body: dict[str, Any]) -> Any:
        kind, args = body["type"], body.get("parameters", {})
        if kind == "environment":
            return PUBLIC_CLOUD
        if kind == "tenant":
            return {"tenantId": self.tenant_id}
        if kind == "empty":
            return not self.evaluate(args["item_to_test"])
        if kind == "join":
            return self.evaluate(args["delimiter"]).join(self.evaluate(args["input_array"]))
        raise CannotEvaluate(f"function {kind}")

    def operator(self, body: dict[str, Any]) -> Any:
        kind, operands = body["type"], body["operands"]
        if kind == "conditional":
            branch = "true_value" if self.evaluate(operands["condition"]) else "false_value"
            return self.evaluate(operands[branch])
        if kind == "property_accessor":
            return self.access(self.evaluate(operands["operand_1"]), operands["operand_2"])
        raise CannotEvaluate(f"operator {kind}")

    def access(self, value: Any, accessor: Any) -> Any:
        """`value.a` or `value.a.b`: the accessor is a name, or a nested accessor of names."""
        if isinstance(accessor, dict) and "identifier" in accessor:
            return value[accessor["identifier"]]
        inner = accessor["operator"]["operands"]
        return self.access(self.access(value, inner["operand_1"]), inner["operand_2"])
