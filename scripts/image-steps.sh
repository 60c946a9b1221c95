#!/usr/bin/env bash
# scripts/image-steps.sh [TARGET...]: the Docker image's steps without Docker (no engine runs on CI),
# for each target named (runtime, render), all of them when none is.
#
# Kept in step with the Dockerfile: each of its instructions appears below as a `# Dockerfile:` line
# above the commands that do the same, and the script stops at once when the two lists differ. So a
# changed Dockerfile fails CI until this script mirrors it.
#
# In a clean directory it does what the build stage does (with the Node.js major the image is based
# on), copies into a runtime directory only what the runtime stage copies, then starts the bot and the
# CLI from that pruned tree: test/image/pruned-tree.check.ts drives them against a fake Slack and a
# loopback site. That catches a runtime import of a development dependency, or a file the image forgets.
# It needs the repository's own `npm ci` first, for the fakes and the check.
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
cd "$root"
# shellcheck source=scripts/lib/node-dist.sh
. scripts/lib/node-dist.sh

# Dockerfile stages this script stands in for. A stage that only adds system packages (which .ci/run
# installs on the CI machine) is one more name here, and one more case in the check.
targets=(runtime render)
chosen=("$@")
[[ ${#chosen[@]} -gt 0 ]] || chosen=("${targets[@]}")
for target in "${chosen[@]}"; do
  [[ " ${targets[*]} " == *" $target "* ]] || {
    echo "image-steps: unknown target $target (known: ${targets[*]})" >&2
    exit 2
  }
done

# The Dockerfile's instructions, one a line: comments dropped, continuation lines joined.
instructions() {
  sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$1" |
    sed -e ':a' -e '/\\$/{N;s/[[:space:]]*\\\n[[:space:]]*/ /;ba' -e '}'
}
mirrored=$(sed -n 's/^# Dockerfile: //p' "$0")
if ! differences=$(diff <(echo "$mirrored") <(instructions Dockerfile)); then
  echo "image-steps: the Dockerfile changed; mirror it in $0 (< this script, > Dockerfile):" >&2
  echo "$differences" >&2
  exit 1
fi
instruction() { instructions Dockerfile | grep -m 1 "$1"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/klaviyo-checkup-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The build context is the repository as it is, as for `docker build .`.
context=$root
step() { echo "::: image-steps: $*"; }

# Dockerfile: FROM node:24-bookworm-slim AS build
node_major=$(instruction '^FROM node:' | sed 's/^FROM node:\([0-9]*\).*/\1/')
node_dir=$(node_home "$node_major")
forget_npm_run_environment
# The build runs under the image's Node.js, and native modules build against its headers.
image_node() { PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" "$@"; }
step "Node.js $(image_node node --version) (the image's major), npm $(image_node npm --version)"
# Dockerfile: RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# (system packages: the CI machine has them; .ci/run installs them.)
# Dockerfile: WORKDIR /app
build="$work/build/app"
mkdir -p "$build"
# Dockerfile: COPY package.json package-lock.json ./
cp "$context/package.json" "$context/package-lock.json" "$build/"
# Dockerfile: RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
step 'npm ci --ignore-scripts && npm rebuild better-sqlite3'
(cd "$build" && image_node npm ci --ignore-scripts && image_node npm rebuild better-sqlite3)
# Dockerfile: COPY tsconfig.json tsconfig.build.json ./
cp "$context/tsconfig.json" "$context/tsconfig.build.json" "$build/"
# Dockerfile: COPY src ./src
cp -R "$context/src" "$build/src"
# Dockerfile: COPY bin ./bin
cp -R "$context/bin" "$build/bin"
# Dockerfile: RUN npm run build && npm prune --omit=dev
step 'npm run build && npm prune --omit=dev'
(cd "$build" && image_node npm run build && image_node npm prune --omit=dev)

# Dockerfile: FROM node:24-bookworm-slim AS runtime
# Dockerfile: ENV NODE_ENV=production PORT=3000 DATABASE_PATH=/data/klaviyo-checkup.sqlite
image_env=$(instruction '^ENV ' | sed 's/^ENV //')
# Dockerfile: WORKDIR /app
app="$work/runtime/app"
mkdir -p "$app"
# Dockerfile: COPY --from=build /app/package.json ./
cp "$build/package.json" "$app/"
# Dockerfile: COPY --from=build /app/node_modules ./node_modules
cp -R "$build/node_modules" "$app/node_modules"
# Dockerfile: COPY --from=build /app/dist ./dist
cp -R "$build/dist" "$app/dist"
# Dockerfile: COPY --from=build /app/bin ./bin
cp -R "$build/bin" "$app/bin"
# Dockerfile: COPY manifest.yml manifest.socket-mode.yml ./
cp "$context/manifest.yml" "$context/manifest.socket-mode.yml" "$app/"
# Dockerfile: RUN mkdir -p /data && chown node:node /data
# Dockerfile: VOLUME ["/data"]
# (the check gives the bot a fresh directory of its own as /data.)
# Dockerfile: USER node
# Dockerfile: EXPOSE 3000
# Dockerfile: HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
healthcheck=$(instruction '^HEALTHCHECK ' | sed 's/^HEALTHCHECK .* CMD //')
# Dockerfile: CMD ["node", "dist/main.js"]
cmd=$(instruction '^CMD ' | sed 's/^CMD //')

# Dockerfile: FROM runtime AS render
# Dockerfile: USER root
# Dockerfile: RUN apt-get update && apt-get install -y --no-install-recommends chromium-headless-shell && rm -rf /var/lib/apt/lists/*
# (system packages: .ci/run installs chromium-headless-shell on the CI machine.)
# Dockerfile: USER node
# Dockerfile: ENV SCAN_RENDER=true
render_env=$(instructions Dockerfile | grep '^ENV ' | sed -n 2p | sed 's/^ENV //')
# Dockerfile: FROM runtime
# (the last stage, which `docker build .` builds: the runtime as it is.)

step "the pruned tree: $(du -sh "$app" | cut -f1), the bot and the CLI from it"
# The fakes and the check run from the repository (they need its development dependencies); the bot
# and the CLI run from the pruned tree, with the image's Node.js.
[[ -x node_modules/.bin/vitest ]] || {
  echo "image-steps: run npm ci in $root first (the check uses its test dependencies)" >&2
  exit 1
}
for target in "${chosen[@]}"; do
  env_of_target=$image_env
  [[ $target == render ]] && env_of_target="$image_env $render_env"
  step "the check, target $target"
  IMAGE_APP="$app" IMAGE_NODE="$node_dir/bin/node" IMAGE_ENV="$env_of_target" IMAGE_CMD="$cmd" \
    IMAGE_HEALTHCHECK="$healthcheck" IMAGE_TARGET="$target" \
    node_modules/.bin/vitest run --config test/image/vitest.config.ts
done
