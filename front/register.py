"""/oauth/register: RFC 7591 dynamic client registration, with nothing stored.

The client id returned is the registration itself, sealed (front/clients.py
says what is accepted and why).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .answers import NO_STORE, OPEN_CORS, refusal_json
from .clients import register_client
from .context import Front
from .errors import FrontError, InvalidClientMetadata

__all__ = ["register"]

async def register(front: Front, request: Request, body: bytes) -> Response:
    try:
        try:
            metadata = json.loads(body)
        except RecursionError as exc:  # deep nesting: CPython's decoder recurses once per level
            raise InvalidClientMetadata("The body is nested too deeply", reason="too_deep") from exc
        except (UnicodeDecodeError, ValueError) as exc:  # not JSON, or an integer past int_max_str_digits
            raise InvalidClientMetadata("The body must be a JSON object", reason="not_json") from exc
        answer = register_client(front.sealer, metadata)
    except FrontError as error:
        # RFC 7591 §3.2.2: 400 with error and error_description.
        return refusal_json("register", error, request.state.correlation_id, OPEN_CORS)
    # RFC 7591 §3.2.1: 201 Created with the client information.
    return JSONResponse(answer, status_code=201, headers={**NO_STORE, **OPEN_CORS})
