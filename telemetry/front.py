"""What the OAuth front records: sign-ins, token grants and refusals, by client kind and outcome.

Through the OpenTelemetry API's global meter, as a library records (OpenTelemetry
specification, "API": instrumentation uses the global providers): a no-op until telemetry is
configured, and the front is off the hot path. Attributes also go on the current span, which
is the edge's span of the front's HTTP request. Client ids are not recorded: a DCR client id
is a sealed value, and a CIMD one is a URL the client chose; the kind is.
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


def refusal(endpoint: str, error: str, reason: str, kind: ClientKind) -> None:
    """One refusal (front/answers.log_refusal calls this beside its log line)."""
    attributes = {names.FRONT_ENDPOINT: endpoint, names.FRONT_ERROR: error, names.CLIENT_KIND: kind}
    _refusals.add(1, attributes)
    trace.get_current_span().set_attributes({**attributes, names.FRONT_OUTCOME: "refused", names.FRONT_REASON: reason})


def grant(grant_type: str | None, kind: ClientKind, error: str | None) -> None:
    """One token request's outcome; an authorization_code grant is also the end of a sign-in."""
    recorded_type = grant_type if grant_type in _GRANT_TYPES else "other"
    attributes = {names.GRANT_TYPE: recorded_type, names.CLIENT_KIND: kind, names.FRONT_OUTCOME: "ok" if error is None else "refused"}
    if error is not None:
        attributes[names.FRONT_ERROR] = error
    _grants.add(1, attributes)
    trace.get_current_span().set_attributes(attributes)
    if recorded_type == "authorization_code":
        sign_in(kind, error)


def sign_in(kind: ClientKind, error: str | None) -> None:
    """A sign-in ended: the client redeemed its code (ok), or the issuer or the front refused it."""
    attributes = {names.CLIENT_KIND: kind, names.FRONT_OUTCOME: "ok" if error is None else "refused"}
    if error is not None:
        attributes[names.FRONT_ERROR] = error
    _sign_ins.add(1, attributes)
