#!/usr/bin/env bash
# Installs everything the tests and benchmarks need on a fresh machine; safe to re-run.
# First what the demo needs (scripts/setup.sh), then:
# Debian packages (chromium for the HTML report test, docker-compose to validate the
# local stack's compose file, unzip/curl/jq/bc/time for the baselines and benchmarks,
# zip and jq for the release scripts), the Python test tools into .venv (workflow
# linters, PyYAML; requirements-test.txt), the npm packages the fakes are checked
# against (GitHub's OpenAPI description, the official artifact client), playwright-core,
# which drives Debian's chromium in the report test (it never downloads a browser), and
# mermaid, which renders the job summary's chart there; and clippy and rustfmt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

for tool in chromium docker-compose unzip zip curl jq bc; do
  need_command "$tool" "$tool"
done
[ -x /usr/bin/time ] || need time # peak RSS in bench/
install_needed

.venv/bin/pip install -q --disable-pip-version-check -r requirements-test.txt

if [ ! -d node_modules/@actions/artifact ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/mermaid ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

rustup component add clippy rustfmt >/dev/null 2>&1 || true
