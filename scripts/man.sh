#!/usr/bin/env bash
# Rewrites docs/man/*.1 and the --help blocks of docs/reference.md from the command-line
# definition (tests/cli.rs and tests/reference.rs check them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet
bin=target/debug/ci-tracing
mkdir -p docs/man
rm -f docs/man/*.1
"$bin" man > docs/man/ci-tracing.1
for command in gate upload fetch-traces replay summary compare report collect stack completions; do
  "$bin" man "$command" > "docs/man/ci-tracing-$command.1"
done
"$bin" man "stack init" > docs/man/ci-tracing-stack-init.1
# The --help blocks of docs/reference.md (tests/reference.rs checks them).
CI_TRACING_UPDATE_DOCS=1 cargo test --locked --quiet --test reference >/dev/null
