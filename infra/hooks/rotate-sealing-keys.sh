#!/usr/bin/env bash
# Rotate the OAuth front's sealing keys without breaking a sign-in in flight (infra/README.md):
#   rotate-sealing-keys.sh add    a new key goes first (it seals from now on); the old ones still open
#   rotate-sealing-keys.sh drop   after the longest sealed lifetime, keep only the first key
# Run from the repository root with azd's environment loaded, e.g.
#   eval "$(azd env get-values)" && infra/hooks/rotate-sealing-keys.sh add
set -euo pipefail
: "${AZURE_KEY_VAULT_NAME:?missing; load the azd environment first}"
: "${OAUTH_FRONT_SEALING_KEYS_SECRET:?missing; load the azd environment first}"
: "${AZURE_RESOURCE_GROUP:?missing; load the azd environment first}"
: "${AZURE_FUNCTION_APP_NAME:?missing; load the azd environment first}"

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=infra/hooks/sealing-key-lib.sh
. "$here/sealing-key-lib.sh"

action="${1:-}"
if [ "$action" != "add" ] && [ "$action" != "drop" ]; then
  echo "usage: $0 add|drop" >&2
  exit 2
fi

current_file="$(private_temp_file)"
next_file="$(private_temp_file)"
trap 'rm -f "$current_file" "$next_file"' EXIT
az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$OAUTH_FRONT_SEALING_KEYS_SECRET" \
  --query value --output tsv > "$current_file"
if [ "$action" = "add" ]; then
  { new_fernet_key; printf ','; tr -d '\n' < "$current_file"; } > "$next_file"
else
  cut -d, -f1 < "$current_file" | tr -d '\n' > "$next_file"
fi
az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$OAUTH_FRONT_SEALING_KEYS_SECRET" \
  --file "$next_file" --encoding utf-8 --content-type "Fernet keys, comma-separated; the first seals" --output none
# The app reads the latest version at once on a restart (otherwise within 24 hours).
az functionapp restart --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" --output none
echo "rotate-sealing-keys: $action done; $(tr ',' '\n' < "$next_file" | grep -c .) key(s) in $AZURE_KEY_VAULT_NAME/$OAUTH_FRONT_SEALING_KEYS_SECRET."
