#!/usr/bin/env bash
# Benchmark of `ci-tracing fetch-traces` against the obvious baseline, in one run:
# `curl -L` of the same artifact URL (the token goes to the API only; curl drops it on
# the redirect to the blob host) followed by `unzip`. A 512 MiB generated trace file is
# served as PR 1234's `trace-data` artifact by tools/fake-github.rs on loopback.
# Prints both wall times, ci-tracing's peak RSS (target <= 64 MiB) and, as the LAST
# line, the wall-time ratio (target <= 1.2). CI_TRACING_BIN=path measures another build
# of ci-tracing (e.g. an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/fetch/bench}
size=${BENCH_SIZE:-512MiB}
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing: run scripts/setup-test.sh" >&2; exit 1; }

cargo build --release --locked --quiet --bin ci-tracing --example fake-github --example gen-traces
bin=${CI_TRACING_BIN:-target/release/ci-tracing}
trace="$work/trace-data-$size.jsonl"
if [ ! -s "$trace" ]; then
  echo "bench: generating $size of trace data into $trace" >&2
  target/release/examples/gen-traces --bytes "$size" --seed 42 -o "$trace"
fi

echo "bench: zipping and serving it (this takes a while)" >&2
fifo="$work/fake.out"
rm -f "$fifo"
target/release/examples/fake-github --trace-file "$trace" --pr 1234 >"$fifo" &
fake=$!
trap 'kill "$fake" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q '^artifact-url=' "$fifo" 2>/dev/null && break
  kill -0 "$fake" 2>/dev/null || { echo "bench: fake-github died" >&2; exit 1; }
  sleep 0.5
done
value() { sed -n "s/^$1=//p" "$fifo"; }
api=$(value api-url) token=$(value token) repo=$(value repo) url=$(value artifact-url)

now() { date +%s.%N; }

# Baseline: curl -L + unzip.
rm -rf "$work/curl" && mkdir -p "$work/curl"
start=$(now)
curl -sSfL -H "Authorization: Bearer $token" -H "Accept: application/vnd.github+json" -H "X-GitHub-Api-Version: 2022-11-28" \
  -o "$work/curl/artifact.zip" "$url"
unzip -q -o "$work/curl/artifact.zip" -d "$work/curl"
base=$(echo "$(now) - $start" | bc)

# ci-tracing fetch-traces.
rm -rf "$work/ci-tracing"
start=$(now)
GITHUB_TOKEN=$token /usr/bin/time -v -o "$work/time.txt" \
  "$bin" --no-progress fetch-traces --api-url "$api" --pr 1234 --repo "$repo" \
  --dir "$work/ci-tracing" >"$work/fetch.out"
ours=$(echo "$(now) - $start" | bc)
rss_kib=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$work/time.txt")

cmp -s "$work/curl/trace-data.json" "$work/ci-tracing/trace-data" \
  || { echo "bench: the two results differ" >&2; exit 1; }

printf 'trace file:              %s (%s bytes, zip %s bytes)\n' "$size" \
  "$(stat -c %s "$trace")" "$(stat -c %s "$work/curl/artifact.zip")"
printf 'curl -L + unzip:         %.2f s\n' "$base"
printf 'ci-tracing fetch-traces: %.2f s\n' "$ours"
printf 'ci-tracing peak RSS:     %.1f MiB (target <= 64)\n' "$(echo "$rss_kib / 1024" | bc -l)"
printf 'ratio ci-tracing / curl+unzip: %.2f (target <= 1.2)\n' "$(echo "$ours / $base" | bc -l)"
