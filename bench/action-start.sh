#!/usr/bin/env bash
# Benchmark of the action's time-to-binary: what a job waits for before ci-tracing can
# run. With pins (bench/action-start.mjs): a fresh `node` process loads the released
# action (binary.js and the checksums.json pins.sh wrote), downloads the archive from
# the fake release server on 127.0.0.1, verifies and unpacks it into an empty tool cache
# (cold), then again with the cache filled (warm); medians of 5. Without pins: what a
# development ref does, `cargo build --release --locked` into an empty target folder
# (crates already downloaded), once; BENCH_SOURCE=0 skips it and compares cold with warm.
# The release is made by scripts/release-dry-run.sh (which runs its tests too).
# Prints each figure and, as the LAST line, the ratio (target: pinned cold under 5 s).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-bench/out/action-start}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

DRY_RUN_DIST="$work/dist" bash scripts/release-dry-run.sh >"$work/dry-run.log" 2>&1 ||
  { echo "bench: the release dry run failed; see $work/dry-run.log" >&2; exit 1; }
version=$(jq -r .version "$work/dist/checksums.json")
read -r cold warm < <(node bench/action-start.mjs "$work" "$version")
echo "pinned release, cold tool cache: ${cold} s (download, verify, unpack)"
echo "pinned release, warm tool cache: ${warm} s"

if [ "${BENCH_SOURCE:-1}" = 0 ]; then
  echo "cold/warm ratio: $(echo "scale=1; $cold / $warm" | bc)"
  exit 0
fi
start=$(date +%s.%N)
CARGO_TARGET_DIR="$work/source-target" cargo build --release --locked --quiet
source=$(echo "$(date +%s.%N) - $start" | bc)
rm -rf "$work/source-target"
printf "development ref, cargo build --release --locked: %.1f s\n" "$source"
echo "source build / pinned cold download ratio: $(echo "scale=1; $source / $cold" | bc)"
