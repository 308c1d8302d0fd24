"""The servers the doctor examines, all on loopback, and a stand-in `az` on PATH.

- The real MCP server, assembled as devserver.py assembles it: its `dev_environment`
  (and `front_environment` for `--front`) against a running dev identity provider,
  through the factory function_app.py uses, served by uvicorn over real HTTP.
- Broken setups: a small Starlette app serving a healthy setup's documents with one
  misconfiguration in them (`stand_in`).
- `az`: an executable script first on PATH that prints recorded, Graph-shaped JSON per
  command line, as the real CLI does; the doctor's own code runs unchanged.
"""

from __future__ import annotations

import io
import json
import socket
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devidp import DevIdentityProvider, defaults
from devserver import dev_environment, front_environment
from doctor import main
from tests.support import serve_on

TENANT = defaults.DEV_TENANT_ID
API = defaults.DEV_API_CLIENT_ID
API_URI = f"api://{API}"
FRONT_APP = defaults.DEV_FRONT_CLIENT_ID
MANAGED_IDENTITY = defaults.DEV_MANAGED_IDENTITY_OBJECT_ID
SCOPES = [f"{API_URI}/calculator.add", f"{API_URI}/calculator.subtract"]


@dataclass(frozen=True)
class Run:
    code: int
    lines: list[str]


def doctor(*args: str) -> Run:
    """`python -m doctor …` run in this process; its output as lines."""
    out = io.StringIO()
    code = main(list(args), out=out)
    return Run(code, out.getvalue().splitlines())


@pytest.fixture(autouse=True)
def no_deployment_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No app-setting fallbacks from the suite's environment, and no `az` unless a test installs one."""
    for name in ("OAUTH_AUDIENCE", "OAUTH_FRONT_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# -- the real server ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def idp() -> Iterator[DevIdentityProvider]:
    provider = DevIdentityProvider(port=0).start()
    yield provider
    provider.stop()


def _bound() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])


@contextmanager
def real_server(environment: Callable[[int], Mapping[str, str]]) -> Iterator[str]:
    """function_app.py's assembly from `environment(port)`, on 127.0.0.1:port; yields the MCP URL."""
    from auth import Settings
    from app_factory import build_app
    from front.settings import FrontSettings

    sock, port = _bound()
    env = dict(environment(port))
    settings = Settings.from_env(env)
    with serve_on(build_app(settings, None, FrontSettings.from_env(env, settings)), sock):
        yield f"http://127.0.0.1:{port}/mcp"


@pytest.fixture(scope="session")
def devserver(idp: DevIdentityProvider) -> Iterator[str]:
    """`python devserver.py`: the server trusting the dev identity provider."""
    with real_server(lambda port: dev_environment(idp)) as url:
        yield url


@pytest.fixture(scope="session")
def devserver_front(idp: DevIdentityProvider) -> Iterator[str]:
    """`python devserver.py --front`."""
    with real_server(lambda port: {**dev_environment(idp), **front_environment(idp)}) as url:
        yield url


# -- broken setups -----------------------------------------------------------------------------

Handler = Callable[[Request], Response]


def healthy_documents(origin: str) -> dict[str, Any]:
    """What a healthy single-tenant deployment serves, at `origin`, as its own issuer's stand-in."""
    issuer = f"{origin}/{TENANT}/v2.0"
    metadata_url = f"{origin}/.well-known/oauth-protected-resource/mcp"
    return {
        "prm": {
            "resource": f"{origin}/mcp",
            "authorization_servers": [issuer],
            "scopes_supported": list(SCOPES),
            "bearer_methods_supported": ["header"],
        },
        "metadata": {
            "issuer": issuer,
            "authorization_endpoint": f"{origin}/{TENANT}/oauth2/v2.0/authorize",
            "token_endpoint": f"{origin}/{TENANT}/oauth2/v2.0/token",
            "jwks_uri": f"{origin}/{TENANT}/discovery/v2.0/keys",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
        },
        "challenge": (
            401,
            {"WWW-Authenticate": f'Bearer resource_metadata="{metadata_url}", scope="{" ".join([*SCOPES, "offline_access"])}"'},
        ),
    }


