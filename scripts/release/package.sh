#!/usr/bin/env bash
# Packs one target's release binary the way the release publishes it: a folder
# ci-tracing-vVERSION-TARGET/ holding the binary, README.md, CHANGELOG.md and the two
# licence files, as .zip for Windows targets (Explorer opens it) and .tar.gz (ustar, so
# every tar reads it) elsewhere. The release workflow and scripts/release-dry-run.sh both
# call it; action/archive.js and cargo-binstall (Cargo.toml) read what it writes.
# Usage: package.sh TARGET VERSION BINARY OUT_DIR. Prints the archive's path.
source "$(dirname "$0")/common.sh"
expect_args 4 "package.sh TARGET VERSION BINARY OUT_DIR" "$@"
target=$1 version=${2#v} binary=$3 out=$4
if [ ! -f "$binary" ]; then
  echo "package.sh: no binary at $binary; build it first with scripts/release/build.sh $target" >&2
  exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

stem="ci-tracing-v$version-$target"
exe=ci-tracing
[[ "$target" == *-windows-* ]] && exe=ci-tracing.exe
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir "$staging/$stem"
cp "$binary" "$staging/$stem/$exe"
chmod 755 "$staging/$stem/$exe"
cp "$ROOT/README.md" "$ROOT/CHANGELOG.md" "$ROOT/LICENSE-MIT" "$ROOT/LICENSE-APACHE" "$staging/$stem/"

if [[ "$target" == *-windows-* ]]; then
  archive="$out/$stem.zip"
  rm -f "$archive"
  if command -v 7z >/dev/null; then
    (cd "$staging" && 7z a -tzip -bd "$archive" "$stem" >/dev/null)
  else
    (cd "$staging" && zip -qr "$archive" "$stem")
  fi
else
  archive="$out/$stem.tar.gz"
  # COPYFILE_DISABLE: no macOS ._ metadata files in the archive.
  (cd "$staging" && COPYFILE_DISABLE=1 tar --format=ustar -czf "$archive.partial" "$stem")
  mv "$archive.partial" "$archive"
fi
echo "$archive"
