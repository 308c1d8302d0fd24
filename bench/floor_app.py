"""The floor: a raw ASGI app giving the benchmarked `tools/call add` its answer, and nothing else.

No framework, no auth, no validation beyond reading the body as JSON: it shows what
uvicorn, h11, the sockets and one JSON parse and dump cost per request, so the other
apps' CPU per request can be read as a multiple of the least any Python server under
the same uvicorn could spend. `uvicorn bench.floor_app:asgi_app`.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["asgi_app"]

_HEADERS = [(b"content-type", b"application/json")]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    request = json.loads(body)
    arguments = request["params"]["arguments"]
    total = arguments["a"] + arguments["b"]
    # The shape of the SDK's answer to tools/call add(2, 3).
    answer = {
        "jsonrpc": "2.0",
        "id": request["id"],
        "result": {
            "content": [{"type": "text", "text": str(total)}],
            "structuredContent": {"result": total},
            "isError": False,
        },
    }
    payload = json.dumps(answer, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [*_HEADERS, (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
