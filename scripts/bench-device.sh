#!/usr/bin/env bash
# One self-contained GPU benchmark for a Linux x86-64 machine with a GPU and its Vulkan driver (NVIDIA: the
# proprietary driver), without internet and possibly without Node.js. Prepare once where there is a network:
#   bash scripts/prepare-bench-device.sh        # fills the git-ignored .vendor/device/ (about 43 MiB)
# then copy the checkout (with .vendor/device) to the GPU machine and run:
#   bash scripts/bench-device.sh [--out FILE] [--shapes a,b:1500:4,…] [--peer-shapes a:128:32,…] [--budget-s N]
#        [other flags of scripts/bench-device-main.ts]
# It writes ONE JSON file (default bench-device.json; rewritten after every stage): adapter, features, limits,
# the read roofline (every access pattern), the kernel bench against it (every GPTQ matvec variant), per
# synthetic shape (default tinyllama-1.1b, tinyllama-1.1b with a 1,500-token prompt, llama-3.2-1b, llama-2-7b)
# the autotuner's choices and `bench` (prefill / decode tok/s, roofline fraction, per-kernel profile), and the
# same-adapter race against llama.cpp's Vulkan backend (`bench --peer llama.cpp`: both engines' prefill/decode
# tok/s, ratios, log-prob agreement) on tinyllama-1.1b and, when the time budget allows, llama-2-7b. A race that
# fails or runs past its time limit becomes an entry with an error; the run goes on.
# Needs: bash, coreutils, tar, glibc + libstdc++ (as Node does). Node: .vendor/device/node.xz (unpacked to a
# temp dir), else `node` on PATH. xz: the system's, else the one vendored with its liblzma (.vendor/device/xz).
# Vulkan loader: the system's libvulkan.so.1, else .vendor/device/lib. If no Vulkan ICD manifest exists but
# NVIDIA's driver library does (containers often have the library without the manifest), a manifest for it is
# written to the temp dir. Temp files (the races' GGUFs, up to 3.6 GB) go to that temp dir, removed at the end.
# The whole run is killed after BENCH_DEVICE_TIMEOUT seconds (default 470: within 8 minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/.vendor/device"
work=$(mktemp -d "${TMPDIR:-/tmp}/pdfchat-bench-device.XXXXXX")
trap 'rm -rf "$work"' EXIT

# xz for the vendored files: the system's, else the vendored binary with its library.
unxz_cmd() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1"
  elif [ -x "$vendor/xz/xz" ]; then LD_LIBRARY_PATH="$vendor/xz" "$vendor/xz/xz" -dc "$1"
  else echo "bench-device: no xz to unpack $1 (install xz-utils or rerun scripts/prepare-bench-device.sh)" >&2; return 2
  fi
}

# The payload (the bundled benchmark with node-llama-cpp, the Dawn addon, llama.cpp's Vulkan and CPU binaries):
# built from the sources into the temp dir where node_modules is (a development checkout, so the run always
# matches the code), else the one prepare-bench-device.sh vendored.
payload="$work/payload"
if [ -d "$here/node_modules/esbuild" ] && [ -d "$here/node_modules/webgpu" ] && command -v node >/dev/null; then
  node "$here/scripts/build-bench-device.mjs" "$payload" >&2
elif [ -f "$vendor/payload.tar.xz" ]; then
  mkdir -p "$payload"
  unxz_cmd "$vendor/payload.tar.xz" | tar -x -C "$payload"
else
  echo "bench-device: $vendor/payload.tar.xz is missing; run scripts/prepare-bench-device.sh first" >&2; exit 2
fi

# Node.
if [ -f "$vendor/node.xz" ]; then
  unxz_cmd "$vendor/node.xz" > "$work/node" && chmod +x "$work/node"
  node_bin="$work/node"
elif command -v node >/dev/null; then
  node_bin=$(command -v node)
else
  echo "bench-device: no Node.js: run scripts/prepare-bench-device.sh (it vendors one) or install Node >= 20.19" >&2; exit 2
fi

# Vulkan loader and ICD.
if ! { ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; } && [ -f "$vendor/lib/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$vendor/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  nv=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')
  if [ -n "$nv" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$nv" > "$work/nvidia_icd.json"
    export VK_ICD_FILENAMES="$work/nvidia_icd.json"
  fi
fi

echo "bench-device: node $("$node_bin" --version), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<loader default>}" >&2
status=0
limit="${BENCH_DEVICE_TIMEOUT:-470}"
mkdir -p "$work/tmp"
TMPDIR="$work/tmp" timeout "$limit" "$node_bin" "$payload/bench-device.mjs" --stop-s "$((limit - 5))" "$@" || status=$?
[ "$status" = 124 ] && echo "bench-device: stopped after $limit s; the JSON holds the stages that finished" >&2
exit "$status"
