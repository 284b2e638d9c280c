#!/usr/bin/env bash
# Replay speed, in one run against one rotel-agent on loopback:
#   (a) the shell loop `ci-tracing replay` replaces (one curl per line), timed on the
#       first LOOP_LINES lines and extrapolated per line to the whole file;
#   (b) `ci-tracing replay` on the whole file, with its peak RSS;
#   (c) the ceiling: tools/otlp-blast, which POSTs the same lines with the same
#       concurrency and does nothing else (no parsing, checks, counts or retries).
# Targets: (b) >= 0.8 x (c) throughput, >= 50 x (a), peak RSS <= 64 MiB.
# The last line printed is the speedup over the shell loop. CI_TRACING_BIN=path measures
# another build of ci-tracing (e.g. an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-20000}
LOOP_LINES=${LOOP_LINES:-1000}
WORK=${WORK:-/tmp/replay/bench}
CONCURRENCY=${CONCURRENCY:-$((4 * $(nproc)))}
mkdir -p "$WORK"

. bench/rotel.sh

cargo build --release --quiet --bin ci-tracing --example gen-traces --example otlp-blast
bin=${CI_TRACING_BIN:-target/release/ci-tracing}
data="$WORK/trace-data-$LINES.jsonl"
[ -s "$data" ] || target/release/examples/gen-traces --lines "$LINES" --seed 42 -o "$data"
bytes=$(stat -c %s "$data")

port=$(free_port)
grpc=$(free_port)
"$rotel" start --exporter blackhole --otlp-http-endpoint "127.0.0.1:$port" \
  --otlp-grpc-endpoint "127.0.0.1:$grpc" --pid-file "$WORK/rotel.pid" \
  --log-file "$WORK/rotel-agent.log" >"$WORK/rotel.out" 2>&1 &
rotel_pid=$!
trap 'kill "$rotel_pid" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port/v1/traces"
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done

now() { date +%s.%N; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# (a) the old curl-per-line shell loop (the baseline), on the first LOOP_LINES lines.
head -n "$LOOP_LINES" "$data" >"$WORK/loop.jsonl"
t0=$(now)
while read -r l; do curl -s -o /dev/null -X POST "$url" -H 'Content-Type: application/json' --data-binary "$l" || true; done <"$WORK/loop.jsonl" 2>/dev/null
t1=$(now)
loop_s=$(awk -v a="$t0" -v b="$t1" -v n="$LOOP_LINES" -v total="$LINES" 'BEGIN { printf "%.2f", (b - a) / n * total }')
loop_measured=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

# (c) the ceiling.
t0=$(now)
target/release/examples/otlp-blast "$data" "$url" "$CONCURRENCY" >"$WORK/blast.out"
t1=$(now)
ceiling_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

# (b) ci-tracing replay.
t0=$(now)
/usr/bin/time -v -o "$WORK/time.txt" "$bin" --no-progress replay "$data" \
  --endpoint "$url" --concurrency "$CONCURRENCY" >"$WORK/replay.out" 2>"$WORK/replay.err"
t1=$(now)
replay_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")

echo "file: $LINES lines, $(mb "$bytes") MiB ($data), concurrency $CONCURRENCY, receiver rotel-agent on loopback"
echo "(a) shell loop, curl per line: ${loop_measured} s for the first $LOOP_LINES lines, extrapolated per line to $LINES lines: ${loop_s} s"
echo "(c) ceiling, otlp-blast (same requests, no parsing): ${ceiling_s} s, $(awk -v b="$bytes" -v s="$ceiling_s" 'BEGIN { printf "%.1f", b / 1048576 / s }') MiB/s ($(cat "$WORK/blast.out"))"
echo "(b) ci-tracing replay: ${replay_s} s, $(awk -v b="$bytes" -v s="$replay_s" 'BEGIN { printf "%.1f", b / 1048576 / s }') MiB/s, peak RSS $(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB ($(tr '\n' ' ' <"$WORK/replay.out"))"
echo "ci-tracing throughput / ceiling: $(awk -v c="$ceiling_s" -v r="$replay_s" 'BEGIN { printf "%.2f", c / r }') (target >= 0.8)"
echo "peak RSS target <= 64 MiB: $(awk -v k="$rss_kib" 'BEGIN { print (k <= 65536 ? "met" : "NOT met") }')"
echo "speedup over the shell loop: $(awk -v l="$loop_s" -v r="$replay_s" 'BEGIN { printf "%.0f", l / r }')x (target >= 50x)"
