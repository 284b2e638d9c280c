#!/usr/bin/env bash
# Builds the release binary of one target triple: the release workflow runs this on each
# runner and scripts/release-dry-run.sh runs it here, so both build the same way.
# Usage: build.sh TARGET. Prints the binary's path as its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:-}
if [ -z "$target" ] || [ $# -ne 1 ]; then
  echo "usage: scripts/release/build.sh TARGET (a Rust target triple, e.g. x86_64-unknown-linux-musl)" >&2
  exit 2
fi
if ! rustup target list --installed | grep -qxF "$target"; then
  rustup target add "$target"
fi
if [[ "$target" == *-linux-musl ]] && ! command -v musl-gcc >/dev/null; then
  echo "build.sh: $target needs musl-gcc for ring's C code; install musl-tools" >&2
  exit 1
fi

# Static C runtime on Windows, so that the .exe needs no Visual C++ redistributable
# (musl targets link statically already).
if [[ "$target" == *-windows-msvc ]]; then
  export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
fi
cargo build --release --locked --target "$target" >&2

exe=ci-tracing
[[ "$target" == *-windows-* ]] && exe=ci-tracing.exe
echo "target/$target/release/$exe"
