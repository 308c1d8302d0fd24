"""`python -m client`: get tokens and call the calculator MCP server, against the dev provider, Entra or Okta.

Settings come from flags or the environment (see `client.settings.ENV`);
with none, the local development provider's defaults apply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .cache import TokenCache
from .credentials import app_token, cache_key, user_token
from .discovery import Endpoints, discover, from_protected_resource
from .errors import ClientError
from .login import browser_opener, login
from .settings import ENV, ClientSettings, SettingsError, environ
from .tokens import TokenSet, msal_client_credentials, unverified_claims

if TYPE_CHECKING:
    from mcp_types import CallToolResult

__all__ = ["main"]

_FLAGS = {
    "mcp_url": "MCP endpoint URL (default http://localhost:8000/mcp)",
    "issuer": "issuer / authority URL; its metadata gives the endpoints",
    "metadata_url": "explicit authorization server metadata URL",
    "token_endpoint": "explicit token endpoint (skips discovery)",
    "authorization_endpoint": "explicit authorization endpoint",
    "authority": "MSAL authority (default: the issuer without /v2.0)",
    "client_id": "OAuth client id",
    "client_secret": "client secret (prefer the environment variable)",
    "scopes": "space-separated scopes for login, full strings plus offline_access",
    "app_scopes": "scopes for client credentials (default {resource}/.default)",
    "redirect_uri": "loopback redirect URI for login (default http://localhost:<free port>)",
    "cache": "token cache file",
}


def _options() -> argparse.ArgumentParser:
    # SUPPRESS: an option may come before or after the subcommand without one erasing the other.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    for name, text in _FLAGS.items():
        common.add_argument("--" + name.replace("_", "-"), dest=name, help=f"{text} [{ENV[name]}]")
    common.add_argument("--app", action="store_true", help="act as the application (client credentials), not a user")
    common.add_argument("--msal", action="store_true", help="with --app: get the token through MSAL")
    common.add_argument("--legacy", action="store_true", help="use the initialize handshake (legacy protocol mode)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _options()
    parser = argparse.ArgumentParser(prog="python -m client", description=__doc__, parents=[common])
    commands = parser.add_subparsers(dest="command", required=True)
    sign_in = commands.add_parser("login", parents=[common], help="sign a user in (code flow + PKCE) and cache the tokens")
    sign_in.add_argument("--no-browser", action="store_true", help="only print the sign-in URL")
    commands.add_parser("logout", parents=[common], help="forget the cached user tokens")
    token = commands.add_parser("token", parents=[common], help="get a token and describe it (never prints it)")
    token.add_argument("--claims", action="store_true", help="also print the token's claims (not the token)")
    commands.add_parser("tools", parents=[common], help="list the tools this caller may use")
    call = commands.add_parser("call", parents=[common], help="call a tool: call add 2 3, call subtract a=5 b=1")
    call.add_argument("tool")
    call.add_argument("arguments", nargs="*")
    commands.add_parser("me", parents=[common], help="call get_me: who the server thinks you are")
    return parser


class Runner:
    """Carries out one command; `now` and `open_url` are seams for tests."""

    def __init__(
        self,
        args: argparse.Namespace,
        settings: ClientSettings,
        *,
        now: Callable[[], float] = time.time,
        open_url: Callable[[str], None] | None = None,
        out: Any = None,
    ) -> None:
        self.args = args
        self.settings = settings
        self.now = now
        self.open_url = open_url or browser_opener(not getattr(args, "no_browser", False))
        self.out = out or sys.stdout
        self.cache = TokenCache(settings.cache)
        self._endpoints: Endpoints | None = None

    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = discover(self.settings)
        return self._endpoints

    def print(self, text: str) -> None:
        print(text, file=self.out)

    def run(self) -> int:
        if self.settings.needs_resource_discovery:
            self.settings = from_protected_resource(self.settings)
        if self.settings.using_dev_defaults and self.args.command != "logout":
            print(f"(local development provider at {self.settings.issuer}; see devserver.py)", file=sys.stderr)
        command = self.args.command
        if command == "login":
            return self.login()
        if command == "logout":
            removed = self.cache.delete(cache_key(self.settings, self.endpoints))
            self.print("signed out" if removed else "was not signed in")
            return 0
        if command == "token":
            return self.token()
        return asyncio.run(self.mcp(command))

    def login(self) -> int:
        tokens = login(self.settings, self.endpoints, open_url=self.open_url, now=self.now)
        self.cache.save(cache_key(self.settings, self.endpoints), tokens)
        self.print(f"signed in; {self._describe(tokens)}")
        self.print(f"tokens cached in {self.settings.cache}")
        return 0

    def token(self) -> int:
        tokens = self.access_token()
        self.print(self._describe(tokens))
        if self.args.claims:
            self.print(json.dumps(unverified_claims(tokens), indent=2, sort_keys=True))
        return 0

    def access_token(self, *, force_refresh: bool = False) -> TokenSet:
        if getattr(self.args, "app", False):
            if getattr(self.args, "msal", False):
                return msal_client_credentials(self.settings, self.now)  # MSAL discovers by itself
            return app_token(self.settings, self.endpoints, self.now)
        return user_token(self.settings, self.endpoints, self.cache, self.now, force_refresh=force_refresh)

    async def mcp(self, command: str) -> int:
        from .mcp_calls import Unauthorized  # the MCP SDK takes a second to import; only these commands need it

        tokens = self.access_token()
        try:
            return await self._mcp_once(command, tokens.access_token)
        except Unauthorized:
            if getattr(self.args, "app", False) or not tokens.refresh_token:
                raise
            # A gateway's move: the token was refused before its expiry (keys rotated,
            # clock skew), so refresh once and retry.
            fresh = self.access_token(force_refresh=True)
            return await self._mcp_once(command, fresh.access_token)

    async def _mcp_once(self, command: str, token: str) -> int:
        from .mcp_calls import call_tool, list_tools

        url, legacy = self.settings.mcp_url, getattr(self.args, "legacy", False)
        if command == "tools":
            for tool in await list_tools(url, token, legacy=legacy):
                summary = (tool.description or "").strip().splitlines()[0] if tool.description else ""
                self.print(f"{tool.name}\t{summary}")
            return 0
        if command == "me":
            return self._show(await call_tool(url, token, "get_me", [], legacy=legacy))
        return self._show(await call_tool(url, token, self.args.tool, self.args.arguments, legacy=legacy))

    def _show(self, result: CallToolResult) -> int:
        if result.is_error:
            text = " ".join(getattr(c, "text", "") for c in result.content)
            raise ClientError(f"the tool failed: {text}")
        data = result.structured_content
        if isinstance(data, dict) and set(data) == {"result"}:
            data = data["result"]
        if data is None:
            self.print("\n".join(getattr(c, "text", "") for c in result.content))
        elif isinstance(data, (dict, list)):
            self.print(json.dumps(data, indent=2, sort_keys=True))
        else:
            self.print(str(data))
        return 0

    def _describe(self, tokens: TokenSet) -> str:
        left = int(tokens.expires_at - self.now())
        at = datetime.fromtimestamp(tokens.expires_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [f"{tokens.token_type} access token expires in {left} s (at {at})"]
        if tokens.scope:
            parts.append(f"scope: {tokens.scope}")
        parts.append("refresh token: yes" if tokens.refresh_token else "refresh token: no")
        return "; ".join(parts)


def _flags(args: argparse.Namespace) -> dict[str, str | None]:
    return {name: getattr(args, name, None) for name in _FLAGS}


def main(argv: Sequence[str] | None = None, **seams: Any) -> int:
    """Entry point; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = build_parser().parse_args(argv)
    try:
        env = seams.pop("env", None)
        settings = ClientSettings.resolve(_flags(args), environ() if env is None else env, app=getattr(args, "app", False))
        return Runner(args, settings, **seams).run()
    except SettingsError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
