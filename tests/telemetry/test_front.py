"""The OAuth front with telemetry on: a DCR client signs in, redeems its code and calls add on each path."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace

from app_factory import build_app
from auth import Settings
from devidp import DevIdentityProvider, OffsetClock
from devserver import dev_environment, front_environment
from edge import Edge
from front.settings import FrontSettings
from telemetry import front as front_telemetry
from telemetry.record import Telemetry
from tests.client.conftest import serve
from tests.front.conftest import FrontStack, _quiet_test_clients  # noqa: F401  (autouse: the test client's URLs stay out of the log audit)
from tests.front.flows import exchange, new_verifier, register, sign_in_for_code, token_request
from tests.front.sdk import remember_sealed
from tests.support import MCP_HEADERS, call_tool, process_env, remember_token
from tests.telemetry.conftest import TOOLS
from tests.telemetry.rig import Recording, recording


@pytest.fixture(scope="module")
def telemetry_front() -> Iterator[tuple[FrontStack, Edge]]:
    clock = OffsetClock()
    with DevIdentityProvider(clock=clock) as idp:
        env = {**dev_environment(idp), **front_environment(idp)}
        settings = Settings.from_env(env)
        edge = build_app(settings, None, FrontSettings.from_env(env, settings), telemetry=Telemetry(TOOLS))
        server, thread, port = serve(edge)
        try:
            with process_env({"IDENTITY_ENDPOINT": env["IDENTITY_ENDPOINT"], "IDENTITY_HEADER": env["IDENTITY_HEADER"]}):
                yield FrontStack(idp=idp, clock=clock, origin=f"http://127.0.0.1:{port}", env=env), edge
        finally:
            server.should_exit = True
            thread.join(10)


def test_a_front_sign_in_then_add_on_each_path(telemetry_front: tuple[FrontStack, Edge]):
    stack, edge = telemetry_front
    client_id = register(stack.origin)
    with recording() as rec:
        verifier = new_verifier()
        code = sign_in_for_code(stack, client_id, verifier)
        answer = exchange(stack, client_id, code, verifier)
        assert answer.status_code == 200, answer.text
        access = remember_token(answer.json()["access_token"])
        remember_sealed(answer.json()["refresh_token"])
        replayed = exchange(stack, client_id, code, verifier)  # the issuer's code is single use
        statuses = []
        for fast in (True, False):
            saved = edge.fast_path
            if not fast:
                edge.fast_path = None  # the SDK's app answers
            try:
                response = httpx.post(stack.mcp_url, headers={**MCP_HEADERS, "Authorization": f"Bearer {access}"}, json=call_tool("add", {"a": 2, "b": 3}))
            finally:
                edge.fast_path = saved
            statuses.append(response.status_code)
        rec.wait_for_spans("POST /mcp", 2)  # the last requests' spans
        spans = rec.spans()
        points = (rec.metric("mcp.front.sign_ins"), rec.metric("mcp.front.token_grants"), rec.metric("mcp.front.refusals"))

    assert (replayed.status_code, statuses) == (400, [200, 200])
    token_spans = [span for span in spans if span.name == "POST /oauth/token"]
    assert [
        {k: v for k, v in span.attributes.items() if k.startswith(("oauth.", "mcp.front."))} for span in token_spans
    ] == [
        {"oauth.grant_type": "authorization_code", "oauth.client.kind": "dcr", "mcp.front.outcome": "ok"},
        {"oauth.grant_type": "authorization_code", "oauth.client.kind": "dcr", "mcp.front.outcome": "refused",
         "mcp.front.error": "invalid_grant", "mcp.front.endpoint": "token", "mcp.front.reason": "upstream_invalid_grant"},
    ]
    assert [span.name for span in spans if span.name.startswith("GET /oauth")] == ["GET /oauth/authorize", "GET /oauth/callback"]
    assert [(span.name, span.parent.span_id) for span in spans if span.name == "tools/call add"] == [
        ("tools/call add", edge_span.context.span_id) for edge_span in spans if edge_span.name == "POST /mcp"
    ]
    assert points == (
        {(("mcp.front.outcome", "ok"), ("oauth.client.kind", "dcr")): 1,
         (("mcp.front.error", "invalid_grant"), ("mcp.front.outcome", "refused"), ("oauth.client.kind", "dcr")): 1},
        {(("mcp.front.outcome", "ok"), ("oauth.client.kind", "dcr"), ("oauth.grant_type", "authorization_code")): 1,
         (("mcp.front.error", "invalid_grant"), ("mcp.front.outcome", "refused"), ("oauth.client.kind", "dcr"),
          ("oauth.grant_type", "authorization_code")): 1},
        {(("mcp.front.endpoint", "token"), ("mcp.front.error", "invalid_grant"), ("oauth.client.kind", "dcr")): 1},
    )


def test_a_refusal_before_the_client_is_known_is_of_kind_unknown(telemetry_front: tuple[FrontStack, Edge]):
    stack, _ = telemetry_front
    with recording() as rec:
        answer = token_request(stack.origin, grant_type="authorization_code")
        rec.wait_for_spans("POST /oauth/token", 1)
        refusals = rec.metric("mcp.front.refusals")

    assert answer.status_code == 400
    assert refusals == {(("mcp.front.endpoint", "token"), ("mcp.front.error", "invalid_request"), ("oauth.client.kind", "unknown")): 1}


def test_a_cimd_client_is_named_on_the_span_and_a_dcr_client_never(rec: Recording):
    tracer = trace.get_tracer("tests.telemetry")
    sealed = "gAAAAABsealed-registration-" + "x" * 40
    with tracer.start_as_current_span("cimd"):
        front_telemetry.grant("authorization_code", "cimd", None, "https://client.example/" + "a" * 300)
    with tracer.start_as_current_span("dcr"):
        front_telemetry.grant("refresh_token", "dcr", "invalid_grant", sealed)
    with tracer.start_as_current_span("other"):
        front_telemetry.grant("password", "unknown", "unsupported_grant_type", None)

    spans = {span.name: dict(span.attributes) for span in rec.spans()}
    assert spans == {
        "cimd": {"oauth.grant_type": "authorization_code", "oauth.client.kind": "cimd", "mcp.front.outcome": "ok",
                 "oauth.client.id": ("https://client.example/" + "a" * 300)[:256]},
        "dcr": {"oauth.grant_type": "refresh_token", "oauth.client.kind": "dcr", "mcp.front.outcome": "refused", "mcp.front.error": "invalid_grant"},
        "other": {"oauth.grant_type": "other", "oauth.client.kind": "unknown", "mcp.front.outcome": "refused",
                  "mcp.front.error": "unsupported_grant_type"},
    }
    assert all(sealed not in line for line in map(str, rec.points()))
    assert rec.metric("mcp.front.sign_ins") == {(("mcp.front.outcome", "ok"), ("oauth.client.kind", "cimd")): 1}
