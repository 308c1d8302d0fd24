"""The Functions entry leaves uvicorn unimported (changing nothing when uvicorn is the server), and freezes its objects.

Each check runs in a fresh interpreter, since what matters is what one import of
function_app loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import REPO, JwksServer, entra_env

PROBE = """
import json, sys
{before}
import gc
import function_app
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("uvicorn", "click"))
frozen = gc.get_freeze_count()
from uvicorn.main import Server
import sse_starlette.sse as sse
print(json.dumps({{"loaded_by_entry": loaded, "patched": Server.handle_exit is sse.AppStatus.handle_exit, "frozen": frozen}}))
"""


def _probe(jwks_server: JwksServer, before: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        cwd=REPO, env={**os.environ, **entra_env(jwks_server.url), "PYTHONPATH": REPO},
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_functions_entry_does_not_import_uvicorn_yet_uvicorn_imports_after_it(jwks_server: JwksServer):
    outcome = _probe(jwks_server, before="")

    # sse_starlette skipped its shutdown patch; this app never sends an EventSourceResponse.
    assert (outcome["loaded_by_entry"], outcome["patched"]) == ([], False)


def test_the_entry_freezes_what_it_built_out_of_the_collectors_sight(jwks_server: JwksServer):
    outcome = _probe(jwks_server, before="")

    assert outcome["frozen"] > 50_000  # the SDK's import alone tracks ~90,000 objects


def test_under_uvicorn_the_entry_changes_nothing(jwks_server: JwksServer):
    outcome = _probe(jwks_server, before="import uvicorn")

    assert outcome["patched"] is True  # sse_starlette patched uvicorn's shutdown, as without the entry's care
    assert "uvicorn.main" in outcome["loaded_by_entry"]
