#!/usr/bin/env bash
# azd postdeploy hook: check the deployment from outside, the way MCP clients meet it (the doctor:
# protected-resource metadata, the authorization server's metadata, HTTPS, a 401 from the server
# itself rather than EasyAuth's redirect, CORS). A finding fails `azd up`, naming the fix.
set -euo pipefail
: "${MCP_URL:?missing; run azd provision first}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
if [ -x "$root/.venv/bin/python" ]; then
  python="$root/.venv/bin/python"
fi
cd "$root"
exec "$python" -m doctor "$MCP_URL"
