#!/usr/bin/env bash
# Installs everything the tests and benchmarks need on a fresh machine; safe to re-run.
# Debian packages (chromium for the HTML report test, unzip/curl/jq for the baselines),
# Python tools into .venv (the real OTLP receiver rotel, workflow linters), and the npm
# packages the fakes are checked against (GitHub's OpenAPI description, the official
# artifact client).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in chromium:chromium unzip:unzip curl:curl jq:jq; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
[ -x /usr/bin/time ] || missing+=(time) # peak RSS in bench/
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r requirements-test.txt

if [ ! -d node_modules/@actions/artifact ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

rustup component add clippy rustfmt >/dev/null 2>&1 || true
