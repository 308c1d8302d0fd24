"""The one seam to the Azure CLI: run `az … --output json`, return its JSON.

The doctor never requires `az`: without it, or signed out, the registration checks are
skipped and said to be. Tests put a stand-in `az` executable first on PATH.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AzFailed", "AzRunner", "Registration", "az_runner", "read_registration"]

AzRunner = Callable[[Sequence[str]], Any]

#: Microsoft Graph's host per Azure CLI cloud (`az cloud list`; "National cloud deployments",
#: learn.microsoft.com/graph/deployments).
GRAPH_HOSTS = {
    "AzureCloud": "https://graph.microsoft.com",
    "AzureUSGovernment": "https://graph.microsoft.us",
    "AzureChinaCloud": "https://microsoftgraph.chinacloudapi.cn",
}


class AzFailed(Exception):
    """An `az` command failed; `reason` is the first line it printed on stderr."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def az_runner(timeout: float = 60.0) -> AzRunner | None:
    """A runner for the `az` found on PATH, or None when there is none."""
    executable = shutil.which("az")
    if executable is None:
        return None

    def run(args: Sequence[str]) -> Any:
        try:
            # No shell: a fixed argument list, and the executable is the user's own az from PATH.
            command = [executable, *args, "--output", "json"]
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AzFailed(f"az {args[0]}: {exc.__class__.__name__}") from exc
        if done.returncode != 0:
            first = next((line for line in done.stderr.splitlines() if line.strip()), f"exit {done.returncode}")
            raise AzFailed(first.strip()[:200])
        try:
            return json.loads(done.stdout) if done.stdout.strip() else None
        except json.JSONDecodeError as exc:
            raise AzFailed(f"az {' '.join(args[:3])}: output is not JSON") from exc

    return run


@dataclass
class Registration:
    """What Graph says about the deployment's app registrations and tenant; None where unread."""

    tenant_id: str
    cloud: str
    api: dict[str, Any] | None = None
    front: dict[str, Any] | None = None
    federated_credentials: list[dict[str, Any]] | None = None
    authorization_policy: dict[str, Any] | None = None
    #: `az` commands that failed, each with its reason.
    unread: list[str] = field(default_factory=list)


def read_registration(run: AzRunner, api_app: str | None, front_app: str | None) -> Registration | None:
    """The signed-in tenant's view, or None when `az` is not signed in."""
    try:
        account = run(["account", "show"])
    except AzFailed:
        return None
    if not isinstance(account, dict):
        return None
    found = Registration(tenant_id=str(account.get("tenantId", "")), cloud=str(account.get("environmentName", "AzureCloud")))

    def read(what: str, args: list[str]) -> Any:
        try:
            return run(args)
        except AzFailed as exc:
            found.unread.append(f"{what}: {exc.reason}")
            return None

    if api_app is not None:
        # `--id` takes an app id, an object id or an identifier URI (azure-cli's role module,
        # `_resolve_application`, filters on `identifierUris/any(...)`), so the scopes' App ID URI will do.
        api = read("API app registration", ["ad", "app", "show", "--id", api_app])
        found.api = api if isinstance(api, dict) else None
    if front_app is not None:
        front = read("front app registration", ["ad", "app", "show", "--id", front_app])
        found.front = front if isinstance(front, dict) else None
        credentials = read("federated credentials", ["ad", "app", "federated-credential", "list", "--id", front_app])
        found.federated_credentials = credentials if isinstance(credentials, list) else None
    graph = GRAPH_HOSTS.get(found.cloud, GRAPH_HOSTS["AzureCloud"])
    policy = read("authorization policy", ["rest", "--method", "get", "--url", f"{graph}/v1.0/policies/authorizationPolicy"])
    found.authorization_policy = policy if isinstance(policy, dict) else None
    return found
