#!/usr/bin/env bash
# Builds src/scan/wasm/byte-scan.c into src/scan/wasm/byte-scan-module.ts, the module's bytes as
# base64 with the source's SHA-256 (a test checks that the two match). Needs clang and wasm-ld
# (Debian: apt-get install clang lld). The built file is committed: installing and testing the
# package does not need either tool.
set -euo pipefail
cd "$(dirname "$0")/.."
src=src/scan/wasm/byte-scan.c
out=src/scan/wasm/byte-scan-module.ts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clang --target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--initial-memory=131072 -Wl,-z,stack-size=8192 \
  -Wl,--strip-all -o "$tmp/byte-scan.wasm" "$src"
{
  echo "// Built by scripts/build-wasm.sh from byte-scan.c: do not edit."
  echo "export const SOURCE_SHA256 = '$(sha256sum "$src" | cut -d' ' -f1)';"
  echo "export const MODULE_BASE64 ="
  echo "  '$(base64 -w0 "$tmp/byte-scan.wasm")';"
} > "$out"
echo "$out: $(stat -c %s "$tmp/byte-scan.wasm") bytes of WebAssembly"
