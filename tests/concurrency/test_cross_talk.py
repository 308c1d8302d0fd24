"""No cross-talk: 200 concurrent get_me calls from 20 identities, each answer names its own caller."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import azure.functions as func
import httpx
import pytest

from tests.log_capture import report
from tests.support import (
    APP_ID_URI,
    DROP,
    ISSUER_V1,
    MCP_HEADERS,
    PUBLIC_HOST,
    TENANT_ID,
    FunctionHost,
    InvocationContext,
    SigningKey,
    UvicornServer,
    app_claims,
    call_tool,
    mint,
    user_claims,
)

IDENTITIES = 20
CALLS = 200
PERMISSION_SETS = [["calculator.add"], ["calculator.subtract"], ["calculator.add", "calculator.subtract"], []]


def identity(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Claims for caller `n` (users, apps and autonomous agents, v1 and v2 mixed) and the get_me answer they must produce."""
    permissions = PERMISSION_SETS[n % len(PERMISSION_SETS)]
    client_id = f"00000000-0000-4000-8000-{n:012d}"
    if n % 2:
        claims = app_claims(sub=f"app-sub-{n}", oid=f"app-oid-{n}", azp=client_id, roles=permissions)
        expected = {"kind": "app", "subject": f"app-sub-{n}", "object_id": f"app-oid-{n}", "client_id": client_id, "name": None, "username": None, "parent_app_id": None}
        if n % 3 == 0:  # an autonomous agent, each with a parent application of its own
            parent = f"00000000-0000-4000-9000-{n:012d}"
            claims.update(xms_act_fct="11", xms_sub_fct="11", xms_par_app_azp=parent)
            expected.update(kind="autonomous_agent", parent_app_id=parent)
    else:
        claims = user_claims(sub=f"user-sub-{n}", oid=f"user-oid-{n}", azp=client_id, name=f"User {n}", preferred_username=f"user{n}@contoso.example", scp=" ".join(permissions) or "User.Read")
        expected = {"kind": "user", "subject": f"user-sub-{n}", "object_id": f"user-oid-{n}", "client_id": client_id, "name": f"User {n}", "username": f"user{n}@contoso.example", "parent_app_id": None}
        permissions = permissions or ["User.Read"]
    if n % 4 == 0:  # Entra v1 token: other issuer, App ID URI audience, appid and upn instead of azp and preferred_username
        claims.update(iss=ISSUER_V1, ver="1.0", aud=APP_ID_URI, appid=client_id, upn=expected["username"], azp=DROP, preferred_username=DROP)
        claims = {k: v for k, v in claims.items() if v is not DROP}
    return claims, {**expected, "tenant_id": TENANT_ID, "permissions": sorted(permissions)}


def callers(key: SigningKey) -> list[tuple[str, dict[str, Any]]]:
    people = []
    for n in range(IDENTITIES):
        claims, expected = identity(n)
        people.append((mint(key, claims), expected))
    return people


def schedule() -> list[int]:
    """Which identity makes each of the 200 calls: 10 each, shuffled so neighbours differ."""
    order = [n % IDENTITIES for n in range(CALLS)]
    random.Random(3).shuffle(order)
    return order


def check_answers(order: list[int], people: list[tuple[str, dict[str, Any]]], answers: list[tuple[int, Any]]) -> None:
    for call, (who, (status, body)) in enumerate(zip(order, answers)):
        assert status == 200, body
        assert body["id"] == call
        assert body["result"]["structuredContent"] == people[who][1], f"call {call} by identity {who}"
    assert len({json.dumps(people[who][1], sort_keys=True) for who in order}) == IDENTITIES


@pytest.fixture(scope="module")
def server(entra_uvicorn: UvicornServer) -> UvicornServer:
    return entra_uvicorn


def test_200_concurrent_get_me_over_uvicorn_each_name_their_own_caller(server: UvicornServer, signing_key: SigningKey):
    people = callers(signing_key)
    order = schedule()

    async def run() -> list[tuple[int, Any]]:
        limits = httpx.Limits(max_connections=CALLS, max_keepalive_connections=CALLS)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            start = asyncio.Event()

            async def call(n: int, who: int) -> tuple[int, Any]:
                await start.wait()  # release all 200 at once
                headers = {**MCP_HEADERS, "Authorization": f"Bearer {people[who][0]}"}
                response = await client.post("/mcp", headers=headers, content=json.dumps(call_tool("get_me", request_id=n)))
                return response.status_code, response.json()

            tasks = [asyncio.create_task(call(n, who)) for n, who in enumerate(order)]
            await asyncio.sleep(0)
            start.set()
            return await asyncio.gather(*tasks)

    answers = asyncio.run(run())

    check_answers(order, people, answers)
    report(f"concurrency: {CALLS} concurrent get_me over uvicorn from {IDENTITIES} identities -> every answer named its own caller")


def test_200_concurrent_get_me_on_one_functions_worker_loop(host: FunctionHost, signing_key: SigningKey):
    people = callers(signing_key)
    order = schedule()
    function = host.function.get_user_function()

    def request(n: int, who: int) -> func.HttpRequest:
        headers = {"Host": PUBLIC_HOST, **MCP_HEADERS, "Authorization": f"Bearer {people[who][0]}"}
        body = json.dumps(call_tool("get_me", request_id=n)).encode()
        return func.HttpRequest(method="POST", url=f"https://{PUBLIC_HOST}/mcp", headers=headers, params={}, body=body)

    async def run() -> list[func.HttpResponse]:
        return await asyncio.gather(*(function(request(n, who), InvocationContext()) for n, who in enumerate(order)))

    responses = host.run(run())

    check_answers(order, people, [(r.status_code, json.loads(r.get_body())) for r in responses])
