"""One cold start: import a server, answer one `tools/call` through its function object, report, exit.

Run as `python bench/cold_child.py ours|bare|telemetry` in a fresh process; with BENCH_APP_DIR set,
"ours" is imported from that folder (a staged app folder, as Azure runs it). Imports nothing
before the server module but the standard library, so each variant pays only for
itself. Prints one JSON line the moment the answer is in; the parent stamps the
wall time when it reads that line.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time

T0 = float(os.environ.get("BENCH_T0", "nan"))  # the parent's time.monotonic() just before spawning us


def _since_spawn() -> float:
    return time.monotonic() - T0


def main(variant: str) -> None:
    sys.path.insert(0, os.environ.get("BENCH_APP_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    started = _since_spawn()
    cpu_started = time.process_time()
    if variant == "ours":
        import function_app as target
    elif variant == "bare":
        from bench import bare_app as target
    elif variant == "telemetry":  # ours with telemetry on and the Azure Monitor distro imported
        from bench import telemetry_app as target
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    imported = _since_spawn()
    import_cpu = time.process_time() - cpu_started

    import azure.functions as func

    class Context(func.Context):
        invocation_id = "00000000-0000-4000-8000-000000000001"
        function_name = "http_app_func"
        function_directory = os.getcwd()
        trace_context = None
        retry_context = None
        thread_local_storage = None

    headers = {
        "Host": "calc-mcp.azurewebsites.net",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-06-18",
    }
    if variant in ("ours", "telemetry"):
        headers["Authorization"] = f"Bearer {os.environ['BENCH_TOKEN']}"
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 2, "b": 3}}}
    ).encode()
    request = func.HttpRequest(
        method="POST", url="https://calc-mcp.azurewebsites.net/mcp", headers=headers, params={}, body=body
    )
    (function,) = target.app.get_functions()
    user_function = function.get_user_function()

    async def call() -> None:
        response = await user_function(request, Context())
        answered = _since_spawn()
        usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process, the JWKS prefetch too
        print(
            json.dumps(
                {
                    "variant": variant,
                    "status": response.status_code,
                    "body": response.get_body().decode(),
                    "interpreter_s": started,
                    "import_s": imported - started,
                    "import_cpu_s": import_cpu,
                    "first_call_s": answered - imported,
                    "child_total_s": answered,
                    "cpu_s": usage.ru_utime + usage.ru_stime,
                }
            ),
            flush=True,
        )
        # Skip interpreter teardown (and AsgiFunctionApp.__del__'s shutdown); it is not part of a cold start.
        os._exit(0)

    asyncio.run(call())


if __name__ == "__main__":
    main(sys.argv[1])
