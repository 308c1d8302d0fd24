"""The sealing-key hooks, run for real by bash against a stand-in `az` (tests/infra/fake_az.py).

postprovision writes one Fernet key when there is none, and never replaces one that exists (that
would break every sign-in in flight); it retries while Key Vault refuses (the deployer's role still
propagating) and tells SecretNotFound apart from a refusal. rotate-sealing-keys adds a new first
key, then drops all but the first. The key never appears on a command line, and its temporary
file is gone afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.infra.conftest import HERE, INFRA, ROOT

SECRET = "oauth-front-sealing-keys"
OLD_KEY = Fernet.generate_key().decode()


def run_hook(tmp_path: Path, script: str, *args: str, secrets: dict[str, list[str]] | None = None,
             deny_reads: int = 0, deny_writes: int = 0, front: str = "true") -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    state_file = tmp_path / "az-state.json"
    state_file.write_text(json.dumps({"secrets": secrets or {}, "deny_reads": deny_reads, "deny_writes": deny_writes, "calls": []}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    az = bin_dir / "az"
    az.write_text(f"#!/bin/sh\nexec {sys.executable} {HERE / 'fake_az.py'} \"$@\"\n")
    az.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "FAKE_AZ_STATE": str(state_file),
        "PYTHON": sys.executable,  # the hooks' key generator: cryptography's Fernet
        "AZD_HOOK_RETRY_SECONDS": "0",
        "OAUTH_FRONT_ENABLED": front,
        "AZURE_KEY_VAULT_NAME": "kv-mcp-abcdefghijklm",
        "OAUTH_FRONT_SEALING_KEYS_SECRET": SECRET,
        "AZURE_RESOURCE_GROUP": "rg-mcp-dev",
        "AZURE_FUNCTION_APP_NAME": "func-mcp-abcdefghijklm",
    }
    done = subprocess.run(["bash", str(INFRA / "hooks" / script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return done, json.loads(state_file.read_text())


def commands(state: dict[str, Any]) -> list[str]:
    return [" ".join(call[:3]) if call[0] == "keyvault" else " ".join(call[:2]) for call in state["calls"]]


def assert_no_key_in_arguments(state: dict[str, Any]) -> None:
    for versions in state["secrets"].values():
        for value in versions:
            for key in value.split(","):
                assert all(key not in arg for call in state["calls"] for arg in call)


def assert_temp_files_gone(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == ["az-state.json", "bin"]


def test_front_off_needs_no_key(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "postprovision.sh", front="false")
    assert (done.returncode, state["calls"]) == (0, [])
    assert done.stdout == "postprovision: the OAuth front is off; no sealing key needed.\n"


def test_the_first_key_is_written_once_and_the_app_restarted(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "postprovision.sh")
    assert done.returncode == 0, done.stderr
    assert commands(state) == ["keyvault secret show", "keyvault secret set", "functionapp restart"]
    (key,) = state["secrets"][SECRET]
    assert "," not in key
    Fernet(key.encode())  # a valid key: 32 bytes, url-safe base64
    assert_no_key_in_arguments(state)
    assert_temp_files_gone(tmp_path)


def test_an_existing_key_is_kept(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "postprovision.sh", secrets={SECRET: [OLD_KEY]})
    assert done.returncode == 0
    assert commands(state) == ["keyvault secret show"]
    assert state["secrets"][SECRET] == [OLD_KEY]
    assert done.stdout == f"postprovision: {SECRET} already in kv-mcp-abcdefghijklm; kept.\n"


def test_a_refused_read_is_retried_not_taken_for_a_missing_key(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "postprovision.sh", secrets={SECRET: [OLD_KEY]}, deny_reads=3)
    assert done.returncode == 0
    assert commands(state) == ["keyvault secret show"] * 4
    assert state["secrets"][SECRET] == [OLD_KEY]


def test_a_key_vault_that_never_answers_fails_without_writing(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "postprovision.sh", deny_reads=10)
    assert done.returncode == 1
    assert commands(state) == ["keyvault secret show"] * 10
    assert state["secrets"] == {}
    assert done.stderr.endswith("check that AZURE_PRINCIPAL_ID has Key Vault Secrets Officer on it.\n")


def test_a_refused_write_is_retried(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "postprovision.sh", deny_writes=2)
    assert done.returncode == 0, done.stderr
    assert commands(state) == ["keyvault secret show"] + ["keyvault secret set"] * 3 + ["functionapp restart"]
    assert len(state["secrets"][SECRET]) == 1
    assert_temp_files_gone(tmp_path)


def test_rotation_adds_a_first_key_then_drops_the_rest(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "rotate-sealing-keys.sh", "add", secrets={SECRET: [OLD_KEY]})
    assert done.returncode == 0, done.stderr
    new_key, kept = state["secrets"][SECRET][-1].split(",")
    assert kept == OLD_KEY and new_key != OLD_KEY
    Fernet(new_key.encode())
    assert commands(state) == ["keyvault secret show", "keyvault secret set", "functionapp restart"]
    assert done.stdout.endswith("add done; 2 key(s) in kv-mcp-abcdefghijklm/oauth-front-sealing-keys.\n")
    assert_no_key_in_arguments(state)
    assert_temp_files_gone(tmp_path)

    done, state = run_hook(tmp_path, "rotate-sealing-keys.sh", "drop", secrets={SECRET: [f"{new_key},{OLD_KEY}"]})
    assert done.returncode == 0, done.stderr
    assert state["secrets"][SECRET][-1] == new_key
    assert done.stdout.endswith("drop done; 1 key(s) in kv-mcp-abcdefghijklm/oauth-front-sealing-keys.\n")


def test_rotation_refuses_an_unknown_step(tmp_path: Path) -> None:
    done, state = run_hook(tmp_path, "rotate-sealing-keys.sh", "replace", secrets={SECRET: [OLD_KEY]})
    assert (done.returncode, state["calls"]) == (2, [])
    assert done.stderr.endswith("add|drop\n")


def test_the_hooks_need_the_azd_environment(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OAUTH_FRONT"))}
    env["OAUTH_FRONT_ENABLED"] = "true"
    done = subprocess.run(["bash", str(INFRA / "hooks" / "postprovision.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "AZURE_KEY_VAULT_NAME: missing; run azd provision first" in done.stderr
