"""The azd hook scripts pass `bash -n` and shellcheck, and every `az` command in them parses.

The `az` commands of the hooks, and those that infra/ and its README tell a user to run, are
parsed by azure-cli's own parser (tests/infra/az_parse.py, in the tools venv), offline and signed
out: a misspelled command or option, or a missing required one, fails here rather than at deploy.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import HERE, INFRA, ROOT

HOOKS = sorted((INFRA / "hooks").glob("*.sh"))
# Where a command starts in a shell line: at its beginning, or after one of these.
_COMMAND_START = re.compile(r"(?:^|\$\(|\bif\s+|\bthen\s+|&&\s*|\|\|\s*|;\s*|\|\s*)(?=az\s)")
_SHELL_STOP = {";", "|", "||", "&&", ">", ">>", "<", "2>", "&", ")", "then", "do"}
# azure-cli, offline: no extension index download, no recommendation service, no telemetry.
AZ_OFFLINE = {
    "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no",
    "AZURE_CORE_ERROR_RECOMMENDATION": "off",
    "AZURE_CORE_COLLECT_TELEMETRY": "false",
    "AZURE_CORE_SURVEY_MESSAGE": "false",
}


def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined and comments of whole lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if not line.lstrip().startswith("#")]


def az_commands(line: str) -> list[list[str]]:
    """The argument lists of the `az` commands in one shell line (after `az`), variables made plain words."""
    found = []
    plain = re.sub(r"\$\{?(\w+)\}?", r"\1", line)  # "$AZURE_KEY_VAULT_NAME" → AZURE_KEY_VAULT_NAME
    plain = re.sub(r"\s\d*(?:>>?|<)&?\s*(?:\"[^\"]*\"|\S+)", " ", plain)  # redirections: 2>/dev/null, > "$file"
    for match in _COMMAND_START.finditer(plain):
        lexer = shlex.shlex(plain[match.end():], posix=True, punctuation_chars=";|&<>()")
        lexer.whitespace_split = True
        words = []
        for word in lexer:
            if word in _SHELL_STOP or word.startswith(("2>", ">")):
                break
            words.append(word)
        assert words[0] == "az", line
        found.append(words[1:])
    return found


def commands_in(path: Path) -> list[tuple[str, list[str]]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".sh":
        lines = logical_lines(text)
    else:  # `az` commands in comments (//), in README code blocks and in `code spans`
        lines = [re.sub(r"^\s*(//|#)?\s*", "", line) for line in text.splitlines()]
        lines = [line for line in lines if line.startswith("az ")] + re.findall(r"`(az [^`]+)`", text)
    return [(f"{path.relative_to(ROOT)}: {command_path(args)}", args) for line in lines for args in az_commands(line)]


def command_path(args: list[str]) -> str:
    """`keyvault secret set` of `keyvault secret set --name ...`."""
    words = []
    for word in args:
        if word.startswith("-"):
            break
        words.append(word)
    return " ".join(words)


def parse_az(tools_python: Path, tmp_path: Path, commands: list[list[str]]) -> list[dict[str, object]]:
    env = {**os.environ, **AZ_OFFLINE, "AZURE_CONFIG_DIR": str(tmp_path / "az")}
    done = subprocess.run(
        [str(tools_python), str(HERE / "az_parse.py")], input=json.dumps(commands), cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=600, check=True,
    )
    results: list[dict[str, object]] = json.loads(done.stdout)
    return results


def test_the_hooks_are_the_ones_azure_yaml_runs() -> None:
    assert [path.name for path in HOOKS] == ["postdeploy.sh", "postprovision.sh", "prepackage.sh", "rotate-sealing-keys.sh", "sealing-key-lib.sh"]
    for path in HOOKS:
        assert os.access(path, os.X_OK), f"{path.name} is not executable"
        assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")


@pytest.mark.parametrize("path", HOOKS, ids=lambda p: p.name)
def test_bash_reads_every_hook(path: Path) -> None:
    done = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_shellcheck_finds_nothing() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("CI") == "true":
            pytest.fail("shellcheck is missing; .ci/run installs it (apt-get install shellcheck)")
        pytest.skip("shellcheck is missing: apt-get install shellcheck (or run .ci/run)")
    done = subprocess.run(
        [shellcheck, "--external-sources", "--severity=style", *[str(p.relative_to(ROOT)) for p in HOOKS]],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "")


def test_the_hooks_call_the_expected_commands() -> None:
    found = {name.split(": ", 1)[1] for path in HOOKS for name, _ in commands_in(path)}
    assert found == {"keyvault secret show", "keyvault secret set", "functionapp restart"}


def test_every_az_command_parses(tools_python: Path, tmp_path: Path) -> None:
    sources = [*HOOKS, *sorted(INFRA.rglob("*.bicep")), INFRA / "README.md"]
    named = [command for path in sources for command in commands_in(path)]
    assert len(named) >= 10
    results = parse_az(tools_python, tmp_path, [args for _, args in named])
    failures = {name: result["error"] for (name, _), result in zip(named, results, strict=True) if not result["ok"]}
    assert failures == {}


def test_a_wrong_az_command_is_caught(tools_python: Path, tmp_path: Path) -> None:
    wrong = [
        ["functionapp", "list-flexconsumption-locations", "--runtime", "python", "--runtime-version", "3.11"],
        ["keyvault", "secret", "set", "--vault-name", "v", "--name", "n", "--value-file", "f"],
        ["keyvault", "secret", "set", "--vault-name", "v"],
        ["functionap", "restart", "--name", "n", "--resource-group", "g"],
    ]
    errors = [result["error"] for result in parse_az(tools_python, tmp_path, wrong)]
    assert errors == [
        "unrecognized arguments: --runtime-version 3.11",
        "unrecognized arguments: --value-file f",
        "the following arguments are required: --name/-n",
        "'functionap' is misspelled or not recognized by the system.",
    ]


def test_the_extraction_reads_shell_forms() -> None:
    line = 'if az keyvault secret show --vault-name "$V" --query id --output none 2>/dev/null; then x=$(az account show -o tsv | tr a b); fi'
    assert az_commands(line) == [
        ["keyvault", "secret", "show", "--vault-name", "V", "--query", "id", "--output", "none"],
        ["account", "show", "-o", "tsv"],
    ]
