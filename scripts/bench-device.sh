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
# The whole run is stopped after BENCH_DEVICE_TIMEOUT seconds (default 470: within 8 minutes; SIGTERM, then
# SIGKILL 5 s later for what is still there). Ctrl-C, SIGTERM and SIGHUP stop it at once: the signal goes on to
# the benchmark and everything it started (its own process group), the script waits for them to end, removes the
# temp dir and exits 130 / 143 / 129. Exit status 2: a file of .vendor/device is missing or damaged.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/.vendor/device"
work=$(mktemp -d "${TMPDIR:-/tmp}/pdfchat-bench-device.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Signals. The benchmark runs under `timeout` in the background: timeout makes itself the leader of a process
# group of its own (so that at the limit it stops Node and Node's children together), which is why the
# terminal's Ctrl-C (sent to the terminal's foreground group) reaches only this script. The traps pass the
# signal on to that group, wait until timeout has ended (it SIGKILLs the group 5 s after the signal, -k 5), kill
# what is left in the group (a grandchild that ignores the signal), and exit; the EXIT trap then removes $work.
child=''     # timeout's pid (= its process group's id) while the benchmark runs
launched=''  # set just before timeout is started in the background
stop_child() { # $1: the signal to pass on
  kill -s "$1" -- "-$child" 2>/dev/null || kill -s "$1" "$child" 2>/dev/null || true
  while kill -0 "$child" 2>/dev/null; do wait "$child" 2>/dev/null || true; done
  kill -s KILL -- "-$child" 2>/dev/null || true
}
on_signal() { # $1: signal, $2: exit status
  trap '' INT TERM HUP PIPE # a second Ctrl-C while stopping: timeout's SIGKILL follows within 5 s anyway; PIPE: stderr may be gone (a hangup)
  if [ -n "$launched" ] && [ -z "$child" ]; then child=$!; fi # the signal came between `&` and child=$!
  if [ -n "$child" ]; then
    echo "bench-device: SIG$1: stopping the benchmark; the JSON holds the stages that finished" >&2 || true
    stop_child "$1"
  fi
  exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

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
  if ! unxz_cmd "$vendor/payload.tar.xz" | tar -x -C "$payload"; then
    echo "bench-device: could not unpack $vendor/payload.tar.xz (truncated or damaged: an interrupted copy?); copy .vendor/device again or rerun scripts/prepare-bench-device.sh" >&2; exit 2
  fi
  if [ ! -f "$payload/bench-device.mjs" ]; then
    echo "bench-device: $vendor/payload.tar.xz has no bench-device.mjs; rerun scripts/prepare-bench-device.sh" >&2; exit 2
  fi
else
  echo "bench-device: $vendor/payload.tar.xz is missing; run scripts/prepare-bench-device.sh first" >&2; exit 2
fi

# Node.
if [ -f "$vendor/node.xz" ]; then
  # Not in an && list: set -e does not stop at a failure there, and a truncated node.xz went on to "Permission denied".
  if ! unxz_cmd "$vendor/node.xz" > "$work/node"; then
    echo "bench-device: could not unpack $vendor/node.xz (truncated or damaged: an interrupted copy?); copy .vendor/device again or rerun scripts/prepare-bench-device.sh" >&2; exit 2
  fi
  chmod +x "$work/node"
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
# Whether the loader finds an ICD manifest of the system's: in the folders it searches (XDG config and data dirs,
# /etc/vulkan; BENCH_DEVICE_ICD_DIRS, colon-separated, replaces that list: for the tests). One folder with
# manifests is enough (an `ls a/*.json b/*.json` fails as soon as one of them has none).
has_icd_manifest() {
  local dirs d f
  if [ -n "${BENCH_DEVICE_ICD_DIRS:-}" ]; then dirs=$BENCH_DEVICE_ICD_DIRS
  else dirs="${XDG_CONFIG_HOME:-${HOME:-/nonexistent}/.config}:${XDG_CONFIG_DIRS:-/etc/xdg}:/etc:${XDG_DATA_HOME:-${HOME:-/nonexistent}/.local/share}:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
    dirs=$(printf '%s' "$dirs" | tr ':' '\n' | sed '/^$/d; s|$|/vulkan/icd.d|' | paste -sd: -)
  fi
  local IFS=:
  for d in $dirs; do
    for f in "$d"/*.json; do [ -e "$f" ] && return 0; done
  done
  return 1
}
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && ! has_icd_manifest; then
  nv=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')
  if [ -n "$nv" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$nv" > "$work/nvidia_icd.json"
    export VK_ICD_FILENAMES="$work/nvidia_icd.json"
  fi
fi

if ! node_version=$("$node_bin" --version 2>&1); then
  echo "bench-device: $node_bin does not run: $node_version" >&2
  [ "$node_bin" = "$work/node" ] && echo "bench-device: (unpacked from $vendor/node.xz: copy .vendor/device again or rerun scripts/prepare-bench-device.sh)" >&2
  exit 2
fi
echo "bench-device: node $node_version, VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<loader default>}" >&2
status=0
limit="${BENCH_DEVICE_TIMEOUT:-470}"
mkdir -p "$work/tmp"
# In the background, so that the traps above run while it does (bash runs a trap only between commands).
launched=1
TMPDIR="$work/tmp" timeout -k 5 "$limit" "$node_bin" "$payload/bench-device.mjs" --stop-s "$((limit - 5))" "$@" &
child=$!
wait "$child" || status=$?
kill -s KILL -- "-$child" 2>/dev/null || true # what Node left running in its group (a race's child)
[ "$status" = 124 ] && echo "bench-device: stopped after $limit s; the JSON holds the stages that finished" >&2
exit "$status"
