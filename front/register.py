"""/oauth/register: RFC 7591 dynamic client registration, with nothing stored.

The client id returned is the registration itself, sealed (front/clients.py
says what is accepted and why).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .answers import NO_STORE, log_refusal
from .clients import RegistrationRefused, register_client
from .context import Front

__all__ = ["register"]

CORS = {"Access-Control-Allow-Origin": "*"}


async def register(front: Front, request: Request, body: bytes) -> Response:
    try:
        try:
            metadata = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RegistrationRefused("invalid_client_metadata", "The body must be a JSON object") from exc
        answer = register_client(front.sealer, metadata)
    except RegistrationRefused as refused:
        log_refusal_registration(request, refused)
        # RFC 7591 §3.2.2: 400 with error and error_description.
        return JSONResponse(
            {"error": refused.error, "error_description": refused.description}, status_code=400, headers={**NO_STORE, **CORS}
        )
    # RFC 7591 §3.2.1: 201 Created with the client information.
    return JSONResponse(answer, status_code=201, headers={**NO_STORE, **CORS})


def log_refusal_registration(request: Request, refused: RegistrationRefused) -> None:
    from .errors import InvalidRequest

    error = InvalidRequest(refused.description, reason=refused.error)
    error.error = refused.error
    log_refusal("register", error, request.state.correlation_id)
