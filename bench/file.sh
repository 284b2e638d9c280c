# Sourced by the bench scripts that read one big generated trace file (summary.sh,
# compare.sh): strict mode, the repository root, BENCH_SIZE (1 GiB unless told) and
# BENCH_DIR (/tmp/report/bench), the tools they need, the release binaries, a clock
# and the median of a column of numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

size=${BENCH_SIZE:-1GiB}
dir=${BENCH_DIR:-/tmp/report/bench}
mkdir -p "$dir"
for tool in jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run scripts/setup-test.sh" >&2; exit 2; }
done
cargo build --release --quiet --bin ci-tracing --example gen-traces

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
