"""Run the MCP server locally, with a local identity provider it already trusts.

    python devserver.py                  # IdP on 127.0.0.1:8001, server on http://localhost:8000/mcp
    python devserver.py --front          # the same, with the OAuth front on: any MCP client signs in
    python devserver.py --obo            # the on-behalf-of example tool too (the IdP then serves https)
    python devserver.py --telemetry      # and print each span and metric as production records it

With no OAUTH_* settings it starts the development identity provider (devidp)
and points the server at it. When OAUTH_ISSUER, OAUTH_AUDIENCE or
OAUTH_JWKS_URI is already set, no provider starts and the server trusts the
real issuer. Ctrl-C stops both. Development only: listed in .funcignore.
"""

from __future__ import annotations

import argparse
import copy
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from devidp import DevIdentityProvider, defaults
from devidp.listener import loopback_listener

_REAL_SETTINGS = ("OAUTH_ISSUER", "OAUTH_AUDIENCE", "OAUTH_JWKS_URI")


def dev_environment(idp: DevIdentityProvider) -> dict[str, str]:
    """The server settings that make it trust `idp` (what a deployment sets for Entra)."""
    return {
        "OAUTH_ISSUER": idp.issuer,
        "OAUTH_AUDIENCE": defaults.DEV_API_CLIENT_ID,
        "OAUTH_JWKS_URI": idp.jwks_uri,
        "OAUTH_APP_ID_URI": idp.app_id_uri,
        # Not an Entra issuer, so the server would advertise bare names; ask for Entra's full strings.
        "OAUTH_SCOPE_PREFIX": f"{idp.app_id_uri}/",
    }


def front_environment(idp: DevIdentityProvider) -> dict[str, str]:
    """The OAuth front's settings against `idp`, authenticating with the managed-identity stand-in.

    As on Azure: the front's app registration trusts the managed identity through a federated
    credential, and MSAL fetches the identity's token from IDENTITY_ENDPOINT with IDENTITY_HEADER.
    """
    from cryptography.fernet import Fernet

    return {
        "OAUTH_FRONT": "on",
        "OAUTH_FRONT_CLIENT_ID": defaults.DEV_FRONT_CLIENT_ID,
        "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID": defaults.DEV_MANAGED_IDENTITY_CLIENT_ID,
        "OAUTH_FRONT_SEALING_KEYS": Fernet.generate_key().decode(),
        "OAUTH_FRONT_AUTHORIZATION_ENDPOINT": idp.authorization_endpoint,
        "OAUTH_FRONT_TOKEN_ENDPOINT": idp.token_endpoint,
        # Client metadata documents may be served from this machine while developing.
        "OAUTH_FRONT_DEV_MODE": "on",
        "IDENTITY_ENDPOINT": idp.identity_endpoint,
        "IDENTITY_HEADER": idp.identity_header,
        # The MCP Inspector's page, so it may also connect straight from the browser (no proxy).
        "MCP_ALLOWED_ORIGINS": "http://localhost:6274,http://127.0.0.1:6274",
    }


def obo_environment(idp: DevIdentityProvider) -> dict[str, str]:
    """The on-behalf-of example against `idp`: its Graph-like /me, the managed-identity stand-in, no secret.

    As on Azure: the API's registration trusts the managed identity through a federated credential,
    and MSAL fetches the identity's token from IDENTITY_ENDPOINT with IDENTITY_HEADER. MSAL accepts
    only https authorities, so `idp` must serve https (`tls=True`); REQUESTS_CA_BUNDLE trusts its
    throwaway certificate for this process's requests (MSAL, the JWKS fetch, the call to /me).
    """
    from cryptography.fernet import Fernet

    if idp.ca_path is None:
        raise ValueError("the on-behalf-of example needs the identity provider on https (tls=True): MSAL accepts no other")
    return {
        "OBO_EXAMPLE": "on",
        "OBO_MANAGED_IDENTITY_CLIENT_ID": defaults.DEV_MANAGED_IDENTITY_CLIENT_ID,
        "OBO_API_URL": idp.me_url,
        "OBO_REDIRECT_URI": idp.done_url,
        "OBO_STATE_KEYS": Fernet.generate_key().decode(),
        "IDENTITY_ENDPOINT": idp.identity_endpoint,
        "IDENTITY_HEADER": idp.identity_header,
        "REQUESTS_CA_BUNDLE": str(idp.ca_path),
    }


def front_instructions(mcp_url: str) -> str:
    """How to connect an MCP client that signs in by itself."""
    origin = mcp_url.rsplit("/mcp", 1)[0]
    return "\n".join(
        [
            f"OAuth front:  {origin}  (authorization server metadata: {origin}/.well-known/oauth-authorization-server)",
            f"MCP server:  {mcp_url}  (streamable HTTP; clients sign in through the front)",
            "",
            "Connect any MCP client to the URL above; it discovers the front, registers itself, and",
            "opens a consent page, then the dev identity provider's (pick a user, Approve):",
            f"  npx @modelcontextprotocol/inspector     # Transport: Streamable HTTP, URL {mcp_url}",
            f'  VS Code: "servers": {{"calc": {{"type": "http", "url": "{mcp_url}"}}}} in .vscode/mcp.json',
            "",
            "Ctrl-C stops everything.",
        ]
    )


