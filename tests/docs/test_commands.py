"""Every shell block of the README and docs/ is valid bash, and every `az` line in them parses with azure-cli.

The deploy docs are followed by pasting. A placeholder such as `TENANT_ID=<tenant id>` is a
bash syntax error, and an `az` flag that doesn't exist fails only in front of the user. So
each ```bash block must pass `bash -n`, and each `az` command in it (at the start of a line,
after a pipe or `&&`, or inside `$(...)`) must be accepted by azure-cli's own parser, with
every variable replaced by a dummy value. azure-cli is large, so it lives in the tools venv
that .ci/run makes (`.venv-tools`, beside the infrastructure checks); AZ_TOOLS_PYTHON names
another interpreter that has it. Parsing runs no command: tests/docs/az_parse.py stops
azure-cli right after it has parsed the arguments.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support import REPO

DOCUMENTS = [Path(REPO, "README.md"), *sorted(Path(REPO, "docs").glob("*.md"))]
TOOLS_PYTHON = os.environ.get("AZ_TOOLS_PYTHON") or os.path.join(REPO, ".venv-tools", "bin", "python")
PARSER = os.path.join(REPO, "tests", "docs", "az_parse.py")
_BLOCK = re.compile(r"^([ \t]*)```bash\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def bash_blocks() -> list[tuple[str, str]]:
    """(`file#n`, the block's text) for every ```bash block, list-indented ones included."""
    blocks = []
    for path in DOCUMENTS:
        for n, (indent, body) in enumerate(_BLOCK.findall(path.read_text()), 1):
            lines = body.splitlines(keepends=True)
            blocks.append((f"{path.name}#{n}", "".join(line[len(indent):] if line.startswith(indent) else line for line in lines)))
    return blocks


def _commands_in(line: str) -> list[str]:
    """The `az` commands of one (joined) shell line, each as its own string."""
    found = []
    for match in re.finditer(r"(?:^\s*|\$\(|\|\s*|&&\s*|;\s*|\bdo\s+)(az\s)", line):
        start = match.start(1)
        depth, end = 0, len(line)
        for i in range(start, len(line)):
            ch = line[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    end = i
                    break
                depth -= 1
            elif depth == 0 and line.startswith((" | ", " && ", "; ", " #"), i) and not _inside_quotes(line[start:i]):
                end = i
                break
        found.append(line[start:end].strip())
    return found


def _inside_quotes(text: str) -> bool:
    return text.count('"') % 2 == 1 or text.count("'") % 2 == 1


def az_commands() -> list[tuple[str, list[str]]]:
    commands = []
    for where, block in bash_blocks():
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            if line.lstrip().startswith("#"):
                continue
            for command in _commands_in(line):
                text = _VARIABLE.sub("dummy", command)
                commands.append((where, shlex.split(text, comments=True)[1:]))
    return commands


@pytest.mark.parametrize(("where", "block"), bash_blocks(), ids=[where for where, _ in bash_blocks()])
def test_every_shell_block_is_valid_bash(where: str, block: str) -> None:
    result = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, timeout=30)

    assert (result.returncode, result.stderr) == (0, ""), where


def test_the_docs_have_az_commands_to_check() -> None:
    commands = az_commands()
    prefixes = {" ".join(args[:2]) for _, args in commands}

    assert len(commands) >= 70
    assert {"functionapp create", "functionapp update", "functionapp list-flexconsumption-runtimes", "functionapp flex-migration"} <= prefixes


def test_every_az_command_parses_with_azure_cli() -> None:
    if not os.path.exists(TOOLS_PYTHON):
        pytest.skip(f"azure-cli is not installed here ({TOOLS_PYTHON}); .ci/run makes the tools venv")
    commands = az_commands()
    with tempfile.TemporaryDirectory() as config:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": config,
            "AZURE_CONFIG_DIR": config,  # no profile, so no signed-in account: nothing to read or send
            "AZURE_CORE_COLLECT_TELEMETRY": "no",
            "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no",  # an unknown command must fail here, not look for an extension
        }
        # A file the docs write just before the command (a heredoc) must exist for azure-cli's validators to read it.
        for name in {arg.lstrip("@") for _, args in commands for arg in args if arg.endswith(".json")}:
            Path(config, name).write_text("{}")
        stdin = "".join(json.dumps(args) + "\n" for _, args in commands)
        result = subprocess.run([TOOLS_PYTHON, PARSER], input=stdin, env=env, cwd=config, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    answers = [json.loads(line) for line in result.stdout.splitlines()]

    refused = [f"{where}: az {' '.join(args)} -> {answer['error']}" for (where, args), answer in zip(commands, answers, strict=True) if answer["error"]]
    assert refused == []
