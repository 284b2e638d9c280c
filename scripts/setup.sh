#!/usr/bin/env bash
# Installs what scripts/demo.sh needs on a fresh machine, and nothing more; safe to re-run.
# Besides Rust (cargo) and npm it needs git, python3 with venv (a Debian package), the
# real OTLP receiver rotel, which requirements.txt installs into .venv, and the one npm
# package the fake GitHub answers from. The tests need more: scripts/setup-test.sh runs
# this and then adds the rest.
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

# The fake GitHub answers with GitHub's own OpenAPI examples (@octokit/openapi): only that
# package, at the version and checksum package-lock.json pins, not all of `npm ci`.
openapi=node_modules/@octokit/openapi
if [ ! -f "$openapi/generated/api.github.com.json" ]; then
  locked=$(python3 -c 'import json; p = json.load(open("package-lock.json"))["packages"]["node_modules/@octokit/openapi"]; print(p["version"], p["integrity"])')
  version=${locked% *} integrity=${locked#* }
  unpack=$(mktemp -d)
  trap 'rm -rf "$unpack"' EXIT
  echo "setup: fetching @octokit/openapi@$version (npm pack)"
  npm pack "@octokit/openapi@$version" --pack-destination "$unpack" --silent >/dev/null
  tarball=("$unpack"/*.tgz)
  python3 - "${tarball[0]}" "$integrity" <<'PY'
import base64, hashlib, sys
path, integrity = sys.argv[1:]
with open(path, "rb") as file:
    digest = "sha512-" + base64.b64encode(hashlib.sha512(file.read()).digest()).decode()
if digest != integrity:
    sys.exit(f"setup: {path} does not match the integrity package-lock.json pins")
PY
  mkdir -p "$unpack/package" node_modules/@octokit
  tar -xzf "${tarball[0]}" -C "$unpack"
  rm -rf "$openapi"
  mv "$unpack/package" "$openapi"
  rm -rf "$unpack"
fi
