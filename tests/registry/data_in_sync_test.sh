#!/usr/bin/env bash
# The shipped registry data is exactly what the converter makes of the reference tables, so the
# data files can always be regenerated and nobody edits them by hand.
# Usage: data_in_sync_test.sh <repo root>
set -euo pipefail
root=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 "$root/tools/registry_from_reference.py" --reference "$root/tests/reference" \
  --out "$out/registry" --optional-out "$out/registry-optional" >/dev/null
diff -r "$root/data/registry" "$out/registry"
diff -r "$root/data/registry-optional" "$out/registry-optional"
echo "registry data in sync with the converter"