@contextmanager
def stand_in(broken: Callable[[dict[str, Any], str], None] = lambda documents, origin: None) -> Iterator[str]:
    """A loopback deployment serving `healthy_documents`, after `broken(documents, origin)` edits them."""
    sock, port = _bound()
    origin = f"http://127.0.0.1:{port}"
    documents = healthy_documents(origin)
    broken(documents, origin)

    def document(name: str) -> Handler:
        def serve(request: Request) -> Response:
            body = documents[name]
            if isinstance(body, bytes):
                return Response(body, media_type="application/json")
            return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})

        return serve

    def mcp(request: Request) -> Response:
        if request.method == "OPTIONS":
            return JSONResponse({"error": "origin_not_allowed"}, status_code=403)
        status, headers = documents["challenge"]
        return JSONResponse({"error": "unauthorized"}, status_code=status, headers=headers)

    routes = [
        Route("/mcp", mcp, methods=["POST", "OPTIONS"]),
        Route("/.well-known/oauth-protected-resource/mcp", document("prm")),
        Route(f"/.well-known/oauth-authorization-server/{TENANT}/v2.0", document("metadata")),
    ]
    with serve_on(Starlette(routes=routes), sock):
        yield f"{origin}/mcp"


# -- az ----------------------------------------------------------------------------------------


def graph_records(
    resource: str,
    *,
    identifier_uris: list[str] | None = None,
    token_version: int | None = 2,
    consent: list[str] | None = None,
    redirect_origin: str | None = None,
    federated: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What `az` prints for a deployment whose MCP URL is `resource`: healthy unless told otherwise."""
    permissions = ["calculator.add", "calculator.subtract"]
    api = {
        "id": "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
        "appId": API,
        "displayName": "mcp-calculator-api",
        "identifierUris": identifier_uris if identifier_uris is not None else [API_URI, resource],
        "api": {
            "requestedAccessTokenVersion": token_version,
            "oauth2PermissionScopes": [
                {"id": f"0000000{i}-0000-4000-8000-000000000000", "value": p, "type": "User", "isEnabled": True}
                for i, p in enumerate(permissions)
            ],
        },
        "appRoles": [
            {"id": f"1000000{i}-0000-4000-8000-000000000000", "value": p, "allowedMemberTypes": ["Application"], "isEnabled": True}
            for i, p in enumerate(permissions)
        ],
        "web": {"redirectUris": []},
    }
    origin = resource.rsplit("/mcp", 1)[0]
    front = {
        "id": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee",
        "appId": FRONT_APP,
        "displayName": "mcp-calculator-front",
        "identifierUris": [],
        "web": {"redirectUris": [f"{redirect_origin or origin}/oauth/callback"]},
    }
    credentials = federated if federated is not None else [
        {
            "name": "function-app-identity",
            "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            "subject": MANAGED_IDENTITY,
            "audiences": ["api://AzureADTokenExchange"],
        }
    ]
    policy = {
        "id": "authorizationPolicy",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": True,
            "permissionGrantPoliciesAssigned": consent
            if consent is not None
            else ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"],
        },
    }
    return {
        "account show": {"environmentName": "AzureCloud", "tenantId": TENANT, "user": {"name": "admin@contoso.test", "type": "user"}},
        f"ad app show --id {API_URI}": api,
        f"ad app show --id {API}": api,
        f"ad app show --id {FRONT_APP}": front,
        f"ad app federated-credential list --id {FRONT_APP}": credentials,
        "rest --method get --url https://graph.microsoft.com/v1.0/policies/authorizationPolicy": policy,
    }


_FAKE_AZ = """#!{python}
import json, sys
with open({records!r}) as f:
    records = json.load(f)
args = sys.argv[1:]
if args[-2:] == ["--output", "json"]:
    args = args[:-2]
key = " ".join(args)
if key not in records:
    print("ERROR: (Request_ResourceNotFound) no recording for: az " + key, file=sys.stderr)
    sys.exit(1)
record = records[key]
if isinstance(record, dict) and "stderr" in record and len(record) == 1:
    print(record["stderr"], file=sys.stderr)
    sys.exit(1)
print(json.dumps(record, indent=2))
"""


@pytest.fixture
def fake_az(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Install an `az` on PATH (the autouse fixture's bin folder) that prints `records`."""

    def install(records: dict[str, Any]) -> Path:
        path = tmp_path / "az-records.json"
        path.write_text(json.dumps(records))
        az = tmp_path / "bin" / "az"
        az.write_text(_FAKE_AZ.format(python=sys.executable, records=str(path)))
        az.chmod(az.stat().st_mode | stat.S_IXUSR)
        return az

    return install
