#!/usr/bin/env bash
# How long `ci-tracing compare` of two big trace files takes against `summary` of one of
# them, measured in one run, on two generated files (1 GiB each unless BENCH_SIZE says
# otherwise, seeds 1 and 2) read from the page cache. `summary` and `compare` run RUNS
# times each (5 unless told), taking turns, and their medians are compared: on a shared
# machine single runs vary by a third. Peak RSS of `compare` from /usr/bin/time -v. Not a
# test: it prints figures; the last line is the ratio compare / summary. Two `summary`
# processes side by side are timed too: what reading both sides at once would give.
#
#   bench/compare.sh                      # 2 × 1 GiB, in /tmp/report/bench
#   BENCH_SIZE=128MiB bench/compare.sh    # quicker, while iterating
source "$(dirname "$0")/file.sh"

base="$dir/trace-data-$size.jsonl"
head="$dir/trace-data-$size-seed2.jsonl"
[ -s "$base" ] || ./target/release/examples/gen-traces --bytes "$size" -o "$base"
[ -s "$head" ] || ./target/release/examples/gen-traces --bytes "$size" --seed 2 -o "$head"
cat "$base" "$head" >/dev/null # warm the page cache: every run reads from memory

since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
peak() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$dir/time.txt"; }
runs=${RUNS:-5}
summary_times=() compare_times=() both_times=() summary_rss=0 compare_rss=0
for _ in $(seq "$runs"); do
  start=$(now)
  /usr/bin/time -v -o "$dir/time.txt" ./target/release/ci-tracing summary "$base" --format json >"$dir/summary.json"
  summary_times+=("$(since "$start")")
  rss=$(peak) && summary_rss=$((rss > summary_rss ? rss : summary_rss))
  start=$(now)
  /usr/bin/time -v -o "$dir/time.txt" ./target/release/ci-tracing compare "$base" "$head" --format json >"$dir/compare.json"
  compare_times+=("$(since "$start")")
  rss=$(peak) && compare_rss=$((rss > compare_rss ? rss : compare_rss))
  # What summarizing both sides at once would give: two summaries side by side.
  start=$(now)
  ./target/release/ci-tracing summary "$base" --format json >/dev/null &
  ./target/release/ci-tracing summary "$head" --format json >/dev/null
  wait
  both_times+=("$(since "$start")")
done
summary_secs=$(printf '%s\n' "${summary_times[@]}" | median)
compare_secs=$(printf '%s\n' "${compare_times[@]}" | median)
both_secs=$(printf '%s\n' "${both_times[@]}" | median)

if [ "$(jq '.spans' "$dir/summary.json")" != "$(jq '.base.spans' "$dir/compare.json")" ]; then
  echo "bench: summary and compare count different spans in $base" >&2
  exit 1
fi

echo "files: $base, $head ($(stat -c %s "$base") and $(stat -c %s "$head") bytes, $(jq '.base.spans' "$dir/compare.json") and $(jq '.head.spans' "$dir/compare.json") spans), $(nproc) cores"
echo "flagged between the two seeds: $(jq -c '.flagged' "$dir/compare.json")"
echo "summary runs (s): ${summary_times[*]}"
echo "compare runs (s): ${compare_times[*]}"
echo "parallel summaries runs (s): ${both_times[*]}"
printf '%-26s %8.2f s, median of %d, peak RSS %d MiB\n' "ci-tracing summary (one)" "$summary_secs" "$runs" "$((summary_rss / 1024))"
printf '%-26s %8.2f s, median of %d, peak RSS %d MiB\n' "ci-tracing compare (two)" "$compare_secs" "$runs" "$((compare_rss / 1024))"
printf '%-26s %8.2f s, median of %d (both sides at once, for reference)\n' "two summaries in parallel" "$both_secs" "$runs"
echo "compare peak RSS: $((compare_rss / 1024)) MiB (target <= 96 MiB)"
awk -v s="$summary_secs" -v c="$compare_secs" 'BEGIN { printf "compare / summary: %.2fx (target <= 2.2x)\n", c / s }'
