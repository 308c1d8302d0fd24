"""`python -m devidp`: the development identity provider on its own, until Ctrl-C.

Use `devserver.py` to run it together with the MCP server; this is for pointing
other tools (a gateway under test, Postman) at it.
"""

from __future__ import annotations

import argparse
import threading

from . import defaults
from .provider import DevIdentityProvider


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devidp", description=__doc__)
    parser.add_argument("--port", type=int, default=defaults.DEV_PORT, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--tls", action="store_true", help="serve https with a throwaway self-signed certificate")
    parser.add_argument("--v1", action="store_true", help="issue v1.0-shaped access tokens")
    parser.add_argument(
        "--tenant", action="append", default=[], metavar="TID",
        help="serve another tenant under /TID beside the default one (repeatable), for multi-tenant tests",
    )
    parser.add_argument(
        "--strict-refresh-rotation", action="store_true",
        help="revoke a refresh token when it is used, and its family when it is replayed (Entra keeps it valid)",
    )
    args = parser.parse_args()
    version = 1 if args.v1 else 2
    with DevIdentityProvider(
        port=args.port, tls=args.tls, access_token_version=version, other_tenant_ids=args.tenant,
        strict_refresh_rotation=args.strict_refresh_rotation,
    ) as idp:
        print(f"issuer:    {idp.issuer}")
        for tid in idp.tenant_ids[1:]:
            print(f"issuer:    {idp.issuer_of(tid)}")
        if len(idp.tenant_ids) > 1:
            print(f"multi-tenant authority: {idp.organizations_issuer} (keys: {idp.common_jwks_uri})")
        print(f"metadata:  {idp.metadata_url}")
        print(f"authority: {idp.authority}")
        if idp.ca_path is not None:
            print(f"trust:     REQUESTS_CA_BUNDLE={idp.ca_path}")
        print(f"API scopes: {' '.join(idp.scope(s) for s in defaults.API_SCOPES)} (app: {idp.scope('.default')})")
        print("Ctrl-C stops it.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
