#!/usr/bin/env bash
# The release, rehearsed on this machine with the scripts the release workflow runs:
# check-version.sh on Cargo.toml's version, build.sh and package.sh for one target,
# pins.sh for SHA256SUMS and the action's pins, changelog.sh for the notes; then the
# action's node tests (action/testing/release-dry-run.mjs) download, verify, cache and
# run that archive from a fake release server on 127.0.0.1.
# Usage: release-dry-run.sh [TARGET] (default: this machine's Rust host target, as the
# musl targets the workflow builds need a rustup download and musl-tools).
# Set DRY_RUN_DIST to keep the release folder (bench/action-start.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-$(rustc -vV | sed -n 's/^host: //p')}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
scripts/release/check-version.sh "$version" >/dev/null

if [ -n "${DRY_RUN_DIST:-}" ]; then
  dist=$DRY_RUN_DIST
  rm -rf "$dist"
else
  dist=$(mktemp -d)
  trap 'rm -rf "$dist"' EXIT
fi
mkdir -p "$dist"

echo "== release dry run: v$version for $target"
binary=$(scripts/release/build.sh "$target")
archive=$(scripts/release/package.sh "$target" "$version" "$binary" "$dist")
scripts/release/pins.sh "$version" "$dist" "$dist/checksums.json"
scripts/release/changelog.sh "$version" > "$dist/notes.md"
echo "$(basename "$archive"): $(wc -c < "$archive") bytes; binary $(wc -c < "$binary") bytes"
cat "$dist/SHA256SUMS"

CI_TRACING_DIST=$dist CI_TRACING_VERSION=$version node --test action/testing/release-dry-run.mjs
