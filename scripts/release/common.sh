# Sourced by every scripts/release/*.sh: strict mode, ROOT (the repository), and the
# argument count check, which exits 2 with the script's usage line.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# expect_args COUNT USAGE "$@"
expect_args() {
  local count=$1 usage=$2
  shift 2
  if [ $# -ne "$count" ]; then
    echo "usage: scripts/release/$usage" >&2
    exit 2
  fi
}
