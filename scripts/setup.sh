#!/usr/bin/env bash
# Installs everything the tests and benchmarks need on a fresh machine; safe to re-run.
# Debian packages (chromium for the HTML report test, unzip/curl/jq for the baselines,
# zip and jq for the release scripts),
# Python tools into .venv (the real OTLP receiver rotel, workflow linters), and the npm
# packages the fakes are checked against (GitHub's OpenAPI description, the official
# artifact client), playwright-core, which drives Debian's chromium in the report test
# (it never downloads a browser), and mermaid, which renders the job summary's chart there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in chromium:chromium unzip:unzip zip:zip curl:curl jq:jq bc:bc /usr/bin/time:time; do
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
# The rotel wheel keeps its binary inside the package; put it on the venv's PATH.
ln -sf "$(.venv/bin/python -c 'import os, rotel; print(os.path.dirname(rotel.__file__))')/rotel-agent" .venv/bin/rotel-agent

if [ ! -d node_modules/@actions/artifact ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/mermaid ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

rustup component add clippy rustfmt >/dev/null 2>&1 || true
