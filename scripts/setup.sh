#!/usr/bin/env bash
# Installs what scripts/demo.sh needs on a fresh machine, and nothing more; safe to re-run.
# Besides Rust (cargo) it needs git, python3 with venv (a Debian package) and the real
# OTLP receiver rotel, which requirements.txt installs into .venv. The tests need more:
# scripts/setup-test.sh runs this and then adds the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages to install: `need PACKAGE`, or `need_command COMMAND PACKAGE` when
# COMMAND is missing; `install_needed` installs them (shared with scripts/setup-test.sh).
needed=()
need() { needed+=("$1"); }
need_command() { command -v "$1" >/dev/null 2>&1 || need "$2"; }
install_needed() {
  if ((${#needed[@]})); then
    echo "setup: installing Debian packages: ${needed[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
    needed=()
  fi
}

need_command git git
need_command python3 python3
python3 -c 'import ensurepip' >/dev/null 2>&1 || need python3-venv
install_needed

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
# The rotel wheel keeps its binary inside the package; put it on the venv's PATH.
ln -sf "$(.venv/bin/python -c 'import os, rotel; print(os.path.dirname(rotel.__file__))')/rotel-agent" .venv/bin/rotel-agent
