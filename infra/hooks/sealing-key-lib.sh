#!/usr/bin/env bash
# Shared by postprovision.sh and rotate-sealing-keys.sh (sourced, not run).

# The Python that has the app's requirements: the repository's .venv when there is one.
repo_python() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if [ -x "$root/.venv/bin/python" ]; then
    echo "$root/.venv/bin/python"
  else
    echo "${PYTHON:-python3}"
  fi
}

# One new Fernet key on stdout (cryptography's own generator: 32 random bytes, url-safe base64).
new_fernet_key() {
  "$(repo_python)" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode(), end="")'
}

# A new empty file only this user can read.
private_temp_file() {
  (umask 077 && mktemp)
}
