#!/usr/bin/env bash
# Checks that VERSION can be released from this commit: it is X.Y.Z, Cargo.toml already
# says it, and CHANGELOG.md has its notes. Prints the version (without `v`).
# Usage: check-version.sh VERSION
source "$(dirname "$0")/common.sh"
expect_args 1 "check-version.sh VERSION" "$@"
cd "$ROOT"
version=${1#v}
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "check-version.sh: version \"$1\" is not X.Y.Z" >&2
  exit 1
fi
cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
if [ "$cargo_version" != "$version" ]; then
  echo "check-version.sh: Cargo.toml of this commit says version $cargo_version, not $version: bump it (and Cargo.lock), commit, and run the release on that commit" >&2
  exit 1
fi
scripts/release/changelog.sh "$version" >/dev/null
echo "$version"
