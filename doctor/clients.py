"""Per kind of client: will sign-in work, and if not, the one fix that comes first.

The client facts each verdict relies on, with their sources:
- Python SDK (mcp 2.3, mcp/client/auth/oauth2.py): checks the metadata's `resource` against the URL,
  always sends RFC 8707 `resource`, asks for `offline_access` when the authorization server lists it
  (utils.get_client_metadata_scopes, SEP-2207) and then adds `prompt=consent`; it does not check
  `code_challenge_methods_supported`.
- TypeScript SDK 1.32 (dist/esm/client/auth.js): requests exactly the 401's `scope=`, sends
  `resource`, adds `prompt=consent` whenever `offline_access` is in the scope, and refuses PKCE only
  when `code_challenge_methods_supported` is present without S256.
- MCP authorization spec 2025-11-25: a client MUST refuse an authorization server whose metadata
  lacks `code_challenge_methods_supported` (strict clients, the conformance suite).
- Entra: no dynamic client registration; `resource` must be an identifier URI (AADSTS9010010);
  Client ID Metadata Documents only in public preview, with an administrator adding each client
  ("Client ID Metadata Documents in Microsoft Entra ID (preview)",
  learn.microsoft.com/entra/agent-id/client-id-metadata-documents).
- VS Code: its built-in Microsoft account provider when the authorization server is Entra, else
  Client ID Metadata Documents or dynamic registration, or a pre-registered client id
  (vscode-docs api/extension-guides/ai/mcp.md; microsoft/vscode#247759).
- Claude and ChatGPT register themselves (RFC 7591) when given no client id; given one, they need
  its Web redirect URI, https://claude.ai/api/mcp/auth_callback for Claude and a per-connector
  https://chatgpt.com/connector/oauth/... for ChatGPT (microsoft/EnterpriseMCP README).
"""

from __future__ import annotations

from edge.challenge import REFRESH_SCOPE

from .checks import Verdict
from .outside import Outside
from .registration import Granted

__all__ = ["verdicts"]

_FRONT = "turn the OAuth front on (OAUTH_FRONT=on, docs/direct-clients.md): {issuer} has no dynamic client registration"


def _shared(outside: Outside) -> str | None:
    """The first fix every client needs, or None."""
    if not outside.https:
        return "serve the MCP URL over https (HTTPS only on the app)"
    if outside.easyauth:
        return "turn App Service authentication (EasyAuth) off: authsettingsV2 platform.enabled=false"
    if not outside.challenge_ok:
        return "the server must answer a tokenless POST with its own 401 Bearer challenge (see the challenge line)"
    return None


def _discovering(outside: Outside, granted: Granted, *, strict_pkce: bool, consent: bool) -> str | None:
    """What a client that discovers everything from the MCP URL needs, in the order it meets it."""
    shared = _shared(outside)
    if shared:
        return shared
    if outside.resource is None:
        return "serve the protected resource metadata (RFC 9728) at the MCP URL's well-known address"
    if not outside.resource_matches:
        return "set MCP_PUBLIC_URL to the MCP URL exactly, with no trailing slash, so the metadata's resource equals it"
    if not outside.metadata_ok:
        return "make the authorization server's metadata name its own issuer exactly (see the as.metadata line)"
    if strict_pkce and not outside.pkce:
        return "the authorization server's metadata must list code_challenge_methods_supported: [\"S256\"] (the OAuth front's does)"
    if not outside.scopes_ok:
        return "advertise {App ID URI}/{permission} scopes (see the prm.scopes line)"
    if not outside.front:
        if granted.resource_is_identifier_uri is False:
            return f"add {outside.resource} to the API's identifier URIs (AADSTS9010010), after requestedAccessTokenVersion=2"
        if granted.v2_tokens is False:
            return "set the API's requestedAccessTokenVersion to 2, then add the MCP URL as an identifier URI"
        if consent and granted.users_may_consent is False:
            return (
                "it sends prompt=consent, which needs user consent: allow it (Entra ID > Enterprise apps > Consent and "
                "permissions), or turn the OAuth front on (OAUTH_FRONT=on), which sends no prompt"
            )
    return None


def verdicts(outside: Outside, granted: Granted) -> list[Verdict]:
    # Only Entra's registration can be read (with az), and only it decides for clients sent straight to Entra.
    unread = outside.entra and not outside.front and granted.resource_is_identifier_uri is None
    unknown = " (sign in to az to check the registration)" if unread else ""
    result: list[Verdict] = []

    shared = _shared(outside)
    gateway = shared or (None if outside.scopes_ok else "advertise {App ID URI}/{permission} scopes (see the prm.scopes line)")
    result.append(
        Verdict("gateway", gateway is None, gateway or "signs in with its own registration and the advertised scopes" + (
            "; if it sends resource=, add the MCP URL as an identifier URI" if granted.resource_is_identifier_uri is False else ""
        ))
    )

    issuer = "Entra" if outside.entra else "the issuer"
    if outside.front:
        direct = "with the OAuth front (registers itself)"
    elif outside.registration_endpoint:
        direct = "registering itself with the issuer (RFC 7591)"
    else:
        direct = f"with a pre-registered client id ({issuer} has no registration endpoint)"
    # The Python SDK requests the 401's scope and adds offline_access when the issuer lists it.
    asks_refresh = REFRESH_SCOPE in outside.challenge_scope
    fix = _discovering(outside, granted, strict_pkce=False, consent=asks_refresh or outside.lists_offline_access)
    result.append(Verdict("python-sdk", fix is None, fix or f"signs in {direct}{unknown}"))
    fix = _discovering(outside, granted, strict_pkce=False, consent=asks_refresh)
    result.append(Verdict("typescript-sdk", fix is None, fix or f"signs in {direct}, requesting the 401's scope{unknown}"))

    # With Entra as the authorization server VS Code signs in with its built-in Microsoft account provider.
    fix = _discovering(outside, granted, strict_pkce=not outside.entra, consent=False)
    if fix is None and outside.front and not (outside.cimd or outside.registration_endpoint):
        fix = "the front must advertise client_id_metadata_document_supported or a registration_endpoint"
    if outside.front:
        how = "signs in through the front (client id metadata document)"
    elif outside.entra:
        how = "signs in with its built-in Microsoft account, or a pre-registered client id"
    else:
        how = f"signs in {direct}"
    result.append(Verdict("vscode", fix is None, fix or how + unknown))

    redirects = {"claude": "https://claude.ai/api/mcp/auth_callback", "chatgpt": "the https://chatgpt.com/connector/oauth/... URI it shows"}
    for client, redirect in redirects.items():
        fix = _discovering(outside, granted, strict_pkce=True, consent=False)
        if fix is None and not outside.registration_endpoint:
            fix = _FRONT.format(issuer=issuer) + f"; or give it a pre-registered client id and secret whose Web redirect is {redirect}"
        where = "the front" if outside.front else "the issuer"
        result.append(Verdict(client, fix is None, fix or f"registers itself with {where} and signs in"))
    return result

