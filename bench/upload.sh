#!/usr/bin/env bash
# Upload benchmark: a generated trace file (512 MiB by default) uploaded to the local fake
# results service (tools/fake-results.rs, the fake the tests prove against
# @actions/artifact) by `ci-tracing upload` and by the official @actions/artifact client
# (`uploadArtifact`) at the same compression level, in one run. Prints both wall times,
# ci-tracing's peak RSS (target <= 100 MiB), and last the ratio ci-tracing / official
# (target <= 0.6). The comparison leaves out the HTML report (`--no-report`: the official
# client makes none); a third run prints what the default upload (job summary and report
# artifact included) takes. Not a test: numbers depend on the machine.
#   BENCH_SIZE=512MiB BENCH_LEVEL=6 bash bench/upload.sh
#   CI_TRACING_BIN=path bash bench/upload.sh   # another build (e.g. an older commit's)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${BENCH_SIZE:-512MiB}"
level="${BENCH_LEVEL:-6}"
work="${BENCH_DIR:-/tmp/upload/bench}"
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing: run scripts/setup-test.sh" >&2; exit 2; }
[ -d node_modules/@actions/artifact ] || { echo "bench: @actions/artifact is missing: run scripts/setup-test.sh" >&2; exit 2; }

cargo build --release --locked --quiet --bin ci-tracing --example gen-traces --example fake-results
bin=${CI_TRACING_BIN:-target/release/ci-tracing}
# A build older than the report artifact has no --no-report: it uploads no report anyway.
no_report=--no-report
case "$("$bin" upload --help)" in *--no-report*) ;; *) no_report= ;; esac
file="$work/trace-data-$size.json"
if [ ! -s "$file" ]; then
  target/release/examples/gen-traces --bytes "$size" --seed 1 -o "$file"
fi
cat "$file" >/dev/null # both runs start from a warm page cache

# The fake serves until its standard input closes.
exec 3> >(target/release/examples/fake-results >"$work/fake.env" 2>"$work/fake.log")
for _ in $(seq 100); do [ "$(wc -l <"$work/fake.env" 2>/dev/null || echo 0)" -ge 2 ] && break; sleep 0.1; done
ACTIONS_RESULTS_URL="$(sed -n 's/^ACTIONS_RESULTS_URL=//p' "$work/fake.env")"
ACTIONS_RUNTIME_TOKEN="$(sed -n 's/^ACTIONS_RUNTIME_TOKEN=//p' "$work/fake.env")"
export ACTIONS_RESULTS_URL ACTIONS_RUNTIME_TOKEN

now() { date +%s.%N; }
echo '{"pull_request":{"number":1,"labels":[{"name":"enable tracing"}]}}' >"$work/event.json"

start="$(now)"
GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH="$work/event.json" \
  /usr/bin/time -v -o "$work/time.txt" \
  "$bin" -q --no-progress upload "$file" --name ci-tracing --compression-level "$level" ${no_report:+"$no_report"} >"$work/ci-tracing.out"
ours="$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')"
rss_kib="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")"

if [ -n "$no_report" ]; then
  start="$(now)"
  GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH="$work/event.json" GITHUB_STEP_SUMMARY="$work/summary.md" \
    /usr/bin/time -v -o "$work/time-report.txt" \
    "$bin" -q --no-progress upload "$file" --name ci-tracing-full --compression-level "$level" \
    --report-name "bench-$$.html" >"$work/ci-tracing-full.out"
  full="$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')"
  full_rss_kib="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-report.txt")"
fi

start="$(now)"
/usr/bin/time -v -o "$work/time-official.txt" \
  node tests/interop/artifact.mjs upload official "$work" "$level" "$file" >"$work/official.out"
theirs="$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')"
exec 3>&-

cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
printf 'input: %s (%s bytes), compression level %s\n' "$size" "$(stat -c %s "$file")" "$level"
printf 'ci-tracing upload:          %.2f s wall, %s s CPU, peak RSS %.1f MiB\n' "$ours" "$(cpu "$work/time.txt")" "$(awk -v k="$rss_kib" 'BEGIN { print k / 1024 }')"
[ -z "$no_report" ] ||
  printf 'ci-tracing upload + summary + report: %.2f s wall, %s s CPU, peak RSS %.1f MiB\n' "$full" "$(cpu "$work/time-report.txt")" "$(awk -v k="$full_rss_kib" 'BEGIN { print k / 1024 }')"
printf '@actions/artifact upload:   %.2f s wall, %s s CPU\n' "$theirs" "$(cpu "$work/time-official.txt")"
printf 'ratio (ci-tracing / official): %.2f\n' "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { print a / b }')"
