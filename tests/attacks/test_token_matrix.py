"""One case per adversarial token, through the registered function object.

Each case asserts the exact status, `WWW-Authenticate` and body, and that the
edge logged exactly one line for it, with the reason code of the check that
must have caught it (so a case cannot pass by failing for the wrong reason).
Two Authorization headers and non-UTF-8 bytes can't travel in an
azure.functions.HttpRequest (its headers are a str dict): see test_transport.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.log_capture import SuiteLog
from tests.support import (
    CHALLENGE_SCOPES,
    APP_ID_URI,
    CLIENT_ID,
    DROP,
    ISSUER_V1,
    ISSUER_V2,
    MCP_HEADERS,
    OTHER_TENANT_ID,
    PUBLIC_HOST,
    SCOPE_ADD,
    SCOPE_SUBTRACT,
    TENANT_ID,
    FunctionHost,
    JwksServer,
    SigningKey,
    app_claims,
    body_json,
    call_tool,
    list_tools,
    mint,
    remember_token,
    user_claims,
)

from .tokens import b64url, forge, public_pem, self_signed_x5c

PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass(frozen=True)
class Answer:
    status: int
    challenge: str | None
    body: Any


def invalid_token(description: str = "The access token is invalid") -> Answer:
    return Answer(
        401,
        f'Bearer error="invalid_token", error_description="{description}", resource_metadata="{PRM_URL}", '
        f'scope="{CHALLENGE_SCOPES}"',
        {"error": "invalid_token", "error_description": description},
    )


INVALID = invalid_token()
EXPIRED = invalid_token("The access token expired")
NO_TOKEN = Answer(
    401,
    f'Bearer resource_metadata="{PRM_URL}", scope="{CHALLENGE_SCOPES}"',
    {"error": "unauthorized", "error_description": "A bearer token is required"},
)
MALFORMED_HEADER = Answer(
    400,
    f'Bearer error="invalid_request", error_description="The Authorization header is malformed", resource_metadata="{PRM_URL}"',
    {"error": "invalid_request", "error_description": "The Authorization header is malformed"},
)


def insufficient(scope: str) -> Answer:
    return Answer(
        403,
        f'Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{PRM_URL}"',
        {"error": "insufficient_scope", "error_description": f"The token lacks the {scope} permission"},
    )


@dataclass
class Keys:
    ours: SigningKey
    attacker: SigningKey
    attacker_jwks: JwksServer
    ec_private: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))


@dataclass(frozen=True)
class Request:
    """What one attack sends: headers besides MCP_HEADERS, path and body."""

    headers: dict[str, str]
    path: str = "/mcp"
    body: Any = field(default_factory=lambda: call_tool("add", {"a": 2, "b": 3}))


def bearer(token: str, message: Any = None) -> Request:
    return Request({"Authorization": f"Bearer {token}"}, body=message or call_tool("add", {"a": 2, "b": 3}))


@dataclass(frozen=True)
class Attack:
    id: str
    build: Callable[[Keys], Request]
    answer: Answer
    reason: str


def _now() -> int:
    return int(time.time())


def _subtract() -> dict[str, Any]:
    return call_tool("subtract", {"a": 5, "b": 3})


NAN, INF = float("nan"), float("inf")


def _signed(k: Keys, claims: dict[str, Any] | str) -> str:
    """Claims as an attacker holding our key would write them, literals PyJWT's encoder may not emit included."""
    return forge({"alg": "RS256", "typ": "JWT", "kid": k.ours.kid}, claims, rs256_key=k.ours)


def _id_token(**overrides: Any) -> dict[str, Any]:
    now = _now()
    claims = {
        "iss": ISSUER_V2, "aud": CLIENT_ID, "tid": TENANT_ID, "iat": now, "nbf": now, "exp": now + 3600, "ver": "2.0",
        "sub": "user-subject-1", "oid": "user-object-1", "name": "Ada Lovelace", "preferred_username": "ada@contoso.example",
        "nonce": "n-0S6_WzA2Mj", "roles": ["calculator.subtract"], **overrides,
    }
    return {k: v for k, v in claims.items() if v is not DROP}


def _attacker_header(k: Keys, **extra: Any) -> Request:
    # Our kid, the attacker's signature and a pointer to the attacker's key: only the
    # configured JWKS may choose the key, so the signature must fail against ours.
    return bearer(mint(k.attacker, user_claims(), kid=k.ours.kid, **extra))


