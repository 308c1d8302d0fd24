"""A stand-in for the `az` command, for running the hook scripts here: Key Vault secrets in a JSON file.

The hooks are the code under test; Azure is what they talk to, and it cannot be reached from here.
This plays the few commands the hooks use, answering as azure-cli does (Key Vault's SecretNotFound
error code, exit status 1 on refusal), and records every call. FAKE_AZ_STATE names the state file:
{"secrets": {name: [versions]}, "deny_reads": n, "deny_writes": n, "calls": [argv, ...]}.
"""

from __future__ import annotations

import json
import os
import sys


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def main(args: list[str]) -> int:
    path = os.environ["FAKE_AZ_STATE"]
    with open(path, encoding="utf-8") as file:
        state = json.load(file)
    state["calls"].append(args)
    status = 0
    try:
        if args[:3] == ["keyvault", "secret", "show"]:
            if state["deny_reads"]:
                state["deny_reads"] -= 1
                print("(Forbidden) Caller is not authorized to perform action on resource.", file=sys.stderr)
                return 1
            versions = state["secrets"].get(option(args, "--name"))
            if not versions:
                print(f"(SecretNotFound) A secret with (name/id) {option(args, '--name')} was not found in this key vault.", file=sys.stderr)
                return 1
            query = option(args, "--query")
            print(versions[-1] if query == "value" else f"https://v.vault.azure.net/secrets/{option(args, '--name')}/{len(versions)}")
        elif args[:3] == ["keyvault", "secret", "set"]:
            if state["deny_writes"]:
                state["deny_writes"] -= 1
                print("(Forbidden) Caller is not authorized to perform action on resource.", file=sys.stderr)
                return 1
            with open(option(args, "--file"), encoding="utf-8") as secret:
                state["secrets"].setdefault(option(args, "--name"), []).append(secret.read())
        elif args[:2] == ["functionapp", "restart"]:
            pass
        else:
            print(f"fake az: no such command {args}", file=sys.stderr)
            status = 2
        return status
    finally:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(state, file)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
