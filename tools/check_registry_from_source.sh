#!/usr/bin/env bash
# Proves the registry pipeline on real upstream sources: sources -> reference JSON -> data files.
#   1. exports every source of the generation file at its pinned ref (git archive, only the
#      paths the tool reads) into a scratch folder, checking the ref is the pinned commit;
#   2. runs tools/registry_from_source.py on them;
#   3. compares its output with the committed reference folder (byte for byte, diff -r);
#   4. runs tools/registry_from_reference.py on that output and compares with the generation's
#      registry data folders (its `outputs`, e.g. data/registry/ and data/registry-optional/),
#      byte for byte.
# Usage: tools/check_registry_from_source.sh [GENERATION_FILE] [MIRRORS] [REFERENCE_DIR]
#   GENERATION_FILE  default tools/generations/1.23.json
#   MIRRORS          folder of git repositories named <owner>+<name> (a bare repository, or one
#                    with a repo/ subfolder, as the `fetch` tool leaves them); default /work/.mirror
#   REFERENCE_DIR    default the generation's outputs.reference (step 4 runs only for it)
# Needs network access only to obtain the mirrors (see tools/README.md); CI has no sources, so
# CI runs tests/tools/registry_from_source_test.py instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gen=${1:-$root/tools/generations/1.23.json}
mirrors=${2:-/work/.mirror}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The generation's committed folders (reference, registry, registry_optional), if it names them.
read -r own_reference registry optional < <(python3 -c '
import json, sys
o = json.load(open(sys.argv[1])).get("outputs")
print(*(o[k] for k in ("reference", "registry", "registry_optional")) if o else "")' "$gen")
reference=${3:-$root/$own_reference}

# name fetch ref commit paths... per line, from the generation file.
python3 - "$gen" > "$scratch/sources.txt" <<'PY'
import json, sys
for name, s in json.load(open(sys.argv[1]))["sources"].items():
    print(name, s["fetch"].split(":", 1)[1].replace("/", "+"), s["ref"], s["commit"],
          *s["paths"])
PY

while read -r name repo ref commit paths; do
  gitdir=$mirrors/$repo/repo
  [[ -d $gitdir ]] || gitdir=$mirrors/$repo
  if ! git -C "$gitdir" rev-parse --git-dir >/dev/null 2>&1; then
    echo "check_registry_from_source: no git repository for $name at $mirrors/$repo;" \
         "fetch it first (see tools/README.md)" >&2
    exit 2
  fi
  got=$(git -C "$gitdir" rev-parse "$ref^{commit}")
  if [[ $got != "$commit" ]]; then
    echo "check_registry_from_source: $name $ref is $got, the generation file pins $commit" >&2
    exit 1
  fi
  mkdir -p "$scratch/src/$name"
  # shellcheck disable=SC2086  # paths is a list
  git -C "$gitdir" archive -o "$scratch/$name.tar" "$commit" $paths
  tar -xf "$scratch/$name.tar" -C "$scratch/src/$name"
done < "$scratch/sources.txt"

sources=()
while read -r name _; do sources+=(--source "$name=$scratch/src/$name"); done < "$scratch/sources.txt"
python3 "$root/tools/registry_from_source.py" --generation "$gen" "${sources[@]}" \
  --out "$scratch/reference"
diff -r -x README.md "$reference" "$scratch/reference"
echo "reference JSON: identical to $reference"

if [[ -n $own_reference && $reference == "$root/$own_reference" ]]; then
  python3 "$root/tools/registry_from_reference.py" --reference "$scratch/reference" \
    --out "$scratch/data/registry" --optional-out "$scratch/data/registry-optional" >/dev/null
  diff -r "$root/$registry" "$scratch/data/registry"
  if [[ -d $root/$optional || -d $scratch/data/registry-optional ]]; then
    diff -r "$root/$optional" "$scratch/data/registry-optional"
  fi
  echo "data files: identical to $registry and $optional"
fi
