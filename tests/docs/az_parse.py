"""Parse `az` command lines with azure-cli's own parser, without signing in or calling Azure.

Run with the Python that has azure-cli installed (the tools venv): it reads one JSON
array of arguments per line on stdin and prints one JSON line per command,
`{"args": [...], "error": null}` when azure-cli's parser accepts it, else the error.
Parsing stops right after azure-cli has parsed and validated the arguments
(EVENT_INVOKER_POST_PARSE_ARGS), before any command handler runs, so nothing
reaches the network and no credential is read.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any

from azure.cli.core import get_default_cli
from knack.events import EVENT_INVOKER_POST_PARSE_ARGS


class _Parsed(Exception):
    pass


def _stop(cli_ctx: Any, **kwargs: Any) -> None:
    raise _Parsed(kwargs.get("command"))


def parse(args: list[str]) -> str | None:
    """None when azure-cli accepts `args` (without the leading `az`), else what it said."""
    cli = get_default_cli()
    cli.register_event(EVENT_INVOKER_POST_PARSE_ARGS, _stop)
    cli.invocation = cli.invocation_cls(
        cli_ctx=cli, parser_cls=cli.parser_cls, commands_loader_cls=cli.commands_loader_cls, help_cls=cli.help_cls
    )
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            cli.invocation.execute(list(args))
    except _Parsed:
        return None
    except SystemExit as exc:
        lines = [line.strip() for line in errors.getvalue().splitlines() if line.strip()]
        return f"exit {exc.code}: " + " | ".join(lines[:3])
    except Exception as exc:  # an azure-cli validator refusing a value
        return f"{type(exc).__name__}: {exc}"
    return "the command ran instead of stopping after parsing"


def main() -> None:
    for line in sys.stdin:
        args = json.loads(line)
        print(json.dumps({"args": args, "error": parse(args)}), flush=True)


if __name__ == "__main__":
    main()
