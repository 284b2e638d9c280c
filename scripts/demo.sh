#!/usr/bin/env bash
# The main job on the built-in example: build, then look at examples/trace-data.jsonl
# the way a developer would after `ci-tracing fetch-traces`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
bin=target/release/ci-tracing
example=examples/trace-data.jsonl

"$bin" summary "$example"
