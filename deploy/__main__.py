"""`python -m deploy stage FOLDER`: the app folder to publish, with its bytecode (see deploy/stage.py)."""

from __future__ import annotations

import argparse
import os
import sys

from .stage import StageError, stage

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description="Prepare the function app for publishing.")
    commands = parser.add_subparsers(dest="command", required=True)
    staging = commands.add_parser("stage", help="copy the project into FOLDER and compile the app's bytecode there")
    staging.add_argument("folder", help="a new or empty folder; publish from it with func azure functionapp publish")
    args = parser.parse_args(argv)
    try:
        staged = stage(REPO, args.folder)
    except StageError as exc:
        print(f"deploy stage: {exc}", file=sys.stderr)
        return 1
    print(f"staged {staged.files} files with their bytecode in {staged.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
