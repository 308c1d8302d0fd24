"""The browser's way through the front: /oauth/authorize (GET: checks and consent; POST: the decision)
and /oauth/callback (the issuer's answer, turned into a sealed code for the client).

Nothing is stored between the steps: the consent form carries the sealed
transaction, the upstream `state` carries it on to the callback, and the code
the client gets carries what the token endpoint must check.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from telemetry import front as front_telemetry
from web.place import Resource

from .answers import NO_STORE, client_kind, redirect_to_client, refusal_page, refusal_redirect
from .binding import bind_to_browser, browser_holds, release
from .clients import Client, UnknownClient, redirect_uri_allowed, redirect_uri_problem, resolve_client
from .consent import CSRF_COOKIE, approval_key, consent_page, csrf_matches, may_remember, new_csrf_token, remember, remembered
from .context import AUTHORIZE_PATH, Front, callback_url
from .destination import ascii_host
from .errors import (
    AccessDenied,
    ConsentRefused,
    FrontError,
    InvalidClient,
    InvalidRequest,
    UnsupportedResponseType,
    UpstreamError,
)
from .params import single
from .sealed import ConsentTransaction, SealedCode, UpstreamState
from .sealing import SealError, fingerprint, sealed_length

__all__ = ["authorize", "callback"]

#: What the person reads when the callback comes to a browser that did not approve (or comes again).
NOT_THIS_BROWSER = (
    "This sign-in was not approved in this browser, or it was already finished. "
    "If someone sent you this link, close this page. If you were signing in, start again from your app"
)
#: RFC 6749 §4.1.2: codes are short lived; the front's is a minute at most.
CODE_SECONDS = 60
#: The person has this long to read the page and sign in upstream.
TRANSACTION_SECONDS = 600
#: The client's state rides inside the sealed transaction and upstream state, which must stay under
#: the sealed-value cap: it is measured in the bytes it takes there (JSON, so "é" is 6), not in characters.
MAX_STATE_BYTES = 1024
# RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


async def authorize(front: Front, request: Request, body: bytes) -> Response:
    if request.method == "POST":
        return await _decide(front, request, body)
    params = list(request.query_params.multi_items())
    try:
        place = front.place(request)
        client, redirect_uri = await _trusted_client(front, params)
    except FrontError as error:
        # RFC 6749 §4.1.2.1: no trustworthy redirect URI, so the person is told and nothing redirects.
        return refusal_page("authorize", error, request.state.correlation_id, client_kind=_kind(params))
    state = None
    try:
        state = single(params, "state")
        transaction = _transaction(front, place, client, redirect_uri, params)
    except FrontError as error:
        return refusal_redirect(
            "authorize", error, request.state.correlation_id,
            redirect_uri=redirect_uri, state=state, issuer=place.origin, client_kind=_kind(params),
        )
    rememberable = may_remember(redirect_uri)
    if rememberable and remembered(front.sealer, request, client.client_id, redirect_uri):
        return _go_upstream(front, place, transaction, status=302)
    sealed = front.sealer.seal_value(transaction, TRANSACTION_SECONDS)
    return consent_page(
        action=place.origin + AUTHORIZE_PATH,
        client=client,
        redirect_uri=redirect_uri,
        scopes=[*transaction.scopes, "offline_access"],
        transaction=sealed,
        csrf=transaction.csrf,
        upstream=front.front.authorization_endpoint,
        server_name=front.server_name,
        server_host=shown_host(place),
        scope_texts=front.scope_texts,
        remember_allowed=rememberable,
    )


def _kind(params: list[tuple[str, str]]) -> front_telemetry.ClientKind:
    return client_kind(next((value for name, value in params if name == "client_id"), None))


async def _trusted_client(front: Front, params: list[tuple[str, str]]) -> tuple[Client, str]:
    client_id = single(params, "client_id")
    redirect_uri = single(params, "redirect_uri")
    if client_id is None:
        raise InvalidRequest("client_id is required", reason="missing_client_id")
    try:
        client = await resolve_client(front.sealer, front.documents, client_id)
    except UnknownClient as exc:
        raise InvalidClient(exc.description, reason=exc.reason) from exc
    if redirect_uri is None:
        raise InvalidRequest("redirect_uri is required", reason="missing_redirect_uri")
    if not redirect_uri_allowed(client, redirect_uri):
        raise InvalidRequest("The redirect_uri is not registered for this client", reason="redirect_uri_mismatch")
    if redirect_uri_problem(redirect_uri):
        # A registration sealed before today's rules (a non-ASCII host broke the page's CSP header).
        raise InvalidRequest("The redirect_uri registered for this client is no longer accepted; register again", reason="redirect_uri_refused")
    return client, redirect_uri


def _transaction(front: Front, place: Resource, client: Client, redirect_uri: str, params: list[tuple[str, str]]) -> ConsentTransaction:
    """Everything the later steps must know, checked now (RFC 6749 §4.1.1, RFC 7636 §4.3)."""
    for name in ("response_type", "code_challenge", "code_challenge_method", "scope", "resource"):
        single(params, name)
    if single(params, "response_type") != "code":
        raise UnsupportedResponseType("Only response_type=code is supported", reason="response_type")
    challenge = single(params, "code_challenge")
    # PKCE is required of every client, with S256 (OAuth 2.1 §4.1.1; MCP authorization "Authorization Code Protection").
    if challenge is None or single(params, "code_challenge_method") != "S256":
        raise InvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256", reason="pkce_required")
    if not _S256_CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge is not an S256 challenge", reason="bad_code_challenge")
    state = single(params, "state")
    if state is not None and sealed_length(state) > MAX_STATE_BYTES:
        # Counted as sealed: 1,024 x "é" passed a count of characters, then broke the sealed form at Approve.
        raise InvalidRequest(f"state is longer than {MAX_STATE_BYTES} bytes once encoded", reason="state_too_long")
    front.check_resource(single(params, "resource"), place)
    scopes = front.requested_scopes(single(params, "scope"))
    return ConsentTransaction(
        client_fingerprint=fingerprint(client.client_id),
        approval_key=approval_key(client.client_id, redirect_uri),
        redirect_uri=redirect_uri,
        client_state=state,
        code_challenge=challenge,
        scopes=tuple(scopes),
        csrf=new_csrf_token(),
    )


async def _decide(front: Front, request: Request, body: bytes) -> Response:
    correlation_id = request.state.correlation_id
    try:
        place = front.place(request)
        fields = _form_fields(body)
        try:
            transaction = front.sealer.open_value(ConsentTransaction, fields.get("transaction"))
        except SealError as exc:
            raise InvalidRequest("This sign-in request is invalid or expired; start again from your app", reason=f"consent_{exc.reason}") from exc
        if not csrf_matches(transaction.csrf, fields.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            raise ConsentRefused("This approval did not come from the page this browser was shown; start again", reason="csrf")
    except FrontError as error:
        return refusal_page("consent", error, correlation_id)
    if fields.get("decision") != "approve":
        declined = AccessDenied("The person declined", reason="declined")
        response = refusal_redirect(
            "consent", declined, correlation_id, redirect_uri=transaction.redirect_uri, state=transaction.client_state, issuer=place.origin
        )
    else:
        response = _go_upstream(front, place, transaction, status=303)
        if fields.get("remember") == "yes" and may_remember(transaction.redirect_uri):
            remember(front.sealer, request, response, transaction.approval_key)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def shown_host(place: Resource) -> str:
    """This server's host (and port) as the consent page names it: in ASCII (punycode)."""
    parts = urlsplit(place.origin)
    host = ascii_host(parts.hostname or "")
    return f"{host}:{parts.port}" if parts.port else host


