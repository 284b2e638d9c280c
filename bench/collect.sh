#!/usr/bin/env bash
# Receiver speed, in one run on loopback: the same generated file replayed with
# `ci-tracing replay --concurrency 16`, as JSON and then as protobuf, into
#   (a) rotel-agent with the blackhole exporter (receives, decodes, drops): the anchor;
#   (b) `ci-tracing collect`, which also writes every line to its file, under
#       /usr/bin/time -v for its peak RSS.
# Where `replay --protocol grpc` exists, it also replays into collect's gRPC port (its
# speed as a ratio to HTTP/protobuf). Then the file collect wrote is counted with
# `summary` (spans lost must be 0), and the measurement of reading and writing JSON
# behind docs/collect.md runs (tools/collect-encode.rs).
# Targets: (b) >= 0.8 x (a) throughput, collect's peak RSS <= 64 MiB, 0 spans lost.
# The last line printed is the throughput ratio collect / rotel.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-20000}
WORK=${WORK:-/tmp/collect/bench}
CONCURRENCY=${CONCURRENCY:-16}
mkdir -p "$WORK"

. bench/rotel.sh

cargo build --release --quiet --bin ci-tracing --example gen-traces --example collect-encode
bin=target/release/ci-tracing
data="$WORK/trace-data-$LINES.jsonl"
[ -s "$data" ] || target/release/examples/gen-traces --lines "$LINES" --seed 42 -o "$data"
bytes=$(stat -c %s "$data")
spans_of() { "$bin" summary "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spans"])'; }
spans=$(spans_of "$data")

now() { date +%s.%N; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# Replays the file into URL with the given flags; prints the seconds it took.
timed_replay() {
  local url=$1 name=$2; shift 2
  local t0 t1
  t0=$(now)
  "$bin" --no-progress replay "$data" --endpoint "$url" --concurrency "$CONCURRENCY" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" || { echo "bench: replay ($name) failed:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

# (a) rotel-agent, blackhole.
port=$(free_port); grpc=$(free_port)
"$rotel" start --exporter blackhole --otlp-http-endpoint "127.0.0.1:$port" \
  --otlp-grpc-endpoint "127.0.0.1:$grpc" --pid-file "$WORK/rotel.pid" \
  --log-file "$WORK/rotel-agent.log" >"$WORK/rotel.out" 2>&1 &
rotel_pid=$!
pids+=("$rotel_pid")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
rotel_json=$(timed_replay "http://127.0.0.1:$port/v1/traces" rotel-json)
rotel_pb=$(timed_replay "http://127.0.0.1:$port/v1/traces" rotel-protobuf --protobuf)
kill "$rotel_pid"; wait "$rotel_pid" 2>/dev/null || true

# (b) ci-tracing collect.
out="$WORK/collected.json"
rm -f "$out" "$WORK/collect-ready.json"
/usr/bin/time -v -o "$WORK/time.txt" "$bin" collect -o "$out" --http 127.0.0.1:0 --grpc 127.0.0.1:0 \
  --ready-file "$WORK/collect-ready.json" 2>"$WORK/collect.err" &
time_pid=$!
pids+=("$time_pid")
for _ in $(seq 300); do [ -s "$WORK/collect-ready.json" ] && break; sleep 0.1; done
http=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$WORK/collect-ready.json")
grpc_addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc"])' "$WORK/collect-ready.json")
collect_pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$WORK/collect-ready.json")
collect_json=$(timed_replay "http://$http/v1/traces" collect-json)
collect_pb=$(timed_replay "http://$http/v1/traces" collect-protobuf --protobuf)
# gRPC replay, where this build of replay has it: the same receiver's gRPC port.
sent=2
grpc_line="replay --protocol grpc: not in this build"
if "$bin" replay --help | grep -q -- '--protocol'; then
  collect_grpc=$(timed_replay "http://$grpc_addr" collect-grpc --protocol grpc)
  sent=3
  grpc_line="replay --protocol grpc into collect: ${collect_grpc} s ($(awk -v b="$bytes" -v s="$collect_grpc" 'BEGIN { printf "%.1f", b / 1048576 / s }') MiB/s), $(awk -v g="$collect_grpc" -v p="$collect_pb" 'BEGIN { printf "%.2f", p / g }') x HTTP/protobuf's throughput"
fi
kill -TERM "$collect_pid"
wait "$time_pid"
rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
written=$(spans_of "$out")
lost=$((sent * spans - written))

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f MiB/s, %.0f lines/s", b / 1048576 / s, '"$LINES"' / s }'; }
echo "file: $LINES lines, $spans spans, $(mb "$bytes") MiB ($data), replay --concurrency $CONCURRENCY on loopback"
echo "(a) rotel-agent, blackhole exporter: JSON ${rotel_json} s ($(rate "$rotel_json")), protobuf ${rotel_pb} s ($(rate "$rotel_pb"))"
echo "(b) ci-tracing collect, writing its file: JSON ${collect_json} s ($(rate "$collect_json")), protobuf ${collect_pb} s ($(rate "$collect_pb"))"
echo "    $(tail -n 1 "$WORK/collect.err")"
echo "collect peak RSS: $(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB (target <= 64 MiB: $(awk -v k="$rss_kib" 'BEGIN { print (k <= 65536 ? "met" : "NOT met") }'))"
echo "$grpc_line"
echo "spans lost: $lost (sent $((sent * spans)), in the file $written; target 0)"
echo "writer measurement:"
target/release/examples/collect-encode "$data" | sed 's/^/    /'
echo "collect / rotel throughput: JSON $(awk -v r="$rotel_json" -v c="$collect_json" 'BEGIN { printf "%.2f", r / c }'), protobuf $(awk -v r="$rotel_pb" -v c="$collect_pb" 'BEGIN { printf "%.2f", r / c }') (target >= 0.8)"
echo "collect / rotel: $(awk -v r="$rotel_json" -v p="$rotel_pb" -v c="$collect_json" -v q="$collect_pb" 'BEGIN { printf "%.2f", (r + p) / (c + q) }')"
