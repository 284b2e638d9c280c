#!/usr/bin/env bash
# Builds the release binary of one target triple: the release workflow runs this on each
# runner and scripts/release-dry-run.sh runs it here, so both build the same way.
# Usage: build.sh TARGET. Prints the binary's path as its last line (cargo's output goes
# to stderr).
source "$(dirname "$0")/common.sh"
expect_args 1 "build.sh TARGET (a Rust target triple, e.g. x86_64-unknown-linux-musl)" "$@"
cd "$ROOT"
target=$1
installed=$(rustup target list --installed)
if ! grep -qxF "$target" <<<"$installed"; then
  rustup target add "$target"
fi
# ring's C and assembly are compiled with musl-gcc for the musl targets (the cc crate
# would look for aarch64-linux-musl-gcc, which Debian's musl-tools do not have).
if [[ "$target" == *-linux-musl ]]; then
  if ! command -v musl-gcc >/dev/null; then
    echo "build.sh: $target needs musl-gcc for ring's C code; install musl-tools" >&2
    exit 1
  fi
  export "CC_${target//-/_}=musl-gcc"
fi

# Static C runtime on Windows, so that the .exe needs no Visual C++ redistributable
# (musl targets link statically already).
if [[ "$target" == *-windows-msvc ]]; then
  export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
fi
cargo build --release --locked --target "$target" >&2

exe=ci-tracing
[[ "$target" == *-windows-* ]] && exe=ci-tracing.exe
echo "$ROOT/target/$target/release/$exe"
