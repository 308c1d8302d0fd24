"""Reading OAuth request parameters (query or form) under RFC 6749's rules."""

from __future__ import annotations

from urllib.parse import parse_qsl

from .errors import InvalidRequest

__all__ = ["form", "is_form", "required", "single"]

Pairs = list[tuple[str, str]]


def form(content_type: str | None, body: bytes) -> Pairs:
    """The pairs of a form-encoded POST body: the token (RFC 6749 §3.2) and revocation (RFC 7009 §2.1)
    requests are `application/x-www-form-urlencoded`."""
    if not is_form(content_type):
        raise InvalidRequest("Send application/x-www-form-urlencoded", reason="not_form")
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=32)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("The body is not a form", reason="bad_form") from exc


def single(pairs: Pairs, name: str) -> str | None:
    """The value of `name`, None when absent or empty (RFC 6749 §3.1: a parameter sent without a
    value is treated as omitted, and none may be repeated)."""
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise InvalidRequest(f"The {name} parameter is repeated", reason=f"repeated_{name}")
    return values[0] if values and values[0] != "" else None


def required(pairs: Pairs, name: str) -> str:
    value = single(pairs, name)
    if value is None:
        raise InvalidRequest(f"{name} is required", reason=f"missing_{name}")
    return value


FORM = "application/x-www-form-urlencoded"


def is_form(content_type: str | None) -> bool:
    """True when the media type is exactly application/x-www-form-urlencoded, parameters allowed.

    RFC 9110 §8.3.1: `media-type = type "/" subtype parameters`, case-insensitive, each parameter
    after OWS ";" OWS. Matching a prefix would take `application/x-www-form-urlencoded-evil`."""
    if content_type is None:
        return False
    media_type = content_type.split(";", 1)[0].strip(" \t")
    return media_type.lower() == FORM
