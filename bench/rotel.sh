# Sourced by the replay benchmarks: starts rotel-agent (blackhole exporter) on two free
# loopback ports and stops it on exit. Sets rotel_pid, port (OTLP/HTTP), grpc (OTLP/gRPC)
# and url (the HTTP traces endpoint). Needs WORK.
rotel=.venv/bin/rotel-agent
[ -x "$rotel" ] || rotel=$(ls .venv/lib/python3*/site-packages/rotel/rotel-agent 2>/dev/null | head -n 1)
if [ ! -x "$rotel" ]; then
  echo "bench: rotel-agent is not installed; run scripts/setup.sh" >&2
  exit 2
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing; run scripts/setup-test.sh" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
grpc=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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