def _go_upstream(front: Front, place: Resource, transaction: ConsentTransaction, *, status: int) -> Response:
    """To the issuer with the front's own PKCE; the transaction rides in the sealed `state`,
    bound to this browser by a cookie set on the same answer (front/binding.py)."""
    verifier = secrets.token_urlsafe(48)  # RFC 7636 §4.1: 43-128 unreserved characters
    response = RedirectResponse("", status_code=status, headers=NO_STORE)
    upstream_state = UpstreamState(
        browser_binding=bind_to_browser(response, TRANSACTION_SECONDS),
        client_fingerprint=transaction.client_fingerprint,
        redirect_uri=transaction.redirect_uri,
        client_state=transaction.client_state,
        code_challenge=transaction.code_challenge,
        scopes=transaction.scopes,
        upstream_verifier=verifier,
        callback_url=callback_url(place),
    )
    state = front.sealer.seal_value(upstream_state, TRANSACTION_SECONDS)
    url = front.upstream.authorization_url(
        redirect_uri=callback_url(place),
        scope=front.upstream_scope(list(transaction.scopes)),
        state=state,
        code_challenge=create_s256_code_challenge(verifier),
    )
    response.headers["location"] = url
    return response


def _form_fields(body: bytes) -> dict[str, str]:
    """The consent form's fields (application/x-www-form-urlencoded); a repeated field keeps its first value."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("The form is malformed", reason="bad_form") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


async def callback(front: Front, request: Request, body: bytes) -> Response:
    correlation_id = request.state.correlation_id
    params = list(request.query_params.multi_items())
    try:
        place = front.place(request)
        try:
            transaction = front.sealer.open_value(UpstreamState, single(params, "state"))
        except SealError as exc:
            raise InvalidRequest("This sign-in answer is invalid or expired; start again from your app", reason=f"state_{exc.reason}") from exc
        if not browser_holds(request, transaction.browser_binding):
            # RFC 9700 §2.1.1, §4.2.4: finish only in the browser that approved, and only once.
            # A page, not a redirect: the client's redirect URI may be the one who sent the link.
            raise ConsentRefused(NOT_THIS_BROWSER, reason="not_this_browser")
    except FrontError as error:
        return refusal_page("callback", error, correlation_id)
    response = _callback_answer(front, place, transaction, params, correlation_id)
    release(response, transaction.browser_binding)
    return response


def _callback_answer(front: Front, place: Resource, transaction: UpstreamState, params: list[tuple[str, str]], correlation_id: str) -> Response:
    try:
        upstream_error = single(params, "error")
        if upstream_error is not None:
            # The issuer's own code and its AADSTS description, for the client and the person.
            raise UpstreamError(upstream_error, single(params, "error_description"))
        code = single(params, "code")
        if code is None:
            raise InvalidRequest("The identity provider sent no code", reason="no_upstream_code")
    except FrontError as error:
        # The issuer (or the person) ended the sign-in; the state names the client by a fingerprint only.
        front_telemetry.sign_in("unknown", error.error)
        return refusal_redirect(
            "callback", error, correlation_id, redirect_uri=transaction.redirect_uri, state=transaction.client_state, issuer=place.origin
        )
    sealed_code = SealedCode(
        upstream_code=code,
        upstream_verifier=transaction.upstream_verifier,
        callback_url=transaction.callback_url,
        client_fingerprint=transaction.client_fingerprint,
        redirect_uri=transaction.redirect_uri,
        code_challenge=transaction.code_challenge,
        scopes=transaction.scopes,
    )
    # RFC 9207 §2: `iss` lets the client check which server answered.
    return redirect_to_client(
        transaction.redirect_uri,
        {"code": front.sealer.seal_value(sealed_code, CODE_SECONDS), "state": transaction.client_state, "iss": place.origin},
    )
