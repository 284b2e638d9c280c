#!/usr/bin/env bash
# The project's test command: set up a fresh machine, then lint and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== action: node --test, actionlint, zizmor, check-jsonschema"
node --test action/*.test.mjs
workflows=(examples/workflows/*.yml .github/workflows/*.yml)
actionlint "${workflows[@]}"
zizmor --offline --config .github/zizmor.yml action.yml "${workflows[@]}"
check-jsonschema --builtin-schema vendor.github-actions action.yml
check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
echo "== cargo test"
cargo test --locked --all-targets
