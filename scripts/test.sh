#!/usr/bin/env bash
# The project's test command: set up a fresh machine, then lint and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== action: node --test, actionlint, zizmor, check-jsonschema"
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
node --test action/*.test.mjs 2>&1 | tee "$log_dir/node.log"
workflows=(examples/workflows/*.yml .github/workflows/*.yml)
actionlint "${workflows[@]}"
zizmor --offline --config .github/zizmor.yml action.yml "${workflows[@]}"
check-jsonschema --builtin-schema vendor.github-actions action.yml
check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
echo "== cargo test"
cargo test --locked --all-targets 2>&1 | tee "$log_dir/cargo.log"
echo "== cargo package (metadata, include list, licence files; the build is tested above)"
cargo package --locked --no-verify --allow-dirty --quiet
echo "== release dry run (scripts/release-dry-run.sh)"
bash scripts/release-dry-run.sh 2>&1 | tee "$log_dir/release.log"

# One closing line for every runner together (the last `test result` of cargo is that of
# a target with no tests, which says nothing about the run).
awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "%d passed, %d failed\n", p, f }' "$log_dir/cargo.log" "$log_dir/node.log" "$log_dir/release.log"
