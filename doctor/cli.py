"""`python -m doctor <MCP URL>`: one line per check, then one per kind of client; exit 1 when a check fails."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .az import az_runner, read_registration
from .checks import Status
from .clients import verdicts
from .outside import check_outside
from .probe import observe
from .registration import Granted, check_registration

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m doctor", description=__doc__)
    parser.add_argument("url", help="the MCP URL clients are given, e.g. https://mcp.contoso.com/mcp")
    parser.add_argument("--origin", help="a browser origin to preflight (one of MCP_ALLOWED_ORIGINS)")
    parser.add_argument("--api-app-id", help="the API's app registration (default: OAUTH_AUDIENCE, else the scopes' App ID URI)")
    parser.add_argument("--front-client-id", help="the OAuth front's upstream app registration (default: OAUTH_FRONT_CLIENT_ID)")
    parser.add_argument("--no-az", action="store_true", help="do not read the app registration even when az is signed in")
    args = parser.parse_args(argv)

    seen = observe(args.url, origin=args.origin)
    checks, outside = check_outside(seen)
    granted = Granted()
    notes: list[str] = []
    run = None if args.no_az else az_runner()
    if run is None:
        notes.append("az: " + ("not asked (--no-az)" if args.no_az else "not installed") + "; the app registration was not checked")
    else:
        api_app = args.api_app_id or os.environ.get("OAUTH_AUDIENCE") or (
            next(iter(outside.scope_prefixes)) if len(outside.scope_prefixes) == 1 else None
        )
        front_app = args.front_client_id or os.environ.get("OAUTH_FRONT_CLIENT_ID")
        found = read_registration(run, api_app, front_app)
        if found is None:
            notes.append("az: not signed in (az login); the app registration was not checked")
        else:
            more, granted = check_registration(found, outside, api_app, front_app)
            checks += more

    print(f"doctor {args.url}", file=out)
    for check in checks:
        print(check.line(), file=out)
    for note in notes:
        print(f"note  {note}", file=out)
    print("clients:", file=out)
    for verdict in verdicts(outside, granted):
        print(verdict.line(), file=out)
    return 1 if any(c.status is Status.FAIL for c in checks) else 0
