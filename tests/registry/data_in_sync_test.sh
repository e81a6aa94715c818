#!/usr/bin/env bash
# The shipped registry data of every generation (tools/generations/*.json, its `outputs`) is
# exactly what the converter makes of that generation's reference tables, so the data files can
# always be regenerated and nobody edits them by hand.
# Usage: data_in_sync_test.sh <repo root>
set -euo pipefail
root=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for generation in "$root"/tools/generations/*.json; do
  name=$(basename "$generation" .json)
  read -r reference registry optional < <(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))["outputs"]
print(o["reference"], o["registry"], o["registry_optional"])' "$generation")
  python3 "$root/tools/registry_from_reference.py" --reference "$root/$reference" \
    --out "$out/$name/registry" --optional-out "$out/$name/registry-optional" >/dev/null
  diff -r "$root/$registry" "$out/$name/registry"
  # A generation without optional files has no folder for them.
  if [[ -d $root/$optional || -d $out/$name/registry-optional ]]; then
    diff -r "$root/$optional" "$out/$name/registry-optional"
  fi
  echo "generation $name: registry data in sync with the converter"
done
