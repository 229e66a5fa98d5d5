#!/usr/bin/env bash
# Installs (or checks for) the system pieces the app and the tests need on Debian 12:
#   - chromium            headless browser for the end-to-end tests (WebGPU on its bundled SwiftShader)
#   - libvulkan1          Vulkan loader used by Dawn (npm `webgpu`) in Node
#   - fonts-wqy-zenhei    a CJK font, so the Chinese UI renders in the e2e screenshots
#   - Mesa 25 lavapipe    from bookworm-backports, unpacked privately into .vendor/mesa (never into the
#                         system): the fastest CPU Vulkan driver, with shader-f16 (see docs/ARCHITECTURE.md)
# Runs as root with apt; otherwise prints the exact package names that are missing and exits 1.
# `--app` checks only what `npm start` needs (nothing beyond Node), so it never fails the app start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--app" ] && exit 0

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
for p in libvulkan1 libllvm15 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 \
         libxcb-xfixes0 libxshmfence1 libwayland-client0 libx11-xcb1 libelf1 libzstd1 libexpat1 \
         fonts-wqy-zenhei; do
  dpkg -s "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${need[*]}" >&2
    echo "setup: run as root:  apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

# Mesa 25 lavapipe (Vulkan on the CPU, with shader-f16) into .vendor/mesa, from bookworm-backports.
mesa=.vendor/mesa
if [ ! -f "$mesa/lvp_icd.json" ]; then
  if command -v apt-get >/dev/null; then
    tmp=$(mktemp -d)
    mkdir -p "$tmp/lists/partial"
    echo "deb http://deb.debian.org/debian bookworm-backports main" > "$tmp/sources.list"
    o=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$tmp/lists"
       -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
    if apt-get "${o[@]}" update -qq >/dev/null 2>&1 && \
       (cd "$tmp" && apt-get "${o[@]}" download mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports \
          libdrm-amdgpu1/bookworm-backports >/dev/null 2>&1); then
      mkdir -p "$mesa/root"
      for f in "$tmp"/*.deb; do dpkg -x "$f" "$mesa/root"; done
      lib=$(cd "$mesa/root/usr/lib/x86_64-linux-gnu" && pwd)
      sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" \
        "$mesa/root/usr/share/vulkan/icd.d/lvp_icd.json" > "$mesa/lvp_icd.json"
      echo "setup: Mesa lavapipe unpacked into $mesa" >&2
    else
      echo "setup: could not fetch Mesa 25 from bookworm-backports; Node GPU tests fall back to SwiftShader (no f16)" >&2
    fi
    rm -rf "$tmp"
  fi
fi
exit 0
