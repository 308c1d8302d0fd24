#!/usr/bin/env bash
# azd postprovision hook: when the OAuth front is on, put its first sealing key in Key Vault.
# - Generated here, once: a later `azd up` finds the secret and keeps it, so sign-ins in flight
#   and issued refresh tokens stay valid. Rotation: infra/hooks/rotate-sealing-keys.sh.
# - The key goes from Fernet.generate_key() to a private temporary file to Key Vault: it is never
#   an argument on a command line, an azd output or a value in .azure/.
# azd exports the template's outputs (infra/main.bicep) to this script's environment.
set -euo pipefail

if [ "${OAUTH_FRONT_ENABLED:-false}" != "true" ]; then
  echo "postprovision: the OAuth front is off; no sealing key needed."
  exit 0
fi
: "${AZURE_KEY_VAULT_NAME:?missing; run azd provision first}"
: "${OAUTH_FRONT_SEALING_KEYS_SECRET:?missing; run azd provision first}"
: "${AZURE_RESOURCE_GROUP:?missing; run azd provision first}"
: "${AZURE_FUNCTION_APP_NAME:?missing; run azd provision first}"

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=infra/hooks/sealing-key-lib.sh
. "$here/sealing-key-lib.sh"

# Keep an existing key: replacing it would break every sign-in in flight. Only Key Vault's own
# SecretNotFound means there is none; any other refusal (the role still propagating) is retried.
missing=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if answer="$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$OAUTH_FRONT_SEALING_KEYS_SECRET" --query id --output tsv 2>&1)"; then
    echo "postprovision: $OAUTH_FRONT_SEALING_KEYS_SECRET already in $AZURE_KEY_VAULT_NAME; kept."
    exit 0
  fi
  case "$answer" in
    *SecretNotFound*) missing="yes"; break ;;
  esac
  echo "postprovision: Key Vault refused the read (attempt $attempt of 10; the role may still be propagating)." >&2
  sleep "${AZD_HOOK_RETRY_SECONDS:-30}"
done
if [ "$missing" != "yes" ]; then
  echo "postprovision: could not read $AZURE_KEY_VAULT_NAME; check that AZURE_PRINCIPAL_ID has Key Vault Secrets Officer on it." >&2
  exit 1
fi

secret_file="$(private_temp_file)"
trap 'rm -f "$secret_file"' EXIT
new_fernet_key > "$secret_file"
# The deployer's Key Vault Secrets Officer role may have been granted moments ago; Azure RBAC can take
# a few minutes to apply ("Troubleshoot Azure RBAC"), so each call is retried for up to 5 minutes.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$OAUTH_FRONT_SEALING_KEYS_SECRET" \
      --file "$secret_file" --encoding utf-8 --content-type "Fernet keys, comma-separated; the first seals" --output none; then
    echo "postprovision: wrote the first sealing key to $AZURE_KEY_VAULT_NAME/$OAUTH_FRONT_SEALING_KEYS_SECRET."
    # A restart makes the app resolve its Key Vault reference now rather than within 24 hours.
    az functionapp restart --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" --output none
    exit 0
  fi
  echo "postprovision: Key Vault refused the write (attempt $attempt of 10; the role may still be propagating)." >&2
  sleep "${AZD_HOOK_RETRY_SECONDS:-30}"
done
echo "postprovision: could not write the sealing key; check that AZURE_PRINCIPAL_ID has Key Vault Secrets Officer on $AZURE_KEY_VAULT_NAME." >&2
exit 1
