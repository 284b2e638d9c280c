#!/usr/bin/env bash
# `replay --protocol grpc` against `replay --protocol http/protobuf`, in one run against
# one rotel-agent on loopback (blackhole exporter): the same generated file, the same
# concurrency, the receiver's gRPC port and its HTTP port. Prints each run's time,
# throughput and peak RSS; the last line is gRPC's throughput as a ratio to HTTP/protobuf's.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-20000}
WORK=${WORK:-/tmp/replay/bench}
CONCURRENCY=${CONCURRENCY:-16}
mkdir -p "$WORK"

cargo build --release --quiet --bin ci-tracing --example gen-traces
data="$WORK/trace-data-$LINES.jsonl"
[ -s "$data" ] || target/release/examples/gen-traces --lines "$LINES" --seed 42 -o "$data"
bytes=$(stat -c %s "$data")

# shellcheck source=bench/rotel.sh
source bench/rotel.sh
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$grpc") 2>/dev/null && break
  sleep 0.1
done

now() { date +%s.%N; }

# Runs one replay; prints "seconds rss_kib".
run() {
  local name=$1
  shift
  local t0 t1
  t0=$(now)
  /usr/bin/time -v -o "$WORK/time-$name.txt" target/release/ci-tracing --no-progress replay "$data" \
    --concurrency "$CONCURRENCY" "$@" >"$WORK/replay-$name.out" 2>"$WORK/replay-$name.err"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f ", b - a }'
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time-$name.txt"
}

read -r http_s http_rss < <(run http --protocol http/protobuf --endpoint "$url")
read -r grpc_s grpc_rss < <(run grpc --protocol grpc --endpoint "http://127.0.0.1:$grpc")

mibs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
echo "file: $LINES lines, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, concurrency $CONCURRENCY, receiver rotel-agent on loopback"
echo "http/protobuf: ${http_s} s, $(mibs "$http_s") MiB/s, peak RSS $((http_rss / 1024)) MiB ($(tr '\n' ' ' <"$WORK/replay-http.out"))"
echo "grpc:          ${grpc_s} s, $(mibs "$grpc_s") MiB/s, peak RSS $((grpc_rss / 1024)) MiB ($(tr '\n' ' ' <"$WORK/replay-grpc.out"))"
echo "grpc / http-protobuf throughput: $(awk -v h="$http_s" -v g="$grpc_s" 'BEGIN { printf "%.2f", h / g }')"
