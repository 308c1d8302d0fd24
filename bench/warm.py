"""Warm path: one `tools/call` at a time through each function object, interleaved, in one process.

Both apps run on the same long-lived event loop (the worker's way, via
tests.support.FunctionHost); only the `await function(request, context)` is timed.
Afterwards a socket-level audit hook and the JWKS server's hit counter check that
warm requests touch no network.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any

from tests.support import FunctionHost, InvocationContext, MCP_HEADERS, PUBLIC_HOST

import azure.functions as func

from .fixtures import TOOL_CALL_BODY, Fixture
from .stats import summarize

__all__ = ["run_warm"]

_SOCKET_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg", "socket.bind"})
_counting = False
_socket_events = 0


def _audit(event: str, args: Any) -> None:
    global _socket_events
    if _counting and event in _SOCKET_EVENTS:
        _socket_events += 1


def _request(token: str | None) -> func.HttpRequest:
    headers = {"Host": PUBLIC_HOST, **MCP_HEADERS}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return func.HttpRequest(
        method="POST", url=f"https://{PUBLIC_HOST}/mcp", headers=headers, params={}, body=TOOL_CALL_BODY
    )


async def _timed_calls(functions: dict[str, Any], tokens: dict[str, str | None], iterations: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in functions}
    names = list(functions)
    for i in range(iterations):
        # Alternate which variant goes first, so neither always follows the other.
        for name in names if i % 2 == 0 else reversed(names):
            request, context = _request(tokens[name]), InvocationContext()
            started = time.perf_counter()
            response = await functions[name](request, context)
            samples[name].append(time.perf_counter() - started)
            if response.status_code != 200 or b'"isError":false' not in response.get_body():
                raise RuntimeError(f"{name}: unexpected answer {response.status_code} {response.get_body()[:200]!r}")
    return samples


def run_warm(fixture: Fixture, *, iterations: int, warmup: int) -> dict[str, Any]:
    """p50/p99 per variant (seconds), their ratios, and the network calls warm requests made."""
    global _counting
    os.environ.update({k: v for k, v in fixture.env().items() if k.startswith("OAUTH_")})
    ours_module = importlib.import_module("function_app")
    bare_module = importlib.import_module("bench.bare_app")
    # One worker-style loop for both function objects, so they share scheduling conditions.
    # Nothing is shut down: this runs in a process of its own (see `main`), which simply exits.
    loop_host = FunctionHost(ours_module.app)
    functions = {
        "ours": loop_host.function.get_user_function(),
        "bare": bare_module.app.get_functions()[0].get_user_function(),
    }
    tokens: dict[str, str | None] = {"ours": fixture.token, "bare": None}
    loop_host.run(_timed_calls(functions, tokens, warmup), timeout=600)  # startup, first fetch, caches
    fetches_before, hits_before = ours_module.signing_keys.fetch_count, fixture.jwks.hits
    samples = loop_host.run(_timed_calls(functions, tokens, iterations), timeout=600)
    # The socket check runs after the timed pass: an audit hook costs a little on every event.
    checked = min(iterations, 200)
    sys.addaudithook(_audit)
    _counting = True
    loop_host.run(_timed_calls({"ours": functions["ours"]}, tokens, checked), timeout=600)
    _counting = False
    result = {name: summarize(values) for name, values in samples.items()}
    return {
        "iterations": iterations,
        "ours": result["ours"],
        "bare": result["bare"],
        "ratio_p50": result["ours"]["p50"] / result["bare"]["p50"],
        "ratio_p99": result["ours"]["p99"] / result["bare"]["p99"],
        "jwks_hits_during_warm": fixture.jwks.hits - hits_before,
        "jwks_fetches_during_warm": ours_module.signing_keys.fetch_count - fetches_before,
        "socket_events_during_warm": _socket_events,
        "socket_checked_requests": checked,
    }


def main() -> None:
    """`python -m bench.warm ITERATIONS WARMUP`: one JSON line, in a process of its own."""
    iterations, warmup = int(sys.argv[1]), int(sys.argv[2])
    fixture = Fixture.start()
    print(json.dumps(run_warm(fixture, iterations=iterations, warmup=warmup)), flush=True)
    # The Functions app's __del__ would try to shut the ASGI lifespan down on a loop that is gone.
    os._exit(0)


if __name__ == "__main__":
    main()
