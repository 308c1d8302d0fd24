"""Parity: this project answers as the SDK's own stateless app does, but where the edge answers on purpose.

Each case goes to both apps over raw ASGI. The project's answer must be the
SDK's: the status, every header and its value (the edge adds only x-correlation-id;
fields of different names may come in another order, RFC 9110 §5.3) and the body
byte for byte. The cases in EDGE_ANSWERS are the edge's own answers; each must be
exactly its listed answer, and must differ from the SDK's, so the list holds no
stale entry. The SDK is pinned exactly, so this suite guards every upgrade.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from auth import JwksCache, Principal, Settings, TokenVerifier
from edge import build_asgi_app
from tests.support import JwksServer, SigningKey, entra_env, mint, user_claims

from .cases import CASES, EDGE_ANSWERS, Case
from .rig import Answer, Rig, reference_app

SCP = {"full": "calculator.add calculator.subtract", "add-only": "calculator.add"}
CORRELATION = b"x-correlation-id"


@pytest.fixture(scope="module")
def tokens(signing_key: SigningKey) -> dict[str, str]:
    return {name: mint(signing_key, user_claims(scp=scp)) for name, scp in SCP.items()}


@pytest.fixture(scope="module")
def rig(jwks_server: JwksServer, tokens: dict[str, str]) -> Iterator[tuple[Rig, object, dict[str, object]]]:
    settings = Settings.from_env(entra_env(jwks_server.url))
    keys = JwksCache(settings.jwks_uri)
    verifier = TokenVerifier(settings, keys)
    principals: dict[str, Principal] = {
        name: asyncio.run(verifier.verify([f"Bearer {token}".encode()])) for name, token in tokens.items()
    }
    rig = Rig()
    project = build_asgi_app(settings, keys)
    references = {name: reference_app(principal) for name, principal in principals.items()}
    for app in (project, *references.values()):
        rig.start(app)
    yield rig, project, references
    rig.close()


def _ask_both(rig: tuple[Rig, object, dict[str, object]], tokens: dict[str, str], case: Case) -> tuple[Answer, Answer]:
    driver, project, references = rig
    headers = list(case.headers)
    reference = driver.request(references.get(case.token, references["full"]), case.method, case.path, headers, case.body)
    if case.token != "none":
        headers.append(("Authorization", f"Bearer {tokens[case.token]}"))
    ours = driver.request(project, case.method, case.path, headers, case.body)
    return ours, reference


def test_the_corpus_is_wide_and_every_listed_answer_has_its_case():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) - len(EDGE_ANSWERS) >= 50  # byte-identical cases alone
    assert set(EDGE_ANSWERS) <= set(ids)


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in EDGE_ANSWERS], ids=lambda c: c.id)
def test_the_project_answers_byte_for_byte_as_the_sdk(rig, tokens: dict[str, str], case: Case):
    ours, reference = _ask_both(rig, tokens, case)

    assert len(ours.header(CORRELATION) or b"") > 0
    assert ours.without(CORRELATION).by_name() == reference.by_name()
    if reference.status == 200:
        json.loads(reference.body, parse_int=str)  # a real JSON-RPC answer was compared (ints of any length)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in EDGE_ANSWERS], ids=lambda c: c.id)
def test_the_edge_answers_on_purpose_exactly_as_listed(rig, tokens: dict[str, str], case: Case):
    expected = EDGE_ANSWERS[case.id]

    ours, reference = _ask_both(rig, tokens, case)

    assert (ours.status, ours.header(b"content-type"), ours.body) == (expected.status, expected.content_type, expected.body)
    for name, value in expected.extra_headers:
        assert ours.header(name) == value
    assert (reference.status, reference.body) != (ours.status, ours.body)


FAST = ["initialize-2025-11-25", "ping", "tools-list", "add-ints", "get-me", "unknown-tool", "add-string-argument",
        "content-type-charset", "add-no-version-header", "modern-add", "modern-tools-list", "modern-unknown-method",
        "modern-add-overflow", "modern-progress-token", "modern-param-header-for-unannotated-argument",
        "version-header-twice-handshake-first", "id-beyond-64-bits", "content-type-twice", "modern-listen",
        "modern-listen-bad-filter", "modern-discover", "modern-handler-raises", "modern-add-over-4300-digits"]
SDK = ["notification-initialized", "posted-response", "float-id", "accept-sse-only", "content-type-list",
       "modern-without-envelope", "modern-name-header-mismatch", "modern-initialize", "unsupported-version-header",
       "modern-method-header-twice", "version-header-twice-modern-first", "modern-listen-accept-json-only",
       "fallback-tools-list-full", "fallback-tools-list-add-only", "fallback-get-me-add-only"]


@pytest.mark.parametrize("case_id, takes_fast_path", [(c, True) for c in FAST] + [(c, False) for c in SDK])
def test_the_fast_path_answers_plain_handshake_requests_and_declines_the_rest(
    rig, tokens: dict[str, str], caplog: pytest.LogCaptureFixture, case_id: str, takes_fast_path: bool
):
    (case,) = [c for c in CASES if c.id == case_id]
    driver, project, _ = rig
    headers = [*case.headers, ("Authorization", f"Bearer {tokens['full']}")]
    # The SDK's stateless handshake path says so at DEBUG for every transport it builds.
    caplog.set_level("DEBUG", logger="mcp.server.streamable_http_manager")
    caplog.set_level("DEBUG", logger="edge.fastpath")

    driver.request(project, case.method, case.path, headers, case.body)

    messages = [r.getMessage() for r in caplog.records]
    answered_in_one_step = any(m.startswith("answered ") for m in messages)
    built_transport = any("Creating new transport" in m for m in messages)
    assert answered_in_one_step is takes_fast_path
    assert not (answered_in_one_step and built_transport)
