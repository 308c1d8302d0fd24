"""Bounded HTTPS GETs of the issuer's public documents (JWKS, authorization-server metadata)."""

from __future__ import annotations

__all__ = ["FetchError", "fetch_document"]

DEFAULT_TIMEOUT_SECONDS = 5.0


class FetchError(Exception):
    """A document could not be fetched; `reason` is a short code such as `unreachable` or `http_404`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch_document(uri: str, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> bytes:
    """GET `uri` without following redirects, refusing bodies over `max_bytes`."""
    import requests  # imported on first fetch, off the cold-start import path

    try:
        with requests.get(
            uri, timeout=timeout, stream=True, allow_redirects=False, headers={"Accept": "application/json"}
        ) as response:
            if response.status_code != 200:
                raise FetchError(f"http_{response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError("too_large")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=16384):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError("too_large")
            return bytes(body)
    except requests.RequestException as exc:
        raise FetchError("unreachable") from exc
