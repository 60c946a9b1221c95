#!/usr/bin/env bash
# npm run test:node-matrix [-- MAJOR...]: the README's test command, `npm ci && npm test`, on a fresh
# clone of HEAD (no node_modules, no dist) under each Node.js major, 22 and 24 by default. Each runs
# with that Node.js first on PATH and npm_config_nodedir at its headers, so better-sqlite3 is built from
# source for it. Prints the time per version; exits 1 when any version fails.
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
# shellcheck source=scripts/lib/node-dist.sh
. "$root/scripts/lib/node-dist.sh"

majors=("$@")
[[ ${#majors[@]} -gt 0 ]] || majors=(22 24)
head=$(git -C "$root" rev-parse HEAD)
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no) ]]; then
  echo "node-matrix: testing commit ${head:0:12}; uncommitted changes are not part of it" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/klaviyo-checkup-node-matrix.XXXXXX")
chmod 755 "$work" # readable by `nobody`, whom a render test runs the CLI as when CI runs as root
trap 'rm -rf "$work"' EXIT
forget_npm_run_environment

results=()
failed=0
for major in "${majors[@]}"; do
  home=$(node_home "$major")
  version=$("$home/bin/node" --version)
  clone="$work/node-$major"
  git clone --quiet "$root" "$clone"
  git -C "$clone" checkout --quiet --detach "$head"
  echo "::: Node.js $version: npm ci && npm test in a fresh clone of ${head:0:12}"
  started=$SECONDS
  if (cd "$clone" && PATH="$home/bin:$PATH" npm_config_nodedir="$home" bash -c 'echo "node $(node --version), npm $(npm --version)" && npm ci && npm test'); then
    outcome=passed
  else
    outcome=FAILED
    failed=1
  fi
  elapsed=$((SECONDS - started))
  results+=("Node.js $version: $outcome in $((elapsed / 60))m$(printf %02d $((elapsed % 60)))s")
  echo "::: ${results[-1]}"
  rm -rf "$clone"
done

echo '::: node matrix'
printf '  %s\n' "${results[@]}"
exit "$failed"
