"""The parity rig leaves nothing pending when it closes (no "Task was destroyed but it is pending!" at exit)."""

from __future__ import annotations

import asyncio

from auth import Principal
from tests.parity.rig import Rig, reference_app
from tests.support import user_claims


def test_closing_the_rig_after_an_sse_answer_cancels_the_stream_watcher_and_closes_the_loop():
    rig = Rig()
    app = reference_app(Principal.from_claims(user_claims(), "client"))
    rig.start(app)
    # The SDK answers GET with an SSE stream, which starts sse-starlette's shutdown watcher on this loop.
    answer = rig.request(app, "GET", "/mcp", [("host", "127.0.0.1"), ("accept", "text/event-stream")])
    assert answer.status == 200
    watchers = [task for task in asyncio.all_tasks(rig._loop) if "_shutdown_watcher" in repr(task.get_coro())]
    assert len(watchers) == 1

    rig.close()

    assert watchers[0].cancelled()
    assert rig._loop.is_closed()
    assert asyncio.all_tasks(rig._loop) == set()
