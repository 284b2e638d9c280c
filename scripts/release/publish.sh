#!/usr/bin/env bash
# The release workflow's last step, through GitHub's REST API (`gh api`, GH_TOKEN): a
# commit on top of the built one ($GITHUB_SHA) that changes only action/checksums.json
# (the pins pins.sh wrote; the binaries do not depend on it), tagged vX.Y.Z; the major
# tag vX moved to it; then the release of vX.Y.Z with the archives, SHA256SUMS and the
# notes. No git credentials are kept on disk; the API signs the commit as GitHub's.
# Usage: publish.sh VERSION DIST_DIR NOTES_FILE (in the workflow's checkout)
source "$(dirname "$0")/common.sh"
expect_args 3 "publish.sh VERSION DIST_DIR NOTES_FILE" "$@"
version=${1#v} dist=$2 notes=$3
repo=${GITHUB_REPOSITORY:?publish.sh runs in the release workflow (GITHUB_REPOSITORY is not set)}
built=${GITHUB_SHA:?publish.sh runs in the release workflow (GITHUB_SHA is not set)}
tag="v$version"
major="v${version%%.*}"

# The pin commit: the built commit's tree with the new action/checksums.json.
blob=$(jq -n --rawfile content action/checksums.json '{content: $content, encoding: "utf-8"}' |
  gh api "repos/$repo/git/blobs" --input - --jq .sha)
base_tree=$(gh api "repos/$repo/git/commits/$built" --jq .tree.sha)
tree=$(jq -n --arg base "$base_tree" --arg blob "$blob" \
  '{base_tree: $base, tree: [{path: "action/checksums.json", mode: "100644", type: "blob", sha: $blob}]}' |
  gh api "repos/$repo/git/trees" --input - --jq .sha)
commit=$(jq -n --arg tree "$tree" --arg parent "$built" --arg message "Release $tag: pin its archives' SHA-256 in action/checksums.json" \
  '{message: $message, tree: $tree, parents: [$parent]}' |
  gh api "repos/$repo/git/commits" --input - --jq .sha)
echo "pin commit $commit on $built"

# vX.Y.Z must be new (creating an existing ref fails); vX moves, or is made.
gh api "repos/$repo/git/refs" -f "ref=refs/tags/$tag" -f "sha=$commit" >/dev/null
if gh api "repos/$repo/git/ref/tags/$major" >/dev/null 2>&1; then
  gh api -X PATCH "repos/$repo/git/refs/tags/$major" -f "sha=$commit" -F force=true >/dev/null
else
  gh api "repos/$repo/git/refs" -f "ref=refs/tags/$major" -f "sha=$commit" >/dev/null
fi
echo "tagged $tag and moved $major to $commit"

shopt -s nullglob
gh release create "$tag" --repo "$repo" --verify-tag --title "$tag" --notes-file "$notes" \
  "$dist"/*.tar.gz "$dist"/*.zip "$dist/SHA256SUMS"
