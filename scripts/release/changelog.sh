#!/usr/bin/env bash
# Prints the CHANGELOG.md section of one version (the lines under its `## [X.Y.Z]`
# heading, up to the next `## ` heading or the link definitions at the bottom): the
# release's notes. Fails, saying so, when
# the section is missing or empty.
# Usage: changelog.sh VERSION
source "$(dirname "$0")/common.sh"
expect_args 1 "changelog.sh VERSION" "$@"
version=${1#v}
notes=$(awk -v heading="## [$version]" '
  index($0, heading) == 1 { inside = 1; next }
  inside && (/^## / || /^\[[^]]*\]: /) { exit }
  inside { print }
' "$ROOT/CHANGELOG.md" | sed -e '/./,$!d')
if [ -z "$notes" ]; then
  echo "changelog.sh: CHANGELOG.md has no notes under \"## [$version]\"; add them before releasing" >&2
  exit 1
fi
printf '%s\n' "$notes"
