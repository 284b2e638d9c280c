#!/usr/bin/env bash
# How fast `ci-tracing summary --format json` reads a big trace file, measured in one run
# against what a user would type instead (jq, counting spans) and against the I/O floor
# (`wc -l`), on a generated file (1 GiB unless BENCH_SIZE says otherwise) read from the
# page cache. `wc -l` and `summary` run RUNS times each (5 unless told), taking turns, and
# their medians are compared: on a shared machine single runs vary by a third. jq runs
# once (a minute). Peak RSS from /usr/bin/time -v. Not a test: it prints figures; the last
# line is the speedup over jq.
#
#   bench/summary.sh                      # 1 GiB, in /tmp/report/bench
#   BENCH_SIZE=128MiB bench/summary.sh    # quicker, while iterating
#   CI_TRACING_BIN=path bench/summary.sh  # another build of ci-tracing (e.g. an older commit's)
source "$(dirname "$0")/file.sh"
bin=${CI_TRACING_BIN:-target/release/ci-tracing}

file="$dir/trace-data-$size.jsonl"
[ -s "$file" ] || ./target/release/examples/gen-traces --bytes "$size" -o "$file"
bytes=$(stat -c %s "$file")
cat "$file" >/dev/null # warm the page cache: all three read from memory

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f MB/s", b / s / 1e6 }'; }

runs=${RUNS:-5}
wc_times=() ours_times=() rss_kib=0
for _ in $(seq "$runs"); do
  start=$(now)
  lines=$(wc -l <"$file")
  wc_times+=("$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')")
  start=$(now)
  /usr/bin/time -v -o "$dir/time.txt" "$bin" summary "$file" --format json >"$dir/summary.json"
  ours_times+=("$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')")
  run_rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$dir/time.txt")
  rss_kib=$((run_rss > rss_kib ? run_rss : rss_kib))
done
wc_secs=$(printf '%s\n' "${wc_times[@]}" | median)
ours_secs=$(printf '%s\n' "${ours_times[@]}" | median)

start=$(now)
jq_spans=$(jq -c '.resourceSpans[].scopeSpans[].spans[]' "$file" | wc -l)
jq_secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')

our_spans=$(jq '.spans' "$dir/summary.json")
our_lines=$(jq '.lines' "$dir/summary.json")

if [ "$our_spans" != "$jq_spans" ] || [ "$our_lines" != "$lines" ]; then
  echo "bench: results differ: summary $our_spans spans / $our_lines lines, jq $jq_spans spans, wc $lines lines" >&2
  exit 1
fi

echo "file: $file ($bytes bytes, $lines lines, $our_spans spans, $(jq '.traces' "$dir/summary.json") traces), $(nproc) cores"
echo "wc -l runs (s): ${wc_times[*]}"
echo "summary runs (s): ${ours_times[*]}"
printf '%-28s %8.2f s  (%s), median of %d\n' "wc -l" "$wc_secs" "$(rate "$wc_secs")" "$runs"
printf '%-28s %8.2f s  (%s)\n' "jq ... | wc -l" "$jq_secs" "$(rate "$jq_secs")"
printf '%-28s %8.2f s  (%s), median of %d, peak RSS %d MiB\n' "ci-tracing summary (json)" "$ours_secs" "$(rate "$ours_secs")" "$runs" "$((rss_kib / 1024))"
awk -v w="$wc_secs" -v o="$ours_secs" 'BEGIN { printf "throughput relative to wc -l: %.2f (target >= 0.25)\n", w / o }'
echo "peak RSS: $((rss_kib / 1024)) MiB (target <= 64 MiB)"
awk -v j="$jq_secs" -v o="$ours_secs" 'BEGIN { printf "speedup over jq: %.1fx (target >= 20x)\n", j / o }'
