"""What the OAuth front records: sign-ins, token grants and refusals, by client kind and outcome.

Through the OpenTelemetry API's global meter, as a library records (OpenTelemetry
specification, "API": instrumentation uses the global providers): a no-op until telemetry is
configured, and the front is off the hot path. Attributes also go on the current span, which
is the edge's span of the front's HTTP request. A DCR client id is a sealed value and is never
recorded; a CIMD client id is the public URL of the client's metadata document, naming a piece
of software and not a person, so it goes on the span (`oauth.client.id`, cut to 256 characters),
and never into a metric, whose attribute sets must stay few.
"""

from __future__ import annotations

from typing import Literal

from opentelemetry import metrics, trace

from . import names

__all__ = ["ClientKind", "grant", "refusal", "sign_in"]

ClientKind = Literal["cimd", "dcr", "unknown"]

_meter = metrics.get_meter(names.SCOPE)
_sign_ins = _meter.create_counter(names.FRONT_SIGN_INS, unit="{sign_in}", description="Sign-ins through the front by client kind and outcome")
_grants = _meter.create_counter(names.FRONT_TOKEN_GRANTS, unit="{grant}", description="Token endpoint grants by type, client kind and outcome")
_refusals = _meter.create_counter(names.FRONT_REFUSALS, unit="{refusal}", description="Front refusals by endpoint, error code and client kind")
_GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})


def refusal(endpoint: str, error: str, reason: str, kind: ClientKind, cimd_client_id: str | None = None) -> None:
    """One refusal (front/answers calls this beside its log line)."""
    attributes = {names.FRONT_ENDPOINT: endpoint, names.FRONT_ERROR: error, names.CLIENT_KIND: kind}
    _refusals.add(1, attributes)
    trace.get_current_span().set_attributes({**attributes, **_client_id(kind, cimd_client_id), names.FRONT_OUTCOME: "refused", names.FRONT_REASON: reason})


def grant(grant_type: str | None, kind: ClientKind, error: str | None, cimd_client_id: str | None = None) -> None:
    """One token request's outcome; an authorization_code grant is also the end of a sign-in."""
    recorded_type = grant_type if grant_type in _GRANT_TYPES else "other"
    attributes = {names.GRANT_TYPE: recorded_type, names.CLIENT_KIND: kind, names.FRONT_OUTCOME: "ok" if error is None else "refused"}
    if error is not None:
        attributes[names.FRONT_ERROR] = error
    _grants.add(1, attributes)
    trace.get_current_span().set_attributes({**attributes, **_client_id(kind, cimd_client_id)})
    if recorded_type == "authorization_code":
        sign_in(kind, error)


def _client_id(kind: ClientKind, cimd_client_id: str | None) -> dict[str, str]:
    return {names.CLIENT_ID: cimd_client_id[:256]} if kind == "cimd" and cimd_client_id else {}


def sign_in(kind: ClientKind, error: str | None) -> None:
    """A sign-in ended: the client redeemed its code (ok), or the issuer or the front refused it."""
    attributes = {names.CLIENT_KIND: kind, names.FRONT_OUTCOME: "ok" if error is None else "refused"}
    if error is not None:
        attributes[names.FRONT_ERROR] = error
    _sign_ins.add(1, attributes)
