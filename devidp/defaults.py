"""Fixed identifiers of the local development tenant.

They are constants so that `python devserver.py` and `python -m client` agree
without any settings on a fresh clone. None of them is a real Entra object and
the secret guards nothing but a loopback process that lives for one session.
"""

from __future__ import annotations

__all__ = [
    "DEV_AGENT_BLUEPRINT_ID",
    "DEV_AGENT_CLIENT_ID",
    "DEV_AGENT_CLIENT_SECRET",
    "DEV_AGENT_USER_OBJECT_ID",
    "DEV_API_CLIENT_ID",
    "DEV_API_CLIENT_SECRET",
    "DEV_APP_CLIENT_ID",
    "DEV_APP_CLIENT_SECRET",
    "DEV_FRONT_CLIENT_ID",
    "DEV_FRONT_CLIENT_SECRET",
    "DEV_MANAGED_IDENTITY_CLIENT_ID",
    "DEV_MANAGED_IDENTITY_OBJECT_ID",
    "DEV_HOST",
    "DEV_PORT",
    "DEV_PUBLIC_CLIENT_ID",
    "DEV_TENANT_ID",
    "API_SCOPES",
    "dev_issuer",
]

DEV_HOST = "127.0.0.1"
DEV_PORT = 8001

#: The directory (tenant) id that appears in `tid` and in the endpoint paths.
DEV_TENANT_ID = "11111111-1111-4111-8111-111111111111"
#: The API's app registration: the resource whose client id is the token's `aud`.
DEV_API_CLIENT_ID = "22222222-2222-4222-8222-222222222222"
#: The API's own credential for on-behalf-of when it runs without the managed identity (local only).
DEV_API_CLIENT_SECRET = "dev-only-api-secret-not-for-production"  # noqa: S105 - dev fixture
#: A public client (no secret) for the authorization code flow with PKCE, like the CLI's `login`.
DEV_PUBLIC_CLIENT_ID = "33333333-3333-4333-8333-333333333333"
#: A confidential client: client credentials (app roles) and the code flow, like an AI gateway.
DEV_APP_CLIENT_ID = "44444444-4444-4444-8444-444444444444"
#: Well known on purpose; it only ever unlocks the loopback development provider.
DEV_APP_CLIENT_SECRET = "dev-only-secret-not-for-production"  # noqa: S105 - dev fixture
#: The OAuth front's upstream registration (a Web app): a secret, or the managed identity's federated credential.
DEV_FRONT_CLIENT_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
DEV_FRONT_CLIENT_SECRET = "dev-only-front-secret-not-for-production"  # noqa: S105 - dev fixture
#: The function app's user-assigned managed identity (the stand-in at /msi/token issues its tokens).
DEV_MANAGED_IDENTITY_CLIENT_ID = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
DEV_MANAGED_IDENTITY_OBJECT_ID = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
#: An Entra Agent ID agent identity (client credentials as an autonomous agent, or delegated for a user),
#: its parent agent identity blueprint (its tokens' `xms_par_app_azp`), and its agent user account.
DEV_AGENT_CLIENT_ID = "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"
DEV_AGENT_CLIENT_SECRET = "dev-only-agent-secret-not-for-production"  # noqa: S105 - dev fixture
DEV_AGENT_BLUEPRINT_ID = "30cf4c22-9985-4ef7-8756-91cc888176bd"
DEV_AGENT_USER_OBJECT_ID = "ffffffff-ffff-4fff-8fff-ffffffffffff"

#: The permissions the API exposes, both as delegated scopes and as app roles.
API_SCOPES: tuple[str, ...] = ("calculator.add", "calculator.subtract")


def dev_issuer(host: str = DEV_HOST, port: int = DEV_PORT, tenant_id: str = DEV_TENANT_ID) -> str:
    """The v2 issuer the provider uses by default, shaped like Entra's `{authority}/{tid}/v2.0`."""
    return f"http://{host}:{port}/{tenant_id}/v2.0"