ATTACKS: list[Attack] = [
    # --- algorithm (RFC 8725 §2.1, §3.1) ---
    Attack("alg-none", lambda k: bearer(forge({"alg": "none", "typ": "JWT", "kid": k.ours.kid}, user_claims())), INVALID, "alg_not_allowed"),
    Attack("alg-None-mixed-case", lambda k: bearer(forge({"alg": "nOnE", "kid": k.ours.kid}, user_claims())), INVALID, "alg_not_allowed"),
    Attack("alg-none-with-signature", lambda k: bearer(forge({"alg": "none", "kid": k.ours.kid}, user_claims(), b"sig")), INVALID, "alg_not_allowed"),
    Attack("hs256-keyed-with-public-pem", lambda k: bearer(forge({"alg": "HS256", "typ": "JWT", "kid": k.ours.kid}, user_claims(), hs256_secret=public_pem(k.ours))), INVALID, "alg_not_allowed"),
    Attack("hs256-keyed-with-public-jwk", lambda k: bearer(forge({"alg": "HS256", "typ": "JWT", "kid": k.ours.kid}, user_claims(), hs256_secret=json.dumps(k.ours.jwk()).encode())), INVALID, "alg_not_allowed"),
    Attack("ps256-with-our-key", lambda k: bearer(mint(k.ours, user_claims(), algorithm="PS256")), INVALID, "alg_not_allowed"),
    Attack("es256", lambda k: bearer(remember_token(jwt.encode(user_claims(), k.ec_private, algorithm="ES256", headers={"kid": k.ours.kid}))), INVALID, "alg_not_allowed"),
    Attack("alg-missing", lambda k: bearer(forge({"kid": k.ours.kid}, user_claims(), b"sig")), INVALID, "alg_not_allowed"),
    # --- key selection (RFC 8725 §3.10) ---
    Attack("unknown-kid-valid-signature", lambda k: bearer(mint(SigningKey.generate("not-published-kid"), user_claims())), INVALID, "unknown_kid"),
    Attack("no-kid", lambda k: bearer(mint(k.ours, user_claims(), kid=None)), INVALID, "missing_kid"),
    Attack("empty-kid", lambda k: bearer(mint(k.ours, user_claims(), kid="")), INVALID, "missing_kid"),
    Attack("kid-not-a-string", lambda k: bearer(forge({"alg": "RS256", "kid": [k.ours.kid]}, user_claims(), rs256_key=k.ours)), INVALID, "malformed_token"),
    Attack("kid-10kb", lambda k: bearer(mint(k.ours, user_claims(), kid="k" * 10_240)), INVALID, "malformed_kid"),
    Attack("kid-path-traversal", lambda k: bearer(mint(k.ours, user_claims(), kid="../../../etc/passwd\x00")), INVALID, "malformed_kid"),
    Attack("jku-to-attacker-jwks", lambda k: _attacker_header(k, jku=k.attacker_jwks.url), INVALID, "bad_signature"),
    Attack("x5u-to-attacker-jwks", lambda k: _attacker_header(k, x5u=k.attacker_jwks.url), INVALID, "bad_signature"),
    Attack("embedded-jwk", lambda k: _attacker_header(k, jwk={**k.attacker.jwk(), "kid": k.ours.kid}), INVALID, "bad_signature"),
    Attack("embedded-x5c", lambda k: _attacker_header(k, x5c=self_signed_x5c(k.attacker)), INVALID, "bad_signature"),
    # PyJWT refuses `crit` (RFC 7515 §4.1.11) while parsing the header, before claims.read_header looks.
    Attack("crit-header", lambda k: bearer(forge({"alg": "RS256", "kid": k.ours.kid, "crit": ["exp"], "exp": 1}, user_claims(), rs256_key=k.ours)), INVALID, "malformed_token"),
    Attack("crit-unknown-extension", lambda k: bearer(forge({"alg": "RS256", "kid": k.ours.kid, "crit": ["b64"], "b64": False}, user_claims(), rs256_key=k.ours)), INVALID, "malformed_token"),
    # --- time (RFC 7519 §4.1.4-6; leeway 60 s) ---
    Attack("expired-beyond-leeway", lambda k: bearer(mint(k.ours, user_claims(iat=_now() - 3600, nbf=_now() - 3600, exp=_now() - 61))), EXPIRED, "expired"),
    Attack("expired-long-ago", lambda k: bearer(mint(k.ours, user_claims(iat=1, nbf=1, exp=2))), EXPIRED, "expired"),
    Attack("nbf-in-future", lambda k: bearer(mint(k.ours, user_claims(nbf=_now() + 300))), INVALID, "not_yet_valid"),
    Attack("iat-in-future", lambda k: bearer(mint(k.ours, user_claims(iat=_now() + 300))), INVALID, "issued_in_future"),
    Attack("exp-as-string", lambda k: bearer(mint(k.ours, user_claims(exp=str(_now() + 3600)))), INVALID, "malformed_exp"),
    Attack("exp-as-bool", lambda k: bearer(mint(k.ours, user_claims(exp=True))), INVALID, "malformed_exp"),
    # RFC 7519 §2 NumericDate: a finite number. Python's json reads the NaN and Infinity literals
    # (and 1e999 as inf); NaN compares false to everything, so it never expired on the old code.
    Attack("exp-NaN", lambda k: bearer(_signed(k, user_claims(exp=NAN))), INVALID, "malformed_exp"),
    Attack("exp-Infinity", lambda k: bearer(_signed(k, user_claims(exp=INF))), INVALID, "malformed_exp"),
    Attack("exp-minus-Infinity", lambda k: bearer(_signed(k, user_claims(exp=-INF))), INVALID, "malformed_exp"),
    Attack("exp-1e999", lambda k: bearer(_signed(k, json.dumps(user_claims(exp=0)).replace('"exp": 0', '"exp": 1e999'))), INVALID, "malformed_exp"),
    Attack("exp-10-to-the-400", lambda k: bearer(_signed(k, user_claims(exp=10**400))), INVALID, "malformed_exp"),
    Attack("exp-past-year-9999", lambda k: bearer(_signed(k, user_claims(exp=253402300800))), INVALID, "malformed_exp"),
    Attack("nbf-NaN", lambda k: bearer(_signed(k, user_claims(nbf=NAN))), INVALID, "malformed_nbf"),
    Attack("nbf-minus-Infinity", lambda k: bearer(_signed(k, user_claims(nbf=-INF))), INVALID, "malformed_nbf"),
    Attack("nbf-negative", lambda k: bearer(_signed(k, user_claims(nbf=-1))), INVALID, "malformed_nbf"),
    Attack("iat-NaN", lambda k: bearer(_signed(k, user_claims(iat=NAN))), INVALID, "malformed_iat"),
    Attack("iat-minus-Infinity", lambda k: bearer(_signed(k, user_claims(iat=-INF))), INVALID, "malformed_iat"),
    Attack("iat-10-to-the-400", lambda k: bearer(_signed(k, user_claims(iat=10**400))), INVALID, "malformed_iat"),
    # --- required claims ---
    Attack("missing-exp", lambda k: bearer(mint(k.ours, user_claims(exp=DROP))), INVALID, "missing_exp"),
    Attack("missing-iat", lambda k: bearer(mint(k.ours, user_claims(iat=DROP))), INVALID, "missing_iat"),
    Attack("missing-iss", lambda k: bearer(mint(k.ours, user_claims(iss=DROP))), INVALID, "missing_iss"),
    Attack("missing-aud", lambda k: bearer(mint(k.ours, user_claims(aud=DROP))), INVALID, "missing_aud"),
    # --- issuer (exact match, RFC 8725 §3.8) ---
    Attack("iss-with-suffix", lambda k: bearer(mint(k.ours, user_claims(iss=ISSUER_V2 + ".evil.example"))), INVALID, "bad_issuer"),
    Attack("iss-with-trailing-slash", lambda k: bearer(mint(k.ours, user_claims(iss=ISSUER_V2 + "/"))), INVALID, "bad_issuer"),
    Attack("iss-with-prefix", lambda k: bearer(mint(k.ours, user_claims(iss="https://evil.example/" + ISSUER_V2))), INVALID, "bad_issuer"),
    Attack("iss-other-case", lambda k: bearer(mint(k.ours, user_claims(iss=ISSUER_V2.upper()))), INVALID, "bad_issuer"),
    Attack("iss-as-list", lambda k: bearer(forge({"alg": "RS256", "kid": k.ours.kid}, user_claims(iss=[ISSUER_V2]), rs256_key=k.ours)), INVALID, "bad_issuer"),
    Attack("iss-other-tenant", lambda k: bearer(mint(k.ours, user_claims(iss=f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0", tid=OTHER_TENANT_ID))), INVALID, "bad_issuer"),
    Attack("tid-other-tenant", lambda k: bearer(mint(k.ours, user_claims(tid=OTHER_TENANT_ID))), INVALID, "tenant_mismatch"),
    Attack("tid-missing", lambda k: bearer(mint(k.ours, user_claims(tid=DROP))), INVALID, "tenant_mismatch"),
    Attack("v1-iss-other-tid", lambda k: bearer(mint(k.ours, user_claims(iss=ISSUER_V1, aud=APP_ID_URI, ver="1.0", tid=OTHER_TENANT_ID))), INVALID, "tenant_mismatch"),
    Attack("v2-iss-with-app-id-uri-aud", lambda k: bearer(mint(k.ours, user_claims(aud=APP_ID_URI))), INVALID, "bad_audience"),
    # --- audience ---
    Attack("graph-aud-guid", lambda k: bearer(mint(k.ours, user_claims(aud=GRAPH_APP_ID))), INVALID, "bad_audience"),
    Attack("graph-aud-url", lambda k: bearer(mint(k.ours, user_claims(iss=ISSUER_V1, ver="1.0", aud="https://graph.microsoft.com"))), INVALID, "bad_audience"),
    Attack("aud-list-without-us", lambda k: bearer(mint(k.ours, user_claims(aud=[GRAPH_APP_ID, "api://other"]))), INVALID, "bad_audience"),
    Attack("aud-as-object", lambda k: bearer(mint(k.ours, user_claims(aud={CLIENT_ID: True}))), INVALID, "bad_audience"),
    Attack("id-token", lambda k: bearer(mint(k.ours, user_claims(scp=DROP, nonce="n-0S6_WzA2Mj", ver="2.0"))), INVALID, "nonce_present"),
    # --- token kind: access tokens only (RFC 8725 §3.12, RFC 9068 §4) ---
    # Issue 8 item 1, exactly: an Entra v2 ID token of an API whose registration also signs users in
    # and whose roles are assigned to users: aud = our client id, a nonce, no scp, no azp, a role.
    Attack("entra-v2-id-token-with-an-assigned-role", lambda k: bearer(mint(k.ours, _id_token()), _subtract()), INVALID, "nonce_present"),
    Attack("entra-v2-id-token-without-nonce", lambda k: bearer(mint(k.ours, _id_token(nonce=DROP)), _subtract()), INVALID, "missing_client_id"),
    Attack("access-token-carrying-a-nonce", lambda k: bearer(mint(k.ours, user_claims(nonce="n-0S6_WzA2Mj"))), INVALID, "nonce_present"),
    Attack("v2-token-without-azp", lambda k: bearer(mint(k.ours, user_claims(azp=DROP))), INVALID, "missing_client_id"),
    Attack("v2-app-token-without-azp", lambda k: bearer(mint(k.ours, app_claims(azp=DROP)), _subtract()), INVALID, "missing_client_id"),
    Attack("v2-token-naming-its-client-in-appid", lambda k: bearer(mint(k.ours, user_claims(azp=DROP, appid="c1"))), INVALID, "missing_client_id"),
    Attack("v1-token-naming-its-client-in-azp", lambda k: bearer(mint(k.ours, user_claims(iss=ISSUER_V1, ver="1.0", aud=APP_ID_URI))), INVALID, "missing_client_id"),
    Attack("azp-empty", lambda k: bearer(mint(k.ours, user_claims(azp=""))), INVALID, "missing_client_id"),
    Attack("azp-not-a-string", lambda k: bearer(mint(k.ours, user_claims(azp=["c1"]))), INVALID, "missing_client_id"),
    # --- permission look-alikes (exact, case-sensitive; `scp` wins over `roles`) ---
    Attack("scp-calculator.addx", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.addx"))), insufficient(SCOPE_ADD), "insufficient_scope"),
    Attack("scp-prefix-calculator.ad", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.ad"))), insufficient(SCOPE_ADD), "insufficient_scope"),
    Attack("scp-Calculator.Subtract", lambda k: bearer(mint(k.ours, user_claims(scp="Calculator.Subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("roles-CALCULATOR.ADD", lambda k: bearer(mint(k.ours, app_claims(roles=["CALCULATOR.ADD"]))), insufficient(SCOPE_ADD), "insufficient_scope"),
    Attack("scp-full-scope-string", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.add api://other/calculator.subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-comma-split", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.add,calculator.subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-tab-split", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.add\tcalculator.subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-newline-split", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.add\ncalculator.subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-nbsp-split", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.add\u00a0calculator.subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-plus-split", lambda k: bearer(mint(k.ours, user_claims(scp="calculator.add+calculator.subtract")), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-array-element-with-space", lambda k: bearer(mint(k.ours, user_claims(scp=["calculator.add calculator.subtract"])), _subtract()), insufficient(SCOPE_SUBTRACT), "insufficient_scope"),
    Attack("scp-plus-roles-roles-ignored", lambda k: bearer(mint(k.ours, user_claims(scp="User.Read", roles=["calculator.add", "calculator.subtract"]))), insufficient(SCOPE_ADD), "insufficient_scope"),
    Attack("empty-scp-plus-roles", lambda k: bearer(mint(k.ours, user_claims(scp="", roles=["calculator.add"]))), insufficient(SCOPE_ADD), "insufficient_scope"),
    Attack("scp-array-with-number", lambda k: bearer(mint(k.ours, user_claims(scp=["calculator.add", 1]))), INVALID, "malformed_scp"),
    Attack("scp-array-with-null", lambda k: bearer(mint(k.ours, user_claims(scp=["calculator.add", None]))), INVALID, "malformed_scp"),
    Attack("scp-array-nested", lambda k: bearer(mint(k.ours, user_claims(scp=[["calculator.add"]]))), INVALID, "malformed_scp"),
    Attack("scp-object", lambda k: bearer(mint(k.ours, user_claims(scp={"calculator.add": True}))), INVALID, "malformed_scp"),
    Attack("scp-true", lambda k: bearer(mint(k.ours, user_claims(scp=True))), INVALID, "malformed_scp"),
    Attack("roles-as-string", lambda k: bearer(mint(k.ours, app_claims(roles="calculator.add"))), INVALID, "malformed_roles"),
    Attack("roles-with-number", lambda k: bearer(mint(k.ours, app_claims(roles=["calculator.add", 7]))), INVALID, "malformed_roles"),
    # --- transport tricks (RFC 6750 §2: the header only) ---
    Attack("token-only-in-query", lambda k: Request({}, path=f"/mcp?access_token={mint(k.ours, user_claims())}"), NO_TOKEN, "missing_token"),
    Attack("token-only-in-form-body", lambda k: Request({"Content-Type": "application/x-www-form-urlencoded"}, body=f"access_token={mint(k.ours, user_claims())}"), NO_TOKEN, "missing_token"),
    Attack("token-only-in-json-body", lambda k: Request({}, body={**call_tool("add", {"a": 2, "b": 3}), "access_token": mint(k.ours, user_claims())}), NO_TOKEN, "missing_token"),
    Attack("basic-scheme", lambda k: Request({"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}), NO_TOKEN, "unsupported_scheme"),
    Attack("basic-scheme-carrying-a-token", lambda k: Request({"Authorization": f"Basic {mint(k.ours, user_claims())}"}), NO_TOKEN, "unsupported_scheme"),
    Attack("token-without-scheme", lambda k: Request({"Authorization": mint(k.ours, user_claims())}), NO_TOKEN, "unsupported_scheme"),
    Attack("bearer-without-token", lambda k: Request({"Authorization": "Bearer "}), NO_TOKEN, "empty_token"),
    Attack("header-16kib-exactly-is-read", lambda k: Request({"Authorization": "Bearer " + "A" * (16 * 1024 - 7)}), INVALID, "malformed_token"),
    Attack("header-16kib-plus-one-byte", lambda k: Request({"Authorization": "Bearer " + "A" * (16 * 1024 - 6)}), MALFORMED_HEADER, "header_too_large"),
    Attack("header-20kb", lambda k: Request({"Authorization": "Bearer " + "A" * 20_480}), MALFORMED_HEADER, "header_too_large"),
    Attack("header-20kb-valid-token-padded", lambda k: Request({"Authorization": "Bearer " + mint(k.ours, user_claims(pad="x" * 20_000))}), MALFORMED_HEADER, "header_too_large"),
    Attack("non-base64-garbage", lambda k: Request({"Authorization": "Bearer !!not*a%token$$"}), INVALID, "malformed_token"),
    Attack("token-with-inner-space", lambda k: Request({"Authorization": "Bearer " + mint(k.ours, user_claims()).replace(".", ". ", 1)}), INVALID, "malformed_token"),
    Attack("non-ascii-text", lambda k: Request({"Authorization": "Bearer t\u00f6k\u00e9n.\u00e9.\u00e9"}), INVALID, "malformed_token"),
    Attack("one-segment", lambda k: bearer(mint(k.ours, user_claims()).split(".")[0]), INVALID, "malformed_token"),
    Attack("two-segments", lambda k: bearer(mint(k.ours, user_claims()).rsplit(".", 1)[0]), INVALID, "malformed_token"),
    Attack("empty-signature", lambda k: bearer(mint(k.ours, user_claims()).rsplit(".", 1)[0] + "."), INVALID, "bad_signature"),
    # 342 base64url characters less 13 leaves 329 = 1 (mod 4), which no byte string encodes to, so the
    # signature never decodes. Less 12 left a decodable length whose last character was non-canonical
    # 15 times in 16 (PyJWT refuses it) and canonical otherwise: a flaky reason.
    Attack("truncated-signature", lambda k: bearer(mint(k.ours, user_claims())[:-13]), INVALID, "malformed_token"),
    Attack("tampered-signature", lambda k: bearer(_tamper(mint(k.ours, user_claims()))), INVALID, "bad_signature"),
    Attack("four-segments", lambda k: bearer(mint(k.ours, user_claims()) + ".e30"), INVALID, "malformed_token"),
    Attack("header-not-json", lambda k: bearer(f"{b64url(b'{not json')}.{b64url(b'{}')}.c2ln"), INVALID, "malformed_token"),
    Attack("payload-not-json", lambda k: bearer(forge({"alg": "RS256", "kid": k.ours.kid}, {}, b"x").split(".")[0] + f".{b64url(b'[not json')}.c2ln"), INVALID, "bad_signature"),
    Attack("swapped-payload", lambda k: bearer(_swap_payload(mint(k.ours, user_claims(scp="calculator.add")), user_claims())), INVALID, "bad_signature"),
]


def _tamper(token: str) -> str:
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return remember_token(f"{head}.{signature[:middle]}{flipped}{signature[middle + 1:]}")


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return remember_token(f"{header}.{b64url(json.dumps(claims).encode())}.{signature}")


@pytest.fixture(scope="module")
def keys(signing_key: SigningKey) -> Iterator[Keys]:
    attacker = SigningKey.generate("attacker-key")
    attacker_jwks = JwksServer()
    attacker_jwks.publish(attacker)
    yield Keys(ours=signing_key, attacker=attacker, attacker_jwks=attacker_jwks)
    attacker_jwks.close()


def send(host: FunctionHost, request: Request):
    return host.request("POST", request.path, headers={**MCP_HEADERS, **request.headers}, body=request.body)


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.id for a in ATTACKS])
def test_attack_is_refused_exactly(attack: Attack, host: FunctionHost, keys: Keys, jwks_server: JwksServer, suite_log: SuiteLog):
    request = attack.build(keys)
    fetches_before = jwks_server.hits

    response = send(host, request)

    assert response.status_code == attack.answer.status
    assert response.headers.get("WWW-Authenticate") == attack.answer.challenge
    assert body_json(response) == attack.answer.body
    correlation_id = response.headers["x-correlation-id"]
    (line,) = suite_log.auth_failures(correlation_id)
    # A valid token's refusal (403) names the caller's kind between the reason and the correlation id.
    caller = r" caller_kind=(user|app)" if attack.answer.status == 403 else ""
    assert re.search(rf" status={attack.answer.status} reason={attack.reason}{caller} correlation_id={re.escape(correlation_id)}$", line)
    assert keys.attacker_jwks.hits == 0  # jku / x5u are never followed
    if attack.reason != "unknown_kid":
        assert jwks_server.hits == fetches_before  # only an unknown kid may cause a JWKS fetch


def test_the_matrix_has_a_case_for_every_attack_named_in_the_issue():
    ids = {a.id for a in ATTACKS}
    named = {
        "alg-none", "hs256-keyed-with-public-pem", "hs256-keyed-with-public-jwk", "ps256-with-our-key", "es256",
        "unknown-kid-valid-signature", "no-kid", "kid-10kb", "jku-to-attacker-jwks", "x5u-to-attacker-jwks",
        "embedded-jwk", "embedded-x5c", "crit-header", "expired-beyond-leeway", "nbf-in-future", "iat-in-future",
        "missing-exp", "missing-iat", "missing-iss", "missing-aud", "iss-with-suffix", "iss-with-prefix",
        "tid-other-tenant", "v2-iss-with-app-id-uri-aud", "graph-aud-guid", "id-token", "scp-calculator.addx",
        "scp-Calculator.Subtract", "scp-comma-split", "scp-plus-roles-roles-ignored", "scp-array-with-number",
        "token-only-in-query", "basic-scheme", "header-20kb", "non-base64-garbage", "two-segments", "truncated-signature",
        # issue 8
        "entra-v2-id-token-with-an-assigned-role", "exp-NaN", "exp-Infinity", "exp-10-to-the-400",
    }
    assert named <= ids
    assert len(ids) == len(ATTACKS)


def test_the_10kb_kid_token_fits_under_the_header_cap(keys: Keys):
    # So that case reaches the kid check instead of the size check.
    request = next(a for a in ATTACKS if a.id == "kid-10kb").build(keys)
    assert 10_240 < len(request.headers["Authorization"]) <= 16 * 1024


def test_expired_within_the_leeway_is_accepted(host: FunctionHost, signing_key: SigningKey):
    now = _now()
    token = mint(signing_key, user_claims(iat=now - 3600, nbf=now - 3600, exp=now - 30))

    response = host.mcp(token, call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 200
    assert body_json(response)["result"]["structuredContent"] == {"result": 5}


def test_nbf_and_iat_just_inside_the_leeway_are_accepted(host: FunctionHost, signing_key: SigningKey):
    now = _now()
    token = mint(signing_key, user_claims(iat=now + 30, nbf=now + 30))

    response = host.mcp(token, call_tool("subtract", {"a": 2, "b": 3}))

    assert response.status_code == 200
    assert body_json(response)["result"]["structuredContent"] == {"result": -1}


def test_the_attacker_jwks_was_never_fetched(keys: Keys):
    assert keys.attacker_jwks.hits == 0


VALID_CALLERS = [
    pytest.param(lambda: user_claims(), id="v2-user"),
    pytest.param(lambda: user_claims(iss=ISSUER_V1, ver="1.0", aud=APP_ID_URI, azp=DROP, appid="c1", upn="ada@contoso.example", preferred_username=DROP), id="v1-user-app-id-uri"),
    pytest.param(lambda: user_claims(iss=ISSUER_V1, ver="1.0", aud=CLIENT_ID, azp=DROP, appid="c1"), id="v1-user-client-id"),
    pytest.param(lambda: app_claims(), id="v2-app"),
    pytest.param(lambda: user_claims(scp=["calculator.add", "calculator.subtract"]), id="scp-array"),
    pytest.param(lambda: user_claims(tid=TENANT_ID.upper()), id="tid-upper-case"),
]


@pytest.mark.parametrize("claims", VALID_CALLERS)
def test_after_the_matrix_valid_requests_still_work(claims: Callable[[], dict[str, Any]], host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, claims())

    added = host.mcp(token, call_tool("add", {"a": 2, "b": 3}))
    subtracted = host.mcp(token, call_tool("subtract", {"a": 2, "b": 3}))
    listed = host.mcp(token, list_tools())
    me = host.mcp(token, call_tool("get_me"))
    lower_case_scheme = host.mcp(None, call_tool("add", {"a": 1, "b": 1}), Authorization=f"bearer {token}")

    assert [r.status_code for r in (added, subtracted, listed, me, lower_case_scheme)] == [200] * 5
    assert body_json(added)["result"]["structuredContent"] == {"result": 5}
    assert body_json(subtracted)["result"]["structuredContent"] == {"result": -1}
    assert sorted(t["name"] for t in body_json(listed)["result"]["tools"]) == ["add", "get_me", "subtract"]
    assert body_json(me)["result"]["structuredContent"]["permissions"] == ["calculator.add", "calculator.subtract"]
    assert body_json(lower_case_scheme)["result"]["structuredContent"] == {"result": 2}
