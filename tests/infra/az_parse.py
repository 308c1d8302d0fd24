"""Parse `az` command lines with azure-cli's own parser, without signing in or calling Azure.

Run by tests/infra/test_hooks.py with the tools venv's Python (requirements-infra.txt pins
azure-cli). Reads a JSON list of argument lists on stdin; prints, for each, {"ok": bool,
"error": the parser's message}. Each command goes through azure-cli's real invoker (command table,
argument registration, argparse), which is stopped by an event handler the moment the arguments
are parsed, before any validator or request runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any


class _Parsed(Exception):
    """Raised by the post-parse event handler: parsing succeeded, stop before running anything."""


def parse(args: list[str]) -> dict[str, Any]:
    from azure.cli.core import get_default_cli
    from knack.events import EVENT_INVOKER_POST_PARSE_ARGS

    cli = get_default_cli()

    def stop(_cli_ctx: Any, **_kwargs: Any) -> None:
        raise _Parsed

    cli.register_event(EVENT_INVOKER_POST_PARSE_ARGS, stop)
    invoker = cli.invocation_cls(
        cli_ctx=cli, parser_cls=cli.parser_cls, commands_loader_cls=cli.commands_loader_cls, help_cls=cli.help_cls
    )
    cli.invocation = invoker
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            invoker.execute(list(args))
    except _Parsed:
        return {"ok": True, "error": ""}
    except SystemExit:
        pass
    message = next((line for line in errors.getvalue().splitlines() if line.strip()), "no command parsed")
    return {"ok": False, "error": message.strip()}


def main() -> int:
    commands = json.load(sys.stdin)
    json.dump([parse(args) for args in commands], sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
