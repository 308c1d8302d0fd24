"""Attacker-chosen header values at the edge, sent over raw ASGI so every byte arrives as written
(uvicorn's parser would refuse some of them before the edge sees them; the Functions host may not).

- Host and x-request-id are judged whole (fullmatch): `$` also matches before a final newline.
- Content-Length counts only in ASCII digits (RFC 9110 §8.6 `1*DIGIT`; "²".isdigit() is True).
- Origin: a DNS-rebinding page is refused, the server's own origin is not (MCP transports,
  "Security Warning": validate Origin, 403 when present and invalid).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from auth import JwksCache, Settings
from edge import build_asgi_app
from tests.parity.rig import Answer, Rig
from tests.support import MCP_HEADERS, JwksServer, SigningKey, call_tool, entra_env, mint, user_claims

PUBLIC_URL = "https://calc.example.net/mcp"
ADD = json.dumps(call_tool("add", {"a": 2, "b": 3})).encode()
SUM = b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"text":"5","type":"text"}],"isError":false,"structuredContent":{"result":5}}}'
ORIGIN_REFUSED = b'{"error":"origin_not_allowed","error_description":"Origin not allowed"}'


@pytest.fixture(scope="module")
def apps(jwks_server: JwksServer) -> Iterator[tuple[Rig, object, object]]:
    rig = Rig()
    built = []
    for extra in ({}, {"MCP_PUBLIC_URL": PUBLIC_URL}):
        settings = Settings.from_env(entra_env(jwks_server.url, **extra))
        app = build_asgi_app(settings, JwksCache(settings.jwks_uri))
        rig.start(app)
        built.append(app)
    yield rig, built[0], built[1]
    rig.close()


@pytest.fixture(scope="module")
def token(signing_key: SigningKey) -> str:
    return mint(signing_key, user_claims())


def _post(rig: Rig, app: object, token: str, *headers: tuple[str, str], body: bytes = ADD) -> Answer:
    pairs = [*headers, *MCP_HEADERS.items(), ("Authorization", f"Bearer {token}")]
    return rig.request(app, "POST", "/mcp", pairs, body)  # type: ignore[arg-type]


def test_a_host_with_a_trailing_newline_gets_no_metadata(apps):
    rig, app, _ = apps

    answer = rig.request(app, "GET", "/.well-known/oauth-protected-resource/mcp", [("Host", "mcp.example\n")])  # type: ignore[arg-type]

    assert (answer.status, answer.body) == (
        400, b'{"error":"invalid_host","error_description":"The Host header is malformed"}'
    )


def test_a_host_with_a_trailing_newline_gets_no_challenge(apps):
    rig, app, _ = apps

    answer = rig.request(app, "POST", "/mcp", [("Host", "mcp.example\n"), *MCP_HEADERS.items()], ADD)  # type: ignore[arg-type]

    assert answer.status == 400
    assert answer.header(b"www-authenticate") is None


def test_an_x_request_id_with_a_trailing_newline_is_not_the_correlation_id(apps, token: str):
    rig, app, _ = apps

    taken = _post(rig, app, token, ("Host", "mcp.example"), ("x-request-id", "abc"))
    refused = _post(rig, app, token, ("Host", "mcp.example"), ("x-request-id", "abc\n"))

    assert taken.header(b"x-correlation-id") == b"abc"
    correlation_id = refused.header(b"x-correlation-id") or b""
    assert len(correlation_id) == 32 and correlation_id.isalnum()  # a fresh uuid4().hex


@pytest.mark.parametrize("declared", ["²", "¹²³", "1²"], ids=["superscript-two", "superscripts", "mixed"])
def test_a_content_length_of_non_ascii_digits_is_not_a_500(apps, token: str, declared: str):
    rig, app, _ = apps

    answer = _post(rig, app, token, ("Host", "mcp.example"), ("Content-Length", declared))

    # Not a length the edge can read: the body is read under the same 1 MiB cap instead.
    assert (answer.status, answer.body) == (200, SUM)


def test_a_dns_rebinding_request_is_refused(apps, token: str):
    rig, app, _ = apps

    answer = _post(rig, app, token, ("Host", "evil.example.com"), ("Origin", "http://evil.example.com"))

    assert (answer.status, answer.body) == (403, ORIGIN_REFUSED)


@pytest.mark.parametrize("host", ["127.0.0.1:8443", "localhost:8443", "[::1]:8443", "LOCALHOST"])
def test_a_loopback_servers_own_origin_is_accepted(apps, token: str, host: str):
    rig, app, _ = apps

    answer = _post(rig, app, token, ("Host", host), ("Origin", f"https://{host}"))

    assert (answer.status, answer.body) == (200, SUM)
    assert answer.header(b"access-control-allow-origin") == f"https://{host}".encode()


@pytest.mark.parametrize(
    "host, origin",
    [("127.0.0.1:8443", "https://127.0.0.1:9999"), ("127.0.0.1:8443", "http://127.0.0.1:8443"),
     ("localhost:8443", "https://127.0.0.1:8443"), ("mcp.example", "https://mcp.example"),
     ("localhost.evil.example", "https://localhost.evil.example"), ("127.0.0.1.evil.example", "https://127.0.0.1.evil.example"),
     ("localhost\n", "https://localhost\n")],
    ids=["other-port", "other-scheme", "other-name", "public-name-without-public-url", "localhost-prefix",
         "ip-prefix", "trailing-newline"],
)
def test_an_origin_that_is_not_the_loopback_servers_own_is_refused(apps, token: str, host: str, origin: str):
    rig, app, _ = apps

    answer = _post(rig, app, token, ("Host", host), ("Origin", origin))

    assert (answer.status, answer.body) == (403, ORIGIN_REFUSED)


def test_with_a_public_url_its_origin_is_accepted_and_a_rebinding_host_is_not(apps, token: str):
    rig, _, app = apps

    own = _post(rig, app, token, ("Host", "calc.example.net"), ("Origin", "https://calc.example.net"))
    rebound = _post(rig, app, token, ("Host", "evil.example.com"), ("Origin", "https://evil.example.com"))
    loopback = _post(rig, app, token, ("Host", "127.0.0.1:8443"), ("Origin", "https://127.0.0.1:8443"))

    assert (own.status, own.body) == (200, SUM)
    assert (rebound.status, rebound.body) == (403, ORIGIN_REFUSED)
    assert (loopback.status, loopback.body) == (403, ORIGIN_REFUSED)
