"""Sign a user in: authorization code flow with PKCE on a loopback redirect (RFC 6749 §4.1, RFC 7636, RFC 8252)."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .discovery import Endpoints
from .errors import ClientError, OAuthFailure
from .loopback import LoopbackListener
from .settings import ClientSettings
from .tokens import TIMEOUT, TokenSet

__all__ = ["browser_opener", "login"]


def browser_opener(open_browser: bool) -> Callable[[str], None]:
    """Print the sign-in URL (it holds no secret) and, unless told not to, open it in a browser."""

    def open_url(url: str) -> None:
        print(f"Sign in at:\n  {url}", file=sys.stderr)
        if open_browser:
            webbrowser.open(url)

    return open_url


def login(
    settings: ClientSettings,
    endpoints: Endpoints,
    *,
    open_url: Callable[[str], None],
    now: Callable[[], float],
    timeout: float = 300,
) -> TokenSet:
    """Run the code flow once and return the tokens.

    `open_url` gets the authorization URL and must get a user agent there;
    the listener then receives the redirect on the loopback interface.
    """
    if not endpoints.authorization_endpoint:
        raise ClientError("the authorization server metadata names no authorization_endpoint")
    # RFC 7636 §4.1: 43 to 128 characters of high entropy.
    verifier = generate_token(64)
    with LoopbackListener(settings.redirect_uri) as listener:
        session = OAuth2Session(
            settings.client_id,
            settings.client_secret,
            scope=" ".join(settings.scopes),
            redirect_uri=listener.redirect_uri,
            code_challenge_method="S256",
        )
        url, state = session.create_authorization_url(endpoints.authorization_endpoint, code_verifier=verifier)
        open_url(url)
        callback = listener.wait(timeout)
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    # RFC 6749 §10.12: the state binds the redirect to this request (CSRF).
    if params.get("state") != state:
        raise ClientError("the redirect's state does not match the request; sign-in aborted")
    if "error" in params:
        raise OAuthFailure(params["error"], params.get("error_description"))
    try:
        body = session.fetch_token(
            endpoints.token_endpoint,
            authorization_response=callback,
            code_verifier=verifier,
            state=state,
            timeout=TIMEOUT,
        )
    except OAuthError as exc:
        raise OAuthFailure(exc.error or "invalid_grant", exc.description) from None
    except requests.RequestException as exc:
        raise ClientError(f"cannot reach the token endpoint: {exc.__class__.__name__}") from exc
    return TokenSet.from_response(dict(body), now())
