# Sourced by the bench scripts that measure against Rotel: sets `rotel` to rotel-agent
# (in .venv, from scripts/setup.sh) and checks for /usr/bin/time, or exits 2 saying how
# to get them; `free_port` prints a free port of 127.0.0.1.
rotel=.venv/bin/rotel-agent
[ -x "$rotel" ] || rotel=$(ls .venv/lib/python3*/site-packages/rotel/rotel-agent 2>/dev/null | head -n 1)
if [ ! -x "$rotel" ]; then
  echo "bench: rotel-agent is not installed; run scripts/setup.sh" >&2
  exit 2
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing; run scripts/setup-test.sh" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
