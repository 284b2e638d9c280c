#!/usr/bin/env bash
# Writes a release's SHA256SUMS (sha256sum's format, for `sha256sum -c`) over its
# archives, then the action's pins from it: OUT_JSON (action/checksums.json in the
# release workflow) maps each runner OS-arch, as node names them, to its archive and
# SHA-256. The release workflow and scripts/release-dry-run.sh both call it.
# Usage: pins.sh VERSION DIST_DIR OUT_JSON
source "$(dirname "$0")/common.sh"
expect_args 3 "pins.sh VERSION DIST_DIR OUT_JSON" "$@"
version=${1#v} dist=$2 out=$3
prefix="ci-tracing-v$version-"

shopt -s nullglob
cd "$dist"
archives=("$prefix"*.tar.gz "$prefix"*.zip)
if ((${#archives[@]} == 0)); then
  echo "pins.sh: no $prefix*.tar.gz or .zip archive in $dist; run scripts/release/package.sh first" >&2
  exit 1
fi
if command -v sha256sum >/dev/null; then
  sha256sum -- "${archives[@]}" > SHA256SUMS.partial
else
  shasum -a 256 -- "${archives[@]}" > SHA256SUMS.partial
fi
mv SHA256SUMS.partial SHA256SUMS
cd - >/dev/null

# The runner keys of a target triple: node's process.platform-process.arch. Windows on
# arm64 runs the x86_64 binary under its x64 emulation.
keys() {
  local os arch
  case "$1" in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=win32 ;;
    *) echo "pins.sh: no runner OS for target $1" >&2; return 1 ;;
  esac
  case "$1" in
    x86_64-*) arch=x64 ;;
    aarch64-*) arch=arm64 ;;
    *) echo "pins.sh: no runner architecture for target $1" >&2; return 1 ;;
  esac
  echo "$os-$arch"
  if [ "$os-$arch" = win32-x64 ]; then echo win32-arm64; fi
}

assets='{}'
while read -r sum name; do
  target=${name#"$prefix"}
  target=${target%.tar.gz}
  target=${target%.zip}
  for key in $(keys "$target"); do
    assets=$(jq --arg key "$key" --arg name "$name" --arg sum "$sum" \
      '. + {($key): {name: $name, sha256: $sum}}' <<<"$assets")
  done
done < "$dist/SHA256SUMS"

# The comment stays the one action/checksums.json of this checkout carries.
comment=$(jq -r '."//"' "$ROOT/action/checksums.json")
jq -n --arg comment "$comment" --arg version "$version" --argjson assets "$assets" \
  '{"//": $comment, version: $version, assets: ($assets | to_entries | sort_by(.key) | from_entries)}' > "$out.partial"
mv "$out.partial" "$out"