def obo_instructions(idp: DevIdentityProvider) -> str:
    """The example tool, and how the client's terminal trusts the provider's https certificate."""
    return "\n".join(
        [
            "",
            "On-behalf-of example: get_my_profile reads the user's profile from the provider's /v1.0/me.",
            f"  export REQUESTS_CA_BUNDLE={idp.ca_path}   # the client CLI trusts the provider's https certificate",
            "  python -m client call get_my_profile",
        ]
    )


def instructions(mcp_url: str, idp: DevIdentityProvider | None) -> str:
    """What to type next. Mentions no secret and no token."""
    lines = [f"MCP server:  {mcp_url}  (streamable HTTP, POST, bearer token required)"]
    exports: list[str] = []
    if mcp_url != "http://localhost:8000/mcp":
        exports.append(f"export MCP_URL={mcp_url}")
    if idp is not None:
        lines.insert(0, f"Dev identity provider: {idp.issuer}  (metadata: {idp.metadata_url})")
        if idp.port != defaults.DEV_PORT:
            exports.append(f"export MCP_CLIENT_ISSUER={idp.issuer}")
    else:
        lines.insert(0, f"Trusting the configured issuer: {os.environ.get('OAUTH_ISSUER')}")
        exports.append("export MCP_CLIENT_ISSUER=... MCP_CLIENT_ID=... MCP_CLIENT_SCOPES='... offline_access'")
    lines += ["", "In another terminal:"] + [f"  {e}" for e in exports]
    lines += [
        "  python -m client login              # consent page in the browser: pick a user, Approve",
        "  python -m client tools",
        "  python -m client call add 2 3",
        "  python -m client call subtract 5 1",
        "  python -m client me",
        "  python -m client --app call add 2 3  # as an application: client credentials, app roles",
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def log_config() -> dict[str, Any]:
    """uvicorn's own logging, plus the app's lines a developer debugging a sign-in needs to see.

    uvicorn configures only its own loggers, and Python's last-resort handler shows WARNING and
    above, so the front's refusal lines and the edge's auth-failure lines (INFO, one per refusal,
    with a reason code and never a token) would go nowhere. On Azure the Functions host collects INFO.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    # The format of the app's lines under uvicorn elsewhere (tests/support.py), which the log audit reads.
    config["formatters"]["app"] = {"format": "%(levelname)s %(name)s %(message)s"}
    config["handlers"]["app"] = {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stderr"}
    for name in ("edge", "front", "auth"):
        config["loggers"][name] = {"handlers": ["app"], "level": "INFO", "propagate": False}
    return config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="MCP server port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--idp-port", type=int, default=defaults.DEV_PORT, help="identity provider port (0: any)")
    parser.add_argument("--front", action="store_true", help="turn the OAuth front on (docs/direct-clients.md)")
    parser.add_argument(
        "--obo", action="store_true", help="turn the on-behalf-of example tool get_my_profile on (docs/downstream.md)"
    )
    parser.add_argument(
        "--telemetry", action="store_true", help="print spans and metrics on the console (docs/operations.md)"
    )
    args = parser.parse_args(argv)

    idp: DevIdentityProvider | None = None
    sock: socket.socket | None = None
    try:
        if not any(os.environ.get(name) for name in _REAL_SETTINGS):
            idp = DevIdentityProvider(port=args.idp_port, tls=args.obo).start()
            os.environ.update(dev_environment(idp))
            if args.front:
                os.environ.update(front_environment(idp))
            if args.obo:
                os.environ.update(obo_environment(idp))
        else:
            # The OAUTH_FRONT_* and OBO_* settings are then yours to give.
            if args.front:
                os.environ["OAUTH_FRONT"] = "on"
            if args.obo:
                os.environ["OBO_EXAMPLE"] = "on"
        if args.telemetry:
            # What production records, printed here instead of exported (telemetry/console.py).
            os.environ["MCP_TELEMETRY_CONSOLE"] = "on"
            print("Telemetry: each span and metric is printed below as it is recorded (metrics every 10 s).", flush=True)
        # Bind before printing, so port 0 can be reported; loopback only.
        sock = loopback_listener("127.0.0.1", args.port)
        port = sock.getsockname()[1]
        mcp_url = f"http://localhost:{port}/mcp"
        if args.front and idp is not None:
            print(f"Dev identity provider: {idp.issuer}  (metadata: {idp.metadata_url})", flush=True)
            print(front_instructions(mcp_url), flush=True)
        else:
            print(instructions(mcp_url, idp), flush=True)
        if args.obo and idp is not None:
            print(obo_instructions(idp), flush=True)
        # uvicorn imports function_app now, after the environment is set; it handles Ctrl-C.
        # With the front on, request lines would carry codes and sealed states in their query strings.
        config = uvicorn.Config(
            "function_app:asgi_app", fd=sock.fileno(), log_level="info", access_log=not args.front, log_config=log_config()
        )
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it shut down on; stopping is what was asked for
    except OSError as exc:
        print(f"devserver: {exc} (ports: --port {args.port}, --idp-port {args.idp_port})", file=sys.stderr)
        return 1
    finally:
        if sock is not None:
            sock.close()
        if idp is not None:
            idp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
