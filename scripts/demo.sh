#!/usr/bin/env bash
# The main job on the built-in example, end to end on this machine, with local stand-ins
# for GitHub and Grafana's collector:
#   1. a fake GitHub (tools/fake-github.rs) serves examples/trace-data.jsonl as pull
#      request 1234's `trace-data` artifact, as actions/upload-artifact would have made it;
#   2. `ci-tracing fetch-traces --pr 1234` brings it down into .github/tracing/trace-data;
#   3. `ci-tracing summary` and `ci-tracing report` show what is in it;
#   4. `ci-tracing replay --shift-to-now` sends it to a real OTLP receiver (rotel-agent).
# Everything it needs is installed by scripts/setup.sh; output goes to target/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked --quiet --bin ci-tracing --example fake-github

bin=$PWD/target/release/ci-tracing
demo=$PWD/target/demo
rm -rf "$demo" && mkdir -p "$demo/checkout"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

wait_for() { # FILE PATTERN PID
  for _ in $(seq 1 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { cat "$1" >&2; echo "demo: a helper process died" >&2; exit 1; }
    sleep 0.1
  done
  echo "demo: timed out waiting for $1" >&2
  exit 1
}

echo "== a fake GitHub serves examples/trace-data.jsonl as PR 1234's trace-data artifact"
target/release/examples/fake-github --trace-file examples/trace-data.jsonl --pr 1234 >"$demo/github.out" &
pids+=($!)
wait_for "$demo/github.out" '^artifact-url=' "${pids[-1]}"
value() { sed -n "s/^$1=//p" "$demo/github.out"; }

echo "== ci-tracing fetch-traces --pr 1234 (in a fresh git checkout)"
cd "$demo/checkout"
git init -q .
git remote add origin "https://github.com/$(value repo).git"
GITHUB_TOKEN=$(value token) "$bin" --api-url "$(value api-url)" fetch-traces --pr 1234
cmp -s .github/tracing/trace-data "$OLDPWD/examples/trace-data.jsonl"
echo "(byte-identical to examples/trace-data.jsonl)"

echo
echo "== ci-tracing summary"
"$bin" summary

echo
echo "== ci-tracing report -o $demo/traces.html"
"$bin" report -o "$demo/traces.html"

echo
echo "== ci-tracing replay --shift-to-now into rotel-agent (a real OTLP/HTTP receiver)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$OLDPWD/.venv/bin/rotel-agent" start --exporter blackhole --debug-log traces --log-format json \
  --otlp-http-endpoint "127.0.0.1:$port" --otlp-grpc-endpoint "127.0.0.1:$(free_port)" \
  --pid-file "$demo/rotel.pid" --log-file "$demo/rotel-agent.log" >"$demo/rotel.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
"$bin" replay --shift-to-now --endpoint "http://127.0.0.1:$port/v1/traces"
sleep 1
python3 - "$demo/rotel.out" <<'PY'
import json, sys
spans = 0
for line in open(sys.argv[1]):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("msg") == "Received traces.":
        spans += int(entry.get("spans", 0))
print(f"rotel-agent logged {spans} spans received")
PY
