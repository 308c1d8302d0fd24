#!/usr/bin/env bash
# azd prepackage hook (service `api`): stage the app, with its own bytecode, in .deploy/app, the folder
# azure.yaml's `dist` names. azd zips that folder by the .funcignore staged in it, which keeps the
# __pycache__ folders. Azure runs the app from a read-only package and the remote build compiles only
# the packages it installs, so without this every cold start compiles the app's modules again
# (deploy/stage.py, docs/performance.md). The bytecode is Python 3.11's: the repository's venv.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
if [ -x "$root/.venv/bin/python" ]; then
  python="$root/.venv/bin/python"
fi
cd "$root"
rm -rf .deploy/app
"$python" -m deploy stage .deploy/app
